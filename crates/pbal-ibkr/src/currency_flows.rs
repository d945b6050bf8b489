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
    /// let conversions = flows.conversions();
    /// let c = &conversions.each[0];
    /// assert_eq!((c.amount, c.from.as_str(), c.from_amount), (dec!(501.00), "EUR", dec!(460.92)));
    /// assert!(conversions.uncovered.is_empty());
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
        // A currency held but not traded (cash in it, or a position without orders) still has
        // its rate from any instrument trading in it: it can then be converted from.
        for flow in flows.values_mut().filter(|f| f.rate_to_base.is_none()) {
            flow.rate_to_base = instruments
                .values()
                .find(|i| {
                    i.currency.as_deref() == Some(flow.currency.as_str())
                        && i.fx_rate_to_base > Decimal::ZERO
                })
                .map(|i| i.fx_rate_to_base);
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

    /// The flows to each currency's minor unit, every figure rounded against the account:
    /// buys and commissions up, sells and cash down. The rounded figures add up as printed,
    /// and their shortfalls (and conversions) cover the exact ones.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use pbal_core::{Side, Trade, dec};
    /// use pbal_ibkr::{CurrencyFlows, Instrument};
    ///
    /// let mut buy = Trade::new("VTI", Side::Buy, dec!(3.5), dec!(100.003)).unwrap();
    /// buy.commission = dec!(1.0515);
    /// let instruments = BTreeMap::from([(
    ///     "VTI".to_owned(),
    ///     Instrument::new(Some("USD".into()), dec!(1), dec!(100.003)),
    /// )]);
    /// let cash = BTreeMap::from([("USD".to_owned(), dec!(300.009))]);
    /// let flows = CurrencyFlows::new(&[buy], &instruments, &cash, Some("USD")).unwrap();
    /// let usd = flows.rounded().get("USD").unwrap().clone();
    /// assert_eq!((usd.buys, usd.commissions(), usd.cash), (dec!(350.02), dec!(1.06), dec!(300.00)));
    /// assert_eq!(usd.shortfall(), dec!(51.08)); // 350.02 + 1.06 − 300.00
    /// ```
    #[must_use]
    pub fn rounded(&self) -> CurrencyFlows {
        use RoundingStrategy::{AwayFromZero, ToNegativeInfinity};
        let flows = self
            .flows
            .iter()
            .map(|(c, f)| {
                let dp = currency_decimals(c);
                let up = |d: Decimal| d.round_dp_with_strategy(dp, AwayFromZero);
                let down = |d: Decimal| d.round_dp_with_strategy(dp, ToNegativeInfinity);
                let rounded = CurrencyFlow {
                    currency: c.clone(),
                    cash: down(f.cash),
                    buys: up(f.buys),
                    sells: down(f.sells),
                    buy_commissions: up(f.buy_commissions),
                    sell_commissions: up(f.sell_commissions),
                    rate_to_base: f.rate_to_base,
                };
                (c.clone(), rounded)
            })
            .collect();
        CurrencyFlows { flows }
    }

    /// One currency's flow.
    pub fn get(&self, currency: &str) -> Option<&CurrencyFlow> {
        self.flows.get(currency)
    }

    /// Every currency with cash or trades, and the base, by code.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &CurrencyFlow)> {
        self.flows.iter().map(|(c, f)| (c.as_str(), f))
    }

    /// The conversions that cover every currency's shortfall from what the others have to
    /// spare after their own orders, at the export's rates: each short currency (by code) takes
    /// from the currency with the most to spare first (in base-currency terms), then the next,
    /// so that no conversion takes its source below zero. A currency with no known rate can be
    /// neither sized nor a source; what cannot be covered is [`Conversions::uncovered`].
    pub fn conversions(&self) -> Conversions {
        let mut spare: BTreeMap<&str, Decimal> = self
            .flows
            .iter()
            .filter_map(|(c, f)| {
                let value = f.after().checked_mul(f.rate_to_base?)?;
                (value > Decimal::ZERO).then_some((c.as_str(), value))
            })
            .collect();
        let mut out = Conversions::default();
        for (currency, flow) in &self.flows {
            let short = flow.shortfall();
            if short.is_zero() {
                continue;
            }
            let Some(rate) = flow.rate_to_base else {
                out.uncovered.insert(currency.clone(), short);
                continue;
            };
            let mut missing = short;
            while missing > Decimal::ZERO {
                let Some((from, available)) = spare
                    .iter()
                    .filter(|(c, v)| **c != currency.as_str() && **v > Decimal::ZERO)
                    .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                    .map(|(c, v)| (*c, *v))
                else {
                    break;
                };
                let Some(from_rate) = self.flows.get(from).and_then(|f| f.rate_to_base) else {
                    break;
                };
                let Some(needed) = missing.checked_mul(rate) else {
                    break;
                };
                let (amount, taken) = if needed <= available {
                    (missing, needed)
                } else {
                    let Some(part) = available.checked_div(rate) else {
                        break;
                    };
                    let part = part.round_dp_with_strategy(
                        currency_decimals(currency),
                        RoundingStrategy::ToZero,
                    );
                    (part, available)
                };
                spare.insert(from, Decimal::ZERO.max(available - taken));
                if amount.is_zero() {
                    continue;
                }
                let Some(from_amount) = taken.checked_div(from_rate) else {
                    break;
                };
                let from_amount = from_amount.round_dp_with_strategy(
                    currency_decimals(from),
                    RoundingStrategy::AwayFromZero,
                );
                out.each.push(Conversion {
                    to: currency.clone(),
                    amount,
                    from: from.to_owned(),
                    from_amount,
                });
                missing -= amount;
            }
            if missing > Decimal::ZERO {
                out.uncovered.insert(currency.clone(), missing);
            }
        }
        out
    }
}

/// One conversion of [`CurrencyFlows::conversions`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Conversion {
    /// The currency converted into.
    pub to: String,
    /// How much of `to` it brings.
    pub amount: Decimal,
    /// The currency converted from.
    pub from: String,
    /// About how much of `from` it takes (rounded up).
    pub from_amount: Decimal,
}

/// The conversions that cover the plan's shortfalls, and what they cannot cover.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Conversions {
    /// By currency converted into, then by source.
    pub each: Vec<Conversion>,
    /// Per currency, what no other currency can spare (deposit it, or sell more).
    pub uncovered: BTreeMap<String, Decimal>,
}
