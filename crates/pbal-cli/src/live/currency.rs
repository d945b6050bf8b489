//! Currency balances after the plan: a buy that would take a currency below zero borrows it
//! from IBKR at interest (margin accounts) or is refused (cash accounts). pbal shows it and
//! stops before placing anything; converting is the user's decision.

use std::collections::BTreeMap;

use pbal_core::{Side, Trade};
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

/// The currencies whose balance the plan's trades would take below zero. Trades in an
/// unknown currency count in `base`.
pub(crate) fn shortfalls(
    trades: &[Trade],
    instruments: &BTreeMap<String, Instrument>,
    cash: &[CashBalance],
    base: Option<&str>,
) -> Vec<Shortfall> {
    let mut balances: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    for c in cash.iter().filter(|c| c.currency != "BASE") {
        let entry = balances.entry(c.currency.clone()).or_default();
        entry.0 = entry.0.checked_add(c.amount).unwrap_or(entry.0);
        entry.1 = entry.0;
    }
    for trade in trades {
        let instrument = instruments.get(&trade.symbol);
        let Some(currency) = instrument
            .and_then(|i| i.currency.clone())
            .or_else(|| base.map(str::to_owned))
        else {
            continue;
        };
        let price = instrument.map_or(trade.price, |i| i.local_price);
        let Some(local) = trade.quantity.checked_mul(price) else {
            continue;
        };
        let entry = balances.entry(currency).or_default();
        entry.1 = match trade.side {
            Side::Buy => entry.1.checked_sub(local),
            Side::Sell => entry.1.checked_add(local),
        }
        .unwrap_or(entry.1);
    }
    balances
        .into_iter()
        .filter(|(_, (_, after))| after.is_sign_negative() && !after.is_zero())
        .map(|(currency, (cash, after))| Shortfall {
            currency,
            cash,
            after,
        })
        .collect()
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
         at interest (or refuse it in a cash account). Convert the currency first (Client Portal \
         or TWS: a conversion to it, e.g. the EUR.USD CASH pair), then run again",
        each.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use rust_decimal::dec;

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
        let found = shortfalls(&trades, &instruments, &cash, Some("USD"));
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
        assert!(shortfalls(&with_sell, &instruments, &cash, Some("USD")).is_empty());
    }
}
