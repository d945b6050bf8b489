//! Plan time with commissions: one schedule for all assets against each asset on its own
//! market's (as `--commission ibkr-fixed` plans a multi-currency portfolio). Run:
//! `cargo bench -p pbal-core --bench commission`.

use pbal_core::dec;
use pbal_core::{Commission, CommissionSchedule, PlanOptions, Strategy, plan};
use rust_decimal::Decimal;

#[path = "common/portfolio.rs"]
mod common;
use common::portfolio;

fn main() {
    divan::main();
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
        CommissionSchedule::IBKR_FIXED_US.in_base(dec!(0.92)),
        CommissionSchedule::new(dec!(0.01), Decimal::ZERO, Decimal::ONE, Some(dec!(0.005)))
            .in_base(dec!(0.68)),
        CommissionSchedule::new(Decimal::ZERO, dec!(0.0005), dec!(3), None),
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
