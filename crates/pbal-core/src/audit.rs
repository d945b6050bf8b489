//! The audit: every plan is checked against the rules a user trusts before anyone sees it.
//!
//! The engine is searched in floating point, assembled in decimals, re-planned, split over
//! accounts and rounded for display by different code. Each rule below is re-derived here from
//! the inputs alone, independently of how the plan was made, so a bug in any path becomes an
//! [`AuditFailure`] instead of a wrong order.

use std::collections::{BTreeMap, HashMap, HashSet};

use rust_decimal::Decimal;

use crate::{HouseholdSplit, Plan, PlanOptions, Portfolio, Side, Strategy, Trade};

/// A rule a plan broke. This is always a bug in pbal: the plan must not be shown or placed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("plan audit failed ({rule}): {detail}")]
#[non_exhaustive]
pub struct AuditFailure {
    /// The rule, e.g. `cash conservation`.
    pub rule: &'static str,
    /// What was found.
    pub detail: String,
}

impl AuditFailure {
    /// A broken `rule`, and what was found (for audits of other crates, such as pbal-ibkr's
    /// currency audit).
    pub fn new(rule: &'static str, detail: impl Into<String>) -> Self {
        Self {
            rule,
            detail: detail.into(),
        }
    }
}

fn fail(rule: &'static str, detail: impl Into<String>) -> Result<(), AuditFailure> {
    Err(AuditFailure::new(rule, detail))
}

/// Checks `plan`, made for `portfolio` with `cash` and `options`, against every rule:
///
/// - cash conservation: the plan's cash is the cash given; spent, received and commission are
///   the sums over its orders, each order's amount is quantity × the holding's price, and
///   `left = available − spent + received − commission`;
/// - the cash left is never below the reserve;
/// - no sale beyond the holding, and no lot sold beyond the lot;
/// - buy-only (and a bands withdrawal) sells only to raise a withdrawal or refill the reserve,
///   and then buys nothing; a blocked wash-sale buy is not bought;
/// - quantities are positive multiples of the quantity step, and no order is below the minimum
///   trade;
/// - every order's symbol is in the plan table exactly once, and the table's trade column and
///   values after agree with the orders;
/// - realized gains equal the lots closed, short- plus long-term, and the plan's totals; the
///   realized-gain cap holds;
/// - every order that pays a commission brings its asset at least that commission closer to
///   its target (unless `keep_costly_orders`; sales that raise cash are exempt).
///
/// # Errors
/// An [`AuditFailure`] for the first broken rule found: its `rule` names it (e.g. `cash
/// conservation`) and its `detail` says what was found.
///
/// ```
/// use pbal_core::{Holding, PlanOptions, Portfolio, Targets, audit, plan};
/// use pbal_core::dec;
/// let portfolio = Portfolio::new(vec![Holding::new("VTI", dec!(1), dec!(100))?])?;
/// let targets = Targets::equal(["VTI"])?;
/// let options = PlanOptions::default();
/// let mut p = plan(&portfolio, &targets, dec!(250), &options)?;
/// assert!(audit(&p, &portfolio, dec!(250), &options).is_ok());
/// p.cash.left += dec!(0.01); // a cent from nowhere
/// assert_eq!(audit(&p, &portfolio, dec!(250), &options).unwrap_err().rule, "cash conservation");
/// # Ok::<(), pbal_core::Error>(())
/// ```
pub fn audit(
    plan: &Plan,
    portfolio: &Portfolio,
    cash: Decimal,
    options: &PlanOptions,
) -> Result<(), AuditFailure> {
    audit_cash(plan, cash, options)?;
    audit_orders(plan, portfolio, options, true)?;
    audit_table(plan, portfolio)?;
    audit_strategy(plan, cash, options)?;
    audit_worth(plan, cash, options)?;
    audit_realized(plan, portfolio, options)
}

/// Every order with a commission is worth it ([`crate::worth::costly_orders`]).
fn audit_worth(plan: &Plan, cash: Decimal, options: &PlanOptions) -> Result<(), AuditFailure> {
    if options.keep_costly_orders {
        return Ok(());
    }
    match crate::worth::costly_orders(plan, cash, options).first() {
        Some(c) => fail(
            "orders worth their commission",
            format!(
                "{} {} {} pays {} but moves its asset from {} to {} off its target",
                c.trade.side.as_str(),
                c.trade.quantity,
                c.trade.symbol,
                c.trade.commission,
                c.before.round_dp(2),
                c.after.round_dp(2)
            ),
        ),
        None => Ok(()),
    }
}

