//! How a plan may trade.

use std::collections::BTreeMap;

use crate::dec;
use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::{LotOrder, WashSaleGuard};
use serde::{Deserialize, Serialize};

/// Which trades a plan may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Strategy {
    /// Positive cash only buys; negative cash (a withdrawal) only sells. Nothing else is sold,
    /// so nothing else realizes a gain. The original tool's `try_avoid_sell`.
    #[default]
    BuyOnly,
    /// Buy and sell to get as close to the targets as whole shares allow. The original tool's
    /// `hard_rebalance`.
    Full,
    /// Trade only the assets outside their tolerance band (see [`Bands`]), buying and selling
    /// them to their band destination; everything inside its band is left alone.
    Bands,
}

impl Strategy {
    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::BuyOnly => "buy-only",
            Self::Full => "full",
            Self::Bands => "bands",
        }
    }
}

/// An estimate of what each order costs in commission. Commissions leave the portfolio, so they
/// count against the cash.
///
/// One value applies to every asset of a plan ([`PlanOptions::commission`]) unless a symbol
/// has its own ([`PlanOptions::with_commission_for`]): a plan holding US and European shares
/// pays each market's schedule. Amounts are in the currency of the prices the plan is given
/// (the base currency): convert a schedule set in another currency with
/// [`CommissionSchedule::in_base`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Commission {
    /// No commission.
    #[default]
    None,
    /// IBKR Pro Fixed for US stocks ([`CommissionSchedule::IBKR_FIXED_US`]): 0.005 per share,
    /// at least 1, at most 1% of the trade value, counted in the prices' currency.
    IbkrFixed,
    /// The same amount for every order.
    Flat(Decimal),
    /// A fixed-rate schedule: per share and/or a share of the value, a minimum, a cap.
    Schedule(CommissionSchedule),
}

impl Commission {
    /// Estimated commission of one order of `quantity` shares (sign ignored) at `price`.
    ///
    /// ```
    /// use pbal_core::{Commission, CommissionSchedule};
    /// use pbal_core::dec;
    /// assert_eq!(Commission::IbkrFixed.estimate(dec!(10), dec!(100)), dec!(1));
    /// assert_eq!(Commission::IbkrFixed.estimate(dec!(1000), dec!(100)), dec!(5.000));
    /// assert_eq!(Commission::IbkrFixed.estimate(dec!(1), dec!(20)), dec!(0.20));
    /// assert_eq!(Commission::IbkrFixed.estimate(dec!(0), dec!(20)), dec!(0));
    /// // 0.05% of the value, at least 3: 100 shares at 40 pay 3, 1000 shares pay 20.
    /// let europe = CommissionSchedule::new(dec!(0), dec!(0.0005), dec!(3), None);
    /// let europe = Commission::Schedule(europe);
    /// assert_eq!(europe.estimate(dec!(100), dec!(40)), dec!(3));
    /// assert_eq!(europe.estimate(dec!(1000), dec!(40)), dec!(20));
    /// ```
    pub fn estimate(self, quantity: Decimal, price: Decimal) -> Decimal {
        if quantity.is_zero() {
            return Decimal::ZERO;
        }
        match self {
            Self::None => Decimal::ZERO,
            Self::Flat(amount) => amount,
            Self::IbkrFixed => CommissionSchedule::IBKR_FIXED_US.estimate(quantity, price),
            Self::Schedule(schedule) => schedule.estimate(quantity, price),
        }
    }

    /// The schedule behind this commission (`IbkrFixed` is the US one), if it is one.
    pub fn schedule(self) -> Option<CommissionSchedule> {
        match self {
            Self::IbkrFixed => Some(CommissionSchedule::IBKR_FIXED_US),
            Self::Schedule(schedule) => Some(schedule),
            Self::None | Self::Flat(_) => None,
        }
    }

