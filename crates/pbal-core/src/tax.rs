//! Which tax lots a sale should close, and what it realizes.
//!
//! US rules as the default model: a lot held more than one year is long-term. The preferred
//! order ([`LotOrder::TaxMin`]) closes losses before gains; among losses short-term first (they
//! offset short-term gains, taxed higher); among gains long-term first, smallest gain per dollar
//! first. IBKR applies the account's default lot method unless the user picks lots (Tax
//! Optimizer), so the plan lists the lots for each sale.

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::engine::MAX_AMOUNT;
use crate::{Error, Holding, Lot};

/// Order in which a sale closes lots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum LotOrder {
    /// Losses first (short-term, then long-term), then long-term gains, then short-term gains;
    /// within each, the largest loss or smallest gain per dollar first.
    #[default]
    TaxMin,
    /// Highest cost per share first (IBKR's "Highest Cost").
    Hifo,
    /// Oldest first (IBKR's default "FIFO").
    Fifo,
}

/// Part of one lot closed by a sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LotSale {
    /// The lot's open date, when known.
    pub open_date: Option<Date>,
    /// Shares of the lot sold.
    pub quantity: Decimal,
    /// Cost basis of those shares.
    pub cost_basis: Decimal,
    /// Proceeds at the plan's price.
    pub proceeds: Decimal,
    /// Realized gain (negative: loss).
    pub gain: Decimal,
    /// Held more than one year at the plan's date.
    pub long_term: bool,
}

/// What a sale realizes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Realized {
    /// Short-term gain (negative: loss). Without lot data or dates, everything counts here.
    pub short_term: Decimal,
    /// Long-term gain (negative: loss).
    pub long_term: Decimal,
    /// The lots closed (empty when the holding has no lot data).
    pub lots: Vec<LotSale>,
    /// False when the figure comes from the position's total P&L, pro rata, for lack of lots.
    pub from_lots: bool,
    /// True when the gain cannot be known: no lots cover the sale and the position has no
    /// P&L. The gain figures are then zero and mean nothing.
    pub unknown: bool,
}

impl Realized {
    /// Net realized gain.
    pub fn total(&self) -> Decimal {
        self.short_term + self.long_term
    }
}

/// Whether a lot opened on `open` is long-term when sold on `as_of` (held more than a year).
///
/// ```
/// use pbal_core::date;
/// use pbal_core::is_long_term;
/// assert!(!is_long_term(Some(date(2024, 3, 1)), Some(date(2025, 3, 1))));
/// assert!(is_long_term(Some(date(2024, 3, 1)), Some(date(2025, 3, 2))));
/// assert!(!is_long_term(None, Some(date(2025, 3, 2))));
/// ```
pub fn is_long_term(open: Option<Date>, as_of: Option<Date>) -> bool {
    match (open, as_of) {
        (Some(open), Some(as_of)) => open
            .checked_add(jiff::Span::new().years(1))
            .is_ok_and(|anniversary| as_of > anniversary),
        _ => false,
    }
}

/// The lots a sale of `quantity` shares of `holding` at `price` closes, and what it realizes.
/// Without lots (or when the lots do not cover the sale) the position's P&L is used pro rata.
///
/// # Errors
/// [`Error::InvalidOption`] for a price that is not positive; [`Error::Overflow`] for amounts
/// beyond what [`crate::plan`] plans with (10 trillion) or a pro-rata gain too large to compute.
///
/// ```
/// use pbal_core::{Decimal, Holding, LotOrder, dec, realize};
/// let holding = Holding::new("VTI", dec!(10), dec!(250))?.with_unrealized_pnl(dec!(500));
/// let r = realize(&holding, dec!(4), dec!(250), None, LotOrder::TaxMin)?;
/// assert_eq!(r.short_term, dec!(200)); // no lots: 4/10 of the P&L
/// assert!(realize(&holding, Decimal::MAX, dec!(250), None, LotOrder::TaxMin).is_err());
/// # Ok::<(), pbal_core::Error>(())
/// ```
pub fn realize(
    holding: &Holding,
    quantity: Decimal,
    price: Decimal,
    as_of: Option<Date>,
    order: LotOrder,
) -> Result<Realized, Error> {
    if price <= Decimal::ZERO {
        return Err(Error::NonPositivePrice {
            symbol: holding.symbol.clone(),
            price,
        });
    }
    let in_range = |d: Decimal| d.abs() <= MAX_AMOUNT;
    let bounded = in_range(quantity)
        && in_range(price)
        && in_range(holding.quantity)
        && holding.unrealized_pnl.is_none_or(in_range)
        && holding.lots.iter().all(|l| {
            in_range(l.quantity) && in_range(l.cost_basis) && l.unrealized_pnl.is_none_or(in_range)
        });
    if !bounded {
        return Err(Error::Overflow {
            what: "realized gain",
        });
    }
    realize_bounded(holding, quantity, price, as_of, order).ok_or(Error::Overflow {
        what: "realized gain",
    })
}

