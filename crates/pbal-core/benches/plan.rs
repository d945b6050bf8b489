//! Plan time by portfolio size. Run: `cargo bench -p pbal-core --bench plan`.

use pbal_core::{PlanOptions, Strategy, plan};
use rust_decimal::Decimal;

#[path = "common/portfolio.rs"]
mod common;
use common::portfolio;
#[path = "common/seeded.rs"]
mod seeded;
use seeded::seeded;

fn main() {
    divan::main();
}

#[divan::bench(args = [30, 100, 500, 5_000])]
fn buy_only(bencher: divan::Bencher, n: usize) {
    let (portfolio, targets) = portfolio(n);
    let total = portfolio.total_value().unwrap();
    let cash = (total / Decimal::from(20)).round_dp(2);
    let options = PlanOptions::default();
    bencher.bench(|| plan(&portfolio, &targets, cash, &options).unwrap());
}

#[divan::bench(args = [30, 100, 500, 5_000])]
fn full(bencher: divan::Bencher, n: usize) {
    let (portfolio, targets) = portfolio(n);
    let options = PlanOptions::new().with_strategy(Strategy::Full);
    bencher.bench(|| plan(&portfolio, &targets, Decimal::from(1000), &options).unwrap());
}

/// Issue 23's seeded 5,000-holding portfolios (values 1,000–50,000, prices 5–900), one per
/// seed and strategy: divan's "slowest" column is the slowest plan, not only the median.
#[divan::bench(args = [0, 1, 2])]
fn seeded_5000_buy_only(bencher: divan::Bencher, seed: u64) {
    seeded_case(bencher, seed, Strategy::BuyOnly, Decimal::from(1_000_000));
}

#[divan::bench(args = [0, 1, 2])]
fn seeded_5000_withdrawal(bencher: divan::Bencher, seed: u64) {
    seeded_case(bencher, seed, Strategy::BuyOnly, Decimal::from(-50_000));
}

#[divan::bench(args = [0, 1, 2])]
fn seeded_5000_full_ibkr(bencher: divan::Bencher, seed: u64) {
    seeded_case(bencher, seed, Strategy::Full, Decimal::ZERO);
}

fn seeded_case(bencher: divan::Bencher, seed: u64, strategy: Strategy, cash: Decimal) {
    let (portfolio, targets) = seeded(5_000, seed, 0).unwrap();
    let mut options = PlanOptions::new().with_strategy(strategy);
    if strategy == Strategy::Full {
        options.commission = pbal_core::Commission::IbkrFixed;
    }
    bencher.bench(|| plan(&portfolio, &targets, cash, &options).unwrap());
}
