//! What a plan does to each currency's cash: IBKR settles a trade and charges its commission
//! in the instrument's trading currency, so a plan that fits the account's total cash can
//! still take one currency below zero (a margin loan, or a refusal in a cash account).

use std::collections::BTreeMap;

use pbal_core::{Side, Trade};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::{Error, Instrument, currency_decimals};

/// One currency's cash and the plan's trades in it, all in that currency and exact (round
/// for display: [`shortfall`](Self::shortfall) up).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CurrencyFlow {
    /// The currency's ISO code.
    pub currency: String,
    /// Cash in it now.
    pub cash: Decimal,
    /// What the plan's buys in it cost.
    pub buys: Decimal,
    /// What the plan's sells in it bring.
    pub sells: Decimal,
    /// Estimated commissions of the buys.
    pub buy_commissions: Decimal,
    /// Estimated commissions of the sells.
    pub sell_commissions: Decimal,
    /// Units of base currency per unit of this one (1 for the base); `None` when no instrument
    /// trading in it says.
    pub rate_to_base: Option<Decimal>,
}

impl CurrencyFlow {
    /// Commissions of all the plan's orders in this currency.
    pub fn commissions(&self) -> Decimal {
        self.buy_commissions + self.sell_commissions
    }

    /// Cash after every order in this currency and its commission.
    pub fn after(&self) -> Decimal {
        self.cash + self.sells - self.buys - self.commissions()
    }

    /// What is missing for the plan (zero when the currency covers its orders), rounded up
    /// to the currency's minor unit: converting it covers the orders.
    pub fn shortfall(&self) -> Decimal {
        (-self.after()).max(Decimal::ZERO).round_dp_with_strategy(
            currency_decimals(&self.currency),
            RoundingStrategy::AwayFromZero,
        )
    }

    /// Whether the plan trades in this currency.
    pub fn trades(&self) -> bool {
        !(self.buys.is_zero() && self.sells.is_zero())
    }
}

/// A conversion that covers one currency's shortfall.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConversionHint {
    /// The currency converted from: the one with the most to spare after its own orders.
    pub from: String,
    /// About how much of `from` that takes, at the export's rates (`None`: a rate is unknown).
    pub from_amount: Option<Decimal>,
}

/// Every currency's [`CurrencyFlow`] under a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CurrencyFlows {
    flows: BTreeMap<String, CurrencyFlow>,
}

