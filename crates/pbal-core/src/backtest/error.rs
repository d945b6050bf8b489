//! Why a backtest could not run.

use jiff::civil::Date;
use rust_decimal::Decimal;

/// Why a backtest could not run. Every variant names the date, symbol or policy at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BacktestError {
    /// The price table has no symbols or no dates.
    #[error("no prices: the table needs at least one symbol and one date")]
    NoPrices,
    /// A symbol appears twice among the columns.
    #[error("{symbol}: appears more than once in the price table")]
    DuplicateSymbol {
        /// The symbol.
        symbol: String,
    },
    /// Dates must strictly increase.
    #[error("date {date} does not come after the previous date {previous}")]
    DatesNotIncreasing {
        /// The offending date.
        date: Date,
        /// The date before it.
        previous: Date,
    },
    /// A row has a different number of prices than there are symbols.
    #[error("{date}: {got} prices for {expected} symbols")]
    RowLength {
        /// The row's date.
        date: Date,
        /// Number of symbols.
        expected: usize,
        /// Number of prices in the row.
        got: usize,
    },
    /// A price is zero or negative.
    #[error("{symbol} on {date}: price must be positive, got {price}")]
    NonPositivePrice {
        /// The symbol.
        symbol: String,
        /// The date.
        date: Date,
        /// The offending price.
        price: Decimal,
    },
    /// A target names a symbol the price table does not have.
    #[error("{symbol}: has a target but no prices")]
    UnknownSymbol {
        /// The symbol.
        symbol: String,
    },
    /// No targeted symbol ever has a price.
    #[error("no targeted symbol has a price on any date")]
    NothingPriced,
    /// A policy name that is not understood.
    #[error(
        "unknown policy {name:?}: expected [STRATEGY-]SCHEDULE[:THRESHOLD]: a schedule \
         (monthly, quarterly, semiannually, annually, bands or never), optionally prefixed by \
         buy-only-, full- or bands-, and for a calendar schedule a threshold in percentage \
         points (e.g. full-quarterly:5); bands:ABS/REL sets the bands (e.g. bands:5/25)"
    )]
    UnknownPolicy {
        /// The name given.
        name: String,
    },
    /// An option is out of range or the combination is not supported.
    #[error("invalid backtest setting {setting}: {reason}")]
    InvalidConfig {
        /// The setting's name.
        setting: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// pbal-core could not make a plan on a rebalance date.
    #[error("{policy} on {date}: no plan could be made")]
    Plan {
        /// The policy's name.
        policy: String,
        /// The rebalance date.
        date: Date,
        /// Why the plan failed.
        source: crate::Error,
    },
    /// An amount too large for exact decimal arithmetic.
    #[error("arithmetic overflow while computing {what} on {date}")]
    Overflow {
        /// What was being computed.
        what: &'static str,
        /// The date.
        date: Date,
    },
}
