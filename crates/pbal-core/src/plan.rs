//! The result: trades and the portfolio after them.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{LotSale, Strategy, WashSaleFlag};

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Side {
    /// Buy shares.
    Buy,
    /// Sell shares.
    Sell,
}

impl Side {
    /// `BUY` or `SELL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Buy => "BUY",
            Self::Sell => "SELL",
        }
    }
}

/// `BUY` or `SELL`.
impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// One order of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Trade {
    /// Symbol to trade.
    pub symbol: String,
    /// Buy or sell.
    pub side: Side,
    /// Shares, always positive.
    pub quantity: Decimal,
    /// Price the plan assumed.
    pub price: Decimal,
    /// `quantity × price`, always positive.
    pub amount: Decimal,
    /// Estimated commission of this order.
    pub commission: Decimal,
    /// Estimated realized profit (positive) or loss (negative) of a sale; `None` for buys, and
    /// for a sale whose gain is unknown (the holding has no P&L, cost basis or lots).
    pub realized_pnl: Option<Decimal>,
    /// Short-term part of `realized_pnl`.
    pub realized_short_term: Decimal,
    /// Long-term part of `realized_pnl`.
    pub realized_long_term: Decimal,
    /// The lots a sale should close (empty without lot data: then the P&L is pro rata).
    pub lots: Vec<LotSale>,
}

/// The order in words: `BUY 10 VTI @ 250.50` (the price as the plan assumed it).
///
/// ```
/// use pbal_core::{Holding, PlanOptions, Portfolio, Targets, dec, plan};
///
/// let portfolio = Portfolio::new(vec![Holding::new("VTI", dec!(0), dec!(250.50))?])?;
/// let plan = plan(&portfolio, &Targets::equal(["VTI"])?, dec!(2600), &PlanOptions::new())?;
/// assert_eq!(plan.trades[0].to_string(), "BUY 10 VTI @ 250.50");
/// assert_eq!(format!("{:<5}|", pbal_core::Side::Sell), "SELL |");
/// # Ok::<(), pbal_core::Error>(())
/// ```
impl std::fmt::Display for Trade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {} @ {}",
            self.side,
            self.quantity.normalize(),
            self.symbol,
            self.price
        )
    }
}

impl Trade {
    /// An order of `quantity` shares at `price`, with no commission and nothing realized (e.g.
    /// to describe an order placed outside a plan).
    ///
    /// # Errors
    /// [`crate::Error::ValueOverflow`] when `quantity × price` does not fit a [`Decimal`].
    ///
    /// ```
    /// use pbal_core::{Decimal, Side, Trade, dec};
    /// let t = Trade::new("VTI", Side::Buy, dec!(10), dec!(250.50))?;
    /// assert_eq!(t.amount, dec!(2505.00));
    /// assert!(Trade::new("VTI", Side::Buy, Decimal::MAX, dec!(10)).is_err());
    /// # Ok::<(), pbal_core::Error>(())
    /// ```
    pub fn new(
        symbol: impl Into<String>,
        side: Side,
        quantity: Decimal,
        price: Decimal,
    ) -> Result<Self, crate::Error> {
        let symbol = symbol.into();
        let Some(amount) = quantity.checked_mul(price) else {
            return Err(crate::Error::ValueOverflow {
                symbol,
                quantity,
                price,
            });
        };
        Ok(Self {
            symbol,
            side,
            quantity,
            price,
            amount,
            commission: Decimal::ZERO,
            realized_pnl: None,
            realized_short_term: Decimal::ZERO,
            realized_long_term: Decimal::ZERO,
            lots: Vec::new(),
        })
    }
}

