//! A household plan (several accounts planned as one) split into orders per account: sells
//! come from the accounts holding the most, buys go to the accounts with the most cash, in
//! whole shares, so each account's orders can be placed in that account.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::engine::MAX_AMOUNT;
use crate::{CommissionOf, Error, Side, Trade};

/// One order in one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AccountOrder {
    /// Account id.
    pub account: String,
    /// Symbol.
    pub symbol: String,
    /// Buy or sell.
    pub side: Side,
    /// Shares.
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
    /// The plan's price per share.
    #[serde(with = "rust_decimal::serde::str")]
    pub price: Decimal,
    /// Quantity × price.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// Estimated commission of this account's order.
    #[serde(with = "rust_decimal::serde::str")]
    pub commission: Decimal,
}

/// The split, and the cash each account ends with (negative: the account needs a transfer from
/// another account first). The household as a whole ends below zero only by the extra
/// commissions of orders split over accounts ([`HouseholdSplit::cash_left`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct HouseholdSplit {
    /// Orders, sells first.
    pub orders: Vec<AccountOrder>,
    /// Cash left per account after its orders.
    pub cash_after: BTreeMap<String, Decimal>,
}

impl HouseholdSplit {
    /// The commissions all accounts' orders pay: more than the plan counted when an order is
    /// split over accounts and each part pays a minimum commission. What the household really
    /// pays, so what a plan's cash figures should say.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use pbal_core::{Commission, Holding, PlanOptions, Portfolio, Targets, plan, split_by_account};
    /// use pbal_core::dec;
    /// let portfolio = Portfolio::new(vec![Holding::new("VTI", dec!(0), dec!(100))?])?;
    /// let options = PlanOptions::default().with_commission(Commission::Flat(dec!(3)));
    /// let p = plan(&portfolio, &Targets::equal(["VTI"])?, dec!(1806), &options)?;
    /// assert_eq!((p.trades[0].quantity, p.cash.commission, p.cash.left), (dec!(18), dec!(3), dec!(3)));
    /// let cash = BTreeMap::from([("A".to_owned(), dec!(1000)), ("B".to_owned(), dec!(806))]);
    /// let split = split_by_account(&p.trades, &BTreeMap::new(), &cash, dec!(1), &options)?;
    /// assert_eq!(split.orders.len(), 2); // 10 shares in A, 8 in B: a commission each
    /// assert_eq!(split.commission(), dec!(6));
    /// assert_eq!(split.cash_left(), dec!(0)); // the plan's 3 left, less the extra 3
    /// assert_eq!(split.cash_after["A"], dec!(-3)); // a transfer from B first
    /// # Ok::<(), pbal_core::Error>(())
    /// ```
    #[must_use]
    pub fn commission(&self) -> Decimal {
        self.orders
            .iter()
            .fold(Decimal::ZERO, |sum, o| sum.saturating_add(o.commission))
    }

    /// The household's cash after every account's orders: the sum of [`Self::cash_after`]
    /// (the plan's `cash.left` less the extra commissions of split orders). Negative: the
    /// household as a whole is short, and no transfer between its accounts can cover it.
    #[must_use]
    pub fn cash_left(&self) -> Decimal {
        self.cash_after
            .values()
            .fold(Decimal::ZERO, |sum, c| sum.saturating_add(*c))
    }
}

