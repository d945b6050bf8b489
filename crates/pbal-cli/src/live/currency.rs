//! Currency balances after the plan: a buy that would take a currency below zero borrows it
//! from IBKR at interest (margin accounts) or is refused (cash accounts). pbal shows it and
//! stops before placing anything, unless `--convert-currency` asks it to convert the missing
//! amount from the base currency first ([`conversions`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use pbal_core::Trade;
use pbal_ibkr::{CashBalance, Instrument};
use rust_decimal::Decimal;

/// One currency the plan would overdraw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shortfall {
    pub(crate) currency: String,
    /// Cash now.
    pub(crate) cash: Decimal,
    /// Cash after every planned sell and buy in that currency (negative).
    pub(crate) after: Decimal,
}

/// One currency's cash now, after the plan, and what the plan's buys spend of it (with their
/// commissions).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Balance {
    pub(crate) now: Decimal,
    pub(crate) after: Decimal,
    pub(crate) buys: Decimal,
}

/// The currencies whose balance the plan's trades and their commissions would take below
/// zero. Trades in an unknown currency count in `base`.
pub(crate) fn shortfalls(
    trades: &[Trade],
    instruments: &BTreeMap<String, Instrument>,
    cash: &[CashBalance],
    base: Option<&str>,
) -> anyhow::Result<Vec<Shortfall>> {
    Ok(balances(trades, instruments, cash, base)?
        .into_iter()
        .filter(|(_, b)| b.after.is_sign_negative() && !b.after.is_zero())
        .map(|(currency, b)| Shortfall {
            currency,
            cash: b.now,
            after: b.after,
        })
        .collect())
}

/// Every currency's balance now and after the plan's trades and commissions (local amounts).
pub(crate) fn balances(
    trades: &[Trade],
    instruments: &BTreeMap<String, Instrument>,
    cash: &[CashBalance],
    base: Option<&str>,
) -> anyhow::Result<BTreeMap<String, Balance>> {
    let mut by_currency: BTreeMap<String, Decimal> = BTreeMap::new();
    for c in cash.iter().filter(|c| c.currency != "BASE") {
        let entry = by_currency.entry(c.currency.clone()).or_default();
        *entry = entry
            .checked_add(c.amount)
            .ok_or_else(|| anyhow::anyhow!("the {} cash balances overflow", c.currency))?;
    }
    let flows = pbal_ibkr::CurrencyFlows::new(trades, instruments, &by_currency, base)?;
    Ok(flows
        .iter()
        .map(|(currency, f)| {
            let balance = Balance {
                now: f.cash,
                after: f.after(),
                buys: f.buys + f.buy_commissions,
            };
            (currency.to_owned(), balance)
        })
        .collect())
}

/// Margin over the missing amount a conversion buys: the rate moves between the plan and the
/// fill, and IBKR charges a commission. What is left over stays as cash in that currency.
const CONVERSION_MARGIN: Decimal = Decimal::from_parts(101, 0, 0, false, 2);

/// One currency conversion the plan needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Conversion {
    /// The currency converted into (the one the plan overdraws).
    pub(crate) to: String,
    /// The currency converted from (the base currency).
    pub(crate) from: String,
    /// What is missing in `to`.
    pub(crate) missing: Decimal,
    /// What the plan's buys spend of `to`: the ledger must show this much after the
    /// conversion before any buy is placed.
    pub(crate) buys: Decimal,
    /// The amount of `from` to convert (the order's `fxQty`): the missing amount and the margin
    /// at the approximate rate, rounded up to the cent.
    pub(crate) amount: Decimal,
    /// Approximate rate: units of `from` per unit of `to` (from the ledger's exchange rates).
    pub(crate) rate: Decimal,
}

