//! Backtest time: 500 assets, 30 years of daily prices, monthly plans in whole shares.
//! Run: `cargo bench -p pbal-core --bench backtest`.

use jiff::civil::{Date, date};
use pbal_core::backtest::{Config, Policy, PriceTable, run_policy};
use pbal_core::{Strategy, Targets};
use rust_decimal::Decimal;

const ASSETS: usize = 500;
const YEARS: i16 = 30;

fn main() {
    divan::main();
}

/// Weekdays from 1995 for `YEARS` years (about 7,800 dates).
fn weekdays() -> Vec<Date> {
    let mut d = date(1995, 1, 2);
    let end = date(1995 + YEARS, 1, 1);
    let mut out = Vec::new();
    while d < end {
        if d.weekday().to_monday_one_offset() <= 5 {
            out.push(d);
        }
        d = d.tomorrow().unwrap();
    }
    out
}

/// Deterministic random walks in cents (±1% a day), each asset with its own drift.
fn prices() -> PriceTable {
    let dates = weekdays();
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut cents: Vec<i64> = (0..ASSETS)
        .map(|i| 2_000 + (i as i64 * 7_919) % 30_000)
        .collect();
    let rows = dates
        .into_iter()
        .map(|d| {
            let row = cents
                .iter_mut()
                .enumerate()
                .map(|(i, c)| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let step = (state % 201) as i64 - 100 + (i as i64 % 3);
                    *c = (*c + *c * step / 10_000).max(100);
                    Some(Decimal::new(*c, 2))
                })
                .collect();
            (d, row)
        })
        .collect();
    let symbols = (0..ASSETS).map(|i| format!("S{i:03}")).collect();
    PriceTable::new(symbols, rows).unwrap()
}

fn config(prices: &PriceTable) -> Config {
    let targets = Targets::equal(prices.symbols().iter().cloned()).unwrap();
    Config::new(targets, Decimal::from(10_000_000)).with_contribution(Decimal::from(10_000))
}

/// `never` measures the simulation alone (one plan, then only contributions at target mix).
#[divan::bench(args = ["buy-only-monthly", "full-monthly", "never"], sample_count = 3, sample_size = 1)]
fn run_500_assets_30_years(bencher: divan::Bencher, policy: &str) {
    let prices = prices();
    let config = config(&prices);
    let policy = Policy::parse(policy, Strategy::BuyOnly).unwrap();
    bencher.bench(|| run_policy(&prices, &config, policy).unwrap());
}