    /// The most an order can pay beyond its proportional part: the flat amount or the
    /// schedule's minimum (what a smaller order may still cost).
    pub fn fixed_part(self) -> Decimal {
        match self {
            Self::None => Decimal::ZERO,
            Self::Flat(amount) => amount,
            Self::IbkrFixed | Self::Schedule(_) => {
                self.schedule().map_or(Decimal::ZERO, |s| s.minimum)
            }
        }
    }

    /// Why this commission is unusable (a negative amount, a rate above 100%), if it is.
    pub(crate) fn problem(self) -> Option<&'static str> {
        match self {
            Self::Flat(amount) if amount < Decimal::ZERO => {
                Some("a flat commission must not be negative")
            }
            Self::Flat(amount) if amount > MAX_FEE => Some("a flat commission is too large"),
            Self::Schedule(s) => s.problem(),
            Self::None | Self::IbkrFixed | Self::Flat(_) => None,
        }
    }
}

/// The largest per-order amount a commission may name (bounds the arithmetic).
const MAX_FEE: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// A fixed-rate commission schedule, as brokers publish them per market: per order,
/// `max(per_share × shares + rate × value, minimum)`, then at most `cap × value` when there is
/// a cap. Amounts are in the prices' currency; `rate` and `cap` are fractions of the trade
/// value (0.0005 = 0.05%), so they need no conversion.
///
/// ```
/// use pbal_core::CommissionSchedule;
/// use pbal_core::dec;
/// // IBKR's Canadian fixed rate, CAD 0.01 a share, at least CAD 1, at most 0.5%.
/// let canada = CommissionSchedule::new(dec!(0.01), dec!(0), dec!(1), Some(dec!(0.005)));
/// assert_eq!(canada.estimate(dec!(50), dec!(30)), dec!(1)); // the minimum
/// assert_eq!(canada.estimate(dec!(500), dec!(30)), dec!(5.00)); // per share
/// assert_eq!(canada.estimate(dec!(500), dec!(0.20)), dec!(0.5000)); // the 0.5% cap
/// // In a EUR base where 1 CAD = 0.62 EUR: per-share amounts and minimum are converted.
/// let in_eur = canada.in_base(dec!(0.62));
/// assert_eq!(in_eur.estimate(dec!(50), dec!(18.6)), dec!(0.62));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CommissionSchedule {
    /// Amount per share.
    pub per_share: Decimal,
    /// Fraction of the trade value (0.0005 = 0.05%).
    pub rate: Decimal,
    /// Least amount per order.
    pub minimum: Decimal,
    /// Most per order, as a fraction of the trade value (0.01 = 1%); `None`: no cap.
    pub cap: Option<Decimal>,
}

impl CommissionSchedule {
    /// IBKR Pro Fixed for US stocks: USD 0.005 per share, at least USD 1, at most 1% of the
    /// trade value (in USD; see the README for the source).
    pub const IBKR_FIXED_US: CommissionSchedule = CommissionSchedule {
        per_share: Decimal::from_parts(5, 0, 0, false, 3),
        rate: Decimal::ZERO,
        minimum: Decimal::ONE,
        cap: Some(Decimal::from_parts(1, 0, 0, false, 2)),
    };

    /// A schedule of `per_share` a share plus `rate` of the value, at least `minimum`, at most
    /// `cap` of the value.
    pub const fn new(
        per_share: Decimal,
        rate: Decimal,
        minimum: Decimal,
        cap: Option<Decimal>,
    ) -> Self {
        Self {
            per_share,
            rate,
            minimum,
            cap,
        }
    }