/// The conversions from `from` that cover every shortfall, at the ledger's rates to the base
/// currency: each the missing amount plus a 1% margin, the margins scaled down to what `from`
/// has left after the plan (it may spend every unit of it). Refused when a rate is unknown, or
/// when `from` cannot pay even the missing amounts (converting would only move the overdraft).
pub(crate) fn conversions(
    shortfalls: &[Shortfall],
    balances: &BTreeMap<String, Balance>,
    from: &str,
    rates_to_base: &BTreeMap<String, Decimal>,
) -> anyhow::Result<Vec<Conversion>> {
    use rust_decimal::RoundingStrategy::{AwayFromZero, ToZero};
    let rate_of = |currency: &str| -> anyhow::Result<Decimal> {
        rates_to_base
            .get(currency)
            .copied()
            .filter(|r| *r > Decimal::ZERO)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "the ledger shows no exchange rate for {currency}, so pbal cannot size the \
                     conversion. Nothing was placed"
                )
            })
    };
    let overflow = || anyhow::anyhow!("the conversion amounts overflow");
    // (conversion with its bare amount, its margin)
    let mut planned: Vec<(Conversion, Decimal)> = Vec::new();
    for short in shortfalls {
        if short.currency == from {
            anyhow::bail!(
                "the plan overdraws {from}, the currency pbal would convert from. Nothing was \
                 placed"
            );
        }
        let missing = -short.after;
        let rate = rate_of(&short.currency)?
            .checked_div(rate_of(from)?)
            .ok_or_else(overflow)?;
        let bare = missing
            .checked_mul(rate)
            .ok_or_else(overflow)?
            .round_dp_with_strategy(2, AwayFromZero);
        let margin = bare
            .checked_mul(CONVERSION_MARGIN - Decimal::ONE)
            .ok_or_else(overflow)?
            .round_dp_with_strategy(2, AwayFromZero);
        planned.push((
            Conversion {
                to: short.currency.clone(),
                from: from.to_owned(),
                missing,
                buys: balances.get(&short.currency).map_or(missing, |b| b.buys),
                amount: bare,
                rate: rate.round_dp(6),
            },
            margin,
        ));
    }
    let sum = |f: &dyn Fn(&(Conversion, Decimal)) -> Decimal| {
        planned
            .iter()
            .try_fold(Decimal::ZERO, |total, c| total.checked_add(f(c)))
            .ok_or_else(overflow)
    };
    let needed = sum(&|(c, _)| c.amount)?;
    let margins = sum(&|(_, m)| *m)?;
    let spare = balances.get(from).map_or(Decimal::ZERO, |b| b.after);
    if needed > spare {
        anyhow::bail!(
            "converting {from} {} would take {from} below zero ({} after the plan). Nothing \
             was placed",
            needed.normalize(),
            spare.round_dp(2).normalize()
        );
    }
    let room = (spare - needed).min(margins);
    Ok(planned
        .into_iter()
        .map(|(mut c, margin)| {
            let share = margin
                .checked_mul(room)
                .and_then(|m| m.checked_div(margins))
                .unwrap_or(Decimal::ZERO)
                .round_dp_with_strategy(2, ToZero);
            c.amount += share;
            c
        })
        .collect())
}

/// The conversions, for the plan.
pub(crate) fn describe(conversions: &[(Conversion, String)]) -> String {
    let mut text =
        String::from("Currency conversions (--convert-currency), placed before the buys:");
    for (c, pair) in conversions {
        let _ = write!(
            text,
            "\n  convert {} {} to {} ({pair}, IDEALPRO): about {} {} at about {} {} per {}, for {} {} missing",
            c.from,
            c.amount.normalize(),
            c.to,
            c.to,
            c.amount
                .checked_div(c.rate)
                .map_or_else(|| "?".to_owned(), |a| a.round_dp(2).normalize().to_string()),
            c.rate.normalize(),
            c.from,
            c.to,
            c.to,
            c.missing.round_dp(2).normalize()
        );
    }
    text
}

