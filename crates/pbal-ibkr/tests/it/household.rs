//! Household plans from each account's own cash, from an amount in one account, or from an
//! amount the plan places (a deposit where the orders need it, a withdrawal out of taxable
//! accounts): every account pays its own orders from its own cash.

use std::collections::BTreeMap;

use pbal_core::{PlanOptions, Side, Strategy, dec};
use pbal_ibkr::{
    AccountSelection, Error, HouseholdCash, HouseholdOrders, ShareBasis, Statement, read_bytes,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// Two accounts: U1 holds AAA, U2 holds BBB, each with its own cash.
fn statement(aaa: i64, bbb: i64, cash: (i64, i64)) -> Statement {
    let text = format!(
        "ClientAccountID,Symbol,Quantity,MarkPrice,PositionValue\n\
         U1,AAA,{aaa},100,{}\n\
         U2,BBB,{bbb},50,{}\n\
         ClientAccountID,CurrencyPrimary,EndingCash\n\
         U1,USD,{}\n\
         U2,USD,{}\n",
        aaa * 100,
        bbb * 50,
        cash.0,
        cash.1
    );
    read_bytes(text.as_bytes(), "household.csv").unwrap()
}

fn split(
    s: &Statement,
    cash: HouseholdCash<'_>,
    _amount: Decimal,
    strategy: Strategy,
) -> Result<HouseholdOrders, Error> {
    let managed = s.portfolio(&AccountSelection::All, None).unwrap();
    let options = PlanOptions::new().with_strategy(strategy);
    let (_, orders) = s.plan_household(
        &managed.holdings,
        &managed.portfolio,
        &managed.targets,
        cash,
        &BTreeMap::new(),
        &options,
    )?;
    for (account, after) in &orders.split.cash_after {
        assert!(*after >= Decimal::ZERO, "{account} ends with {after}");
    }
    Ok(orders)
}

#[test]
fn each_account_buys_with_its_own_cash() {
    let s = statement(10, 20, (1000, 300));
    let cash = s.cash_in_base(&AccountSelection::All).unwrap();
    let orders = split(&s, HouseholdCash::Available, cash, Strategy::BuyOnly).unwrap();
    assert_eq!(orders.shared, None);
    assert_eq!(
        orders.split.cash_after.values().sum::<Decimal>(),
        cash - orders
            .split
            .orders
            .iter()
            .map(|o| o.amount)
            .sum::<Decimal>()
    );
    assert!(!orders.split.orders.is_empty());
}

#[test]
fn an_amount_in_one_account_buys_there() {
    let s = statement(10, 20, (0, 0));
    let cash = HouseholdCash::InAccount {
        amount: dec!(1000),
        account: "U2",
    };
    let orders = split(&s, cash, dec!(1000), Strategy::BuyOnly).unwrap();
    assert!(orders.split.orders.iter().all(|o| o.account == "U2"));
    assert_eq!(orders.split.cash_after["U1"], Decimal::ZERO);
}

#[test]
fn an_unknown_account_is_named_with_the_accounts_there_are() {
    let s = statement(10, 20, (0, 0));
    let cash = HouseholdCash::InAccount {
        amount: dec!(1000),
        account: "U9",
    };
    let err = split(&s, cash, dec!(1000), Strategy::BuyOnly).unwrap_err();
    let Error::UnknownAccount {
        account, accounts, ..
    } = err
    else {
        panic!("{err}");
    };
    assert_eq!(
        (account.as_str(), accounts),
        ("U9", vec!["U1".to_owned(), "U2".to_owned()])
    );
}

#[test]
fn a_withdrawal_comes_out_of_the_account_whose_sales_raise_it() {
    // AAA is overweight: the withdrawal sells AAA, held only in U1.
    let s = statement(30, 20, (0, 0));
    let orders = split(
        &s,
        HouseholdCash::Shared(dec!(-500)),
        dec!(-500),
        Strategy::BuyOnly,
    )
    .unwrap();
    let shared = orders.shared.unwrap();
    assert_eq!(shared.basis, ShareBasis::Orders);
    assert_eq!(shared.parts["U1"], dec!(-500));
    assert!(!shared.parts.contains_key("U2"));
    assert!(
        orders
            .split
            .orders
            .iter()
            .all(|o| o.side == Side::Sell && o.account == "U1")
    );
}

proptest! {
    /// A deposit the plan places: the parts add up to the amount exactly, and each account's
    /// orders fit its part (the helper checks every account ends at or above zero).
    #[test]
    fn a_deposit_goes_where_the_orders_need_it(aaa in 1i64..200, bbb in 1i64..200, amount in 1i64..100_000) {
        let s = statement(aaa, bbb, (0, 0));
        let amount = Decimal::new(amount, 2);
        let orders = split(&s, HouseholdCash::Shared(amount), amount, Strategy::BuyOnly).unwrap();
        let shared = orders.shared.unwrap();
        prop_assert_eq!(shared.basis, ShareBasis::Orders);
        prop_assert_eq!(shared.parts.values().sum::<Decimal>(), amount);
    }
}

/// Each account converts its own currency: the flows per account come from that account's
/// orders and Cash Report alone, and together they are the household's orders.
#[test]
fn each_account_s_currencies_come_from_its_own_orders_and_cash() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/flex/plain-two-accounts.csv");
    let s = pbal_ibkr::read_path(&path).unwrap();
    let managed = s.portfolio(&AccountSelection::All, None).unwrap();
    let options = PlanOptions::new()
        .with_strategy(Strategy::Full)
        .with_commission(pbal_core::Commission::Flat(dec!(3)));
    let (plan, orders) = s
        .plan_household(
            &managed.holdings,
            &managed.portfolio,
            &managed.targets,
            HouseholdCash::Available,
            &BTreeMap::new(),
            &options,
        )
        .unwrap();
    let base = managed.holdings.base_currency.as_deref();
    let flows = orders
        .currency_flows(&managed.holdings.instruments, base)
        .unwrap();
    for (account, f) in &flows {
        let own = s
            .cash_by_currency(&AccountSelection::Only(account.clone()))
            .unwrap();
        for (currency, flow) in f.iter() {
            assert_eq!(flow.cash, own.get(currency).copied().unwrap_or_default());
        }
    }
    // A flat 3 per order, each account's part of a split order paying its own.
    let count = Decimal::from(orders.split.orders.len());
    assert_eq!(orders.split.commission(), dec!(3) * count);
    assert!(
        orders.split.orders.len() > plan.trades.len(),
        "an order is split"
    );
    // The plan counts what the accounts' orders pay.
    assert_eq!(orders.split.commission(), plan.cash.commission);
    assert_eq!(orders.split.cash_left(), plan.cash.left);
    // Every account order is in its account's flows, at its amount in its own currency.
    let household = pbal_ibkr::CurrencyFlows::new(
        &plan.trades,
        &managed.holdings.instruments,
        &s.cash_by_currency(&AccountSelection::All).unwrap(),
        base,
    )
    .unwrap();
    for (currency, h) in household.iter() {
        let buys: Decimal = flows
            .values()
            .filter_map(|f| f.get(currency))
            .map(|f| f.buys)
            .sum();
        let sells: Decimal = flows
            .values()
            .filter_map(|f| f.get(currency))
            .map(|f| f.sells)
            .sum();
        assert_eq!((buys, sells), (h.buys, h.sells), "{currency}");
    }
}

