//! `CurrencyFlows`: each currency's needs count its orders and commissions, and the suggested
//! conversions cover every shortfall without taking any source below zero.

use std::collections::BTreeMap;

use pbal_core::{Side, Trade, dec};
use pbal_ibkr::{CurrencyFlows, Instrument, OrderFigures};
use proptest::prelude::*;
use rust_decimal::Decimal;

const CURRENCIES: [(&str, Decimal); 4] = [
    ("EUR", dec!(1)),
    ("USD", dec!(0.92)),
    ("CAD", dec!(0.68)),
    ("JPY", dec!(0.0061)),
];

fn cents(n: u32) -> Decimal {
    Decimal::new(i64::from(n), 2)
}

/// One fund's order: buy (else sell), quantity, price in cents, commission in base cents.
type Order = (bool, u32, u32, u32);

/// A EUR account with a fund in each currency: its order, and the cash in each currency.
fn scenario() -> impl Strategy<Value = (Vec<Order>, Vec<u32>)> {
    (
        proptest::collection::vec((any::<bool>(), 0u32..200, 100u32..50_000, 0u32..500), 4),
        proptest::collection::vec(0u32..2_000_000, 4),
    )
}

fn flows(orders: &[Order], cash: &[u32]) -> CurrencyFlows {
    let mut instruments = BTreeMap::new();
    let mut trades = Vec::new();
    for (i, ((currency, rate), (buy, quantity, price, commission))) in
        CURRENCIES.iter().zip(orders).enumerate()
    {
        let symbol = format!("F{i}");
        let local = cents(*price);
        instruments.insert(
            symbol.clone(),
            Instrument::new(Some((*currency).to_owned()), *rate, local),
        );
        if *quantity == 0 {
            continue;
        }
        let side = if *buy { Side::Buy } else { Side::Sell };
        let mut t = Trade::new(symbol, side, Decimal::from(*quantity), local * rate).unwrap();
        t.commission = cents(*commission);
        trades.push(t);
    }
    let cash = CURRENCIES
        .iter()
        .zip(cash)
        .map(|((c, _), amount)| ((*c).to_owned(), cents(*amount)))
        .collect();
    CurrencyFlows::new(&trades, &instruments, &cash, Some("EUR")).unwrap()
}

proptest! {
    #[test]
    fn conversions_cover_shortfalls_from_what_others_spare(
        (orders, cash) in scenario()
    ) {
        let flows = flows(&orders, &cash);
        let conversions = flows.conversions();
        // A currency without a rate (cash, no orders) cannot be sized as a source.
        let rate = |c: &str| flows.get(c).unwrap().rate_to_base.unwrap_or_default();
        let minor = |c: &str| Decimal::new(1, pbal_ibkr::currency_decimals(c));
        for (currency, flow) in flows.iter() {
            // Cash after = cash + sells − buys − commissions (converted at the fund's rate).
            let bought: Decimal = conversions
                .each
                .iter()
                .filter(|c| c.to == currency)
                .map(|c| c.amount)
                .sum();
            let uncovered = conversions.uncovered.get(currency).copied().unwrap_or_default();
            prop_assert_eq!(bought + uncovered, flow.shortfall(), "{}", currency);
            // What a currency gives never exceeds what it spares (one minor unit of rounding
            // up per conversion).
            let given: Vec<_> = conversions.each.iter().filter(|c| c.from == currency).collect();
            if !given.is_empty() {
                let total: Decimal = given.iter().map(|c| c.from_amount).sum();
                let slack = minor(currency) * Decimal::from(given.len());
                prop_assert!(total <= flow.after() + slack, "{} gives {} of {}", currency, total, flow.after());
                prop_assert!(flow.shortfall().is_zero());
            }
            // Something stays uncovered only when no other currency has anything left.
            if !uncovered.is_zero() {
                let left: Decimal = flows
                    .iter()
                    .filter(|(c, _)| *c != currency)
                    .map(|(c, f)| {
                        let given: Decimal = conversions
                            .each
                            .iter()
                            .filter(|x| x.from == c)
                            .map(|x| x.from_amount)
                            .sum();
                        (f.after() - given).max(Decimal::ZERO) * rate(c)
                    })
                    .sum();
                prop_assert!(left < uncovered * rate(currency) + dec!(0.05), "{} left elsewhere", left);
            }
        }
    }
}

