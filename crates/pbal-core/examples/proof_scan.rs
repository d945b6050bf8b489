//! Which plans pbal proves optimal within the default work limit: for 30, 100 and 500 assets,
//! each strategy (with and without a withdrawal) and three option sets (none; a minimum trade
//! of 100 and a reserve of 500; IBKR's fixed commission), five random portfolios each (prices
//! 20–520, 10–100 shares, equal weights, cash or a withdrawal of 5% of the portfolio). Prints
//! per cell how many were proven, the slowest plan's time, and the certified distance gaps
//! (percentage points) of those that were not. The table in docs/exact-plans.md comes from it.
//!
//! Then issue 23's seeded families: random portfolios of 1,000 and 5,000 holdings (values
//! 1,000–50,000, prices 5–900, equal weights; seeds, not tuned cases), each strategy with
//! +1,000,000 of new cash, a -50,000 withdrawal, full and bands, each plain, with IBKR's
//! fixed commission and with a minimum trade of 100; and 500 holdings of 20 lots each with a
//! lot order and a date (tax-aware sales). Per cell: proven count, slowest plan, gaps.
//!
//! Run with `cargo run --release -p pbal-core --example proof_scan` (`-- seeded` for the
//! seeded families only).

// An example's output is its point.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use pbal_core::{
    Commission, Decimal, Holding, Lot, LotOrder, Optimality, PlanOptions, Portfolio, Strategy,
    Targets, date, dec, plan,
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

/// Issue 23's family: values 1,000–50,000, prices 5–900, whole shares (at least one); with
/// `lots`, each holding is split into that many lots of random cost and opening date.
fn seeded(assets: usize, seed: u64, lots: u64) -> Result<(Portfolio, Targets), pbal_core::Error> {
    let mut random = Lcg(seed.wrapping_mul(104_729) ^ (assets as u64) << 20 ^ lots);
    let holdings = (0..assets)
        .map(|i| {
            let price = Decimal::new(random.range(500, 90_000) as i64, 2);
            let value = Decimal::from(random.range(1_000, 50_000));
            let shares = (value / price).floor().max(Decimal::ONE);
            let mut h = Holding::new(format!("S{i:05}"), shares, price)?;
            if lots > 0 {
                let mut left = shares;
                let mut cost_total = Decimal::ZERO;
                for l in 0..lots {
                    let q = if l + 1 == lots {
                        left
                    } else {
                        (shares / Decimal::from(lots)).floor()
                    };
                    if q <= Decimal::ZERO {
                        continue;
                    }
                    left -= q;
                    // Costs 50%–150% of today's price: gains and losses in every holding.
                    let cost =
                        (q * price * Decimal::from(random.range(50, 150)) / dec!(100)).round_dp(2);
                    cost_total += cost;
                    let open = date(
                        2020 + random.range(0, 5) as i16,
                        1 + random.range(0, 11) as i8,
                        1,
                    );
                    h.lots.push(Lot::new(q, cost).with_open_date(open));
                }
                h.unrealized_pnl = Some(h.value - cost_total);
            }
            Ok(h)
        })
        .collect::<Result<Vec<_>, pbal_core::Error>>()?;
    let portfolio = Portfolio::new(holdings)?;
    let targets = Targets::equal(portfolio.holdings().iter().map(|h| h.symbol.clone()))?;
    Ok((portfolio, targets))
}

/// One cell: plans each seed's portfolio, prints proven count, slowest time and gaps.
fn cell(
    label: &str,
    seeds: u64,
    make: impl Fn(u64) -> Result<(Portfolio, Targets), pbal_core::Error>,
    cash: Decimal,
    options: &PlanOptions,
) -> Result<f64, pbal_core::Error> {
    let mut proven = 0;
    let mut slowest = 0.0f64;
    let mut gaps = Vec::new();
    for seed in 0..seeds {
        let (portfolio, targets) = make(seed)?;
        #[allow(
            clippy::disallowed_methods,
            reason = "the scan reports how long plans take"
        )]
        let start = Instant::now();
        let result = plan(&portfolio, &targets, cash, options)?;
        slowest = slowest.max(start.elapsed().as_secs_f64() * 1e3);
        if result.optimality == Optimality::Optimal {
            proven += 1;
        } else {
            gaps.push(result.distance_gap().to_string());
        }
    }
    println!(
        "{label:42} proven {proven}/{seeds}, slowest {slowest:6.1} ms {}",
        gaps.join(" ")
    );
    Ok(slowest)
}

fn seeded_families() -> Result<(), pbal_core::Error> {
    let cases = [
        ("buy-only +1,000,000", Strategy::BuyOnly, dec!(1000000)),
        ("buy-only -50,000", Strategy::BuyOnly, dec!(-50000)),
        ("full", Strategy::Full, Decimal::ZERO),
        ("bands", Strategy::Bands, Decimal::ZERO),
    ];
    let mut slowest = 0.0f64;
    for assets in [1_000, 5_000] {
        for (name, strategy, cash) in cases {
            for variant in ["plain", "ibkr-fixed", "min-trade 100"] {
                let mut options = PlanOptions::new().with_strategy(strategy);
                match variant {
                    "ibkr-fixed" => options.commission = Commission::IbkrFixed,
                    "min-trade 100" => options.min_trade = dec!(100),
                    _ => {}
                }
                let label = format!("{assets:5} {name:20} {variant:13}");
                let t = cell(&label, 3, |seed| seeded(assets, seed, 0), cash, &options)?;
                slowest = slowest.max(t);
            }
        }
    }
    for (name, strategy, cash) in cases {
        let options = PlanOptions::new()
            .with_strategy(strategy)
            .with_lot_order(LotOrder::TaxMin)
            .with_as_of(date(2025, 11, 1));
        let label = format!("500x20 lots {name:20} tax-min");
        let t = cell(&label, 3, |seed| seeded(500, seed, 20), cash, &options)?;
        slowest = slowest.max(t);
    }
    println!("slowest seeded plan {slowest:.1} ms");
    Ok(())
}

fn main() -> Result<(), pbal_core::Error> {
    if std::env::args().any(|a| a == "seeded") {
        return seeded_families();
    }
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
    seeded_families()
}
