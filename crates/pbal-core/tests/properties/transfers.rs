//! Household transfers (`PlanOptions::allow_transfers`): cash moves between taxable accounts
//! only, only where the orders need it, and every account still ends within its cash.

use pbal_core::{
    Account, AccountKind, Decimal, Holding, NewCash, PlanOptions, Portfolio, Strategy, Targets,
    Transfer, dec, plan_household,
};
use proptest::prelude::*;

/// Two taxable accounts of 150 and 60 and an IRA of 90, one fund at 100 to buy: on their own
/// cash each account pays one unit at most (only the first); pooled, the taxable accounts
/// pay two.
fn household() -> (Vec<Account>, Portfolio, Targets) {
    let portfolio = Portfolio::new(vec![
        Holding::new("VTI", dec!(0), dec!(100)).unwrap(),
        Holding::new("BND", dec!(10), dec!(1000)).unwrap(),
    ])
    .unwrap();
    let accounts = vec![
        Account::new("U1", dec!(150)),
        Account::new("U2", dec!(60)),
        Account::new("IRA", dec!(90))
            .with_kind(AccountKind::TaxDeferred)
            .with_holding(Holding::new("BND", dec!(10), dec!(1000)).unwrap()),
    ];
    let targets = Targets::new(vec![
        ("VTI".to_owned(), dec!(0.5)),
        ("BND".to_owned(), dec!(0.5)),
    ])
    .unwrap();
    (accounts, portfolio, targets)
}

#[test]
fn no_transfer_without_the_option() {
    let (accounts, portfolio, targets) = household();
    let p = plan_household(
        &accounts,
        &portfolio,
        &targets,
        &NewCash::none(),
        &PlanOptions::new(),
    )
    .unwrap();
    assert!(p.transfers.is_empty());
    assert_eq!(p.plan.trades.len(), 1);
    assert_eq!(p.plan.trades[0].quantity, dec!(1));
}

#[test]
fn taxable_accounts_pool_their_cash_with_a_transfer_before_the_orders() {
    let (accounts, portfolio, targets) = household();
    let options = PlanOptions::new().with_transfers(true);
    let p = plan_household(&accounts, &portfolio, &targets, &NewCash::none(), &options).unwrap();
    assert_eq!(p.plan.trades[0].quantity, dec!(2), "{p:?}");
    // Two units in one taxable account: 200 of its 150 and 50 moved from the other; the IRA's
    // 90 never moves.
    assert_eq!(p.split.orders.len(), 1);
    let buyer = p.split.orders[0].account.clone();
    let other = if buyer == "U1" { "U2" } else { "U1" };
    let moved: Decimal = p.transfers.iter().map(|t| t.amount).sum();
    assert_eq!(p.transfers.len(), 1);
    assert_eq!(
        (p.transfers[0].from.as_str(), p.transfers[0].to.as_str()),
        (other, buyer.as_str())
    );
    let own = if buyer == "U1" { dec!(150) } else { dec!(60) };
    assert_eq!(moved, dec!(200) - own);
    assert!(p.split.cash_after.values().all(|c| *c >= dec!(0)), "{p:?}");
    assert_eq!(p.split.cash_after["IRA"], dec!(90));
}

proptest! {
    /// With transfers allowed, a household plan is never worse by the objective than without,
    /// every account ends within its cash after the transfers, and transfers only join
    /// taxable accounts.
    #[test]
    fn transfers_never_make_a_plan_worse_and_keep_every_account_within_its_cash(
        cash in proptest::collection::vec(0i64..400, 3),
        prices in proptest::collection::vec(20i64..150, 2),
        full in any::<bool>(),
    ) {
        let portfolio = Portfolio::new(vec![
            Holding::new("AAA", dec!(2), Decimal::from(prices[0])).unwrap(),
            Holding::new("BBB", dec!(1), Decimal::from(prices[1])).unwrap(),
        ])
        .unwrap();
        let accounts = vec![
            Account::new("T1", Decimal::from(cash[0]))
                .with_holding(Holding::new("AAA", dec!(2), Decimal::from(prices[0])).unwrap()),
            Account::new("T2", Decimal::from(cash[1])),
            Account::new("R1", Decimal::from(cash[2]))
                .with_kind(AccountKind::TaxFree)
                .with_holding(Holding::new("BBB", dec!(1), Decimal::from(prices[1])).unwrap()),
        ];
        let targets = Targets::equal(["AAA", "BBB"]).unwrap();
        let strategy = if full { Strategy::Full } else { Strategy::BuyOnly };
        let own = PlanOptions::new().with_strategy(strategy);
        let pooled = own.clone().with_transfers(true);
        let a = plan_household(&accounts, &portfolio, &targets, &NewCash::none(), &own).unwrap();
        let b = plan_household(&accounts, &portfolio, &targets, &NewCash::none(), &pooled).unwrap();
        prop_assert!(b.plan.objective_after <= a.plan.objective_after);
        prop_assert!(b.split.cash_after.values().all(|c| *c >= dec!(0)));
        for Transfer { from, to, amount, .. } in &b.transfers {
            prop_assert!(from.starts_with('T') && to.starts_with('T') && *amount > dec!(0));
        }
        prop_assert_eq!(b.split.cash_after["R1"] >= dec!(0), true);
    }
}
