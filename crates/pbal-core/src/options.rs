//! How a plan may trade.

use rust_decimal::{Decimal, dec};
use serde::{Deserialize, Serialize};

/// Which trades a plan may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Positive cash only buys; negative cash (a withdrawal) only sells. Nothing else is sold,
    /// so nothing else realizes a gain. The original tool's `try_avoid_sell`.
    #[default]
    BuyOnly,
    /// Buy and sell to get as close to the targets as whole shares allow. The original tool's
    /// `hard_rebalance`.
    Full,
}

impl Strategy {
    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::BuyOnly => "buy-only",
            Self::Full => "full",
        }
    }
}

/// An estimate of what each order costs in commission. Commissions leave the portfolio, so they
/// count against the cash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Commission {
    /// No commission.
    #[default]
    None,
    /// IBKR Pro Fixed (US stocks): USD 0.005 per share, at least USD 1, at most 1% of the trade
    /// value.
    IbkrFixed,
    /// The same amount for every order.
    Flat(Decimal),
}

impl Commission {
    /// Estimated commission of one order of `quantity` shares (sign ignored) at `price`.
    ///
    /// ```
    /// use pbal_core::Commission;
    /// use rust_decimal::dec;
    /// assert_eq!(Commission::IbkrFixed.estimate(dec!(10), dec!(100)), dec!(1));
    /// assert_eq!(Commission::IbkrFixed.estimate(dec!(1000), dec!(100)), dec!(5.000));
    /// assert_eq!(Commission::IbkrFixed.estimate(dec!(1), dec!(20)), dec!(0.20));
    /// assert_eq!(Commission::IbkrFixed.estimate(dec!(0), dec!(20)), dec!(0));
    /// ```
    pub fn estimate(self, quantity: Decimal, price: Decimal) -> Decimal {
        let quantity = quantity.abs();
        if quantity.is_zero() {
            return Decimal::ZERO;
        }
        match self {
            Self::None => Decimal::ZERO,
            Self::Flat(amount) => amount,
            Self::IbkrFixed => {
                let per_share = (quantity * dec!(0.005)).max(Decimal::ONE);
                let cap = quantity * price * dec!(0.01);
                per_share.min(cap)
            }
        }
    }
}

/// Everything that shapes a plan besides the portfolio, the targets and the cash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanOptions {
    /// Which trades are allowed.
    pub strategy: Strategy,
    /// No order smaller than this amount (zero: any size).
    pub min_trade: Decimal,
    /// Quantities are multiples of this step: 1 for whole shares, e.g. 0.0001 for fractional.
    pub quantity_step: Decimal,
    /// Commission estimate, counted against the cash.
    pub commission: Commission,
    /// Cash to keep uninvested; it is the cash's target.
    pub reserve: Decimal,
    /// Search effort for the exact solver (nodes). Past it the best plan found is returned
    /// with its gap to the bound.
    pub node_limit: u64,
    /// Above this many assets the exact search is skipped and the local-search plan is returned
    /// with its gap to the bound.
    pub exact_max_assets: usize,
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self {
            strategy: Strategy::BuyOnly,
            min_trade: Decimal::ZERO,
            quantity_step: Decimal::ONE,
            commission: Commission::None,
            reserve: Decimal::ZERO,
            node_limit: 2_000_000,
            exact_max_assets: 30,
        }
    }
}