/// An amount on top of the accounts' own cash: each account keeps its cash, the amount goes
/// to the account named, and no account ends below zero.
#[test]
fn an_amount_on_top_keeps_each_accounts_cash() {
    let s = statement(10, 20, (1000, 300));
    let own = s.cash_in_base(&AccountSelection::All).unwrap();
    let amount = dec!(500);
    let orders = split(
        &s,
        HouseholdCash::OnTop {
            amount,
            account: Some("U2"),
        },
        own + amount,
        Strategy::BuyOnly,
    )
    .unwrap();
    assert_eq!(orders.shared, None);
    let spent: Decimal = orders.split.orders.iter().map(|o| o.amount).sum();
    assert_eq!(
        orders.split.cash_after.values().sum::<Decimal>(),
        own + amount - spent
    );
    assert!(
        orders
            .split
            .cash_after
            .values()
            .all(|c| *c >= Decimal::ZERO)
    );
    assert_eq!(orders.cash_by_currency["U2"]["USD"], dec!(800));
    assert_eq!(orders.cash_by_currency["U1"]["USD"], dec!(1000));

    // A withdrawal the accounts' cash covers comes out of what they have after their orders.
    let orders = split(
        &s,
        HouseholdCash::OnTop {
            amount: dec!(-200),
            account: None,
        },
        own - dec!(200),
        Strategy::BuyOnly,
    )
    .unwrap();
    let shared = orders.shared.expect("shared");
    assert_eq!(shared.basis, ShareBasis::Orders);
    assert_eq!(shared.parts.values().sum::<Decimal>(), dec!(-200));
    assert!(orders.split.orders.iter().all(|o| o.side == Side::Buy));
}

