//! The benchmarks' shared input, so plan and commission timings are of the same portfolios.

use pbal_core::{Holding, Portfolio, Targets};
use rust_decimal::Decimal;

/// A deterministic, uneven portfolio of `n` ETFs (prices 20–520, values spread ±50%).
pub(crate) fn portfolio(n: usize) -> (Portfolio, Targets) {
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
