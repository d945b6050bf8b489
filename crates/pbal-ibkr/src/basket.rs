//! The plan as a TWS BasketTrader CSV, so it can be reviewed and sent from TWS without the API.
//!
//! One header row per order type (a limit order adds `LmtPrice`), sells before buys, SMART
//! routing with the primary exchange when known, and a `BasketTag` tying every order to the plan.
//! A household plan's basket has a row per account order, with its `Account`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::Instrument;
use pbal_core::{AccountOrder, HouseholdSplit, Plan, Side, Trade};
use rust_decimal::{Decimal, RoundingStrategy};

/// How orders are priced. Exhaustive on purpose: callers map each kind to their own order
/// tickets, and a new kind should make them decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderType {
    /// Market orders.
    Market,
    /// Limit orders `bps` basis points through the plan's price (buys above, sells below).
    Limit {
        /// Basis points through the plan's price.
        bps: u32,
    },
}

/// Something the basket had to assume or could not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BasketWarning {
    /// The plan has no orders: the basket is empty.
    Empty,
    /// A symbol's trading currency is unknown: USD is written.
    CurrencyAssumed {
        /// The symbol.
        symbol: String,
    },
}

impl std::fmt::Display for BasketWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => f.write_str("the plan has no orders: the basket is empty"),
            Self::CurrencyAssumed { symbol } => {
                write!(f, "{symbol}: currency unknown, assumed USD")
            }
        }
    }
}

const MARKET_HEADER: &str =
    "Action,Quantity,Symbol,SecType,Exchange,Currency,TimeInForce,OrderType,BasketTag";
const LIMIT_HEADER: &str =
    "Action,Quantity,Symbol,SecType,Exchange,Currency,TimeInForce,OrderType,LmtPrice,BasketTag";
/// A household's: each order names the account TWS places it in.
const MARKET_ACCOUNT_HEADER: &str =
    "Action,Quantity,Symbol,SecType,Exchange,Currency,TimeInForce,OrderType,Account,BasketTag";
const LIMIT_ACCOUNT_HEADER: &str = "Action,Quantity,Symbol,SecType,Exchange,Currency,TimeInForce,OrderType,LmtPrice,Account,BasketTag";

/// One basket row's order: a plan's, or one account's part of it.
struct Order<'a> {
    side: Side,
    quantity: Decimal,
    symbol: &'a str,
    /// The plan's price, in the base currency.
    price: Decimal,
    account: Option<&'a str>,
}

impl<'a> From<&'a Trade> for Order<'a> {
    fn from(t: &'a Trade) -> Self {
        Self {
            side: t.side,
            quantity: t.quantity,
            symbol: &t.symbol,
            price: t.price,
            account: None,
        }
    }
}

impl<'a> From<&'a AccountOrder> for Order<'a> {
    fn from(o: &'a AccountOrder) -> Self {
        Self {
            side: o.side,
            quantity: o.quantity,
            symbol: &o.symbol,
            price: o.price,
            account: Some(&o.account),
        }
    }
}

