//! Plans the exact search must prove, in shapes real accounts have and random ones miss.

use pbal_core::{Decimal, Holding, Optimality, PlanOptions, Portfolio, Targets, dec, plan};

/// Seven holdings, one of them half the account in tens of thousands of shares (a real Flex
/// export's shape), and a small withdrawal: the largest holding has thousands of changes below
/// the gap, more than the search first lists per asset. It must still be proven.
fn one_giant(giant_shares: i64, withdrawal: i64) -> pbal_core::Plan {
    let portfolio = Portfolio::new(vec![
        Holding::new("GRPN", dec!(3000), dec!(19.89)).unwrap(),
        Holding::new("META", dec!(800), dec!(547.27)).unwrap(),
        Holding::new("NFLX", dec!(400), dec!(1101.53)).unwrap(),
        Holding::new("PLTR", dec!(3100), dec!(112.78)).unwrap(),
        Holding::new("TQQQ", Decimal::from(giant_shares), dec!(53.86)).unwrap(),
        Holding::new("TSLA", dec!(1500), dec!(284.95)).unwrap(),
        Holding::new("TTWO", dec!(500), dec!(225.38)).unwrap(),
    ])
    .unwrap();
    let targets = Targets::equal(["GRPN", "META", "NFLX", "PLTR", "TQQQ", "TSLA", "TTWO"]).unwrap();
    plan(
        &portfolio,
        &targets,
        -Decimal::from(withdrawal),
        &PlanOptions::default(),
    )
    .unwrap()
}

#[test]
fn a_small_withdrawal_from_one_giant_holding_is_proven() {
    let p = one_giant(34_100, 500);
    assert_eq!(p.optimality, Optimality::Optimal, "{:#?}", p.trades);
    assert_eq!(p.trades.len(), 1);
    assert_eq!(
        (p.trades[0].symbol.as_str(), p.trades[0].quantity),
        ("TQQQ", dec!(10))
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
    #[test]
    fn withdrawals_from_one_giant_holding_are_proven(
        giant in 10_000i64..60_000, withdrawal in 50i64..5_000,
    ) {
        let p = one_giant(giant, withdrawal);
        proptest::prop_assert_eq!(p.optimality, Optimality::Optimal);
    }
}

/// Found by the property above: a withdrawal of exactly whole shares of the most overweight
/// fund (50 × 53.86 = 2,693) found no plan. The float search only un-sold while the sales
/// raised the need plus its tolerance, so it sold 51, which the exact judge rightly rejects as
/// not minimal. 2,692.99 and 2,693.01 always planned.
#[test]
fn a_withdrawal_of_exactly_whole_shares_plans() {
    let p = one_giant(34_100, 2_693);
    assert_eq!(p.trades.len(), 1);
    assert_eq!(
        (p.trades[0].symbol.as_str(), p.trades[0].quantity),
        ("TQQQ", dec!(50))
    );
    assert_eq!(p.cash.left, dec!(0));
}

/// A first purchase of five funds with IBKR's fixed schedule: the proof's passes of growing
/// depth once pruned with a reach limited by the pass's depth and called a worse plan
/// (14,819.16) optimal. The optimum is 14,678.56 (2 AAPL, 3 AMZN, 2 IBM, 4 MSFT), as the
/// search before that change proved it; a CLI backtest snapshot caught the difference.
#[test]
fn a_depth_pass_never_proves_a_worse_plan() {
    let holding = |symbol: &str, price| Holding::new(symbol, Decimal::ZERO, price).unwrap();
    let portfolio = Portfolio::new(vec![
        holding("AAPL", dec!(67.85)),
        holding("AMZN", dec!(30.83)),
        holding("GOOG", dec!(378.53)),
        holding("IBM", dec!(76.35)),
        holding("MSFT", dec!(24.13)),
    ])
    .unwrap();
    let targets = Targets::equal(["AAPL", "AMZN", "GOOG", "IBM", "MSFT"]).unwrap();
    let schedule =
        pbal_core::CommissionSchedule::new(dec!(0.005), dec!(0), dec!(1), Some(dec!(0.01)));
    let mut options = PlanOptions::default();
    options.commission = pbal_core::Commission::Schedule(schedule);
    let p = plan(&portfolio, &targets, dec!(500.8680), &options).unwrap();
    assert_eq!(p.optimality, Optimality::Optimal);
    assert_eq!(p.objective_after, dec!(14678.56));
}
