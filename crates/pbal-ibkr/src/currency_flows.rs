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
    /// The same flows summed from each order's [`OrderFigures`] (what [`Self::rounded`] gives).
    shown: BTreeMap<String, CurrencyFlow>,
}

/// One order's money as pbal shows it, each figure rounded once to its currency's minor unit.
/// In the order's own currency, against the account: a buy's amount up, a sell's down, the
/// commission up (as IBKR charges it), so that a currency's shortfall summed from them covers
/// the exact one. A foreign order's base-currency equivalents ("about …") to the nearest
/// minor unit (half to even); an order in the base currency has no other figures than its
/// own. Every total pbal prints (a currency's buys and sells, the cash line's spent, received
/// and commission) is a sum of these, so the printed figures add up.
///
/// ```
/// use pbal_core::{Side, dec};
/// use pbal_ibkr::{Instrument, OrderFigures};
/// // 3 shares at 33.3335 USD in a EUR account (0.92 EUR per USD), commission 0.9236 EUR.
/// let spy = Instrument::new(Some("USD".into()), dec!(0.92), dec!(33.3335));
/// let buy = OrderFigures::new(Side::Buy, dec!(3), dec!(30.66682), dec!(0.9236), Some(&spy), Some("EUR"))
///     .unwrap();
/// assert_eq!((buy.amount, buy.commission), (dec!(100.01), dec!(1.01))); // 100.0005, 1.00391
/// assert_eq!((buy.base_amount, buy.base_commission), (dec!(92.00), dec!(0.92))); // 92.00046
/// let sell = OrderFigures::new(Side::Sell, dec!(3), dec!(30.66682), dec!(0.9236), Some(&spy), Some("EUR"))
///     .unwrap();
/// assert_eq!((sell.amount, sell.base_amount), (dec!(100.00), dec!(92.00)));
/// // In the base currency: the own figures.
/// let eur = Instrument::new(Some("EUR".into()), dec!(1), dec!(33.3335));
/// let buy = OrderFigures::new(Side::Buy, dec!(3), dec!(33.3335), dec!(0.9236), Some(&eur), Some("EUR"))
///     .unwrap();
/// assert_eq!((buy.base_amount, buy.base_commission), (dec!(100.01), dec!(0.93)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrderFigures {
    /// The amount in the order's currency.
    pub amount: Decimal,
    /// The estimated commission in the order's currency.
    pub commission: Decimal,
    /// The amount in the base currency.
    pub base_amount: Decimal,
    /// The estimated commission in the base currency.
    pub base_commission: Decimal,
    /// The order trades in another currency than the base (or at a rate other than 1): its
    /// base figures are equivalents, not its own.
    pub foreign: bool,
}

impl OrderFigures {
    /// The figures of an order of `quantity` at `base_price` (base currency) paying
    /// `base_commission` (the plan's exact estimate, base currency), for `instrument` (its
    /// currency, local price and rate) in an account whose base is `base`. `None` when an
    /// amount overflows.
    pub fn new(
        side: Side,
        quantity: Decimal,
        base_price: Decimal,
        base_commission: Decimal,
        instrument: Option<&Instrument>,
        base: Option<&str>,
    ) -> Option<Self> {
        use RoundingStrategy::{AwayFromZero, ToNegativeInfinity};
        let currency = instrument.and_then(|i| i.currency.as_deref()).or(base);
        let decimals = |c: Option<&str>| c.map_or(2, currency_decimals);
        let against = |d: Decimal, dp: u32| match side {
            Side::Buy => d.round_dp_with_strategy(dp, AwayFromZero),
            Side::Sell => d.round_dp_with_strategy(dp, ToNegativeInfinity),
        };
        let up = |d: Decimal, dp: u32| d.round_dp_with_strategy(dp, AwayFromZero);
        let price = instrument.map_or(base_price, |i| i.local_price);
        let rate = instrument
            .map(|i| i.fx_rate_to_base)
            .filter(|r| *r > Decimal::ZERO)
            .unwrap_or(Decimal::ONE);
        let amount = against(quantity.checked_mul(price)?, decimals(currency));
        let commission = up(base_commission.checked_div(rate)?, decimals(currency));
        let foreign = matches!((currency, base), (Some(c), Some(b)) if c != b)
            || instrument.is_some_and(|i| i.fx_rate_to_base != Decimal::ONE);
        if !foreign {
            return Some(Self {
                amount,
                commission,
                base_amount: amount,
                base_commission: commission,
                foreign,
            });
        }
        Some(Self {
            amount,
            commission,
            base_amount: quantity.checked_mul(base_price)?.round_dp(decimals(base)),
            base_commission: base_commission.round_dp(decimals(base)),
            foreign,
        })
    }
}