    /// Estimated commission of one order of `quantity` shares (sign ignored) at `price`; zero
    /// for no shares.
    pub fn estimate(&self, quantity: Decimal, price: Decimal) -> Decimal {
        let quantity = quantity.abs();
        if quantity.is_zero() {
            return Decimal::ZERO;
        }
        let value = quantity * price;
        // Zero terms are left out so the result keeps the scale of the term that applies.
        let proportional = match (self.per_share.is_zero(), self.rate.is_zero()) {
            (true, true) => Decimal::ZERO,
            (false, true) => quantity * self.per_share,
            (true, false) => value * self.rate,
            (false, false) => quantity * self.per_share + value * self.rate,
        };
        let charged = proportional.max(self.minimum);
        match self.cap {
            Some(cap) => charged.min(value * cap),
            None => charged,
        }
    }

    /// The same schedule with its money amounts (per share, minimum) multiplied by `fx_rate`:
    /// a schedule set in an instrument's currency, in base-currency terms. The rates stay.
    #[must_use]
    pub fn in_base(self, fx_rate: Decimal) -> Self {
        Self {
            per_share: self.per_share * fx_rate,
            minimum: self.minimum * fx_rate,
            ..self
        }
    }

    fn problem(&self) -> Option<&'static str> {
        let amounts = [self.per_share, self.minimum];
        let fractions = [Some(self.rate), self.cap];
        if amounts.iter().any(|a| *a < Decimal::ZERO)
            || fractions.iter().flatten().any(|f| *f < Decimal::ZERO)
        {
            return Some("a commission schedule must not be negative");
        }
        if amounts.iter().any(|a| *a > MAX_FEE)
            || fractions.iter().flatten().any(|f| *f > Decimal::ONE)
        {
            return Some(
                "a commission schedule's amounts must be at most 1e9 and its rates at most 100%",
            );
        }
        None
    }
}

/// Which commission each asset pays: one [`Commission`] for all, or a plan's options (its
/// default and per-symbol overrides). [`crate::split_by_account`] takes either.
pub trait CommissionOf {
    /// The commission of orders in `symbol`.
    fn commission_of(&self, symbol: &str) -> Commission;
}

impl CommissionOf for Commission {
    fn commission_of(&self, _symbol: &str) -> Commission {
        *self
    }
}

impl CommissionOf for PlanOptions {
    fn commission_of(&self, symbol: &str) -> Commission {
        PlanOptions::commission_of(self, symbol)
    }
}

impl<T: CommissionOf + ?Sized> CommissionOf for &T {
    fn commission_of(&self, symbol: &str) -> Commission {
        (**self).commission_of(symbol)
    }
}

/// Where an asset outside its band is traded to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Destination {
    /// All the way to the target weight.
    #[default]
    Target,
    /// Just back inside, to the band's edge.
    Edge,
    /// Halfway between the edge and the target.
    Half,
}

/// Tolerance bands: an asset is outside its band when its weight differs from the target by
/// more than `min(absolute, relative × target)` (the 5/25 rule takes the smaller of the two:
/// for a 10% target, ±2.5 percentage points).
///
/// Build them with [`Bands::new`] (the type may grow, so struct literals are not allowed
/// outside this crate):
///
/// ```
/// use pbal_core::{Bands, Destination, PlanOptions, Strategy, dec};
/// let bands = Bands::new(dec!(0.05), dec!(0.25)).with_destination(Destination::Edge);
/// assert_eq!(bands.destination, Destination::Edge);
/// let options = PlanOptions::new().with_strategy(Strategy::Bands).with_bands(bands);
/// assert_eq!(options.bands, Some(bands));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Bands {
    /// Absolute band in weight (0.05 = 5 percentage points).
    pub absolute: Decimal,
    /// Relative band as a fraction of the target (0.25 = 25%).
    pub relative: Decimal,
    /// Where the assets outside are traded to.
    pub destination: Destination,
}

impl Default for Bands {
    fn default() -> Self {
        Self {
            absolute: dec!(0.05),
            relative: dec!(0.25),
            destination: Destination::Target,
        }
    }
}

