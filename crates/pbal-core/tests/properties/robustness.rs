//! No input makes the public API panic: absurd amounts (up to `Decimal::MAX`, down to 1e-28,
//! negative, zero) give errors or results, never a panic. proptest turns a panic into a failure.

use std::collections::BTreeMap;

use jiff::civil::date;
use pbal_core::{
    Commission, Holding, Lot, LotOrder, PastTrade, PlanOptions, Portfolio, Side, Strategy, Targets,
    Trade, WashSaleGuard, audit, audit_split, plan, realize, split_amount, split_by_account,
    substitute_blocked,
};
use proptest::prelude::{Just, ProptestConfig, prop_assert_eq, prop_oneof, proptest};
use proptest::strategy::Strategy as _;
use rust_decimal::Decimal;

/// Ordinary values and the extremes of `Decimal`.
fn amount() -> impl proptest::strategy::Strategy<Value = Decimal> {
    prop_oneof![
        Just(Decimal::ZERO),
        Just(Decimal::ONE),
        Just(Decimal::MAX),
        Just(Decimal::MIN),
        Just(Decimal::MAX / Decimal::TWO),
        Just(Decimal::new(1, 28)),
        Just(Decimal::new(-1, 28)),
        Just(Decimal::new(10_000_000_000_000, 0)),
        Just(Decimal::new(10_000_000_000_001, 0)),
        (-1_000_000i64..1_000_000).prop_map(|c| Decimal::new(c, 2)),
    ]
}

fn lot() -> impl proptest::strategy::Strategy<Value = Lot> {
    (amount(), amount(), proptest::option::of(amount())).prop_map(|(q, c, p)| {
        let mut lot = Lot::new(q, c).with_open_date(date(2024, 1, 2));
        lot.unrealized_pnl = p;
        lot
    })
}

fn holding(symbol: &'static str) -> impl proptest::strategy::Strategy<Value = Holding> {
    (
        amount(),
        amount(),
        amount(),
        proptest::option::of(amount()),
        proptest::collection::vec(lot(), 0..3),
        proptest::bool::ANY,
    )
        .prop_map(move |(quantity, price, value, pnl, lots, valued)| {
            // Valued as the checked constructor computes it, or as a broker reports it (any
            // value at all).
            let mut h = Holding::new(symbol, quantity, price)
                .ok()
                .filter(|_| !valued)
                .unwrap_or_else(|| Holding::valued(symbol, quantity, price, value));
            h.unrealized_pnl = pnl;
            h.lots = lots;
            h
        })
}

fn strategy() -> impl proptest::strategy::Strategy<Value = Strategy> {
    prop_oneof![
        Just(Strategy::BuyOnly),
        Just(Strategy::Full),
        Just(Strategy::Bands)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn constructors_and_planning(
        a in holding("AAA"),
        b in holding("BBB"),
        cash in amount(),
        weight in amount(),
        reserve in amount(),
        min_trade in amount(),
        strategy in strategy(),
    ) {
        let _ = Trade::new("AAA", Side::Buy, a.quantity, a.price);
        let _ = Targets::scale_of(weight);
        let _ = Targets::new([("AAA", weight), ("BBB", Decimal::ONE.checked_sub(weight).unwrap_or_default())]);
        for order in [LotOrder::TaxMin, LotOrder::Hifo, LotOrder::Fifo] {
            let _ = realize(&a, b.quantity, b.price, Some(date(2025, 6, 1)), order);
        }
        let Ok(portfolio) = Portfolio::new(vec![a, b]) else { return Ok(()); };
        let _ = portfolio.total_value();
        let targets = Targets::equal(["AAA", "BBB"]).unwrap();
        let options = PlanOptions::new()
            .with_strategy(strategy)
            .with_reserve(reserve)
            .with_min_trade(min_trade)
            .with_commission(Commission::IbkrFixed);
        let sold = PastTrade::new("AAA", date(2025, 5, 20), Side::Sell, cash, Some(Decimal::NEGATIVE_ONE));
        let guard = WashSaleGuard::new(vec![sold], true);
        let substitutes = BTreeMap::from([("AAA".to_owned(), vec!["BBB".to_owned()])]);
        let _ = substitute_blocked(&portfolio, &targets, cash, &guard, date(2025, 6, 1), &substitutes);
        if let Ok(p) = plan(&portfolio, &targets, cash, &options) {
            prop_assert_eq!(audit(&p, &portfolio, cash, &options), Ok(()));
            let _ = p.distance_gap();
        }
    }

    #[test]
    fn household_splits(
        quantity in amount(),
        price in amount(),
        held in amount(),
        cash_a in amount(),
        cash_b in amount(),
        step in amount(),
        weight in amount(),
    ) {
        // Trades as a caller may build them, not only as `plan` makes them.
        let trades: Vec<Trade> = [Side::Sell, Side::Buy]
            .into_iter()
            .filter_map(|side| Trade::new("AAA", side, quantity.abs().min(Decimal::new(1000, 0)), price).ok())
            .collect();
        let held = BTreeMap::from([(
            "AAA".to_owned(),
            BTreeMap::from([("A".to_owned(), held), ("B".to_owned(), Decimal::ONE)]),
        )]);
        let cash = BTreeMap::from([("A".to_owned(), cash_a), ("B".to_owned(), cash_b)]);
        let step = step.abs().max(Decimal::new(1, 2));
        for commission in [Commission::None, Commission::IbkrFixed] {
            let _ = split_by_account(&trades, &held, &cash, step, commission);
        }
        let weights = BTreeMap::from([("A".to_owned(), weight), ("B".to_owned(), cash_b)]);
        let _ = split_amount(cash_a, &weights);
        let _ = audit_split;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Backtests over absurd prices and amounts: errors, never a panic.
    #[test]
    fn backtests(
        prices in proptest::collection::vec((amount(), amount()), 1..4),
        initial in amount(),
        contribution in amount(),
        strategy in strategy(),
    ) {
        use pbal_core::backtest::{Config, Policy, PriceTable, Schedule, Sizing, compare};
        let rows: Vec<_> = prices
            .iter()
            .enumerate()
            .map(|(i, (a, b))| {
                let day = date(2020, 1, 1) + jiff::Span::new().days(40 * i as i64);
                let positive = |d: Decimal| (d > Decimal::ZERO).then_some(d);
                (day, vec![positive(*a), positive(*b)])
            })
            .collect();
        let Ok(table) = PriceTable::new(vec!["A".into(), "B".into()], rows) else {
            return Ok(());
        };
        for sizing in [Sizing::Plan, Sizing::Continuous] {
            let mut config = Config::new(Targets::equal(["A", "B"]).unwrap(), initial);
            config.contribution = contribution;
            config.sizing = sizing;
            let policies = [
                Policy::new(strategy, Schedule::Monthly),
                Policy::new(Strategy::Full, Schedule::Bands),
            ];
            let _ = compare(&table, &config, &policies);
        }
    }
}
