//! Backtests: what a rebalancing policy would have done on a price history, with the exact
//! plans pbal makes.
//!
//! A [`PriceTable`] holds prices by date; a [`Config`] gives the targets, the money flows and
//! the plan options; a [`Policy`] says when to act ([`Schedule`]) and which trades are allowed
//! ([`crate::Strategy`]). [`run_policy`] simulates one policy; [`compare`] several, always
//! with the never-rebalance baseline.
//!
//! # The simulation
//!
//! - The run starts on the first date with a price for a targeted symbol. A symbol without
//!   a price yet (before its IPO) has no target: the other targets are scaled to sum to 1
//!   until it joins. A later missing price repeats the last one.
//! - First date: the initial amount buys the target mix (a buy-only plan from nothing).
//! - Contributions arrive on the first date of each month, quarter or year after the first.
//! - Calendar policies ask [`crate::plan`] for a plan with all the cash on the first date of
//!   each month, quarter, half year or year; between those dates, cash waits. With a
//!   threshold they plan on those dates only when some asset's weight is more than the
//!   threshold from its target (trading to the target, or, for full policies with the
//!   options' bands destination edge or half, to the threshold's edge or halfway), and
//!   otherwise invest the contributions received since they last acted with a buy-only
//!   plan. `bands` plans whenever an asset drifts beyond min(5 percentage points, 25% of its
//!   target) (or the policy's or options' bands), and otherwise invests a contribution with
//!   a buy-only plan on arrival. `never` buys the target mix with each contribution,
//!   whatever the drift.
//! - Trades execute at the date's price; commissions leave the cash. Purchases open tax lots;
//!   sales close them first in, first out, and gains count as long term when the lot was held
//!   more than one year.
//!
//! # Example
//!
//! ```
//! use pbal_core::date;
//! use pbal_core::backtest::{compare, Config, Policy, PriceTable, Schedule};
//! use pbal_core::{Strategy, Targets};
//! use pbal_core::dec;
//!
//! let prices = PriceTable::new(
//!     vec!["A".into(), "B".into()],
//!     vec![
//!         (date(2020, 1, 2), vec![Some(dec!(10)), Some(dec!(10))]),
//!         (date(2020, 2, 3), vec![Some(dec!(20)), Some(dec!(10))]),
//!     ],
//! )?;
//! let config = Config::new(Targets::equal(["A", "B"])?, dec!(1000));
//! let runs = compare(&prices, &config, &[Policy::new(Strategy::Full, Schedule::Monthly)])?;
//! assert_eq!(runs[0].figures.final_value, dec!(1500));
//! assert_eq!(runs[1].policy, Policy::NEVER);
//! // Full-monthly sold 12 A and bought 24 B on Feb 3: 38 A (760) and 74 B (740).
//! assert_eq!(runs[0].final_quantities, vec![dec!(38), dec!(74)]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod config;
mod error;
mod lots;
mod metrics;
mod policy;
mod prices;
mod simulate;

pub use config::{Config, ContinuousConflict, Sizing, continuous_conflict};
pub use error::BacktestError;
pub use metrics::{Figures, TURNOVER_DEFINITION, YearReturn};
pub use policy::{Every, Policy, Schedule};
pub use prices::PriceTable;
pub use simulate::{Fill, Point, Run, run_policy};

/// Simulates each of `policies` (duplicates dropped), then the never-rebalance baseline if it
/// is not among them.
///
/// # Errors
/// The first error of [`run_policy`] for any of the policies, in the order given (the baseline
/// last).
pub fn compare(
    prices: &PriceTable,
    config: &Config,
    policies: &[Policy],
) -> Result<Vec<Run>, BacktestError> {
    let mut list: Vec<Policy> = Vec::with_capacity(policies.len() + 1);
    for &p in policies.iter().chain([&Policy::NEVER]) {
        if !list.contains(&p) {
            list.push(p);
        }
    }
    list.into_iter()
        .map(|p| run_policy(prices, config, p))
        .collect()
}
