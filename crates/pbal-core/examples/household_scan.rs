//! Household plans by size: time and whether each is proven optimal.
//! Run: `cargo run --release -p pbal-core --example household_scan`.
#![allow(clippy::print_stdout, clippy::disallowed_methods)]

use std::time::Instant;

use pbal_core::{Decimal, NewCash, Optimality, PlanOptions, Strategy, plan_household};

#[path = "../benches/common/household.rs"]
mod household;

fn main() {
    println!("accounts x funds  strategy   new cash   ms      orders  proven");
    for (accounts, funds) in [(2, 10), (3, 30), (4, 30), (3, 100), (3, 500)] {
        let (list, portfolio, targets) = household::household(accounts, funds);
        for strategy in [Strategy::BuyOnly, Strategy::Full] {
            for new_cash in [Decimal::ZERO, Decimal::from(5_000), Decimal::from(-3_000)] {
                let options = PlanOptions::new().with_strategy(strategy);
                let start = Instant::now();
                let planned = plan_household(
                    &list,
                    &portfolio,
                    &targets,
                    &NewCash::amount(new_cash),
                    &options,
                );
                let ms = start.elapsed().as_secs_f64() * 1e3;
                let (orders, proven) = match &planned {
                    Ok(p) => (
                        p.split.orders.len().to_string(),
                        (p.plan.optimality == Optimality::Optimal).to_string(),
                    ),
                    Err(e) => ("-".into(), format!("error: {e}")),
                };
                println!(
                    "{accounts:>8} x {funds:<6}  {:<9}  {new_cash:>8}  {ms:>7.1}  {orders:>6}  {proven}",
                    strategy.name()
                );
            }
        }
    }
}
