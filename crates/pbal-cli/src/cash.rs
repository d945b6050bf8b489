//! `--cash` and `--cash-total` as a cash instruction, and the line that tells the user which
//! cash the plan uses and where it comes from (always the first thing `plan` and `trade` say).

use pbal_core::Money;
use pbal_ibkr::{CashInstruction, PlanCash};
use rust_decimal::Decimal;

use crate::cli::CashArg;

/// What `--cash`/`--cash-total` ask for; `None` without either: the library then takes the
/// export's cash when it has cash balances for the selection, else none.
pub(crate) fn instruction(
    cash: Option<CashArg>,
    cash_total: Option<Decimal>,
) -> Option<CashInstruction> {
    match (cash_total, cash) {
        (Some(total), _) => Some(CashInstruction::Total(total)),
        (None, Some(CashArg::Available)) => Some(CashInstruction::Export),
        (None, Some(CashArg::Amount(amount))) => Some(CashInstruction::Move(amount)),
        (None, None) => None,
    }
}

/// "cash: 1,375.46 USD = the export's 875.46 USD + a deposit of 500.00 USD (-c 500)".
/// `where_from` names the balances ("the export's", "the account's").
pub(crate) fn line(cash: &PlanCash, base: Option<&str>, where_from: &str) -> String {
    let money = |amount: Decimal| match base {
        Some(base) => Money::in_currency(amount, base).to_string(),
        None => Money::new(amount).to_string(),
    };
    let total = money(cash.total);
    match (cash.instruction, cash.in_export) {
        (CashInstruction::Export, Some(own)) => format!(
            "cash: {where_from} own {} (-c AMOUNT adds a deposit or, negative, a withdrawal; \
             --cash-total AMOUNT plans with an amount instead)",
            money(own)
        ),
        (CashInstruction::Move(moved), Some(own)) if moved.is_zero() => format!(
            "cash: {where_from} own {} (-c 0 adds nothing to it; --cash-total 0 plans without it)",
            money(own)
        ),
        (CashInstruction::Move(moved), Some(own)) => format!(
            "cash: {total} = {where_from} own {} {} (-c adds to or takes from the cash already \
             there; --cash-total {} plans with that amount alone)",
            money(own),
            if moved > Decimal::ZERO {
                format!("+ a deposit of {}", money(moved))
            } else {
                format!("- a withdrawal of {}", money(-moved))
            },
            moved.normalize(),
        ),
        (CashInstruction::Move(moved), None) if moved.is_zero() => {
            "cash: none (the file has no cash balances; -c AMOUNT plans with new cash)".to_owned()
        }
        (CashInstruction::Move(moved), None) if moved > Decimal::ZERO => {
            format!("cash: {total} of new cash (-c; the file has no cash balances)")
        }
        (CashInstruction::Move(_), None) => format!(
            "cash: {total}: a withdrawal to raise by selling (-c; the file has no cash balances)"
        ),
        (CashInstruction::Total(_), Some(own)) => format!(
            "cash: {total} as the whole cash (--cash-total; {where_from} own {} is not counted)",
            money(own)
        ),
        (CashInstruction::Total(_), None) => {
            format!("cash: {total} as the whole cash (--cash-total)")
        }
        // The export's cash without balances is refused before a line is made.
        _ => format!("cash: {total}"),
    }
}
