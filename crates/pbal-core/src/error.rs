use rust_decimal::Decimal;

/// Why a plan could not be made. Every variant names the symbol or amount at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A price was zero or negative.
    #[error("{symbol}: price must be positive, got {price}")]
    NonPositivePrice {
        /// The symbol.
        symbol: String,
        /// The offending price.
        price: Decimal,
    },
    /// A holding or a target without a symbol (empty or only spaces).
    #[error("a holding or target has an empty symbol")]
    EmptySymbol,
    /// The same symbol appears twice in the portfolio or the targets.
    #[error("{symbol}: appears more than once")]
    DuplicateSymbol {
        /// The symbol.
        symbol: String,
    },
    /// A target weight is negative.
    #[error("{symbol}: target weight must not be negative, got {weight}")]
    NegativeWeight {
        /// The symbol.
        symbol: String,
        /// The offending weight.
        weight: Decimal,
    },
    /// Target weights do not sum to 1 (within 1e-9).
    #[error("target weights sum to {sum}, not 1 (100%)")]
    WeightsDoNotSumToOne {
        /// The actual sum.
        sum: Decimal,
    },
    /// No targets and no holdings: nothing to plan.
    #[error("no assets to plan: the portfolio is empty and no targets were given")]
    NoAssets,
    /// A target names a symbol that is neither held nor given a price.
    #[error("{symbol}: has a target but no price (it is not held; give it a price)")]
    MissingPrice {
        /// The symbol.
        symbol: String,
    },
    /// A withdrawal (or reserve) asks for more than the holdings can raise.
    // Amounts as the plan shows them (grouped, to the cent): this is read next to the plan.
    #[error(
        "cannot raise {}: selling everything allowed raises at most {}",
        crate::Money::new(*needed),
        crate::Money::new(*available)
    )]
    InsufficientHoldings {
        /// Money that must be raised.
        needed: Decimal,
        /// Money that selling everything allowed would raise.
        available: Decimal,
    },
    /// No plan keeps the realized-gain cap (e.g. a withdrawal only gains can raise).
    #[error("no plan keeps realized gains within the cap of {cap}")]
    RealizedGainCap {
        /// The cap.
        cap: Decimal,
    },
    /// A realized-gain cap, and holdings whose gain on a sale cannot be known (no P&L, cost
    /// basis or lots): "within the cap" could not be checked.
    #[error(
        "the realized gain of selling {} is unknown (no P&L, cost basis or tax lots), so a cap on \
         realized gains cannot be kept",
        symbols.join(", ")
    )]
    UnknownGains {
        /// The holdings without P&L.
        symbols: Vec<String>,
    },
    /// An option is out of range (negative reserve, zero step, …).
    #[error("invalid option {option}: {reason}")]
    InvalidOption {
        /// The option's name.
        option: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A short position (negative quantity) in a managed asset.
    #[error("{symbol}: short positions cannot be planned (quantity {quantity}); exclude it")]
    ShortPosition {
        /// The symbol.
        symbol: String,
        /// The negative quantity.
        quantity: Decimal,
    },
    /// The plan broke one of the rules [`crate::audit`] checks. This is a bug in pbal; the plan
    /// must not be shown or placed.
    #[error("this is a bug in pbal; nothing was written")]
    Audit(#[from] crate::AuditFailure),
    /// A holding's or an order's value, `quantity × price`, is too large for exact decimal
    /// arithmetic.
    #[error("{symbol}: {quantity} shares at {price} is a value too large to compute")]
    ValueOverflow {
        /// The symbol.
        symbol: String,
        /// The quantity.
        quantity: Decimal,
        /// The price.
        price: Decimal,
    },
    /// An amount beyond what pbal plans with (far beyond any real portfolio).
    #[error(
        "the {what}, {amount}, is too large: pbal plans with amounts up to {}",
        crate::Money::new(*limit)
    )]
    TooLarge {
        /// What it is.
        what: &'static str,
        /// The amount.
        amount: Decimal,
        /// The largest amount pbal plans with.
        limit: Decimal,
    },
    /// An amount too large for exact decimal arithmetic.
    #[error("arithmetic overflow while computing {what}")]
    Overflow {
        /// What was being computed.
        what: &'static str,
    },
}
