//! Plan time with commissions: one schedule for all assets against each asset on its own
//! market's (as `--commission ibkr-fixed` plans a multi-currency portfolio). Run:
//! `cargo bench -p pbal-core --bench commission`.

use pbal_core::{Commission, Holding, PlanOptions, Portfolio, Schedule, Strategy, Targets, plan};
use rust_decimal::{Decimal, dec};

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

/// Full rebalancing with `cash` (negative: a withdrawal, buy-only).
fn options(n: usize, mixed: bool, withdrawal: bool) -> PlanOptions {
    let strategy = if withdrawal {
        Strategy::BuyOnly
    } else {
        Strategy::Full
    };
    let options = PlanOptions::new()
        .with_strategy(strategy)
        .with_commission(Commission::IbkrFixed);
    if !mixed {
        return options;
    }
    // US in a EUR base, Canada, Europe: a third of the assets each.
    let schedules = [
        Schedule::IBKR_FIXED_US.in_base(dec!(0.92)),
        Schedule::new(dec!(0.01), Decimal::ZERO, Decimal::ONE, Some(dec!(0.005)))
            .in_base(dec!(0.68)),
        Schedule::new(Decimal::ZERO, dec!(0.0005), dec!(3), None),
    ];
    (0..n).fold(options, |o, i| {
        o.with_commission_for(format!("S{i:05}"), Commission::Schedule(schedules[i % 3]))
    })
}

#[divan::bench(args = [30, 100, 500])]
fn one_schedule(bencher: divan::Bencher, n: usize) {
    let (portfolio, targets) = portfolio(n);
    let options = options(n, false, false);
    bencher.bench(|| plan(&portfolio, &targets, Decimal::from(1000), &options).unwrap());
}

#[divan::bench(args = [30, 100, 500])]
fn per_market(bencher: divan::Bencher, n: usize) {
    let (portfolio, targets) = portfolio(n);
    let options = options(n, true, false);
    bencher.bench(|| plan(&portfolio, &targets, Decimal::from(1000), &options).unwrap());
}

#[divan::bench(args = [30, 100])]
fn per_market_withdrawal(bencher: divan::Bencher, n: usize) {
    let (portfolio, targets) = portfolio(n);
    let options = options(n, true, true);
    bencher.bench(|| plan(&portfolio, &targets, Decimal::from(-2000), &options).unwrap());
}
