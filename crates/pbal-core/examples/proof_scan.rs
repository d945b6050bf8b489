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
//! seeded families only; `--only=TEXT` runs the cells whose label contains TEXT, and
//! `--node-limit=N` tries another work budget).

// An example's output is its point.
#![allow(clippy::print_stdout)]

use std::time::Instant;

#[path = "../benches/common/seeded.rs"]
mod seeded;
use seeded::{Lcg, seeded};

use pbal_core::{
    Commission, Decimal, Holding, LotOrder, Optimality, PlanOptions, Portfolio, Strategy, Targets,
    date, dec, plan,
};

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

/// The value of the command-line option `name` (given as `name` followed by the value).
fn arg(name: &str) -> Option<String> {
    std::env::args().find_map(|a| a.strip_prefix(name).map(str::to_owned))
}

/// One cell: plans each seed's portfolio, prints proven count, slowest time and gaps.
fn cell(
    label: &str,
    seeds: u64,
    make: impl Fn(u64) -> Result<(Portfolio, Targets), pbal_core::Error>,
    cash: Decimal,
    options: &PlanOptions,
) -> Result<f64, pbal_core::Error> {
    // For profiling one cell: `--only=<part of its label>`.
    if arg("--only=").is_some_and(|only| !label.contains(&only)) {
        return Ok(0.0);
    }
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
                // For trying other budgets: the default is what the docs report.
                if let Some(limit) = arg("--node-limit=").and_then(|v| v.parse().ok()) {
                    options.node_limit = limit;
                }
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
                let label = format!("{assets} {name} {variant}");
                if arg("--only=").is_some_and(|only| !label.contains(&only)) {
                    continue;
                }
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
                    if let Some(limit) = arg("--node-limit=").and_then(|v| v.parse().ok()) {
                        options.node_limit = limit;
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