/// Gains and losses the plan realizes, and the tax estimate.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RealizedSummary {
    /// Net short-term gain (negative: loss).
    pub short_term: Decimal,
    /// Net long-term gain (negative: loss).
    pub long_term: Decimal,
    /// Estimated tax with the given rates, after netting short against long (never negative;
    /// ignores carry-overs and the year's other sales).
    pub estimated_tax: Decimal,
    /// False when some sale had no lot data and used the position's P&L pro rata.
    pub from_lots: bool,
    /// True when some sale's gain is unknown (no P&L, cost basis or lots): the figures above
    /// and the tax then leave it out.
    pub unknown: bool,
    /// Whether a tax rate above zero was given: without one, `estimated_tax` is zero for want
    /// of a rate, not an estimate.
    #[serde(default)]
    pub tax_rated: bool,
}

/// One managed asset before and after the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PositionPlan {
    /// Symbol.
    pub symbol: String,
    /// Price per share.
    pub price: Decimal,
    /// Shares held now.
    pub quantity: Decimal,
    /// Value now.
    pub value: Decimal,
    /// Share of the total (holdings + cash) now.
    pub weight: Decimal,
    /// Target share of the invested total.
    pub target_weight: Decimal,
    /// Shares to buy (positive) or sell (negative).
    pub trade_quantity: Decimal,
    /// Value after the trades.
    pub value_after: Decimal,
    /// Share of the total after the trades.
    pub weight_after: Decimal,
}

/// Where the cash goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CashSummary {
    /// Cash available to the plan (negative: a withdrawal to raise).
    pub available: Decimal,
    /// Paid for buys.
    pub spent: Decimal,
    /// Received from sells.
    pub received: Decimal,
    /// Estimated commissions.
    pub commission: Decimal,
    /// `available − spent + received − commission`; never below the reserve.
    pub left: Decimal,
    /// Cash kept uninvested on purpose.
    pub reserve: Decimal,
}

/// Whether the plan is proven optimal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Optimality {
    /// No plan of whole shares (or steps) under the same rules scores better.
    Optimal,
    /// Best found within the search effort. `gap` is the objective minus the certified lower
    /// bound [`Plan::objective_bound`] (so the true optimum is at most this much better); see
    /// [`Plan::distance_gap`] for the same in percentage points.
    BestEffort {
        /// Objective minus the lower bound, in squared currency units.
        gap: Decimal,
    },
}

/// Why a plan does something its strategy alone would not suggest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum PlanNote {
    /// A buy-only (or bands) plan sells because cash must be raised: `needed` is the cash
    /// below the reserve (a withdrawal, a negative balance such as a margin debit, or a
    /// reserve to refill).
    RaisesCash {
        /// Money the sales must raise.
        needed: Decimal,
        /// The cash before the plan was negative (a withdrawal or a debit), not only below the
        /// reserve.
        negative_cash: bool,
    },
    /// A bands plan with cash to raise: the bands are set aside and the money is raised as
    /// buy-only does (the most overweight sold first).
    BandsSetAsideForWithdrawal,
    /// A bands plan leaves `left` in cash (weight `weight` after it) that a buy-only plan
    /// would invest: `invest` are that plan's buys, made on the positions after this plan's
    /// orders, and `left_after_invest` the cash they would leave.
    BandsLeaveCash {
        /// Cash left after this plan.
        left: Decimal,
        /// Its weight of the total after this plan.
        weight: Decimal,
        /// The buy-only plan's orders for that cash.
        invest: Vec<Trade>,
        /// Cash left after those orders too.
        left_after_invest: Decimal,
    },
    /// The wash-sale guard blocks buying `symbol`: its target is its current weight for this
    /// plan, and `weight_shared` of its target went to the funds that can be bought, in
    /// proportion to their targets ([`crate::share_blocked`]).
    BlockedTargetShared {
        /// The blocked symbol.
        symbol: String,
        /// The loss sale that blocks it.
        loss_sale: jiff::civil::Date,
        /// Target weight the others took over.
        weight_shared: Decimal,
    },
    /// Orders whose commission exceeds what they do for their asset's drift were left out
    /// ([`crate::PlanOptions::keep_costly_orders`] keeps them): the plan made without that
    /// rule has `orders` such orders, paying `commission` together.
    CostlyOrdersLeftOut {
        /// How many.
        orders: usize,
        /// What they would have paid in commissions.
        commission: Decimal,
    },
}