/// A short, deterministic digest of the plan's orders (FNV-1a 64), used as the basket tag.
pub fn plan_digest(plan: &Plan) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for t in &plan.trades {
        let line = format!(
            "{}|{}|{}|{};",
            t.symbol,
            t.side.as_str(),
            t.quantity.normalize(),
            t.price.normalize()
        );
        for b in line.bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// The limit price: `bps` through the plan price, rounded to the cent away from the market
/// side (buys up, sells down) so it stays marketable. Saturates at `Decimal::MAX` for a price
/// too large to compute with (no plan has one).
///
/// ```
/// use pbal_core::{Decimal, Side, dec};
/// use pbal_ibkr::basket::limit_price;
/// assert_eq!(limit_price(Side::Buy, dec!(100), 10), dec!(100.10));
/// assert_eq!(limit_price(Side::Buy, Decimal::MAX, u32::MAX), Decimal::MAX);
/// ```
pub fn limit_price(side: Side, price: Decimal, bps: u32) -> Decimal {
    let offset = price.saturating_mul(Decimal::from(bps)) / Decimal::from(10_000);
    match side {
        Side::Buy => price
            .saturating_add(offset)
            .round_dp_with_strategy(2, RoundingStrategy::ToPositiveInfinity),
        Side::Sell => price
            .saturating_sub(offset)
            .round_dp_with_strategy(2, RoundingStrategy::ToNegativeInfinity)
            .max(Decimal::new(1, 2)),
    }
}

/// How much more than the plan says its orders can cost, in the base currency, when each is a
/// limit order `bps` through the plan's price and fills at its limit: buys above their price,
/// sells below it. A plan sized to the last cent needs this much more cash to be safe.
///
/// ```
/// use pbal_core::{Side, Trade, dec};
/// use pbal_ibkr::basket::limit_excess;
/// let buy = Trade::new("VTI", Side::Buy, dec!(10), dec!(100))?;
/// let plan_trades = [buy];
/// // 10 shares at a limit of 100.50 instead of 100.
/// assert_eq!(limit_excess(&plan_trades, &Default::default(), 50), dec!(5.00));
/// # Ok::<(), pbal_core::Error>(())
/// ```
pub fn limit_excess(
    trades: &[Trade],
    instruments: &BTreeMap<String, Instrument>,
    bps: u32,
) -> Decimal {
    trades
        .iter()
        .map(|t| {
            let (local, fx) = instruments
                .get(&t.symbol)
                .map_or((t.price, Decimal::ONE), |i| {
                    (i.local_price, i.fx_rate_to_base)
                });
            let per_share = (limit_price(t.side, local, bps) - local).abs();
            per_share.saturating_mul(t.quantity).saturating_mul(fx)
        })
        .fold(Decimal::ZERO, Decimal::saturating_add)
}

/// Renders the basket: the CSV text, and what it assumed (an unknown currency). `instruments`
/// and `base_currency` come from [`crate::Holdings`].
pub fn render(
    plan: &Plan,
    instruments: &BTreeMap<String, Instrument>,
    base_currency: Option<&str>,
    order_type: OrderType,
) -> (String, Vec<BasketWarning>) {
    // Plan trades are already sells first; keep that order explicitly.
    let ordered = plan
        .trades
        .iter()
        .filter(|t| t.side == Side::Sell)
        .chain(plan.trades.iter().filter(|t| t.side == Side::Buy))
        .map(Order::from);
    let header = match order_type {
        OrderType::Market => MARKET_HEADER,
        OrderType::Limit { .. } => LIMIT_HEADER,
    };
    rows(
        plan,
        header,
        ordered,
        instruments,
        base_currency,
        order_type,
    )
}

/// [`render`] for a household plan: one row per account order of `split` (made from `plan`),
/// each with its `Account`, so TWS places every share in the account the split gave it.
///
/// ```
/// use std::collections::{BTreeMap, BTreeSet};
/// use pbal_core::{Commission, PlanOptions, Targets, plan, split_by_account};
/// use pbal_ibkr::basket::{OrderType, render_by_account};
/// use pbal_ibkr::{AccountSelection, read_bytes};
/// use pbal_core::dec;
/// let csv = "Symbol,PositionValue,MarkPrice,FifoPnlUnrealized\nVTI,0,100,0\n";
/// let holdings = read_bytes(csv.as_bytes(), "p.csv")?.to_holdings(&AccountSelection::Single, &BTreeSet::new())?;
/// let p = plan(&holdings.portfolio, &Targets::equal(["VTI"])?, dec!(1800), &PlanOptions::default())?;
/// let cash = BTreeMap::from([("U1".to_owned(), dec!(1000)), ("U2".to_owned(), dec!(800))]);
/// let split = split_by_account(&p.trades, &BTreeMap::new(), &cash, dec!(1), Commission::None)?;
/// let (text, _) = render_by_account(&p, &split, &holdings.instruments, Some("USD"), OrderType::Market);
/// let rows: Vec<&str> = text.lines().skip(1).map(|l| l.rsplit_once(',').unwrap().0).collect();
/// assert_eq!(rows, ["BUY,10,VTI,STK,SMART,USD,DAY,MKT,U1", "BUY,8,VTI,STK,SMART,USD,DAY,MKT,U2"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render_by_account(
    plan: &Plan,
    split: &HouseholdSplit,
    instruments: &BTreeMap<String, Instrument>,
    base_currency: Option<&str>,
    order_type: OrderType,
) -> (String, Vec<BasketWarning>) {
    let ordered = split
        .orders
        .iter()
        .filter(|o| o.side == Side::Sell)
        .chain(split.orders.iter().filter(|o| o.side == Side::Buy))
        .map(Order::from);
    let header = match order_type {
        OrderType::Market => MARKET_ACCOUNT_HEADER,
        OrderType::Limit { .. } => LIMIT_ACCOUNT_HEADER,
    };
    rows(
        plan,
        header,
        ordered,
        instruments,
        base_currency,
        order_type,
    )
}

