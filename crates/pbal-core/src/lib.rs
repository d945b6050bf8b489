#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![warn(clippy::missing_errors_doc)]

mod account;
mod audit;
pub mod backtest;
mod bands_cash;
mod decimal;
mod engine;
mod error;
mod exact;
mod household;
mod lagrange;
mod money;
mod options;
mod plan;
mod portfolio;
mod replan;
mod search;
mod substitutes;
mod target;
mod tax;
mod wash_sale;
mod waterfill;
mod weight;
mod worth;

pub use account::{Account, AccountKind, HouseholdPlan, NewCash, Transfer};
pub use audit::{AuditFailure, audit, audit_split};
#[doc(hidden)]
pub use decimal::__parse_decimal_literal;
pub use decimal::Decimal;
pub use engine::{plan, plan_household};
pub use error::Error;
pub use household::{AccountOrder, HouseholdSplit, split_amount, split_by_account};
/// The calendar date of trades, lots and backtest prices (jiff's), and its constructor:
/// `date(2026, 11, 20)`.
pub use jiff::civil::{Date, date};
pub use money::{Money, currency_decimals};
pub use options::{
    Bands, Commission, CommissionOf, CommissionSchedule, Destination, PlanOptions, Strategy,
};
pub use plan::{
    CashSummary, Optimality, Plan, PlanNote, PositionPlan, RealizedSummary, Side, Trade,
};
pub use portfolio::{Holding, Lot, Portfolio};
pub use replan::replan_buys;
pub use substitutes::{SharedTarget, Substitution, share_blocked, substitute_blocked};
pub use target::Targets;
pub use tax::{LotOrder, LotSale, Realized, is_long_term, realize};
pub use wash_sale::{PastTrade, WINDOW_DAYS, WashSaleFlag, WashSaleGuard, within_window};
/// The crates whose types pbal-core's API speaks, at the versions it uses: reach the rest of
/// them here (`pbal_core::rust_decimal::RoundingStrategy`) without a dependency of your own.
pub use {jiff, rust_decimal};
