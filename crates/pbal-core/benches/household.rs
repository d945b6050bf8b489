//! Household plan time by accounts x funds. Run: `cargo bench -p pbal-core --bench household`.
//! Issue 19's targets: 4 accounts x 30 funds proven in under 50 ms; 3 x 500 within the default
//! budget (`cargo run --release -p pbal-core --example household_scan` says which are proven).

use pbal_core::{NewCash, PlanOptions, Strategy, plan_household};

#[path = "common/household.rs"]
mod household;

fn main() {
    divan::main();
}

#[divan::bench(args = [(2, 10), (4, 30), (3, 500)])]
fn buy_only(bencher: divan::Bencher, size: (usize, usize)) {
    let (accounts, portfolio, targets) = household::household(size.0, size.1);
    let options = PlanOptions::default();
    bencher.bench(|| {
        plan_household(&accounts, &portfolio, &targets, &NewCash::none(), &options).unwrap()
    });
}

#[divan::bench(args = [(2, 10), (4, 30), (3, 500)])]
fn full(bencher: divan::Bencher, size: (usize, usize)) {
    let (accounts, portfolio, targets) = household::household(size.0, size.1);
    let options = PlanOptions::new().with_strategy(Strategy::Full);
    bencher.bench(|| {
        plan_household(&accounts, &portfolio, &targets, &NewCash::none(), &options).unwrap()
    });
}