/// Two accounts, U1 taxable and U2 an IRA, each with 1,000 of cash and equal targets over AAA
/// and BBB; `sold` is a loss sale of AAA on 2026-11-10 in that account.
fn household_with_loss_sale(sold_in: &str) -> Statement {
    let text = format!(
        "ClientAccountID,Symbol,Quantity,MarkPrice,PositionValue\n\
         U1,AAA,0,100,0\n\
         U2,BBB,40,50,2000\n\
         ClientAccountID,CurrencyPrimary,EndingCash\n\
         U1,USD,1000\n\
         U2,USD,1000\n\
         ClientAccountID,Symbol,TradeDate,Buy/Sell,Quantity,TradePrice,FifoPnlRealized\n\
         {sold_in},AAA,20261110,SELL,-10,100,-150\n"
    );
    read_bytes(text.as_bytes(), "wash.csv").unwrap()
}

fn wash_request(check: pbal_ibkr::WashSaleCheck) -> pbal_ibkr::PlanRequest {
    pbal_ibkr::PlanRequest::new()
        .with_selection(AccountSelection::All)
        .with_account_kind("U2", pbal_core::AccountKind::TaxDeferred)
        .with_wash_sale(check)
        .with_options(PlanOptions::new().with_as_of(pbal_core::date(2026, 11, 25)))
}

fn bought(planned: &pbal_ibkr::StatementPlan, symbol: &str) -> Decimal {
    planned
        .household
        .as_ref()
        .unwrap()
        .split
        .orders
        .iter()
        .filter(|o| o.symbol == symbol && o.side == Side::Buy)
        .map(|o| o.quantity)
        .sum()
}

/// A taxable loss sale blocks the fund's buys in every account of the household, the IRA too;
/// an IRA's own loss sale realizes no deductible loss and blocks nothing.
#[test]
fn the_wash_sale_guard_spans_the_household_and_ignores_sheltered_sales() {
    use pbal_ibkr::WashSaleCheck;
    let taxable_sale = household_with_loss_sale("U1");
    let blocked = taxable_sale
        .plan_request(&wash_request(WashSaleCheck::Block))
        .unwrap();
    assert_eq!(bought(&blocked, "AAA"), Decimal::ZERO);
    assert!(blocked.lost_losses.is_empty());

    let ira_sale = household_with_loss_sale("U2");
    let free = ira_sale
        .plan_request(&wash_request(WashSaleCheck::Block))
        .unwrap();
    assert!(
        bought(&free, "AAA") > Decimal::ZERO,
        "{:?}",
        free.plan.trades
    );
}

/// Warned, not blocked: an IRA that buys the fund a taxable account sold at a loss loses that
/// loss for good (Rev. Rul. 2008-5), and the plan says which account and sale.
#[test]
fn an_ira_buy_after_a_taxable_loss_sale_is_a_lost_loss() {
    let statement = household_with_loss_sale("U1");
    let planned = statement
        .plan_request(&wash_request(pbal_ibkr::WashSaleCheck::Warn))
        .unwrap();
    let ira_buys_aaa = planned
        .household
        .as_ref()
        .unwrap()
        .split
        .orders
        .iter()
        .any(|o| o.account == "U2" && o.symbol == "AAA" && o.side == Side::Buy);
    let lost: Vec<(&str, &str)> = planned
        .lost_losses
        .iter()
        .map(|l| (l.account.as_str(), l.symbol.as_str()))
        .collect();
    // U2 spends its own cash toward AAA's 50% target, so the case is not vacuous.
    assert!(ira_buys_aaa, "{:?}", planned.household);
    assert_eq!(lost, [("U2", "AAA")]);
    assert_eq!(
        planned.lost_losses[0].loss_sale,
        pbal_core::date(2026, 11, 10)
    );
}
