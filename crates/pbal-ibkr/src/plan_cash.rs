//! The cash a plan works with: the export's own ending cash, money moving in or out on top of
//! it, or an amount given as the whole cash. One rule for `pbal plan` and `pbal trade`: an
//! amount never silently replaces cash the account really has.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::{AccountSelection, Error, Statement};

/// What the user said about the cash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CashInstruction {
    /// The export's ending cash (its Cash Report), nothing more.
    Export,
    /// Money moving in (a deposit) or, negative, out (a withdrawal), on top of the export's
    /// cash; a file without cash balances starts from zero.
    Move(Decimal),
    /// This amount is the whole cash: the export's balances are not counted.
    Total(Decimal),
}

/// The cash a plan starts from, and what it is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlanCash {
    /// The instruction it was made from.
    pub instruction: CashInstruction,
    /// The cash to plan with, in the base currency.
    pub total: Decimal,
    /// The export's ending cash in the base currency, when the export has cash balances for
    /// the selection (also when the instruction did not count it).
    pub in_export: Option<Decimal>,
    /// The export's cash per currency (ISO code) for the selection; empty without balances.
    pub export_by_currency: BTreeMap<String, Decimal>,
}

impl PlanCash {
    /// The deposit (positive) or withdrawal (negative) on top of the export's cash; zero for
    /// [`CashInstruction::Export`] and [`CashInstruction::Total`].
    #[must_use]
    pub fn moved(&self) -> Decimal {
        match self.instruction {
            CashInstruction::Move(amount) => amount,
            _ => Decimal::ZERO,
        }
    }

    /// Whether the export's own balances are part of [`PlanCash::total`].
    #[must_use]
    pub fn counts_export(&self) -> bool {
        self.in_export.is_some() && !matches!(self.instruction, CashInstruction::Total(_))
    }

    /// The plan's cash per currency: the export's balances (when counted) with the moved or
    /// total amount in `base` (an amount is written in the base currency). Without a base
    /// currency an amount is kept under the empty code only if there are no balances to add
    /// it to: callers treat a single-currency file's code as the base.
    #[must_use]
    pub fn by_currency(&self, base: Option<&str>) -> BTreeMap<String, Decimal> {
        let mut by_currency = if self.counts_export() {
            self.export_by_currency.clone()
        } else {
            BTreeMap::new()
        };
        let amount = match self.instruction {
            CashInstruction::Export => return by_currency,
            CashInstruction::Move(amount) | CashInstruction::Total(amount) => amount,
        };
        let code = base.map(str::to_owned).or_else(|| {
            // One currency and no base named: the amount is in that currency.
            (by_currency.len() == 1).then(|| by_currency.keys().next().cloned())?
        });
        if let Some(code) = code {
            let entry = by_currency.entry(code).or_default();
            *entry = entry.checked_add(amount).unwrap_or(*entry);
        }
        by_currency
    }
}

impl Statement {
    /// The cash to plan `selection` with under `instruction`.
    ///
    /// ```
    /// use pbal_core::dec;
    /// use pbal_ibkr::{AccountSelection, CashInstruction, read_bytes};
    ///
    /// let csv = "Symbol,Quantity,MarkPrice,PositionValue\nVTI,10,250,2500\n";
    /// let statement = read_bytes(csv.as_bytes(), "positions.csv")?;
    /// // No cash balances in the file: a deposit is all the cash there is.
    /// let cash = statement.plan_cash(&AccountSelection::Single, CashInstruction::Move(dec!(1000)))?;
    /// assert_eq!((cash.total, cash.in_export), (dec!(1000), None));
    /// # Ok::<(), pbal_ibkr::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::NoCash`] for [`CashInstruction::Export`] when the export has no cash balances
    /// for the selection; the balances' own errors ([`Statement::cash_in_base`]: a currency
    /// without a rate to the base currency, an unknown account); [`Error::Plan`] when the
    /// deposit or withdrawal added to the balances is beyond what pbal computes with.
    pub fn plan_cash(
        &self,
        selection: &AccountSelection,
        instruction: CashInstruction,
    ) -> Result<PlanCash, Error> {
        let export_by_currency = self.cash_by_currency(selection)?;
        let has_rows = self.has_cash(selection)?;
        // A total replaces the balances, so a balance without a rate must not stop it.
        let in_export = match (has_rows, instruction) {
            (false, _) => None,
            (true, CashInstruction::Total(_)) => self.cash_in_base(selection).ok(),
            (true, _) => Some(self.cash_in_base(selection)?),
        };
        let total = match instruction {
            CashInstruction::Export => in_export.ok_or_else(|| Error::NoCash {
                file: self.source.clone(),
            })?,
            CashInstruction::Move(amount) => {
                let base = in_export.unwrap_or_default();
                base.checked_add(amount).ok_or(pbal_core::Error::Overflow {
                    what: "the export's cash plus the amount moved",
                })?
            }
            CashInstruction::Total(amount) => amount,
        };
        Ok(PlanCash {
            instruction,
            total,
            in_export,
            export_by_currency,
        })
    }

    /// Whether the export has cash balances (Cash Report rows) for `selection`.
    ///
    /// # Errors
    /// [`Error::UnknownAccount`] when the selection names an account not in the export.
    pub fn has_cash(&self, selection: &AccountSelection) -> Result<bool, Error> {
        let only = self.selected(selection)?;
        Ok(self
            .cash
            .iter()
            .any(|c| Self::in_selection(c.account.as_ref(), only)))
    }
}