/// Splits `trades` over accounts. `held` gives each symbol's shares per account, `cash` each
/// account's cash. Sells take from the largest holding first (never more than an account
/// holds); each buy share goes to the account with the most cash left. Each account's order
/// pays its own `commission` (`commission` gives each symbol's: one [`crate::Commission`] for
/// all, or the plan's `&PlanOptions` with its per-symbol ones), and each account's cash after is its cash plus its sales minus
/// its buys and commissions ([`crate::audit_split`] checks this). The result is deterministic
/// (ties by account order).
///
/// # Errors
/// [`Error::Overflow`] for amounts beyond what [`crate::plan`] plans with (10 trillion), or a
/// buy that would need more than a million steps to place (a quantity step far too small).
///
/// ```
/// use std::collections::BTreeMap;
/// use pbal_core::{Commission, Holding, PlanOptions, Portfolio, Targets, plan, split_by_account};
/// use pbal_core::dec;
/// let portfolio = Portfolio::new(vec![
///     Holding::new("VTI", dec!(0), dec!(100))?,
///     Holding::new("BND", dec!(10), dec!(100))?,
/// ])?;
/// let targets = Targets::new([("VTI", dec!(0.5)), ("BND", dec!(0.5))])?;
/// let p = plan(&portfolio, &targets, dec!(350), &PlanOptions::default())?; // BUY 3 VTI
/// let held = BTreeMap::from([("BND".to_owned(), BTreeMap::from([("A".to_owned(), dec!(10))]))]);
/// let cash = BTreeMap::from([("A".to_owned(), dec!(150)), ("B".to_owned(), dec!(200))]);
/// let split = split_by_account(&p.trades, &held, &cash, dec!(1), Commission::None)?;
/// let lines: Vec<_> = split.orders.iter().map(|o| (o.account.as_str(), o.quantity)).collect();
/// assert_eq!(lines, [("A", dec!(1)), ("B", dec!(2))]);
/// assert_eq!(split.cash_after["A"], dec!(50));
/// # Ok::<(), pbal_core::Error>(())
/// ```
pub fn split_by_account(
    trades: &[Trade],
    held: &BTreeMap<String, BTreeMap<String, Decimal>>,
    cash: &BTreeMap<String, Decimal>,
    step: Decimal,
    commission: impl CommissionOf,
) -> Result<HouseholdSplit, Error> {
    /// Each step of the loop below places one account's share of a buy; a real split takes
    /// about two per account.
    const MAX_STEPS: u32 = 1_000_000;
    let overflow = || Error::Overflow {
        what: "household split",
    };
    // Bounded inputs keep every product and sum below exact and within `Decimal`.
    let in_range = |d: &Decimal| d.abs() <= MAX_AMOUNT;
    let bounded = trades
        .iter()
        .all(|t| in_range(&t.quantity) && in_range(&t.price))
        && held.values().flat_map(BTreeMap::values).all(in_range)
        && cash.values().all(in_range)
        && in_range(&step);
    if !bounded {
        return Err(overflow());
    }
    let mut steps = 0;
    let start = cash;
    let mut cash: BTreeMap<String, Decimal> = cash.clone();
    let mut orders: BTreeMap<(String, String, bool), Decimal> = BTreeMap::new();
    let step = if step > Decimal::ZERO {
        step
    } else {
        Decimal::ONE
    };
    for sell in trades.iter().filter(|t| t.side == Side::Sell) {
        let mut holders: Vec<(String, Decimal)> = held
            .get(&sell.symbol)
            .map(|m| m.iter().map(|(a, q)| (a.clone(), *q)).collect())
            .unwrap_or_default();
        // Largest holding first; ties in account order (the sort is stable).
        holders.sort_by_key(|h| std::cmp::Reverse(h.1));
        let mut left = sell.quantity;
        for (account, quantity) in holders {
            if left <= Decimal::ZERO {
                break;
            }
            let take = left.min(quantity.max(Decimal::ZERO));
            if take > Decimal::ZERO {
                *orders
                    .entry((account.clone(), sell.symbol.clone(), false))
                    .or_default() += take;
                *cash.entry(account).or_default() += take * sell.price;
                left -= take;
            }
        }
    }
    for buy in trades.iter().filter(|t| t.side == Side::Buy) {
        let mut left = buy.quantity;
        let lot = step * buy.price;
        while left > Decimal::ZERO {
            steps += 1;
            if steps > MAX_STEPS {
                return Err(overflow());
            }
            // The account with the most cash; the first one when none has any.
            let Some(account) = cash
                .iter()
                .fold(None::<(&String, Decimal)>, |best, (a, c)| match best {
                    Some((_, bc)) if bc >= *c => best,
                    _ => Some((a, *c)),
                })
                .map(|(a, _)| a.clone())
            else {
                break;
            };
            // Leave room for the order's commission (an estimate per share count).
            let room = cash[&account]
                .checked_sub(
                    commission
                        .commission_of(&buy.symbol)
                        .estimate(left, buy.price),
                )
                .ok_or_else(overflow)?;
            let affordable = room
                .checked_div(lot)
                .and_then(|units| units.floor().checked_mul(step))
                .map_or(left, |q| q.min(left));
            // An account that cannot afford one more step still takes one: its cash goes
            // negative and the split reports the transfer needed.
            let take = if affordable > Decimal::ZERO {
                affordable
            } else {
                step.min(left)
            };
            *orders
                .entry((account.clone(), buy.symbol.clone(), true))
                .or_default() += take;
            *cash.entry(account).or_default() -= take * buy.price;
            left -= take;
        }
    }
    let price_of = |symbol: &str, buy: bool| {
        trades
            .iter()
            .find(|t| t.symbol == symbol && (t.side == Side::Buy) == buy)
            .map_or(Decimal::ZERO, |t| t.price)
    };
    let mut list: Vec<AccountOrder> = orders
        .into_iter()
        .map(|((account, symbol, buy), quantity)| {
            let price = price_of(&symbol, buy);
            AccountOrder {
                amount: quantity * price,
                price,
                commission: commission.commission_of(&symbol).estimate(quantity, price),
                side: if buy { Side::Buy } else { Side::Sell },
                account,
                symbol,
                quantity,
            }
        })
        .collect();
    list.sort_by_key(|o| o.side == Side::Buy);
    // The cash after, from the final orders (the running figures above only steer the split).
    let mut cash_after: BTreeMap<String, Decimal> = start.clone();
    for o in &list {
        let flow = match o.side {
            Side::Buy => -o.amount,
            Side::Sell => o.amount,
        };
        let entry = cash_after.entry(o.account.clone()).or_default();
        *entry = flow
            .checked_sub(o.commission)
            .and_then(|net| entry.checked_add(net))
            .ok_or_else(overflow)?;
    }
    Ok(HouseholdSplit {
        orders: list,
        cash_after,
    })
}