/// The shortfalls in words.
pub(crate) fn explain(shortfalls: &[Shortfall]) -> String {
    let each: Vec<String> = shortfalls
        .iter()
        .map(|s| {
            format!(
                "{} {} now, {} after the plan",
                s.currency,
                s.cash.round_dp(2).normalize(),
                s.after.round_dp(2).normalize()
            )
        })
        .collect();
    format!(
        "the plan would take a currency balance below zero ({}): IBKR would lend the difference \
         at interest (or refuse it in a cash account). Run with --convert-currency to have pbal \
         convert it from the base currency first, or convert it yourself (Client Portal or TWS: \
         a conversion to it, e.g. the EUR.USD CASH pair), then run again",
        each.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use pbal_core::Side;
    use pbal_core::dec;

    use super::*;

    fn trade(symbol: &str, side: Side, quantity: Decimal, price: Decimal) -> Trade {
        Trade::new(symbol, side, quantity, price).unwrap()
    }

    #[test]
    fn a_buy_in_a_currency_without_cash_is_a_shortfall() {
        let eur = Instrument::new(Some("EUR".to_owned()), dec!(1.1), dec!(100));
        let instruments = BTreeMap::from([("EXS1".to_owned(), eur)]);
        let cash = vec![
            CashBalance::new(None, "USD", dec!(5000)),
            CashBalance::new(None, "EUR", dec!(150)),
        ];
        let trades = [
            trade("EXS1", Side::Buy, dec!(2), dec!(110)),
            trade("VTI", Side::Buy, dec!(10), dec!(290)),
        ];
        let found = shortfalls(&trades, &instruments, &cash, Some("USD")).unwrap();
        assert_eq!(
            found,
            [Shortfall {
                currency: "EUR".to_owned(),
                cash: dec!(150),
                after: dec!(-50),
            }]
        );
        assert!(explain(&found).contains("EUR 150 now, -50 after the plan"));
        // A sell in the currency pays for it.
        let with_sell = [
            trades[0].clone(),
            trade("EXS1", Side::Sell, dec!(1), dec!(110)),
        ];
        assert!(
            shortfalls(&with_sell, &instruments, &cash, Some("USD"))
                .unwrap()
                .is_empty()
        );
        // Its commission is paid in EUR too: 0.50 EUR more than the cash leaves it short.
        let mut exact = trade("EXS1", Side::Buy, dec!(1), dec!(110));
        exact.commission = dec!(0.55);
        let found = shortfalls(&[exact], &instruments, &cash, Some("USD")).unwrap();
        assert!(found.is_empty(), "{found:?}");
        let mut over = trade("EXS1", Side::Buy, dec!(1.5), dec!(110));
        over.commission = dec!(0.55);
        let found = shortfalls(&[over], &instruments, &cash, Some("USD")).unwrap();
        assert_eq!(found[0].after, dec!(-0.50));
    }

    #[test]
    fn conversions_cover_the_missing_amount_with_a_margin_the_base_can_spare() {
        let short = [Shortfall {
            currency: "EUR".to_owned(),
            cash: dec!(0),
            after: dec!(-100),
        }];
        let rates = BTreeMap::from([("EUR".to_owned(), dec!(1.1)), ("USD".to_owned(), dec!(1))]);
        let balances = |usd_after: Decimal| {
            BTreeMap::from([
                (
                    "EUR".to_owned(),
                    Balance {
                        now: dec!(0),
                        after: dec!(-100),
                        buys: dec!(100),
                    },
                ),
                (
                    "USD".to_owned(),
                    Balance {
                        now: dec!(1000),
                        after: usd_after,
                        buys: dec!(0),
                    },
                ),
            ])
        };
        let plenty = conversions(&short, &balances(dec!(500)), "USD", &rates).unwrap();
        assert_eq!(plenty.len(), 1);
        assert_eq!(
            (plenty[0].amount, plenty[0].rate, plenty[0].buys),
            (dec!(111.10), dec!(1.1), dec!(100))
        );
        // The plan spends the rest of the USD: the margin shrinks to what is left.
        let tight = conversions(&short, &balances(dec!(110.5)), "USD", &rates).unwrap();
        assert_eq!(tight[0].amount, dec!(110.5));
        let err = conversions(&short, &balances(dec!(100)), "USD", &rates).unwrap_err();
        assert!(
            err.to_string().contains("would take USD below zero"),
            "{err}"
        );
        let err = conversions(&short, &balances(dec!(500)), "USD", &BTreeMap::new()).unwrap_err();
        assert!(
            err.to_string().contains("no exchange rate for EUR"),
            "{err}"
        );
    }
}