proptest! {
    /// The flows as shown are each order's figures summed, and they never show less need than
    /// the exact flows: a conversion sized from what is printed covers the orders.
    #[test]
    fn shown_flows_sum_the_orders_and_cover_the_exact_need(
        orders in proptest::collection::vec(
            (any::<bool>(), 0u32..200, 1u32..5_000_000, 0u32..50_000, 0usize..4),
            1..8,
        ),
        cash in proptest::collection::vec(0u32..2_000_000, 4),
    ) {
        let mut instruments = BTreeMap::new();
        let mut trades = Vec::new();
        // Prices and commissions with sub-cent digits (1/10,000).
        for (i, (buy, quantity, price, commission, market)) in orders.iter().enumerate() {
            let (currency, rate) = CURRENCIES[*market];
            let symbol = format!("F{i}");
            let local = Decimal::new(i64::from(*price), 4);
            let instrument = Instrument::new(Some(currency.to_owned()), rate, local);
            instruments.insert(symbol.clone(), instrument);
            let side = if *buy { Side::Buy } else { Side::Sell };
            let mut t = Trade::new(symbol, side, Decimal::from(*quantity), local * rate).unwrap();
            t.commission = Decimal::new(i64::from(*commission), 4);
            trades.push(t);
        }
        let cash: BTreeMap<String, Decimal> = CURRENCIES
            .iter()
            .zip(&cash)
            .map(|((c, _), amount)| ((*c).to_owned(), Decimal::new(i64::from(*amount), 3)))
            .collect();
        let exact = CurrencyFlows::new(&trades, &instruments, &cash, Some("EUR")).unwrap();
        let shown = exact.rounded();
        for (currency, flow) in shown.iter() {
            let (mut buys, mut sells, mut commissions) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
            for t in &trades {
                let instrument = &instruments[&t.symbol];
                if instrument.currency.as_deref() != Some(currency) {
                    continue;
                }
                let f = OrderFigures::new(t.side, t.quantity, t.price, t.commission, Some(instrument), Some("EUR")).unwrap();
                match t.side {
                    Side::Buy => buys += f.amount,
                    Side::Sell => sells += f.amount,
                }
                commissions += f.commission;
            }
            prop_assert_eq!((flow.buys, flow.sells, flow.commissions()), (buys, sells, commissions));
            let exact_short = exact.get(currency).unwrap().shortfall();
            prop_assert!(flow.shortfall() >= exact_short, "{}: {} < {}", currency, flow.shortfall(), exact_short);
            let again = shown.rounded();
            prop_assert_eq!(again.get(currency), Some(flow));
        }
    }
}

#[test]
fn commissions_are_charged_in_the_order_currency() {
    // 10 CAD-listed shares at 30 CAD, commission 0.68 EUR = 1 CAD; no CAD cash.
    let flows = flows(
        &[
            (true, 0, 100, 0),
            (true, 0, 100, 0),
            (true, 10, 3000, 68),
            (true, 0, 100, 0),
        ],
        &[100_000, 0, 0, 0],
    );
    let cad = flows.get("CAD").unwrap();
    assert_eq!((cad.buys, cad.commissions()), (dec!(300.00), dec!(1)));
    assert_eq!(cad.shortfall(), dec!(301.00));
    let c = &flows.conversions().each[0];
    assert_eq!((c.from.as_str(), c.from_amount), ("EUR", dec!(204.68)));
}
