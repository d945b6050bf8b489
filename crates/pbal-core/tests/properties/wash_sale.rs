//! The wash-sale guard: window edges and what it does to a plan.

use jiff::civil::{Date, date};
use pbal_core::dec;
use pbal_core::{
    Holding, PastTrade, PlanOptions, Portfolio, Side, Targets, WashSaleFlag, WashSaleGuard, plan,
    within_window,
};
use rust_decimal::Decimal;

fn sold_at_loss(symbol: &str, on: Date) -> PastTrade {
    PastTrade::new(symbol, on, Side::Sell, dec!(10), Some(dec!(-100)))
}

#[test]
fn window_edges_are_exact() {
    let sale = date(2025, 10, 1);
    assert!(within_window(sale, date(2025, 10, 1)));
    assert!(within_window(sale, date(2025, 10, 31))); // day 30
    assert!(!within_window(sale, date(2025, 11, 1))); // day 31
    // Across a leap day and a year end.
    assert!(within_window(date(2024, 2, 1), date(2024, 3, 2))); // 30 days in a leap year
    assert!(!within_window(date(2024, 2, 1), date(2024, 3, 3)));
    assert!(within_window(date(2025, 12, 15), date(2026, 1, 14)));
    assert!(!within_window(date(2025, 12, 15), date(2026, 1, 15)));
}

fn portfolio() -> (Portfolio, Targets) {
    let p = Portfolio::new(vec![
        Holding::new("AAA", dec!(10), dec!(100)).unwrap(),
        Holding::new("BBB", dec!(15), dec!(100)).unwrap(),
        Holding::new("CCC", dec!(20), dec!(100)).unwrap(),
    ])
    .unwrap();
    let t = Targets::equal(["AAA", "BBB", "CCC"]).unwrap();
    (p, t)
}

fn options(sold_on: Date, as_of: Date, block: bool) -> PlanOptions {
    PlanOptions::new()
        .with_as_of(as_of)
        .with_wash_sale(WashSaleGuard::new(
            vec![sold_at_loss("AAA", sold_on)],
            block,
        ))
}

fn bought(p: &pbal_core::Plan) -> Vec<&str> {
    p.trades
        .iter()
        .filter(|t| t.side == Side::Buy)
        .map(|t| t.symbol.as_str())
        .collect()
}

#[test]
fn a_buy_after_a_loss_sale_is_skipped_on_day_30_not_day_31() {
    let (p, t) = portfolio();
    let cash = Decimal::from(1000);
    let sold = date(2025, 10, 1);
    let day30 = plan(&p, &t, cash, &options(sold, date(2025, 10, 31), true)).unwrap();
    assert!(!bought(&day30).contains(&"AAA"), "{day30:#?}");
    assert!(
        bought(&day30).contains(&"BBB"),
        "the cash goes to the next-best asset"
    );
    assert!(matches!(
        &day30.wash_sale[..],
        [WashSaleFlag::BuyAfterLossSale { symbol, blocked: true, .. }] if symbol == "AAA"
    ));
    let day31 = plan(&p, &t, cash, &options(sold, date(2025, 11, 1), true)).unwrap();
    assert!(bought(&day31).contains(&"AAA"));
    assert!(day31.wash_sale.is_empty());
    // Flag only: the buy stays, flagged.
    let flagged = plan(&p, &t, cash, &options(sold, date(2025, 10, 31), false)).unwrap();
    assert!(bought(&flagged).contains(&"AAA"));
    assert!(matches!(
        &flagged.wash_sale[..],
        [WashSaleFlag::BuyAfterLossSale { blocked: false, .. }]
    ));
}