/// A plan: the orders to place and what the portfolio looks like after them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Plan {
    /// Strategy used.
    pub strategy: Strategy,
    /// Cash flows.
    pub cash: CashSummary,
    /// Every managed asset, in symbol order.
    pub positions: Vec<PositionPlan>,
    /// Orders: sells first, then buys, each in symbol order.
    pub trades: Vec<Trade>,
    /// Cash weight of the total before.
    pub cash_weight: Decimal,
    /// Cash weight of the total after.
    pub cash_weight_after: Decimal,
    /// ½·Σ|weight − target| over the assets and the cash, before.
    pub drift_before: Decimal,
    /// The same after the plan.
    pub drift_after: Decimal,
    /// The objective Σ(value − target·(total − reserve))² + (cash − reserve)², before.
    pub objective_before: Decimal,
    /// The objective after the plan.
    pub objective_after: Decimal,
    /// A certified lower bound: no plan under the same rules has an objective below it (the
    /// Lagrangian bound of the search's root, rounded down). With [`Optimality::Optimal`] the
    /// objective itself is the least.
    #[serde(default)]
    pub objective_bound: Decimal,
    /// Proven optimal or best effort.
    pub optimality: Optimality,
    /// What the sales realize.
    pub realized: RealizedSummary,
    /// Trades the wash-sale guard flagged (and buys it skipped).
    pub wash_sale: Vec<WashSaleFlag>,
    /// Bands were checked and every asset was inside its band, so nothing trades.
    pub within_bands: bool,
    /// Quantities are multiples of this step (1: whole shares).
    pub quantity_step: Decimal,
    /// Why the plan does what its strategy alone would not suggest.
    pub notes: Vec<PlanNote>,
}

impl Plan {
    /// Whether the plan has no orders.
    pub fn is_empty(&self) -> bool {
        self.trades.is_empty()
    }

    /// How much closer to the targets the best possible plan could be, in percentage points of
    /// the distance `√F / total` (the root-sum-square of the weight misses of the assets and
    /// the cash): zero when proven optimal, else from [`Plan::objective_bound`].
    ///
    /// ```
    /// # use pbal_core::{plan, Holding, Portfolio, PlanOptions, Targets};
    /// # use pbal_core::dec;
    /// let portfolio = Portfolio::new(vec![Holding::new("A", dec!(3), dec!(70)).unwrap()]).unwrap();
    /// let targets = Targets::equal(["A".to_string()]).unwrap();
    /// let p = plan(&portfolio, &targets, dec!(100), &PlanOptions::default()).unwrap();
    /// assert_eq!(p.distance_gap(), dec!(0));
    /// ```
    pub fn distance_gap(&self) -> Decimal {
        if self.optimality == Optimality::Optimal {
            return Decimal::ZERO;
        }
        let total: Decimal =
            self.positions.iter().map(|p| p.value).sum::<Decimal>() + self.cash.available;
        let (Some(after), Some(bound), Some(total)) = (
            rust_decimal::prelude::ToPrimitive::to_f64(&self.objective_after),
            rust_decimal::prelude::ToPrimitive::to_f64(&self.objective_bound),
            rust_decimal::prelude::ToPrimitive::to_f64(&total),
        ) else {
            return Decimal::ZERO;
        };
        if total <= 0.0 {
            return Decimal::ZERO;
        }
        // A ratio for display, not money: f64 is fine here. Rounded up, so it never understates.
        let points = (after.max(0.0).sqrt() - bound.max(0.0).sqrt()).max(0.0) / total * 100.0;
        Decimal::from_f64_retain(points).map_or(Decimal::ZERO, |p| {
            p.round_dp_with_strategy(4, rust_decimal::RoundingStrategy::AwayFromZero)
        })
    }
}
