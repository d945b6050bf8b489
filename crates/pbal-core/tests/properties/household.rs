//! Household splits: every share of the plan lands in exactly one account, sells never exceed
//! an account's holding, and cash is conserved.

use std::collections::BTreeMap;

use pbal_core::{
    Commission, CommissionSchedule, Holding, PlanOptions, Portfolio, Side, Strategy, Targets,
    audit_split, plan, split_by_account,
};
use proptest::prelude::*;
use proptest::strategy::Strategy as _;
use rust_decimal::Decimal;

proptest! {
    #[test]
    fn splits_conserve_shares_and_cash(
        held in proptest::collection::vec((0i64..40, 0i64..40), 3),
        prices in proptest::collection::vec(1i64..500, 3),
        cash in proptest::collection::vec(0i64..5_000, 2),
        flat in prop_oneof![Just(None), (0i64..3).prop_map(Some)],
        own in prop::option::of(0i64..=5),
    ) {
        let symbols = ["AAA", "BBB", "CCC"];
        let accounts = ["U1", "U2"];
        let mut holdings = Vec::new();
        let mut by_account: BTreeMap<String, BTreeMap<String, Decimal>> = BTreeMap::new();
        for (i, symbol) in symbols.iter().enumerate() {
            let (a, b) = held[i];
            holdings.push(Holding::new(*symbol, Decimal::from(a + b), Decimal::from(prices[i])).unwrap());
            by_account.insert((*symbol).to_owned(), BTreeMap::from([
                (accounts[0].to_owned(), Decimal::from(a)),
                (accounts[1].to_owned(), Decimal::from(b)),
            ]));
        }
        let portfolio = Portfolio::new(holdings).unwrap();
        let targets = Targets::equal(symbols).unwrap();
        let cash_by_account: BTreeMap<String, Decimal> = accounts
            .iter()
            .zip(&cash)
            .map(|(a, c)| ((*a).to_owned(), Decimal::from(*c)))
            .collect();
        let total_cash: Decimal = cash_by_account.values().sum();
        let commission = flat.map_or(Commission::None, |c| Commission::Flat(Decimal::from(c)));
        let options = PlanOptions::new().with_strategy(Strategy::Full).with_commission(commission);
        // BBB may pay its own schedule (per share, at least `own`): each account's order pays it.
        let options = match own {
            Some(minimum) => options.with_commission_for(
                "BBB",
                Commission::Schedule(CommissionSchedule::new(Decimal::new(5, 3), Decimal::ZERO, Decimal::from(minimum), None)),
            ),
            None => options,
        };
        let p = plan(&portfolio, &targets, total_cash, &options).unwrap();
        let split = split_by_account(&p.trades, &by_account, &cash_by_account, Decimal::ONE, &options).unwrap();
        for o in &split.orders {
            prop_assert_eq!(o.commission, options.commission_of(&o.symbol).estimate(o.quantity, o.price));
        }
        prop_assert_eq!(audit_split(&split, &p, &by_account, &cash_by_account), Ok(()));
        for t in &p.trades {
            let placed: Decimal = split.orders.iter()
                .filter(|o| o.symbol == t.symbol && o.side == t.side)
                .map(|o| o.quantity)
                .sum();
            prop_assert_eq!(placed, t.quantity, "{} {:?}", t.symbol, t.side);
        }
        for o in split.orders.iter().filter(|o| o.side == Side::Sell) {
            prop_assert!(o.quantity <= by_account[&o.symbol][&o.account]);
        }
        let after: Decimal = split.cash_after.values().sum();
        let bought: Decimal = p.trades.iter().filter(|t| t.side == Side::Buy).map(|t| t.amount).sum();
        let sold: Decimal = p.trades.iter().filter(|t| t.side == Side::Sell).map(|t| t.amount).sum();
        let commissions: Decimal = split.orders.iter().map(|o| o.commission).sum();
        prop_assert_eq!(after, total_cash - bought + sold - commissions);
        // The totals a household plan prints: its own cash figures less what splitting costs.
        prop_assert_eq!(split.commission(), commissions);
        prop_assert_eq!(split.cash_left(), after);
        prop_assert_eq!(split.cash_left(), p.cash.left - (split.commission() - p.cash.commission));
    }
}

/// 14 shares planned to leave 0.50, split 10 + 4 over two accounts: the second order's
/// minimum commission takes the household 0.50 below zero. The split says so (its totals,
/// the account short), and the audit still checks each account's cash to the cent.
#[test]
fn extra_commissions_of_split_orders_can_take_the_household_below_zero() {
    let portfolio = Portfolio::new(vec![
        Holding::new("VTI", Decimal::ZERO, Decimal::ONE_HUNDRED).unwrap(),
    ])
    .unwrap();
    let options = PlanOptions::new()
        .with_strategy(Strategy::BuyOnly)
        .with_commission(Commission::Flat(Decimal::ONE));
    let cash = BTreeMap::from([
        ("U1".to_owned(), Decimal::from(1000)),
        ("U2".to_owned(), Decimal::new(4015, 1)),
    ]);
    let p = plan(
        &portfolio,
        &Targets::equal(["VTI"]).unwrap(),
        Decimal::new(14015, 1),
        &options,
    )
    .unwrap();
    assert_eq!(p.trades[0].quantity, Decimal::from(14));
    assert_eq!(
        (p.cash.commission, p.cash.left),
        (Decimal::ONE, Decimal::new(5, 1))
    );
    let held = BTreeMap::new();
    let split = split_by_account(&p.trades, &held, &cash, Decimal::ONE, &options).unwrap();
    assert_eq!(split.orders.len(), 2);
    assert_eq!(split.commission(), Decimal::TWO);
    assert_eq!(split.cash_left(), Decimal::new(-5, 1));
    assert_eq!(split.cash_after["U1"], -Decimal::ONE);
    assert_eq!(split.cash_after["U2"], Decimal::new(5, 1));
    // Within what the extra commission explains: the audit passes.
    assert_eq!(audit_split(&split, &p, &held, &cash), Ok(()));
    // An account's cash that leaves out its order's commission fails it.
    let mut free = split.clone();
    *free.cash_after.get_mut("U1").unwrap() += Decimal::ONE;
    assert_eq!(
        audit_split(&free, &p, &held, &cash).unwrap_err().rule,
        "cash conservation"
    );
    // Split from less cash than the plan had, the household ends short by more than the
    // extra commission explains: the audit fails it.
    let less = BTreeMap::from([
        ("U1".to_owned(), Decimal::from(1000)),
        ("U2".to_owned(), Decimal::new(3995, 1)),
    ]);
    let split = split_by_account(&p.trades, &held, &less, Decimal::ONE, &options).unwrap();
    assert_eq!(
        audit_split(&split, &p, &held, &less).unwrap_err().rule,
        "reserve"
    );
}