/// Splits `amount` over accounts in proportion to `weights` (e.g. each account's value),
/// rounded to cents; the rounding remainder goes to the account with the largest weight, so
/// the parts always add up to `amount` exactly. With no positive weight the first account
/// takes it all.
///
/// # Errors
/// [`Error::Overflow`] for an amount beyond what [`crate::plan`] plans with (10 trillion) or
/// weights too large to add up.
///
/// ```
/// use std::collections::BTreeMap;
/// use pbal_core::split_amount;
/// use pbal_core::dec;
/// let weights = BTreeMap::from([("A".to_owned(), dec!(2)), ("B".to_owned(), dec!(1))]);
/// let parts = split_amount(dec!(100), &weights)?;
/// assert_eq!(parts["A"], dec!(66.67));
/// assert_eq!(parts["B"], dec!(33.33));
/// # Ok::<(), pbal_core::Error>(())
/// ```
pub fn split_amount(
    amount: Decimal,
    weights: &BTreeMap<String, Decimal>,
) -> Result<BTreeMap<String, Decimal>, Error> {
    let overflow = || Error::Overflow {
        what: "split of an amount",
    };
    if amount.abs() > MAX_AMOUNT {
        return Err(overflow());
    }
    let total = weights
        .values()
        .filter(|w| **w > Decimal::ZERO)
        .try_fold(Decimal::ZERO, |sum, w| sum.checked_add(*w))
        .ok_or_else(overflow)?;
    let mut parts: BTreeMap<String, Decimal> = weights
        .iter()
        .map(|(account, w)| {
            let share = if total > Decimal::ZERO && *w > Decimal::ZERO {
                // w ≤ total: the share is at most the amount (w / total first would round
                // differently from the parts pbal has always shown).
                amount
                    .checked_mul(*w)
                    .and_then(|x| x.checked_div(total))
                    .unwrap_or_else(|| *w / total * amount)
                    .round_dp(2)
            } else {
                Decimal::ZERO
            };
            (account.clone(), share)
        })
        .collect();
    let largest = weights
        .iter()
        .fold(None::<(&String, Decimal)>, |best, (a, w)| match best {
            Some((_, bw)) if bw >= *w => best,
            _ => Some((a, *w)),
        })
        .map(|(a, _)| a.clone());
    if let Some(largest) = largest {
        let remainder = amount - parts.values().copied().sum::<Decimal>();
        *parts.entry(largest).or_default() += remainder;
    }
    Ok(parts)
}
