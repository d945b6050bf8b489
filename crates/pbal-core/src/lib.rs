//! Exact whole-share portfolio rebalancing.
//!
//! pbal-core turns holdings, target weights and an amount of cash into a [`Plan`]: the whole
//! shares to buy (and, only when allowed, to sell) that bring the portfolio closest to its
//! targets. It does no I/O, reads no clock and uses exact decimals for money.
//!
//! # The objective
//!
//! Cash is one more asset whose target is the reserve `r`. With `N` = holdings value + cash,
//! value `v_i`, target weight `t_i` and trade amounts `x_i`, a plan is better when
//!
//! ```text
//! F = Σ_i (v_i + x_i − t_i·(N − r))²  +  (cash_left − r)²
//! ```
//!
//! is smaller (commissions count against the cash but never "improve" F). Ties go to fewer
//! orders, then the sale that costs least tax, then less money traded, then symbol order.
//! Drift is reported as ½·Σ|weight − target| over the assets and the cash.
//!
//! - [`Strategy::BuyOnly`]: positive cash buys (never sells, never spends more than the cash);
//!   the result is the exact optimum of `F` over whole shares. Negative cash is a withdrawal:
//!   it sells the most overweight first, raising at least what was asked and no more than whole
//!   shares force (no sold share could be kept without falling short); among equal choices the
//!   position with the largest unrealized loss is sold.
//! - [`Strategy::Full`]: buys and sells to minimise `F`; sells never exceed what is held.
//! - [`Strategy::Bands`]: only assets outside their tolerance band ([`Bands`], the 5/25 rule by
//!   default) trade, to their band destination; the same objective with those destinations as
//!   targets, and the cash they free or leave as the cash's target. With no asset outside its
//!   band the plan is empty and [`Plan::within_bands`] is true: look often, trade rarely.
//!
//! # Example
//!
//! ```
//! use pbal_core::{plan, Holding, Portfolio, PlanOptions, Side, Targets};
//! use rust_decimal::dec;
//!
//! let portfolio = Portfolio::new(vec![
//!     Holding::new("FOO", dec!(5000), dec!(10)),
//!     Holding::new("BAR", dec!(20000), dec!(5)),
//! ])?;
//! let targets = Targets::equal(["FOO", "BAR"])?;
//! let plan = plan(&portfolio, &targets, dec!(50000), &PlanOptions::default())?;
//! assert_eq!(plan.trades.len(), 1);
//! assert_eq!(plan.trades[0].symbol, "FOO");
//! assert_eq!(plan.trades[0].side, Side::Buy);
//! assert_eq!(plan.trades[0].amount, dec!(50000));
//! # Ok::<(), pbal_core::Error>(())
//! ```

#![warn(missing_docs)]

mod audit;
pub mod backtest;
mod decimal;
mod engine;
mod error;
mod household;
mod options;
mod plan;
mod portfolio;
mod search;
mod substitutes;
mod target;
mod tax;
mod wash_sale;
mod waterfill;

pub use audit::{AuditFailure, audit, audit_split};
#[doc(hidden)]
pub use decimal::__parse_decimal_literal;
pub use decimal::Decimal;
pub use engine::plan;
pub use error::Error;
pub use household::{AccountOrder, HouseholdSplit, split_amount, split_by_account};
pub use options::{Bands, Commission, Destination, PlanOptions, Strategy};
pub use plan::{
    CashSummary, Optimality, Plan, PlanNote, PositionPlan, RealizedSummary, Side, Trade,
};
pub use portfolio::{Holding, Lot, Portfolio};
pub use substitutes::{Substitution, substitute_blocked};
pub use target::Targets;
pub use tax::{LotOrder, LotSale, Realized, is_long_term, realize};
pub use wash_sale::{PastTrade, WINDOW_DAYS, WashSaleFlag, WashSaleGuard, within_window};
