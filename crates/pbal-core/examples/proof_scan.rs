//! Which plans pbal proves optimal within the default work limit: for 30, 100 and 500 assets,
//! each strategy (with and without a withdrawal) and three option sets (none; a minimum trade
//! of 100 and a reserve of 500; IBKR's fixed commission), five random portfolios each (prices
//! 20–520, 10–100 shares, equal weights, cash or a withdrawal of 5% of the portfolio). Prints
//! per cell how many were proven, the slowest plan's time, and the certified distance gaps
//! (percentage points) of those that were not. The table in docs/exact-plans.md comes from it.
//!
//! Run with `cargo run --release -p pbal-core --example proof_scan`.

// An example's output is its point.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use pbal_core::{
    Commission, Decimal, Holding, Optimality, PlanOptions, Portfolio, Strategy, Targets, dec, plan,
};

/// A small deterministic generator (no dependency for an example).
struct Lcg(u64);

impl Lcg {
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        lo + (self.0 >> 33) % (hi - lo + 1)
    }
}

fn portfolio(assets: usize, seed: u64) -> Result<(Portfolio, Targets), pbal_core::Error> {
    let mut random = Lcg(seed * 7_919 + assets as u64);
    let holdings = (0..assets)
        .map(|i| {
            let price = Decimal::new(random.range(2_000, 52_000) as i64, 2);
            Holding::new(
                format!("S{i:05}"),
                Decimal::from(random.range(10, 100)),
                price,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let portfolio = Portfolio::new(holdings)?;
    let targets = Targets::equal(portfolio.holdings().iter().map(|h| h.symbol.clone()))?;
    Ok((portfolio, targets))
}

fn main() -> Result<(), pbal_core::Error> {
    let strategies = [
        ("buy-only", Strategy::BuyOnly, false),
        ("buy-only withdrawal", Strategy::BuyOnly, true),
        ("full", Strategy::Full, false),
        ("bands", Strategy::Bands, false),
        ("bands withdrawal", Strategy::Bands, true),
    ];
    for assets in [30, 100, 500] {
        for (name, strategy, withdrawal) in strategies {
            for variant in ["plain", "mt/res", "ibkr-fixed"] {
                let mut proven = 0;
                let mut slowest = 0.0f64;
                let mut gaps = Vec::new();
                for seed in 0..5 {
                    let (portfolio, targets) = portfolio(assets, seed)?;
                    let five = (portfolio.total_value()? / dec!(20)).round_dp(2);
                    let cash = if withdrawal { -five } else { five };
                    let mut options = PlanOptions::new().with_strategy(strategy);
                    match variant {
                        "mt/res" => {
                            options.min_trade = dec!(100);
                            options.reserve = dec!(500);
                        }
                        "ibkr-fixed" => options.commission = Commission::IbkrFixed,
                        _ => {}
                    }
                    #[allow(
                        clippy::disallowed_methods,
                        reason = "the scan reports how long plans take"
                    )]
                    let start = Instant::now();
                    let result = plan(&portfolio, &targets, cash, &options)?;
                    slowest = slowest.max(start.elapsed().as_secs_f64() * 1e3);
                    if result.optimality == Optimality::Optimal {
                        proven += 1;
                    } else {
                        gaps.push(result.distance_gap().to_string());
                    }
                }
                println!(
                    "{assets:4} {name:20} {variant:10} proven {proven}/5, slowest {slowest:6.1} ms {}",
                    gaps.join(" ")
                );
            }
        }
    }
    Ok(())
}
