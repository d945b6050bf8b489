//! The cash a plan starts from: the export's own, money moved on top of it, or a whole amount.

use pbal_core::dec;
use pbal_ibkr::{AccountSelection, CashInstruction, Error, read_bytes};
use proptest::prelude::*;
use rust_decimal::Decimal;

const WITH_CASH: &str = "Symbol,Quantity,MarkPrice,PositionValue,CurrencyPrimary\n\
                         VTI,10,250,2500,USD\n\
                         CurrencyPrimary,EndingCash\n\
                         USD,875.46\n";
const WITHOUT_CASH: &str = "Symbol,Quantity,MarkPrice,PositionValue\nVTI,10,250,2500\n";

#[test]
fn an_amount_moves_money_on_top_of_the_exports_cash() {
    let s = read_bytes(WITH_CASH.as_bytes(), "cash.csv").unwrap();
    let any = AccountSelection::Single;
    let own = s.plan_cash(&any, CashInstruction::Export).unwrap();
    assert_eq!(
        (own.total, own.in_export),
        (dec!(875.46), Some(dec!(875.46)))
    );
    let withdrawal = s
        .plan_cash(&any, CashInstruction::Move(dec!(-500)))
        .unwrap();
    assert_eq!(withdrawal.total, dec!(375.46));
    assert_eq!(withdrawal.moved(), dec!(-500));
    assert_eq!(
        withdrawal.by_currency(Some("USD")),
        [("USD".to_owned(), dec!(375.46))].into()
    );
    let total = s
        .plan_cash(&any, CashInstruction::Total(dec!(1000)))
        .unwrap();
    assert_eq!(total.total, dec!(1000));
    assert!(!total.counts_export());
    assert_eq!(
        total.by_currency(Some("USD")),
        [("USD".to_owned(), dec!(1000))].into()
    );
}

#[test]
fn without_cash_balances_an_amount_is_all_the_cash() {
    let s = read_bytes(WITHOUT_CASH.as_bytes(), "plain.csv").unwrap();
    let any = AccountSelection::Single;
    assert!(!s.has_cash(&any).unwrap());
    let cash = s
        .plan_cash(&any, CashInstruction::Move(dec!(5000)))
        .unwrap();
    assert_eq!((cash.total, cash.in_export), (dec!(5000), None));
    assert!(matches!(
        s.plan_cash(&any, CashInstruction::Export),
        Err(Error::NoCash { .. })
    ));
}

/// A whole amount does not need the balances it replaces: a currency without a rate to the
/// base does not stop it, while the export's own cash (which needs the rate) is refused.
#[test]
fn a_total_replaces_balances_that_cannot_be_converted() {
    let text = "Symbol,Quantity,MarkPrice,PositionValue,CurrencyPrimary\n\
                VTI,10,250,2500,USD\n\
                CurrencyPrimary,EndingCash\n\
                USD,100\n\
                JPY,5000\n";
    let s = read_bytes(text.as_bytes(), "jpy.csv").unwrap();
    let any = AccountSelection::Single;
    assert!(s.plan_cash(&any, CashInstruction::Export).is_err());
    let total = s
        .plan_cash(&any, CashInstruction::Total(dec!(700)))
        .unwrap();
    assert_eq!(total.total, dec!(700));
}

proptest! {
    /// The plan's cash is the balances plus what moves, to the cent and beyond.
    #[test]
    fn the_cash_is_the_balances_plus_the_amount(cents in -10_000_000i64..10_000_000, own in 0i64..10_000_000) {
        let text = format!(
            "Symbol,Quantity,MarkPrice,PositionValue,CurrencyPrimary\nVTI,10,250,2500,USD\n\
             CurrencyPrimary,EndingCash\nUSD,{}\n",
            Decimal::new(own, 2)
        );
        let s = read_bytes(text.as_bytes(), "cash.csv").unwrap();
        let moved = Decimal::new(cents, 2);
        let cash = s.plan_cash(&AccountSelection::Single, CashInstruction::Move(moved)).unwrap();
        prop_assert_eq!(cash.total, Decimal::new(own, 2) + moved);
        prop_assert_eq!(cash.by_currency(Some("USD"))["USD"], cash.total);
    }
}
