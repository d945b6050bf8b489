//! Tolerance bands: only assets outside their band trade; nothing outside, nothing trades.

use pbal_core::dec;
use pbal_core::{Bands, Destination, Holding, PlanOptions, Portfolio, Strategy, Targets, plan};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn ten(values: &[i64]) -> (Portfolio, Targets) {
    let holdings = values
        .iter()
        .enumerate()
        .map(|(i, &v)| Holding::new(format!("E{i}"), Decimal::from(v), dec!(1)).unwrap())
        .collect();
    let portfolio = Portfolio::new(holdings).unwrap();
    let targets = Targets::equal(portfolio.holdings().iter().map(|h| h.symbol.clone())).unwrap();
    (portfolio, targets)
}

fn bands(destination: Destination) -> PlanOptions {
    PlanOptions::new()
        .with_strategy(Strategy::Bands)
        .with_bands(Bands::default().with_destination(destination))
}

#[test]
fn five_twenty_five_trades_two_of_ten() {
    // Ten 10% targets: the band is ±2.5 pp. E0 at 13% and E1 at 7% are outside; the rest inside.
    let (p, t) = ten(&[1300, 700, 1000, 1000, 1000, 1000, 1020, 980, 1000, 1000]);
    let plan = plan(&p, &t, Decimal::ZERO, &bands(Destination::Target)).unwrap();
    let traded: Vec<(&str, Decimal)> = plan
        .trades
        .iter()
        .map(|t| (t.symbol.as_str(), t.quantity))
        .collect();
    assert_eq!(
        traded,
        vec![("E0", dec!(300)), ("E1", dec!(300))],
        "{plan:#?}"
    );
    let edge = pbal_core::plan(&p, &t, Decimal::ZERO, &bands(Destination::Edge)).unwrap();
    let traded: Vec<(&str, Decimal)> = edge
        .trades
        .iter()
        .map(|t| (t.symbol.as_str(), t.quantity))
        .collect();
    assert_eq!(
        traded,
        vec![("E0", dec!(50)), ("E1", dec!(50))],
        "{edge:#?}"
    );
    let half = pbal_core::plan(&p, &t, Decimal::ZERO, &bands(Destination::Half)).unwrap();
    let traded: Vec<(&str, Decimal)> = half
        .trades
        .iter()
        .map(|t| (t.symbol.as_str(), t.quantity))
        .collect();
    assert_eq!(
        traded,
        vec![("E0", dec!(175)), ("E1", dec!(175))],
        "{half:#?}"
    );
}

#[test]
fn nothing_outside_nothing_trades() {
    let (p, t) = ten(&[1200, 800, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000]);
    let plan = plan(&p, &t, Decimal::ZERO, &bands(Destination::Target)).unwrap();
    assert!(plan.within_bands && plan.trades.is_empty());
    // As a trigger for a full rebalance too.
    let options = PlanOptions::new()
        .with_strategy(Strategy::Full)
        .with_bands(Bands::default());
    let plan = pbal_core::plan(&p, &t, Decimal::ZERO, &options).unwrap();
    assert!(plan.within_bands && plan.trades.is_empty());
}

proptest! {
    #[test]
    fn band_plans_never_trade_inside_their_band(
        values in prop::collection::vec(100i64..=2_000, 2..=10),
        cash in 0i64..=2_000,
        destination in prop_oneof![Just(Destination::Target), Just(Destination::Edge), Just(Destination::Half)],
    ) {
        let (p, t) = ten(&values);
        let total: Decimal = p.total_value().unwrap() + Decimal::from(cash);
        let plan = plan(&p, &t, Decimal::from(cash), &bands(destination)).unwrap();
        let b = Bands::default();
        for trade in &plan.trades {
            let h = p.get(&trade.symbol).unwrap();
            let drift = (h.value / total - t.weight(&h.symbol)).abs();
            prop_assert!(drift > b.width(t.weight(&h.symbol)), "{} traded inside its band", h.symbol);
        }
        prop_assert!(plan.cash.left >= Decimal::ZERO);
    }
}