fn audit_cash(plan: &Plan, cash: Decimal, options: &PlanOptions) -> Result<(), AuditFailure> {
    const RULE: &str = "cash conservation";
    let c = &plan.cash;
    if c.available != cash {
        return fail(
            RULE,
            format!("the plan starts from {} of cash, not {cash}", c.available),
        );
    }
    let sum = |side: Side| -> Decimal {
        plan.trades
            .iter()
            .filter(|t| t.side == side)
            .map(|t| t.amount)
            .sum()
    };
    let (spent, received) = (sum(Side::Buy), sum(Side::Sell));
    let commission: Decimal = plan.trades.iter().map(|t| t.commission).sum();
    if c.spent != spent || c.received != received || c.commission != commission {
        return fail(
            RULE,
            format!(
                "orders spend {spent}, receive {received}, cost {commission} in commission; \
                 the summary says {}, {}, {}",
                c.spent, c.received, c.commission
            ),
        );
    }
    if c.left != c.available - spent + received - commission {
        return fail(
            RULE,
            format!(
                "{} − {spent} + {received} − {commission} is not the {} left",
                c.available, c.left
            ),
        );
    }
    if c.reserve != options.reserve {
        return fail(
            "reserve",
            format!("the plan keeps {}, asked {}", c.reserve, options.reserve),
        );
    }
    if c.left < options.reserve {
        return fail(
            "reserve",
            format!(
                "{} of cash left is below the reserve {}",
                c.left, options.reserve
            ),
        );
    }
    Ok(())
}

fn audit_orders(
    plan: &Plan,
    portfolio: &Portfolio,
    options: &PlanOptions,
    one_order_each: bool,
) -> Result<(), AuditFailure> {
    // Hashed, not ordered: a plan of 5,000 holdings has thousands of orders to check.
    let mut seen = HashSet::with_capacity(plan.trades.len());
    for t in &plan.trades {
        let Some(h) = portfolio.get(&t.symbol) else {
            return fail(
                "orders in the plan table",
                format!("{} is ordered but not in the portfolio", t.symbol),
            );
        };
        if !seen.insert(t.symbol.as_str()) {
            return fail(
                "orders in the plan table",
                format!("{} is ordered twice", t.symbol),
            );
        }
        if t.quantity <= Decimal::ZERO || !(t.quantity % options.quantity_step).is_zero() {
            return fail(
                "quantity step",
                format!(
                    "{} {} is not a positive multiple of {}",
                    t.quantity, t.symbol, options.quantity_step
                ),
            );
        }
        if t.price != h.price || t.amount != t.quantity * t.price {
            return fail(
                "cash conservation",
                format!(
                    "{}: {} × {} is not {} (holding's price {})",
                    t.symbol, t.quantity, t.price, t.amount, h.price
                ),
            );
        }
        if t.amount < options.min_trade {
            return fail(
                "minimum trade",
                format!(
                    "{} {} is below the minimum of {}",
                    t.symbol, t.amount, options.min_trade
                ),
            );
        }
        // Each order pays its own asset's commission (the plan's default or the symbol's).
        let expected = options
            .commission_of(&t.symbol)
            .estimate(t.quantity, t.price);
        // A household's orders are split over accounts: each account order pays its own.
        if one_order_each && t.commission != expected {
            return fail(
                "commission",
                format!("{}: {} instead of {expected}", t.symbol, t.commission),
            );
        }
        if t.side == Side::Sell && t.quantity > h.quantity {
            return fail(
                "sale beyond the holding",
                format!("sells {} {} of {} held", t.quantity, t.symbol, h.quantity),
            );
        }
    }
    let sells_first = plan
        .trades
        .windows(2)
        .all(|w| !(w[0].side == Side::Buy && w[1].side == Side::Sell));
    if !sells_first {
        return fail("order sequence", "a buy is listed before a sell");
    }
    Ok(())
}