#[test]
fn a_loss_sale_soon_after_a_buy_is_flagged() {
    let mut h = Holding::new("CCC", dec!(20), dec!(100))
        .unwrap()
        .with_unrealized_pnl(dec!(-200));
    h.lots.clear();
    let p = Portfolio::new(vec![Holding::new("AAA", dec!(10), dec!(100)).unwrap(), h]).unwrap();
    let t = Targets::equal(["AAA", "CCC"]).unwrap();
    let options = PlanOptions::new()
        .with_as_of(date(2025, 11, 20))
        .with_wash_sale(WashSaleGuard::new(
            vec![PastTrade::new(
                "CCC",
                date(2025, 11, 1),
                Side::Buy,
                dec!(1),
                None,
            )],
            true,
        ));
    let plan = plan(&p, &t, dec!(-500), &options).unwrap();
    assert!(
        matches!(
            &plan.wash_sale[..],
            [WashSaleFlag::LossSaleAfterBuy { symbol, .. }] if symbol == "CCC"
        ),
        "{plan:#?}"
    );
}

/// A portfolio of AAA, BBB, CCC plus the substitute SUB (not held), with AAA sold at a loss.
fn with_substitute(aaa: i64, bbb: i64, ccc: i64, sub_price: i64) -> (Portfolio, Targets) {
    let p = Portfolio::new(vec![
        Holding::new("AAA", Decimal::from(aaa), dec!(100)).unwrap(),
        Holding::new("BBB", Decimal::from(bbb), dec!(100)).unwrap(),
        Holding::new("CCC", Decimal::from(ccc), dec!(100)).unwrap(),
        Holding::new("SUB", dec!(0), Decimal::from(sub_price)).unwrap(),
    ])
    .unwrap();
    let t = Targets::new([
        ("AAA", dec!(0.4)),
        ("BBB", dec!(0.3)),
        ("CCC", dec!(0.3)),
        ("SUB", dec!(0)),
    ])
    .unwrap();
    (p, t)
}

#[test]
fn blocked_buys_go_to_the_named_substitute() {
    let (p, t) = with_substitute(10, 15, 20, 50);
    let opts = options(date(2025, 10, 20), date(2025, 11, 1), true);
    let guard = opts.wash_sale.clone().unwrap();
    let subs = std::collections::BTreeMap::from([("AAA".to_owned(), vec!["SUB".to_owned()])]);
    let (t2, moved) =
        pbal_core::substitute_blocked(&p, &t, dec!(3000), &guard, date(2025, 11, 1), &subs)
            .unwrap();
    assert_eq!(moved.len(), 1);
    let result = plan(&p, &t2, dec!(3000), &opts).unwrap();
    let buys = bought(&result);
    assert!(!buys.contains(&"AAA"), "{buys:?}");
    assert!(
        buys.contains(&"SUB"),
        "the blocked room goes to the substitute: {buys:?}"
    );
    // Outside the window nothing moves.
    let (t3, moved) =
        pbal_core::substitute_blocked(&p, &t, dec!(3000), &guard, date(2025, 12, 1), &subs)
            .unwrap();
    assert!(moved.is_empty());
    assert_eq!(t3, t);
}

proptest::proptest! {
    /// Substitution keeps the weights' sum, never raises a blocked symbol's target, and the
    /// plan never buys the blocked symbol.
    #[test]
    fn substitution_keeps_the_sum_and_never_buys_the_blocked(
        aaa in 0i64..60, bbb in 0i64..60, ccc in 1i64..60, sub_price in 1i64..300,
        cash in 0i64..20_000, days_ago in 0i64..40,
    ) {
        let (p, t) = with_substitute(aaa, bbb, ccc, sub_price);
        let as_of = date(2025, 11, 30);
        let sold = as_of.checked_sub(jiff::Span::new().days(days_ago)).unwrap();
        let opts = options(sold, as_of, true);
        let guard = opts.wash_sale.clone().unwrap();
        let subs = std::collections::BTreeMap::from([("AAA".to_owned(), vec!["SUB".to_owned()])]);
        let cash = Decimal::from(cash);
        let (t2, moved) = pbal_core::substitute_blocked(&p, &t, cash, &guard, as_of, &subs).unwrap();
        let sum: Decimal = t2.iter().map(|(_, w)| w).sum();
        proptest::prop_assert_eq!(sum, Decimal::ONE);
        proptest::prop_assert!(t2.weight("AAA") <= t.weight("AAA"));
        proptest::prop_assert!(t2.weight("SUB") >= t.weight("SUB"));
        proptest::prop_assert_eq!(moved.is_empty(), days_ago > 30 || t2 == t);
        let result = plan(&p, &t2, cash, &opts).unwrap();
        if days_ago <= 30 {
            proptest::prop_assert!(!bought(&result).contains(&"AAA"));
        }
        proptest::prop_assert!(result.cash.spent <= cash);
    }
}

