//! Tax lots of one symbol, sold first in, first out, with realized gains split by holding
//! period.

use std::collections::VecDeque;

use jiff::Span;
use jiff::civil::Date;
use rust_decimal::Decimal;

/// One purchase still (partly) held.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Lot {
    date: Date,
    quantity: Decimal,
    /// Cost of the shares still held, commission included.
    cost: Decimal,
}

/// Gains realized by one sale.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Realized {
    /// Held one year or less.
    pub(super) short: Decimal,
    /// Held more than one year.
    pub(super) long: Decimal,
}

/// The open lots of one symbol, oldest first, and their total cost basis.
#[derive(Debug, Clone, Default)]
pub(super) struct Lots {
    lots: VecDeque<Lot>,
    basis: Decimal,
}

/// Whether shares bought on `opened` and sold on `sold` were held more than one year.
fn is_long_term(opened: Date, sold: Date) -> bool {
    opened
        .checked_add(Span::new().years(1))
        .is_ok_and(|anniversary| sold > anniversary)
}

impl Lots {
    /// Total cost basis of the shares held.
    pub(super) fn basis(&self) -> Decimal {
        self.basis
    }

    /// Records a purchase of `quantity` shares costing `cost` (commission included); `None`
    /// when the basis overflows.
    pub(super) fn buy(&mut self, date: Date, quantity: Decimal, cost: Decimal) -> Option<()> {
        self.basis = self.basis.checked_add(cost)?;
        self.lots.push_back(Lot {
            date,
            quantity,
            cost,
        });
        Some(())
    }

    /// Sells `quantity` shares for net `proceeds` (commission deducted), oldest lots first.
    /// Never sells more than is held. `None` when an amount overflows.
    pub(super) fn sell(
        &mut self,
        date: Date,
        quantity: Decimal,
        proceeds: Decimal,
    ) -> Option<Realized> {
        let mut realized = Realized::default();
        let mut left = quantity;
        while left > Decimal::ZERO {
            let Some(lot) = self.lots.front_mut() else {
                break;
            };
            let take = left.min(lot.quantity);
            let cost = if take == lot.quantity {
                lot.cost
            } else {
                share(lot.cost, take, lot.quantity)?
            };
            let income = if take == quantity {
                proceeds
            } else {
                share(proceeds, take, quantity)?
            };
            let gain = income.checked_sub(cost)?;
            if is_long_term(lot.date, date) {
                realized.long = realized.long.checked_add(gain)?;
            } else {
                realized.short = realized.short.checked_add(gain)?;
            }
            lot.quantity -= take;
            lot.cost = lot.cost.checked_sub(cost)?;
            self.basis = self.basis.checked_sub(cost)?;
            left -= take;
            if lot.quantity.is_zero() {
                self.lots.pop_front();
            }
        }
        if self.lots.is_empty() {
            self.basis = Decimal::ZERO;
        }
        Some(realized)
    }
}

/// `amount × part / whole` (`part ≤ whole`): multiplied first, as always, unless that product
/// overflows while the share itself fits.
fn share(amount: Decimal, part: Decimal, whole: Decimal) -> Option<Decimal> {
    amount
        .checked_mul(part)
        .and_then(|x| x.checked_div(whole))
        .or_else(|| part.checked_div(whole)?.checked_mul(amount))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dec;
    use jiff::civil::date;

    #[test]
    fn fifo_splits_short_and_long_term() {
        let mut lots = Lots::default();
        lots.buy(date(2020, 1, 15), dec!(10), dec!(100)).unwrap();
        lots.buy(date(2020, 6, 1), dec!(10), dec!(150)).unwrap();
        // One year to the day is not more than a year: short term.
        let r = lots.sell(date(2021, 1, 15), dec!(5), dec!(100)).unwrap();
        assert_eq!(
            r,
            Realized {
                short: dec!(50),
                long: dec!(0)
            }
        );
        // 5 left of the first lot (long by now), then 5 of the second (short).
        let r = lots.sell(date(2021, 2, 1), dec!(10), dec!(300)).unwrap();
        assert_eq!(
            r,
            Realized {
                short: dec!(75),
                long: dec!(100)
            }
        );
        assert_eq!(lots.basis(), dec!(75));
    }

    #[test]
    fn leap_day_anniversary() {
        assert!(!is_long_term(date(2020, 2, 29), date(2021, 2, 28)));
        assert!(is_long_term(date(2020, 2, 29), date(2021, 3, 1)));
    }
}