fn audit_table(plan: &Plan, portfolio: &Portfolio) -> Result<(), AuditFailure> {
    const RULE: &str = "orders in the plan table";
    let held: Vec<&str> = portfolio
        .holdings()
        .iter()
        .map(|h| h.symbol.as_str())
        .collect();
    let table: Vec<&str> = plan.positions.iter().map(|p| p.symbol.as_str()).collect();
    if held != table {
        return fail(
            RULE,
            format!("the table lists {table:?}, the portfolio {held:?}"),
        );
    }
    // By symbol (the last order of a symbol, as a map collected in order keeps it), hashed:
    // every one of the table's positions looks itself up.
    let ordered: HashMap<&str, &Trade> =
        plan.trades.iter().map(|t| (t.symbol.as_str(), t)).collect();
    for (p, h) in plan.positions.iter().zip(portfolio.holdings()) {
        let signed = ordered.get(p.symbol.as_str()).map_or(Decimal::ZERO, |t| {
            if t.side == Side::Buy {
                t.quantity
            } else {
                -t.quantity
            }
        });
        if p.trade_quantity != signed {
            return fail(
                RULE,
                format!(
                    "{}: the table trades {}, the orders {signed}",
                    p.symbol, p.trade_quantity
                ),
            );
        }
        if p.quantity != h.quantity
            || p.value != h.value
            || p.price != h.price
            || p.value_after != h.value + signed * h.price
        {
            return fail(
                RULE,
                format!("{}: the table's holding or value after is off", p.symbol),
            );
        }
    }
    Ok(())
}

fn audit_strategy(plan: &Plan, cash: Decimal, options: &PlanOptions) -> Result<(), AuditFailure> {
    let has = |side: Side| plan.trades.iter().any(|t| t.side == side);
    let raising = cash < options.reserve;
    let sells_only_to_raise = match options.strategy {
        Strategy::BuyOnly => true,
        Strategy::Bands => raising,
        Strategy::Full => false,
    };
    if sells_only_to_raise {
        if !raising && has(Side::Sell) {
            return fail(
                "buy-only",
                format!(
                    "sells with {cash} of cash and a reserve of {}: nothing needs raising",
                    options.reserve
                ),
            );
        }
        if raising && has(Side::Buy) {
            return fail("buy-only", "buys while raising a withdrawal or the reserve");
        }
    }
    if plan.within_bands && !plan.trades.is_empty() {
        return fail(
            "bands",
            "every asset is within its band, yet the plan trades",
        );
    }
    if let (Some(guard), Some(as_of)) = (&options.wash_sale, options.as_of)
        && guard.block_buys
        && let Some(buy) = plan
            .trades
            .iter()
            .find(|t| t.side == Side::Buy && guard.recent_loss_sale(&t.symbol, as_of).is_some())
    {
        return fail(
            "wash sale",
            format!("buys {} within 30 days of a loss sale", buy.symbol),
        );
    }
    Ok(())
}

