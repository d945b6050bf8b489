//! Plan time by portfolio size. Run: `cargo bench -p pbal-core --bench plan`.

use pbal_core::{PlanOptions, Strategy, plan};
use rust_decimal::Decimal;

#[path = "common/portfolio.rs"]
mod common;
use common::portfolio;

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
