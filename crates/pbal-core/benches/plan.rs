//! Plan time by portfolio size. Run: `cargo bench -p pbal-core --bench plan`.

use pbal_core::{Holding, PlanOptions, Portfolio, Strategy, Targets, plan};
use rust_decimal::Decimal;

fn main() {
    divan::main();
}

/// A deterministic, uneven portfolio of `n` ETFs (prices 20–520, values spread ±50%).
fn portfolio(n: usize) -> (Portfolio, Targets) {
    let holdings = (0..n)
        .map(|i| {
            let price = Decimal::new(2_000 + ((i * 7_919) % 50_000) as i64, 2);
            let shares = Decimal::from(10 + (i * 104_729) % 90);
            Holding::new(format!("S{i:05}"), shares, price).unwrap()
        })
        .collect();
    let portfolio = Portfolio::new(holdings).unwrap();
    let targets = Targets::equal(portfolio.holdings().iter().map(|h| h.symbol.clone())).unwrap();
    (portfolio, targets)
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