fn audit_realized(
    plan: &Plan,
    portfolio: &Portfolio,
    options: &PlanOptions,
) -> Result<(), AuditFailure> {
    const RULE: &str = "realized gains";
    let (mut short, mut long) = (Decimal::ZERO, Decimal::ZERO);
    for t in &plan.trades {
        if t.side == Side::Buy {
            if t.realized_pnl.is_some() || !t.lots.is_empty() {
                return fail(RULE, format!("the buy of {} realizes something", t.symbol));
            }
            continue;
        }
        let total = t.realized_short_term + t.realized_long_term;
        if t.realized_pnl.is_none() {
            // An unknown gain: only for a holding without P&L, with nothing else claimed.
            let unknown = portfolio
                .get(&t.symbol)
                .is_some_and(|h| h.unrealized_pnl.is_none());
            if !unknown || !total.is_zero() || !t.lots.is_empty() || !plan.realized.unknown {
                return fail(
                    RULE,
                    format!("{}: a sale whose gain is unknown claims one", t.symbol),
                );
            }
            continue;
        }
        if t.realized_pnl != Some(total) {
            return fail(
                RULE,
                format!(
                    "{}: {:?} is not short {} + long {}",
                    t.symbol, t.realized_pnl, t.realized_short_term, t.realized_long_term
                ),
            );
        }
        short += t.realized_short_term;
        long += t.realized_long_term;
        if t.lots.is_empty() {
            continue;
        }
        let lot_quantity: Decimal = t.lots.iter().map(|l| l.quantity).sum();
        let lot_gain: Decimal = t.lots.iter().map(|l| l.gain).sum();
        if lot_quantity != t.quantity || lot_gain != total {
            return fail(
                RULE,
                format!(
                    "{}: lots close {lot_quantity} shares realizing {lot_gain}; the sale is {} \
                     shares realizing {total}",
                    t.symbol, t.quantity
                ),
            );
        }
        let holding = portfolio.get(&t.symbol).map(|h| &h.lots);
        for l in &t.lots {
            if l.proceeds != l.quantity * t.price || l.gain != l.proceeds - l.cost_basis {
                return fail(
                    RULE,
                    format!("{}: a lot's proceeds or gain do not add up", t.symbol),
                );
            }
            let available: Decimal = holding
                .into_iter()
                .flatten()
                .filter(|h| h.open_date == l.open_date)
                .map(|h| h.quantity)
                .sum();
            let sold_of_date: Decimal = t
                .lots
                .iter()
                .filter(|x| x.open_date == l.open_date)
                .map(|x| x.quantity)
                .sum();
            if sold_of_date > available {
                return fail(
                    "sale beyond the holding",
                    format!(
                        "{}: sells {sold_of_date} of lots opened {:?}, which hold {available}",
                        t.symbol, l.open_date
                    ),
                );
            }
        }
    }
    if plan.realized.short_term != short || plan.realized.long_term != long {
        return fail(
            RULE,
            format!(
                "the summary says short {} long {}, the sales {short} and {long}",
                plan.realized.short_term, plan.realized.long_term
            ),
        );
    }
    if let Some(cap) = options.max_realized_gain
        && short + long > cap
    {
        return fail(
            "realized-gain cap",
            format!("realizes {} with a cap of {cap}", short + long),
        );
    }
    Ok(())
}

/// Checks a household split of `plan` over accounts: every order of the plan is split
/// completely (per symbol and side), no account sells more than it holds, and each account's
/// cash after is its cash plus its sales minus its buys and commissions. Accounts may end below
/// zero (the split then reports the transfer needed); the household as a whole only by the
/// extra commissions of orders split over accounts.
///
/// # Errors
/// An [`AuditFailure`] for the first rule the split breaks: `sale beyond the holding` (an
/// account sells more than `held` gives it), `household split` (an order of the plan not split
/// exactly, or a split order not in the plan), `cash conservation` (an account's cash after,
/// or the household's, does not add up) or `reserve` (the household ends below zero by more
/// than the extra commissions).
pub fn audit_split(
    split: &HouseholdSplit,
    plan: &Plan,
    held: &BTreeMap<String, BTreeMap<String, Decimal>>,
    cash: &BTreeMap<String, Decimal>,
) -> Result<(), AuditFailure> {
    const RULE: &str = "household split";
    let mut per_order: BTreeMap<(&str, Side), Decimal> = BTreeMap::new();
    let mut per_account: BTreeMap<&str, Decimal> = BTreeMap::new();
    for o in &split.orders {
        *per_order.entry((o.symbol.as_str(), o.side)).or_default() += o.quantity;
        let flow = match o.side {
            Side::Buy => -o.amount,
            Side::Sell => o.amount,
        };
        *per_account.entry(o.account.as_str()).or_default() += flow - o.commission;
        if o.side == Side::Sell {
            let holds = held
                .get(&o.symbol)
                .and_then(|m| m.get(&o.account))
                .copied()
                .unwrap_or_default();
            if o.quantity > holds {
                return fail(
                    "sale beyond the holding",
                    format!(
                        "account {} sells {} {} of {holds}",
                        o.account, o.quantity, o.symbol
                    ),
                );
            }
        }
    }
    for t in &plan.trades {
        let split_quantity = per_order
            .remove(&(t.symbol.as_str(), t.side))
            .unwrap_or_default();
        if split_quantity != t.quantity {
            return fail(
                RULE,
                format!(
                    "{} {} {} split into {split_quantity}",
                    t.side.as_str(),
                    t.quantity,
                    t.symbol
                ),
            );
        }
    }
    if let Some(((symbol, _), _)) = per_order.into_iter().next() {
        return fail(RULE, format!("{symbol} is split but not in the plan"));
    }
    for (account, after) in &split.cash_after {
        let before = cash.get(account).copied().unwrap_or_default();
        let flow = per_account
            .get(account.as_str())
            .copied()
            .unwrap_or_default();
        if *after != before + flow {
            return fail(
                "cash conservation",
                format!("account {account}: {before} + {flow} is not the {after} left"),
            );
        }
    }
    let total_after: Decimal = split.cash_after.values().copied().sum();
    let total_before: Decimal = cash.values().copied().sum();
    let commissions: Decimal = split.orders.iter().map(|o| o.commission).sum();
    if total_after != total_before - plan.cash.spent + plan.cash.received - commissions {
        return fail(
            "cash conservation",
            format!("the accounts end with {total_after} in all"),
        );
    }
    // Orders split over several accounts may each pay a minimum commission: only that extra
    // may take the household below what the plan leaves.
    let extra_commission = (commissions - plan.cash.commission).max(Decimal::ZERO);
    if total_after < -extra_commission {
        return fail(
            "reserve",
            format!("the household ends with {total_after} of cash"),
        );
    }
    Ok(())
}