/// [`realize`] for amounts within [`MAX_AMOUNT`] and a positive price, as [`crate::plan`]
/// validates them: then only a pro-rata sale of more than is held can overflow (`None`).
pub(crate) fn realize_bounded(
    holding: &Holding,
    quantity: Decimal,
    price: Decimal,
    as_of: Option<Date>,
    order: LotOrder,
) -> Option<Realized> {
    if quantity <= Decimal::ZERO {
        return Some(Realized::default());
    }
    let lot_shares: Decimal = holding.lots.iter().map(|l| l.quantity).sum();
    if holding.lots.is_empty() || lot_shares < quantity {
        let pnl = holding.unrealized_pnl.unwrap_or_default();
        let gain = if holding.quantity.is_zero() {
            Decimal::ZERO
        } else {
            pnl.checked_mul(quantity)?
                .checked_div(holding.quantity)?
                .round_dp(2)
        };
        return Some(Realized {
            short_term: gain,
            unknown: holding.unrealized_pnl.is_none(),
            ..Realized::default()
        });
    }
    let mut lots: Vec<&Lot> = holding
        .lots
        .iter()
        .filter(|l| l.quantity > Decimal::ZERO)
        .collect();
    // Per-share costs compared by cross-multiplying (`a.cost × b.qty` against `b.cost × a.qty`):
    // exact, and with bounded amounts no product overflows where a quotient of a tiny lot would.
    let cheaper = |a: &Lot, b: &Lot| (a.cost_basis * b.quantity).cmp(&(b.cost_basis * a.quantity));
    match order {
        LotOrder::TaxMin => lots.sort_by(|a, b| {
            // A loss when the lot cost more per share than the price.
            let category = |l: &Lot| {
                let loss = l.cost_basis > price * l.quantity;
                match (loss, is_long_term(l.open_date, as_of)) {
                    (true, false) => 0,
                    (true, true) => 1,
                    (false, true) => 2,
                    (false, false) => 3,
                }
            };
            // Within a category, the least gain per dollar first: the highest cost per share.
            category(a)
                .cmp(&category(b))
                .then_with(|| cheaper(b, a))
                .then(a.open_date.cmp(&b.open_date))
        }),
        LotOrder::Hifo => lots.sort_by(|a, b| cheaper(b, a).then(a.open_date.cmp(&b.open_date))),
        LotOrder::Fifo => lots.sort_by_key(|l| l.open_date),
    }
    let mut left = quantity;
    let mut out = Realized {
        from_lots: true,
        ..Realized::default()
    };
    for lot in lots {
        if left.is_zero() {
            break;
        }
        let take = left.min(lot.quantity);
        left -= take;
        let cost_basis = (lot.cost_basis * take / lot.quantity).round_dp(2);
        let proceeds = take * price;
        let gain = proceeds - cost_basis;
        let long_term = is_long_term(lot.open_date, as_of);
        if long_term {
            out.long_term += gain;
        } else {
            out.short_term += gain;
        }
        out.lots.push(LotSale {
            open_date: lot.open_date,
            quantity: take,
            cost_basis,
            proceeds,
            gain,
            long_term,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dec;
    use jiff::civil::date;

    fn lot(y: i16, m: i8, d: i8, quantity: Decimal, cost: Decimal) -> Lot {
        Lot {
            open_date: Some(date(y, m, d)),
            quantity,
            cost_basis: cost,
            unrealized_pnl: None,
        }
    }

    fn holding() -> Holding {
        let mut h = Holding::new("X", dec!(40), dec!(100)).unwrap();
        h.lots = vec![
            lot(2020, 1, 1, dec!(10), dec!(500)),  // LT gain 50/share
            lot(2025, 6, 1, dec!(10), dec!(1200)), // ST loss 20/share
            lot(2022, 1, 1, dec!(10), dec!(1100)), // LT loss 10/share
            lot(2025, 9, 1, dec!(10), dec!(900)),  // ST gain 10/share
        ];
        h
    }

    #[test]
    fn tax_min_closes_losses_first_then_long_term_gains() {
        let as_of = Some(date(2025, 11, 1));
        let r = realize(&holding(), dec!(25), dec!(100), as_of, LotOrder::TaxMin).unwrap();
        let order: Vec<Decimal> = r.lots.iter().map(|l| l.cost_basis).collect();
        assert_eq!(order, vec![dec!(1200), dec!(1100), dec!(250.00)]);
        assert_eq!(r.short_term, dec!(-200));
        assert_eq!(r.long_term, dec!(-100) + dec!(250));
        assert!(r.from_lots);
    }

    #[test]
    fn hifo_and_fifo() {
        let as_of = Some(date(2025, 11, 1));
        let r = realize(&holding(), dec!(10), dec!(100), as_of, LotOrder::Hifo).unwrap();
        assert_eq!(r.lots[0].cost_basis, dec!(1200));
        let r = realize(&holding(), dec!(10), dec!(100), as_of, LotOrder::Fifo).unwrap();
        assert_eq!(r.lots[0].open_date, Some(date(2020, 1, 1)));
    }

    #[test]
    fn without_lots_the_position_pnl_is_used() {
        let h = Holding::new("Y", dec!(10), dec!(10))
            .unwrap()
            .with_unrealized_pnl(dec!(-30));
        let r = realize(&h, dec!(5), dec!(10), None, LotOrder::TaxMin).unwrap();
        assert_eq!(r.short_term, dec!(-15));
        assert!(!r.from_lots);
    }
}