impl CurrencyFlows {
    /// The flows of `trades` (their commissions are in base currency, as the plan counts them)
    /// against `cash` per currency. A trade's currency is its instrument's, else `base`; a
    /// trade with neither is left out. Errors only when amounts overflow.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use pbal_core::{Side, Trade, dec};
    /// use pbal_ibkr::{CurrencyFlows, Instrument};
    ///
    /// // A USD fund in a EUR account: 10 shares at 100 USD (92 EUR), commission 0.92 EUR.
    /// let mut buy = Trade::new("SPY", Side::Buy, dec!(10), dec!(92)).unwrap();
    /// buy.commission = dec!(0.92);
    /// let spy = Instrument::new(Some("USD".into()), dec!(0.92), dec!(100));
    /// let instruments = BTreeMap::from([("SPY".to_owned(), spy)]);
    /// let cash = BTreeMap::from([("EUR".to_owned(), dec!(2000)), ("USD".to_owned(), dec!(500))]);
    ///
    /// let flows = CurrencyFlows::new(&[buy], &instruments, &cash, Some("EUR")).unwrap();
    /// let usd = flows.get("USD").unwrap();
    /// assert_eq!((usd.buys, usd.buy_commissions), (dec!(1000), dec!(1.00)));
    /// assert_eq!(usd.shortfall(), dec!(501.00));
    /// let hint = flows.conversion_hint("USD").unwrap();
    /// assert_eq!((hint.from.as_str(), hint.from_amount), ("EUR", Some(dec!(460.92))));
    /// ```
    pub fn new(
        trades: &[Trade],
        instruments: &BTreeMap<String, Instrument>,
        cash: &BTreeMap<String, Decimal>,
        base: Option<&str>,
    ) -> Result<Self, Error> {
        let overflow = |t: &Trade| {
            Error::Plan(pbal_core::Error::ValueOverflow {
                symbol: t.symbol.clone(),
                quantity: t.quantity,
                price: t.price,
            })
        };
        let mut flows: BTreeMap<String, CurrencyFlow> = cash
            .iter()
            .filter(|(c, _)| c.as_str() != "BASE")
            .map(|(c, amount)| {
                let flow = CurrencyFlow {
                    currency: c.clone(),
                    cash: *amount,
                    rate_to_base: (Some(c.as_str()) == base).then_some(Decimal::ONE),
                    ..CurrencyFlow::default()
                };
                (c.clone(), flow)
            })
            .collect();
        for t in trades {
            let instrument = instruments.get(&t.symbol);
            let Some(currency) = instrument.and_then(|i| i.currency.as_deref()).or(base) else {
                continue;
            };
            // Exact amounts: the plan spends the cash to the last fraction of a cent, so
            // rounding each order would report shortfalls that are not there.
            let (price, rate) = instrument
                .filter(|i| i.fx_rate_to_base > Decimal::ZERO)
                .map_or((t.price, Decimal::ONE), |i| {
                    (i.local_price, i.fx_rate_to_base)
                });
            let amount = t.quantity.checked_mul(price).ok_or_else(|| overflow(t))?;
            let commission = t.commission.checked_div(rate).ok_or_else(|| overflow(t))?;
            let flow = flows
                .entry(currency.to_owned())
                .or_insert_with(|| CurrencyFlow {
                    currency: currency.to_owned(),
                    ..CurrencyFlow::default()
                });
            flow.rate_to_base.get_or_insert(rate);
            let (total, fees) = match t.side {
                Side::Buy => (&mut flow.buys, &mut flow.buy_commissions),
                Side::Sell => (&mut flow.sells, &mut flow.sell_commissions),
            };
            *total = total.checked_add(amount).ok_or_else(|| overflow(t))?;
            *fees = fees.checked_add(commission).ok_or_else(|| overflow(t))?;
        }
        // The base currency is always a source to convert from, with cash or without.
        if let Some(base) = base {
            flows
                .entry(base.to_owned())
                .or_insert_with(|| CurrencyFlow {
                    currency: base.to_owned(),
                    ..CurrencyFlow::default()
                })
                .rate_to_base = Some(Decimal::ONE);
        }
        Ok(Self { flows })
    }

    /// One currency's flow.
    pub fn get(&self, currency: &str) -> Option<&CurrencyFlow> {
        self.flows.get(currency)
    }

    /// Every currency with cash or trades, and the base, by code.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &CurrencyFlow)> {
        self.flows.iter().map(|(c, f)| (c.as_str(), f))
    }

    /// Where `currency`'s shortfall can come from: the other currency with the most to spare
    /// after its own orders (in base-currency terms), among those whose rate is known. `None`
    /// when nothing is short or no other currency qualifies.
    pub fn conversion_hint(&self, currency: &str) -> Option<ConversionHint> {
        let short = self.flows.get(currency)?.shortfall();
        if short.is_zero() {
            return None;
        }
        let spare = |f: &CurrencyFlow| {
            f.rate_to_base
                .and_then(|r| f.after().checked_mul(r))
                .unwrap_or(Decimal::MIN)
        };
        let (from, source) = self
            .flows
            .iter()
            .filter(|(c, f)| c.as_str() != currency && f.rate_to_base.is_some())
            .max_by_key(|(_, f)| spare(f))?;
        let rate = self.flows.get(currency).and_then(|f| f.rate_to_base);
        let from_amount = rate
            .zip(source.rate_to_base)
            .and_then(|(to, from)| short.checked_mul(to)?.checked_div(from))
            .map(|a| {
                a.round_dp_with_strategy(currency_decimals(from), RoundingStrategy::AwayFromZero)
            });
        Some(ConversionHint {
            from: from.clone(),
            from_amount,
        })
    }
}