impl Bands {
    /// Bands of `absolute` weight (0.05 = 5 percentage points) and `relative` share of the
    /// target (0.25 = 25%), trading the assets outside all the way to their target.
    pub const fn new(absolute: Decimal, relative: Decimal) -> Self {
        Self {
            absolute,
            relative,
            destination: Destination::Target,
        }
    }

    /// Where the assets outside are traded to.
    #[must_use]
    pub const fn with_destination(mut self, destination: Destination) -> Self {
        self.destination = destination;
        self
    }

    /// Half-width of the band around `target` (a weight).
    ///
    /// ```
    /// use pbal_core::Bands;
    /// use pbal_core::dec;
    /// let bands = Bands::default(); // 5/25
    /// assert_eq!(bands.width(dec!(0.10)), dec!(0.0250));
    /// assert_eq!(bands.width(dec!(0.60)), dec!(0.05));
    /// ```
    pub fn width(&self, target: Decimal) -> Decimal {
        self.absolute.min(self.relative * target)
    }
}

/// Everything that shapes a plan besides the portfolio, the targets and the cash.
///
/// Build them with [`PlanOptions::new`] and the `with_*` setters, or assign fields of a
/// default value: the type may grow, so struct literals are not allowed outside this crate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlanOptions {
    /// Which trades are allowed.
    pub strategy: Strategy,
    /// No order smaller than this amount (zero: any size).
    pub min_trade: Decimal,
    /// Quantities are multiples of this step: 1 for whole shares, e.g. 0.0001 for fractional.
    pub quantity_step: Decimal,
    /// Commission estimate, counted against the cash: every asset's unless it has its own in
    /// `commission_for`.
    pub commission: Commission,
    /// Per-symbol commissions that replace `commission` for those assets (e.g. each market's
    /// schedule in a multi-currency portfolio).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub commission_for: BTreeMap<String, Commission>,
    /// Cash to keep uninvested; it is the cash's target.
    pub reserve: Decimal,
    /// Tolerance bands. With [`Strategy::Bands`] they choose what trades; with the other
    /// strategies they are a trigger: no asset outside its band, no trade.
    pub bands: Option<Bands>,
    /// Which lots a sale closes (for the realized gain and the lots listed per sale).
    pub lot_order: LotOrder,
    /// The plan's date, to tell long-term lots from short-term ones (none: all short-term).
    pub as_of: Option<Date>,
    /// Sales may realize at most this net gain (0: losses only). None: no cap.
    pub max_realized_gain: Option<Decimal>,
    /// Tax rate on net short-term gains, for the estimate (0.37 = 37%).
    pub tax_rate_short: Decimal,
    /// Tax rate on net long-term gains, for the estimate.
    pub tax_rate_long: Decimal,
    /// Recent trades to check buys and loss sales against (needs `as_of`).
    pub wash_sale: Option<WashSaleGuard>,
    /// Search effort for the exact solver, in work units (a search node, or a share of the
    /// assets per exact check of a candidate). Past it the best plan found is returned with its
    /// certified gap to the bound. Counting work instead of reading a clock keeps plans
    /// deterministic: see [`PlanOptions::work_for`] to map a time limit to it.
    pub node_limit: u64,
    /// Above this many assets the exact search is skipped and the local-search plan is returned
    /// with its gap to the bound (default: no limit; the work limit bounds the effort).
    pub exact_max_assets: usize,
    /// Also allow orders that pay a commission without bringing their asset at least that much
    /// closer to its target (off by default: every order with a commission must be worth it,
    /// see [`crate::plan`]).
    #[serde(default)]
    pub keep_costly_orders: bool,
    /// Household plans only: cash may move between the household's taxable accounts (never
    /// into or out of a tax-deferred or tax-free one), each move a [`crate::Transfer`] made
    /// before the orders. Off by default: every account then pays its orders from its own cash.
    #[serde(default)]
    pub allow_transfers: bool,
    /// Where a fund is best held in a household (e.g. bonds in a tax-deferred account): among
    /// household plans equal in objective, orders and tax, the one that buys less of such a
    /// fund elsewhere and sells less of it there wins. It never makes a plan worse by the
    /// objective; a single account ignores it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub location: BTreeMap<String, crate::AccountKind>,
    /// Symbols neither bought nor sold: blocked funds whose targets [`crate::plan`] shared
    /// out (set there, not by callers).
    #[serde(skip)]
    pub(crate) hold: std::collections::BTreeSet<String>,
}

