//! Backtest time: 500 assets, 30 years of daily prices, monthly plans in whole shares; and
//! Vanguard's 11-policy rebalancing grid on 1,800 monthly dates of two assets.
//! Run: `cargo bench -p pbal-core --bench backtest`.

use jiff::civil::{Date, date};
use pbal_core::backtest::{Config, Policy, PriceTable, Sizing, compare, run_policy};
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

/// Vanguard's grid (docs/backtest.md): monthly 0/1/5/10%, quarterly and annually 1/5/10%;
/// `compare` adds never.
const GRID: [&str; 10] = [
    "full-monthly",
    "full-monthly:1",
    "full-monthly:5",
    "full-monthly:10",
    "full-quarterly:1",
    "full-quarterly:5",
    "full-quarterly:10",
    "full-annually:1",
    "full-annually:5",
    "full-annually:10",
];

/// 1,800 month starts from 1871 of a 60/40 stocks/bonds mix: deterministic random walks
/// (stocks −8%..+9% a month, bonds −2%..+3%) in levels with 6 decimals, as in the real file.
fn sixty_forty_monthly() -> (PriceTable, Targets) {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |span: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % span) as i64
    };
    let (mut stocks, mut bonds) = (Decimal::ONE_HUNDRED, Decimal::ONE_HUNDRED);
    let rows = (0..1_800)
        .map(|i| {
            let d = date(1871 + (i / 12) as i16, (i % 12) as i8 + 1, 1);
            let row = vec![Some(stocks), Some(bonds)];
            stocks =
                (stocks * Decimal::from(1000 + next(171) - 80) / Decimal::from(1000)).round_dp(6);
            bonds = (bonds * Decimal::from(1000 + next(51) - 20) / Decimal::from(1000)).round_dp(6);
            (d, row)
        })
        .collect();
    let prices = PriceTable::new(vec!["STOCKS".into(), "BONDS".into()], rows).unwrap();
    let targets = Targets::new([
        ("STOCKS".to_owned(), Decimal::new(6, 1)),
        ("BONDS".to_owned(), Decimal::new(4, 1)),
    ])
    .unwrap();
    (prices, targets)
}

/// The 11 policies (never included) on 1,800 dates: `continuous` is `--fractional` (exact
/// weights, as in docs/backtest.md), `whole-shares` pbal's plans from 10,000,000.
#[divan::bench(args = ["continuous", "whole-shares"], sample_count = 5, sample_size = 1)]
fn vanguard_grid_1800_months(bencher: divan::Bencher, sizing: &str) {
    let (prices, targets) = sixty_forty_monthly();
    let config = Config::new(targets, Decimal::from(10_000_000)).with_sizing(match sizing {
        "continuous" => Sizing::Continuous,
        _ => Sizing::Plan,
    });
    let grid: Vec<Policy> = GRID
        .iter()
        .map(|name| Policy::parse(name, Strategy::Full).unwrap())
        .collect();
    bencher.bench(|| {
        let runs = compare(&prices, &config, &grid).unwrap();
        assert_eq!(runs.len(), 11);
        runs
    });
}