impl CurrencyFlows {
    /// The flows of `trades` (their commissions are in base currency, as the plan counts them)
    /// against `cash` per currency. A trade's currency is its instrument's, else `base`; a
    /// trade with neither is left out.
    ///
    /// # Errors
    /// [`Error::Plan`] with [`pbal_core::Error::ValueOverflow`] for the trade whose amount or
    /// commission (in its currency or as shown), or whose addition to its currency's totals,
    /// does not fit a [`Decimal`].
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
        let mut shown = flows.clone();
        for flow in shown.values_mut() {
            flow.cash = flow.cash.round_dp_with_strategy(
                currency_decimals(&flow.currency),
                RoundingStrategy::ToNegativeInfinity,
            );
        }
        for t in trades {
            let instrument = instruments.get(&t.symbol);
            let Some(currency) = instrument.and_then(|i| i.currency.as_deref()).or(base) else {
                continue;
            };
            // Exact amounts for the plan's own figures: it spends the cash to the last
            // fraction of a cent. The shown ones are each order's figures as printed.
            let (price, rate) = instrument
                .filter(|i| i.fx_rate_to_base > Decimal::ZERO)
                .map_or((t.price, Decimal::ONE), |i| {
                    (i.local_price, i.fx_rate_to_base)
                });
            let amount = t.quantity.checked_mul(price).ok_or_else(|| overflow(t))?;
            let commission = t.commission.checked_div(rate).ok_or_else(|| overflow(t))?;
            let figures =
                OrderFigures::new(t.side, t.quantity, t.price, t.commission, instrument, base)
                    .ok_or_else(|| overflow(t))?;
            for (flows, amount, commission) in [
                (&mut flows, amount, commission),
                (&mut shown, figures.amount, figures.commission),
            ] {
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
        }
        for flows in [&mut flows, &mut shown] {
            // A currency held but not traded (cash in it, or a position without orders) still
            // has its rate from any instrument trading in it: it can then be converted from.
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
        }
        Ok(Self { flows, shown })
    }

    /// The flows as pbal shows them: each order's amount and commission rounded once to its
    /// currency's minor unit against the account ([`OrderFigures`]: buys and commissions up,
    /// sells down), then summed, and the cash rounded down. The printed figures add up (a
    /// currency's buys are the sum of its printed buy orders), and their shortfalls (and
    /// conversions) cover the exact ones.
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
    /// let flows = CurrencyFlows::new(&[buy.clone(), buy], &instruments, &cash, Some("USD")).unwrap();
    /// let usd = flows.rounded().get("USD").unwrap().clone();
    /// // Each buy is 350.0105, shown as 350.02: two are 700.04 (not 700.021 rounded up).
    /// assert_eq!((usd.buys, usd.commissions(), usd.cash), (dec!(700.04), dec!(2.12), dec!(300.00)));
    /// assert_eq!(usd.shortfall(), dec!(402.16)); // 700.04 + 2.12 − 300.00
    /// ```
    #[must_use]
    pub fn rounded(&self) -> CurrencyFlows {
        CurrencyFlows {
            flows: self.shown.clone(),
            shown: self.shown.clone(),
        }
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