/// Work units the search does per second on one core of the 2-core development machine, with
/// room to spare (most searches stop well inside the limit; withdrawals with commissions, the
/// most expensive per unit, up to about a third over it), for [`PlanOptions::work_for`].
const WORK_PER_SECOND: u64 = 5_000_000;

impl PlanOptions {
    /// The work limit that keeps the search within about `limit` of time: the same input
    /// gives the same plan on every machine, and a faster machine simply finishes sooner.
    ///
    /// ```
    /// use pbal_core::PlanOptions;
    /// use std::time::Duration;
    /// assert_eq!(PlanOptions::work_for(Duration::from_millis(1500)), 7_500_000);
    /// ```
    pub fn work_for(limit: std::time::Duration) -> u64 {
        let micros = u64::try_from(limit.as_micros()).unwrap_or(u64::MAX);
        (micros.saturating_mul(WORK_PER_SECOND / 1_000_000)).max(1)
    }
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self {
            strategy: Strategy::BuyOnly,
            min_trade: Decimal::ZERO,
            quantity_step: Decimal::ONE,
            commission: Commission::None,
            commission_for: BTreeMap::new(),
            location: BTreeMap::new(),
            reserve: Decimal::ZERO,
            bands: None,
            lot_order: LotOrder::TaxMin,
            as_of: None,
            max_realized_gain: None,
            tax_rate_short: Decimal::ZERO,
            tax_rate_long: Decimal::ZERO,
            wash_sale: None,
            node_limit: 2_000_000,
            exact_max_assets: usize::MAX,
            keep_costly_orders: false,
            allow_transfers: false,
            hold: std::collections::BTreeSet::new(),
        }
    }
}

/// Builder-style setters, so code keeps compiling when options are added (the fields stay
/// public for reading and assignment).
///
/// ```
/// use pbal_core::{Bands, Commission, PlanOptions, Strategy, dec};
///
/// let options = PlanOptions::new()
///     .with_strategy(Strategy::Bands)
///     .with_bands(Bands::default())
///     .with_commission(Commission::IbkrFixed)
///     .with_min_trade(dec!(100))
///     .with_reserve(dec!(500));
/// assert_eq!(options.strategy, Strategy::Bands);
/// assert_eq!(options.quantity_step, dec!(1)); // unchanged: whole shares
/// ```
impl PlanOptions {
    /// The defaults: buy-only, whole shares, no commission, no reserve, no bands, no tax.
    pub fn new() -> Self {
        Self::default()
    }

    /// Which trades are allowed.
    #[must_use]
    pub fn with_strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// No order smaller than this amount.
    #[must_use]
    pub fn with_min_trade(mut self, min_trade: Decimal) -> Self {
        self.min_trade = min_trade;
        self
    }

    /// Quantities are multiples of this step (1: whole shares).
    #[must_use]
    pub fn with_quantity_step(mut self, quantity_step: Decimal) -> Self {
        self.quantity_step = quantity_step;
        self
    }

    /// Commission estimate, counted against the cash, for every asset without its own.
    #[must_use]
    pub fn with_commission(mut self, commission: Commission) -> Self {
        self.commission = commission;
        self
    }