/// Checks a household plan: the household's figures (cash, orders, table), then each account:
/// the split places exactly the plan's orders, each account's order pays its own commission,
/// sells no more than the account holds, and each account ends at or above its reserve with
/// its own cash and its part of the new cash; in buy-only plans no account both sells and
/// buys, and an account sells only when it had cash to raise. A transfer moves a positive
/// amount between two different taxable accounts, and only when the options allow transfers.
#[allow(clippy::too_many_arguments)]
pub(crate) fn audit_household(
    plan: &Plan,
    portfolio: &Portfolio,
    cash: Decimal,
    options: &PlanOptions,
    accounts: &[crate::Account],
    split: &HouseholdSplit,
    new_cash: &BTreeMap<String, Decimal>,
    transfers: &[crate::Transfer],
) -> Result<(), AuditFailure> {
    audit_cash(plan, cash, options)?;
    let taxable = |id: &str| accounts.iter().any(|a| a.id == id && a.kind.is_taxable());
    for t in transfers {
        if !options.allow_transfers
            || t.amount <= Decimal::ZERO
            || t.from == t.to
            || !taxable(&t.from)
            || !taxable(&t.to)
        {
            return fail(
                "transfer",
                format!("{} from {} to {} is not allowed", t.amount, t.from, t.to),
            );
        }
    }
    audit_orders(plan, portfolio, options, false)?;
    audit_table(plan, portfolio)?;
    let held: BTreeMap<String, BTreeMap<String, Decimal>> = portfolio
        .holdings()
        .iter()
        .map(|h| {
            let per_account = accounts
                .iter()
                .filter_map(|a| {
                    let mine = a.holdings.iter().find(|x| x.symbol == h.symbol)?;
                    Some((a.id.clone(), mine.quantity))
                })
                .collect();
            (h.symbol.clone(), per_account)
        })
        .collect();
    let mut start: BTreeMap<String, Decimal> = accounts
        .iter()
        .map(|a| {
            let moved = new_cash.get(&a.id).copied().unwrap_or_default();
            (a.id.clone(), a.cash + moved)
        })
        .collect();
    for t in transfers {
        *start.entry(t.from.clone()).or_default() -= t.amount;
        *start.entry(t.to.clone()).or_default() += t.amount;
    }
    audit_split(split, plan, &held, &start)?;
    let moved: Decimal = new_cash.values().copied().sum();
    if moved != cash - accounts.iter().map(|a| a.cash).sum::<Decimal>() {
        return fail(
            "cash conservation",
            format!("the new cash per account adds up to {moved}"),
        );
    }
    let sells_only_to_raise = match options.strategy {
        Strategy::BuyOnly => true,
        Strategy::Bands => cash < options.reserve,
        Strategy::Full => false,
    };
    let mut commission = Decimal::ZERO;
    for o in &split.orders {
        let expected = options
            .commission_of(&o.symbol)
            .estimate(o.quantity, o.price);
        if o.commission != expected || o.amount != o.quantity * o.price {
            return fail(
                "commission",
                format!(
                    "{} {}: {} instead of {expected}",
                    o.account, o.symbol, o.commission
                ),
            );
        }
        if o.amount < options.min_trade {
            return fail(
                "minimum trade",
                format!(
                    "{} {} {} is below the minimum",
                    o.account, o.symbol, o.amount
                ),
            );
        }
        commission += o.commission;
        let both = split
            .orders
            .iter()
            .any(|x| x.symbol == o.symbol && x.side != o.side);
        if both {
            return fail(
                "household split",
                format!("{} is bought in one account and sold in another", o.symbol),
            );
        }
    }
    if commission != plan.cash.commission {
        return fail(
            "commission",
            format!(
                "the accounts pay {commission}, the plan says {}",
                plan.cash.commission
            ),
        );
    }
    for a in accounts {
        let after = split.cash_after.get(&a.id).copied().unwrap_or(a.cash);
        if after < a.reserve {
            return fail(
                "reserve",
                format!(
                    "account {} ends with {after}, below its reserve {}",
                    a.id, a.reserve
                ),
            );
        }
        if sells_only_to_raise {
            let mine = |side: Side| {
                split
                    .orders
                    .iter()
                    .any(|o| o.account == a.id && o.side == side)
            };
            let raising = a.cash < a.reserve || moved < Decimal::ZERO;
            if mine(Side::Sell) && (mine(Side::Buy) || !raising) {
                return fail(
                    "buy-only",
                    format!("account {} sells with nothing to raise", a.id),
                );
            }
        }
    }
    if let Some(cap) = options.max_realized_gain
        && plan.realized.short_term + plan.realized.long_term > cap
    {
        return fail("realized-gain cap", "the sales realize more than the cap");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dec;
    use crate::{Commission, Holding, Lot, Targets, plan};

    fn setup() -> (Portfolio, PlanOptions) {
        let mut held = Holding::new("AAA", dec!(10), dec!(100))
            .unwrap()
            .with_unrealized_pnl(dec!(-50));
        held.lots = vec![Lot {
            open_date: None,
            quantity: dec!(10),
            cost_basis: dec!(1050),
            unrealized_pnl: Some(dec!(-50)),
        }];
        let portfolio =
            Portfolio::new(vec![held, Holding::new("BBB", dec!(1), dec!(50)).unwrap()]).unwrap();
        (portfolio, PlanOptions::default())
    }

    fn planned(cash: Decimal, options: &PlanOptions) -> (Plan, Portfolio) {
        let (portfolio, _) = setup();
        let targets = Targets::equal(["AAA", "BBB"]).unwrap();
        (
            plan(&portfolio, &targets, cash, options).unwrap(),
            portfolio,
        )
    }

    fn rule(p: &Plan, portfolio: &Portfolio, cash: Decimal, options: &PlanOptions) -> &'static str {
        audit(p, portfolio, cash, options).unwrap_err().rule
    }

    #[test]
    fn a_plan_that_spends_cash_that_is_not_there_fails() {
        let (_, options) = setup();
        let (mut p, portfolio) = planned(dec!(500), &options);
        assert!(audit(&p, &portfolio, dec!(500), &options).is_ok());
        // Count the cash twice: the same orders now "start" from 1,000.
        p.cash.available = dec!(1000);
        p.cash.left += dec!(500);
        assert_eq!(
            rule(&p, &portfolio, dec!(500), &options),
            "cash conservation"
        );
    }

    #[test]
    fn cash_below_the_reserve_fails() {
        let options = PlanOptions {
            reserve: dec!(100),
            ..PlanOptions::default()
        };
        let (mut p, portfolio) = planned(dec!(500), &options);
        let buy = p.trades.iter_mut().find(|t| t.side == Side::Buy).unwrap();
        buy.quantity += dec!(2);
        buy.amount = buy.quantity * buy.price;
        let extra = dec!(2) * buy.price;
        p.cash.spent += extra;
        p.cash.left -= extra;
        let symbol = buy.symbol.clone();
        let row = p.positions.iter_mut().find(|r| r.symbol == symbol).unwrap();
        row.trade_quantity += dec!(2);
        row.value_after += extra;
        assert_eq!(rule(&p, &portfolio, dec!(500), &options), "reserve");
    }

    #[test]
    fn a_sale_beyond_the_holding_fails() {
        let options = PlanOptions {
            strategy: crate::Strategy::Full,
            ..PlanOptions::default()
        };
        let (p, _) = planned(dec!(0), &options);
        let sold = p.trades.iter().find(|t| t.side == Side::Sell).unwrap();
        assert_eq!(sold.symbol, "AAA");
        // The same plan against an account that holds one share less than it sells.
        let fewer = Portfolio::new(vec![
            Holding::new("AAA", sold.quantity - dec!(1), dec!(100)).unwrap(),
            Holding::new("BBB", dec!(1), dec!(50)).unwrap(),
        ])
        .unwrap();
        assert_eq!(
            rule(&p, &fewer, dec!(0), &options),
            "sale beyond the holding"
        );
    }

    #[test]
    fn a_buy_only_plan_that_sells_without_need_fails() {
        let full = PlanOptions {
            strategy: crate::Strategy::Full,
            ..PlanOptions::default()
        };
        let (p, portfolio) = planned(dec!(0), &full);
        assert!(p.trades.iter().any(|t| t.side == Side::Sell));
        let (_, buy_only) = setup();
        assert_eq!(rule(&p, &portfolio, dec!(0), &buy_only), "buy-only");
    }

    #[test]
    fn a_fraction_in_a_whole_share_plan_fails() {
        let (_, options) = setup();
        let (mut p, portfolio) = planned(dec!(500), &options);
        p.trades[0].quantity += dec!(0.5);
        assert_eq!(rule(&p, &portfolio, dec!(500), &options), "quantity step");
    }

    #[test]
    fn an_order_missing_from_the_table_fails() {
        let (_, options) = setup();
        let (mut p, portfolio) = planned(dec!(500), &options);
        p.positions
            .iter_mut()
            .for_each(|r| r.trade_quantity = Decimal::ZERO);
        assert_eq!(
            rule(&p, &portfolio, dec!(500), &options),
            "orders in the plan table"
        );
        let (mut p, portfolio) = planned(dec!(500), &options);
        p.trades[0].symbol = "ZZZ".to_owned();
        assert_eq!(
            rule(&p, &portfolio, dec!(500), &options),
            "orders in the plan table"
        );
    }

    #[test]
    fn realized_gains_that_are_not_the_lots_closed_fail() {
        let options = PlanOptions {
            strategy: crate::Strategy::Full,
            ..PlanOptions::default()
        };
        let (mut p, portfolio) = planned(dec!(0), &options);
        let sell = p.trades.iter_mut().find(|t| t.side == Side::Sell).unwrap();
        assert!(!sell.lots.is_empty());
        sell.realized_short_term += dec!(1);
        sell.realized_pnl = Some(sell.realized_short_term + sell.realized_long_term);
        p.realized.short_term += dec!(1);
        assert_eq!(rule(&p, &portfolio, dec!(0), &options), "realized gains");
    }

    #[test]
    fn a_wrong_commission_fails() {
        let options = PlanOptions {
            commission: Commission::Flat(dec!(1)),
            ..PlanOptions::default()
        };
        let (mut p, portfolio) = planned(dec!(500), &options);
        p.trades[0].commission = Decimal::ZERO;
        p.cash.commission -= dec!(1);
        p.cash.left += dec!(1);
        assert_eq!(rule(&p, &portfolio, dec!(500), &options), "commission");
    }

    #[test]
    fn a_household_split_that_loses_shares_or_cash_fails() {
        let (_, options) = setup();
        let (p, _) = planned(dec!(500), &options);
        let held = BTreeMap::from([(
            "AAA".to_owned(),
            BTreeMap::from([("U1".to_owned(), dec!(10))]),
        )]);
        let cash = BTreeMap::from([("U1".to_owned(), dec!(250)), ("U2".to_owned(), dec!(250))]);
        let split =
            crate::split_by_account(&p.trades, &held, &cash, dec!(1), Commission::None).unwrap();
        assert_eq!(audit_split(&split, &p, &held, &cash), Ok(()));
        let mut lost = split.clone();
        lost.orders.pop();
        assert_eq!(
            audit_split(&lost, &p, &held, &cash).unwrap_err().rule,
            "household split"
        );
        let mut leaked = split;
        *leaked.cash_after.values_mut().next().unwrap() += dec!(1);
        assert_eq!(
            audit_split(&leaked, &p, &held, &cash).unwrap_err().rule,
            "cash conservation"
        );
    }
}
