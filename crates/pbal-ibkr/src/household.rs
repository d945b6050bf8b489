//! A statement's facts per account and over time, in the shapes pbal-core's household split
//! and wash-sale guard take.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::{AccountSelection, Error, Holdings, Statement};

impl Statement {
    /// The account `name` names: an account id of the export, or the alias
    /// ([`Statement::account_aliases`]) of exactly one of its accounts.
    ///
    /// ```
    /// let csv = "ClientAccountID,AccountAlias,Symbol,Quantity,MarkPrice,PositionValue\n\
    ///            U1111111,Joint,VTI,10,250,2500\n\
    ///            U2222222,IRA,BND,10,72,720\n";
    /// let statement = pbal_ibkr::read_bytes(csv.as_bytes(), "p.csv")?;
    /// assert_eq!(statement.account_id("IRA")?, "U2222222");
    /// assert_eq!(statement.account_id("U1111111")?, "U1111111");
    /// assert!(statement.account_id("Roth").is_err());
    /// # Ok::<(), pbal_ibkr::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::UnknownAccount`] when no account has that id or alias;
    /// [`Error::AmbiguousAlias`] when several accounts share the alias.
    pub fn account_id(&self, name: &str) -> Result<String, Error> {
        if self.accounts.iter().any(|a| a == name) {
            return Ok(name.to_owned());
        }
        let named: Vec<&String> = self
            .account_aliases
            .iter()
            .filter(|(_, alias)| alias.as_str() == name)
            .map(|(id, _)| id)
            .collect();
        match named.as_slice() {
            [id] => Ok((*id).clone()),
            [] => Err(Error::UnknownAccount {
                file: self.source.clone(),
                account: name.to_owned(),
                accounts: self.accounts.clone(),
            }),
            several => Err(Error::AmbiguousAlias {
                file: self.source.clone(),
                alias: name.to_owned(),
                accounts: several.iter().map(|id| (*id).clone()).collect(),
            }),
        }
    }

    /// Each account's ending cash in base currency (see [`Statement::cash_in_base`]), in
    /// account order: the cash `pbal_core::split_by_account` buys with.
    ///
    /// # Errors
    /// Those of [`Statement::cash_in_base`] for any account: [`Error::NoCash`] for an account
    /// without cash rows, [`Error::NoBaseCurrency`] for cash in a currency without a rate.
    pub fn cash_per_account(&self) -> Result<BTreeMap<String, Decimal>, Error> {
        self.accounts
            .iter()
            .map(|a| {
                let amount = self.cash_in_base(&AccountSelection::Only(a.clone()))?;
                Ok((a.clone(), amount))
            })
            .collect()
    }

    /// The file's trades as wash-sale history (`pbal_core::WashSaleGuard::history`); empty when
    /// the file has no Trades section.
    pub fn wash_sale_history(&self) -> Vec<pbal_core::PastTrade> {
        self.trades.iter().map(past_trade).collect()
    }

    /// The wash-sale guard over the file's trades (`None` without trades); `block_buys` stops
    /// buys that would wash a loss instead of only flagging them. Every account counts as
    /// taxable; see [`Statement::household_wash_sale_guard`] for a household with an IRA.
    pub fn wash_sale_guard(&self, block_buys: bool) -> Option<pbal_core::WashSaleGuard> {
        self.household_wash_sale_guard(block_buys, &BTreeMap::new())
    }

    /// The wash-sale guard over every account's trades: a loss sale in one account washes
    /// with a buy of the same fund in any account of the household within 30 days, an IRA's
    /// buy too (where the loss is then lost for good, IRS Rev. Rul. 2008-5). A sale in an
    /// account whose `kinds` entry realizes nothing taxable (tax-deferred, tax-free) has no
    /// deductible loss and washes nothing. `None` when no trade is left to guard with.
    pub fn household_wash_sale_guard(
        &self,
        block_buys: bool,
        kinds: &BTreeMap<String, pbal_core::AccountKind>,
    ) -> Option<pbal_core::WashSaleGuard> {
        let sheltered = |account: Option<&String>| {
            account
                .and_then(|a| kinds.get(a))
                .is_some_and(|kind| !kind.is_taxable())
        };
        let history: Vec<pbal_core::PastTrade> = self
            .trades
            .iter()
            .filter(|t| !(t.side == pbal_core::Side::Sell && sheltered(t.account.as_ref())))
            .map(past_trade)
            .collect();
        (!history.is_empty()).then(|| pbal_core::WashSaleGuard::new(history, block_buys))
    }
}

/// A Trades row as the wash-sale guard's history entry.
fn past_trade(t: &crate::PastTradeRow) -> pbal_core::PastTrade {
    pbal_core::PastTrade::new(t.symbol.clone(), t.date, t.side, t.quantity, t.realized_pnl)
}

impl Holdings {
    /// Shares per symbol per account: what `pbal_core::split_by_account` sells from.
    pub fn held_by_account(&self) -> BTreeMap<String, BTreeMap<String, Decimal>> {
        self.instruments
            .iter()
            .map(|(symbol, i)| {
                let mut per_account: BTreeMap<String, Decimal> = BTreeMap::new();
                for (account, quantity) in &i.accounts {
                    *per_account.entry(account.clone()).or_default() += *quantity;
                }
                (symbol.clone(), per_account)
            })
            .collect()
    }

    /// Each account's holdings value in base currency, starting from `accounts` at zero (an
    /// account holding nothing is listed too).
    ///
    /// # Errors
    /// `pbal_core::Error::Overflow` when a value is too large to compute.
    pub fn value_by_account<'a>(
        &self,
        accounts: impl IntoIterator<Item = &'a String>,
    ) -> Result<BTreeMap<String, Decimal>, pbal_core::Error> {
        let overflow = || pbal_core::Error::Overflow {
            what: "value per account",
        };
        let mut values: BTreeMap<String, Decimal> = accounts
            .into_iter()
            .map(|a| (a.clone(), Decimal::ZERO))
            .collect();
        for (symbol, i) in &self.instruments {
            let price = self
                .portfolio
                .get(symbol)
                .map_or(Decimal::ZERO, |h| h.price);
            for (account, quantity) in &i.accounts {
                let value = values.entry(account.clone()).or_default();
                *value = quantity
                    .checked_mul(price)
                    .and_then(|v| v.checked_add(*value))
                    .ok_or_else(overflow)?;
            }
        }
        Ok(values)
    }
}