/// A full rebalance that cannot buy a blocked fund balances the others among themselves: it
/// does not sell them only to park the proceeds in cash (and realize their gains).
#[test]
fn a_blocked_fund_does_not_push_a_full_plan_into_cash() {
    let p = Portfolio::new(vec![
        Holding::new("AAA", dec!(20), dec!(100)).unwrap(),
        Holding::new("BBB", dec!(40), dec!(100)).unwrap(),
        Holding::new("CCC", dec!(40), dec!(100)).unwrap(),
    ])
    .unwrap();
    let t = Targets::new([("AAA", dec!(0.4)), ("BBB", dec!(0.3)), ("CCC", dec!(0.3))]).unwrap();
    let opts = options(date(2025, 11, 1), date(2025, 11, 20), true)
        .with_strategy(pbal_core::Strategy::Full);
    let result = plan(&p, &t, dec!(0), &opts).unwrap();
    assert!(result.trades.is_empty(), "{:#?}", result.trades);
    let shared = result
        .notes
        .iter()
        .find_map(|n| match n {
            pbal_core::PlanNote::BlockedTargetShared {
                symbol,
                weight_shared,
                ..
            } => Some((symbol.clone(), *weight_shared)),
            _ => None,
        })
        .expect("the plan says why");
    assert_eq!(shared, ("AAA".to_owned(), dec!(0.2)));
    // Outside the window AAA is bought with what the others sell.
    let later = options(date(2025, 11, 1), date(2025, 12, 2), true)
        .with_strategy(pbal_core::Strategy::Full);
    assert!(bought(&plan(&p, &t, dec!(0), &later).unwrap()).contains(&"AAA"));
}

proptest::proptest! {
    /// With a blocked fund and no new cash, a full plan leaves at most a share's worth of the
    /// others' sales in cash (whole shares), however far the blocked fund is below target.
    #[test]
    fn blocked_room_never_ends_in_cash(
        aaa in 0i64..60, bbb in 1i64..60, ccc in 1i64..60, target_aaa in 1u32..90,
    ) {
        let p = Portfolio::new(vec![
            Holding::new("AAA", Decimal::from(aaa), dec!(100)).unwrap(),
            Holding::new("BBB", Decimal::from(bbb), dec!(70)).unwrap(),
            Holding::new("CCC", Decimal::from(ccc), dec!(130)).unwrap(),
        ])
        .unwrap();
        let a = Decimal::new(i64::from(target_aaa), 2);
        let rest = (Decimal::ONE - a) / Decimal::TWO;
        let t = Targets::new([("AAA", a), ("BBB", rest), ("CCC", Decimal::ONE - a - rest)]).unwrap();
        let opts = options(date(2025, 11, 1), date(2025, 11, 20), true)
            .with_strategy(pbal_core::Strategy::Full);
        let result = plan(&p, &t, dec!(0), &opts).unwrap();
        proptest::prop_assert!(!bought(&result).contains(&"AAA"));
        proptest::prop_assert!(result.cash.left <= dec!(130), "{:#?}", result.cash);
        // Below its target it is not sold either: that would only fund the others.
        if Decimal::from(aaa * 100) < a * p.total_value().unwrap() {
            proptest::prop_assert!(result.trades.iter().all(|t| t.symbol != "AAA"));
        }
    }
}