    /// The commission of orders in `symbol`, replacing the plan's default for that asset.
    ///
    /// ```
    /// use pbal_core::{Commission, PlanOptions, CommissionSchedule, dec};
    ///
    /// let europe = CommissionSchedule::new(dec!(0), dec!(0.0005), dec!(3), None);
    /// let europe = Commission::Schedule(europe);
    /// let options = PlanOptions::new()
    ///     .with_commission(Commission::IbkrFixed)
    ///     .with_commission_for("SXR8", europe);
    /// assert_eq!(options.commission_of("SXR8"), europe);
    /// assert_eq!(options.commission_of("VTI"), Commission::IbkrFixed);
    /// ```
    #[must_use]
    pub fn with_commission_for(
        mut self,
        symbol: impl Into<String>,
        commission: Commission,
    ) -> Self {
        self.commission_for.insert(symbol.into(), commission);
        self
    }

    /// The commission orders in `symbol` pay: its own, else the plan's default.
    pub fn commission_of(&self, symbol: &str) -> Commission {
        self.commission_for
            .get(symbol)
            .copied()
            .unwrap_or(self.commission)
    }

    /// Whether any asset may pay a commission.
    pub fn charges_commission(&self) -> bool {
        self.commission != Commission::None
            || self.commission_for.values().any(|c| *c != Commission::None)
    }

    /// Cash to keep uninvested.
    #[must_use]
    pub fn with_reserve(mut self, reserve: Decimal) -> Self {
        self.reserve = reserve;
        self
    }

    /// The kind of account `symbol` is best held in (see [`PlanOptions::location`]).
    #[must_use]
    pub fn with_location(mut self, symbol: impl Into<String>, kind: crate::AccountKind) -> Self {
        self.location.insert(symbol.into(), kind);
        self
    }

    /// Tolerance bands (see [`PlanOptions::bands`]).
    #[must_use]
    pub fn with_bands(mut self, bands: Bands) -> Self {
        self.bands = Some(bands);
        self
    }

    /// Which lots a sale closes.
    #[must_use]
    pub fn with_lot_order(mut self, lot_order: LotOrder) -> Self {
        self.lot_order = lot_order;
        self
    }

    /// The plan's date, to tell long-term lots from short-term ones.
    #[must_use]
    pub fn with_as_of(mut self, as_of: Date) -> Self {
        self.as_of = Some(as_of);
        self
    }

    /// Sales may realize at most this net gain (0: losses only).
    #[must_use]
    pub fn with_max_realized_gain(mut self, cap: Decimal) -> Self {
        self.max_realized_gain = Some(cap);
        self
    }

    /// Tax rates on net short-term and long-term gains, for the estimate (0.37 = 37%).
    #[must_use]
    pub fn with_tax_rates(mut self, short_term: Decimal, long_term: Decimal) -> Self {
        self.tax_rate_short = short_term;
        self.tax_rate_long = long_term;
        self
    }

    /// Recent trades to check buys and loss sales against (needs `as_of`).
    #[must_use]
    pub fn with_wash_sale(mut self, guard: WashSaleGuard) -> Self {
        self.wash_sale = Some(guard);
        self
    }

    /// Search effort for the exact solver, in nodes.
    #[must_use]
    pub fn with_node_limit(mut self, node_limit: u64) -> Self {
        self.node_limit = node_limit;
        self
    }

    /// Above this many assets the exact search is skipped.
    #[must_use]
    pub fn with_exact_max_assets(mut self, exact_max_assets: usize) -> Self {
        self.exact_max_assets = exact_max_assets;
        self
    }

    /// Also allow orders whose commission exceeds what they do for their asset's drift (see
    /// [`PlanOptions::keep_costly_orders`]).
    #[must_use]
    pub fn with_keep_costly_orders(mut self, keep: bool) -> Self {
        self.keep_costly_orders = keep;
        self
    }

    /// Household plans: let cash move between taxable accounts (see
    /// [`PlanOptions::allow_transfers`]).
    #[must_use]
    pub fn with_transfers(mut self, allow: bool) -> Self {
        self.allow_transfers = allow;
        self
    }
}