/// The header and a row per order, tagged with `plan`'s digest.
fn rows<'a>(
    plan: &Plan,
    header: &str,
    orders: impl Iterator<Item = Order<'a>>,
    instruments: &BTreeMap<String, Instrument>,
    base_currency: Option<&str>,
    order_type: OrderType,
) -> (String, Vec<BasketWarning>) {
    let tag = format!("pbal-{}", &plan_digest(plan)[..12]);
    let mut warnings = Vec::new();
    let mut out = String::new();
    if plan.trades.is_empty() {
        return (out, vec![BasketWarning::Empty]);
    }
    let _ = writeln!(out, "{header}");
    for order in orders {
        let instrument = instruments.get(order.symbol);
        let currency = instrument
            .and_then(|i| i.currency.as_deref())
            .or(base_currency)
            .unwrap_or_else(|| {
                warnings.push(BasketWarning::CurrencyAssumed {
                    symbol: order.symbol.to_owned(),
                });
                "USD"
            });
        let _ = writeln!(
            out,
            "{}",
            row(&order, instrument, currency, order_type, &tag)
        );
    }
    warnings.dedup();
    (out, warnings)
}

fn row(
    order: &Order<'_>,
    instrument: Option<&Instrument>,
    currency: &str,
    order_type: OrderType,
    tag: &str,
) -> String {
    let exchange = instrument
        .and_then(|i| i.listing_exchange.as_deref())
        .filter(|e| !e.is_empty())
        .map_or_else(|| "SMART".to_owned(), |e| format!("SMART/{e}"));
    let sec_type = match instrument.and_then(|i| i.asset_class.as_deref()) {
        Some("FUND") => "FUND",
        _ => "STK",
    };
    let local_price = instrument.map_or(order.price, |i| i.local_price);
    let common = format!(
        "{},{},{},{sec_type},{exchange},{currency},DAY",
        order.side.as_str(),
        order.quantity.normalize(),
        order.symbol
    );
    let account = order.account.map(|a| format!(",{a}")).unwrap_or_default();
    match order_type {
        OrderType::Market => format!("{common},MKT{account},{tag}"),
        OrderType::Limit { bps } => format!(
            "{common},LMT,{}{account},{tag}",
            limit_price(order.side, local_price, bps)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pbal_core::dec;

    #[test]
    fn limits_stay_marketable() {
        assert_eq!(limit_price(Side::Buy, dec!(100), 10), dec!(100.10));
        assert_eq!(limit_price(Side::Sell, dec!(100), 10), dec!(99.90));
        assert_eq!(limit_price(Side::Buy, dec!(83.1), 25), dec!(83.31));
        assert_eq!(limit_price(Side::Sell, dec!(83.1), 25), dec!(82.89));
    }
}
