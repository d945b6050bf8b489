//! What an export says, in one shape whatever the layout, and how it becomes a portfolio.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use pbal_core::{Holding, Lot, Portfolio};
use rust_decimal::Decimal;
use rustc_hash::{FxBuildHasher, FxHashMap};
use serde::Serialize;

use crate::columns::Column;
use crate::{Error, Excluded, SkipReason};

/// Which accounts to plan.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AccountSelection {
    /// Only this account.
    Only(String),
    /// All accounts together, as one household.
    All,
    /// The file's only account (an error when it has several).
    #[default]
    Single,
}

/// Everything pbal read from one export. Serializes to `pbal positions --format json`.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Statement {
    /// The base currency, when the file tells.
    pub base_currency: Option<String>,
    /// Accounts, in file order.
    pub accounts: Vec<String>,
    /// Each account's alias (the export's `AccountAlias`), for the accounts that have one:
    /// a config may name an account by it ([`Statement::account_id`]).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub account_aliases: BTreeMap<String, String>,
    /// Positions (summary level), with their lots.
    pub positions: Vec<Position>,
    /// Ending cash per account and currency (`BASE` = the base-currency summary).
    pub cash: Vec<CashBalance>,
    /// Trades in the file (for the wash-sale guard).
    pub trades: Vec<PastTradeRow>,
    /// Rows not used, with the reason.
    pub skipped: Vec<Skipped>,
    /// The file's name, for messages.
    #[serde(skip)]
    pub source: String,
    /// Which kind of export it is (its errors' hints differ).
    #[serde(skip)]
    pub kind: ExportKind,
    /// The last day the export reports on (an Activity Statement's period end, a Flex
    /// Query's `toDate`), when it says.
    #[serde(skip)]
    pub report_date: Option<Date>,
}

/// The kind of export a [`Statement`] was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ExportKind {
    /// An Activity Statement CSV (Statements › Activity).
    ActivityStatement,
    /// A Flex Query (CSV or XML), or the original tool's CSV.
    #[default]
    FlexQuery,
    /// The Client Portal gateway's positions and ledger.
    Gateway,
}

/// One position as the export gives it.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Position {
    /// Account id.
    pub account: Option<String>,
    /// Symbol.
    pub symbol: String,
    /// IBKR contract id.
    pub conid: Option<String>,
    /// Asset class code (STK, OPT, FUT, …).
    pub asset_class: Option<String>,
    /// Sub-category (ETF, COMMON, REIT, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_category: Option<String>,
    /// Currency of the money fields.
    pub currency: Option<String>,
    /// Quantity (negative: short).
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
    /// Mark price per unit.
    #[serde(with = "rust_decimal::serde::str")]
    pub price: Decimal,
    /// Position value (multiplier applied), in `currency`.
    #[serde(with = "rust_decimal::serde::str")]
    pub value: Decimal,
    /// Value in the base currency.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub value_base: Option<Decimal>,
    /// Rate from `currency` to base.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub fx_rate_to_base: Option<Decimal>,
    /// Contract multiplier.
    #[serde(with = "rust_decimal::serde::str")]
    pub multiplier: Decimal,
    /// Unrealized P&L, in `currency`.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub unrealized_pnl: Option<Decimal>,
    /// Primary listing exchange.
    pub listing_exchange: Option<String>,
    /// Tax lots.
    pub lots: Vec<LotRow>,
    /// Line (or element number) in the file.
    pub line: u64,
}

/// One tax lot.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct LotRow {
    /// Open date.
    pub open_date: Option<Date>,
    /// Quantity.
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
    /// Cost basis (money).
    #[serde(with = "rust_decimal::serde::str")]
    pub cost_basis: Decimal,
    /// Unrealized P&L.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub unrealized_pnl: Option<Decimal>,
    /// Line in the file.
    pub line: u64,
}

/// Ending cash of one account in one currency.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct CashBalance {
    /// Account id.
    pub account: Option<String>,
    /// ISO currency, or `BASE` for the base-currency summary.
    pub currency: String,
    /// Ending cash (negative: a margin loan).
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

/// A trade from the file's Trades section.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct PastTradeRow {
    /// Account id.
    pub account: Option<String>,
    /// Symbol.
    pub symbol: String,
    /// Trade date.
    pub date: Date,
    /// Buy or sell.
    pub side: pbal_core::Side,
    /// Shares.
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
    /// Realized P&L of a sale.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub realized_pnl: Option<Decimal>,
}

/// A row pbal did not use.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Skipped {
    /// Line in the file.
    pub line: u64,
    /// Why.
    pub reason: SkipReason,
}

/// Holdings ready for planning, in the base currency.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Holdings {
    /// One holding per symbol (accounts merged for a household).
    pub portfolio: Portfolio,
    /// Per symbol: currency, rate, local price, accounts.
    pub instruments: BTreeMap<String, Instrument>,
    /// What was left out, and why.
    pub excluded: Vec<Excluded>,
    /// The base currency, when known.
    pub base_currency: Option<String>,
}

/// How a symbol trades.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Instrument {
    /// Trading currency.
    pub currency: Option<String>,
    /// Rate from the trading currency to base.
    pub fx_rate_to_base: Decimal,
    /// Price in the trading currency.
    pub local_price: Decimal,
    /// IBKR contract id.
    pub conid: Option<String>,
    /// Asset class code.
    pub asset_class: Option<String>,
    /// Primary exchange.
    pub listing_exchange: Option<String>,
    /// Accounts holding it, with quantities.
    pub accounts: Vec<(String, Decimal)>,
}

impl CashBalance {
    /// Ending cash of `account` (`None`: the export names no account) in `currency` (an ISO
    /// code, or `BASE` for the base-currency summary).
    ///
    /// ```
    /// use pbal_core::dec;
    /// let cash = pbal_ibkr::CashBalance::new(Some("U1".into()), "EUR", dec!(150));
    /// assert_eq!(cash.currency, "EUR");
    /// ```
    pub fn new(account: Option<String>, currency: impl Into<String>, amount: Decimal) -> Self {
        Self {
            account,
            currency: currency.into(),
            amount,
        }
    }
}

impl Instrument {
    /// A symbol trading in `currency` at `local_price`, converted to base at
    /// `fx_rate_to_base`; no contract id, asset class, exchange or accounts yet (set the fields
    /// that are known).
    ///
    /// ```
    /// use pbal_core::dec;
    /// let mut eur = pbal_ibkr::Instrument::new(Some("EUR".into()), dec!(1.1), dec!(100));
    /// eur.listing_exchange = Some("IBIS2".into());
    /// assert!(eur.accounts.is_empty());
    /// ```
    pub fn new(currency: Option<String>, fx_rate_to_base: Decimal, local_price: Decimal) -> Self {
        Self {
            currency,
            fx_rate_to_base,
            local_price,
            conid: None,
            asset_class: None,
            listing_exchange: None,
            accounts: Vec::new(),
        }
    }

    /// A cost the plan counts in base currency (a commission) in the trading currency, where
    /// IBKR charges it: rounded up to the currency's minor unit, so that converting what pbal
    /// shows always covers it. `None` when the rate is not positive or the amount overflows.
    ///
    /// ```
    /// use pbal_core::dec;
    /// let vti = pbal_ibkr::Instrument::new(Some("USD".into()), dec!(0.92), dec!(290));
    /// assert_eq!(vti.cost_in_currency(dec!(0.92)), Some(dec!(1.00)));
    /// assert_eq!(vti.cost_in_currency(dec!(0.5)), Some(dec!(0.55))); // 0.5435 up
    /// ```
    pub fn cost_in_currency(&self, base_amount: Decimal) -> Option<Decimal> {
        if self.fx_rate_to_base <= Decimal::ZERO {
            return None;
        }
        let decimals = self.currency.as_deref().map_or(2, crate::currency_decimals);
        Some(
            base_amount
                .checked_div(self.fx_rate_to_base)?
                .round_dp_with_strategy(decimals, rust_decimal::RoundingStrategy::AwayFromZero),
        )
    }
}

/// Asset classes planned like stocks (ETFs are STK at IBKR).
pub(crate) fn plannable(asset_class: Option<&str>) -> bool {
    matches!(asset_class, None | Some("STK" | "FUND" | "ETF"))
}

impl Statement {
    pub(crate) fn selected<'a>(
        &self,
        selection: &'a AccountSelection,
    ) -> Result<Option<&'a str>, Error> {
        match selection {
            AccountSelection::Only(id) => {
                if self.accounts.iter().any(|a| a == id) || self.accounts.is_empty() {
                    Ok(Some(id.as_str()))
                } else {
                    Err(Error::UnknownAccount {
                        file: self.source.clone(),
                        account: id.clone(),
                        accounts: self.accounts.clone(),
                    })
                }
            }
            AccountSelection::Single if self.accounts.len() > 1 => Err(Error::MultipleAccounts {
                file: self.source.clone(),
                accounts: self.accounts.clone(),
            }),
            AccountSelection::All | AccountSelection::Single => Ok(None),
        }
    }

    pub(crate) fn in_selection(account: Option<&String>, only: Option<&str>) -> bool {
        match (only, account) {
            (None, _) | (_, None) => true,
            (Some(id), Some(a)) => a == id,
        }
    }

    /// The rate to base for `currency`: given on rows, 1 for the base currency, or `None`.
    fn rate(&self, currency: Option<&str>) -> Option<Decimal> {
        let currency = currency?;
        if self.base_currency.as_deref() == Some(currency) {
            return Some(Decimal::ONE);
        }
        self.positions
            .iter()
            .find(|p| p.currency.as_deref() == Some(currency) && p.fx_rate_to_base.is_some())
            .and_then(|p| p.fx_rate_to_base)
    }

    /// The managed holdings in base currency. Non-stock asset classes and shorts are left out
    /// (and listed in `excluded`) unless `include` names the symbol.
    ///
    /// # Errors
    /// [`Error::MultipleAccounts`] for [`AccountSelection::Single`] in a file of several
    /// accounts, [`Error::UnknownAccount`] for [`AccountSelection::Only`] an account not in the
    /// file; [`Error::NoBaseCurrency`] for a position in a currency without a rate
    /// to base when the file has several currencies; [`Error::Parse`] for a symbol held in two
    /// currencies or at two prices, or a value too large to convert; [`Error::Portfolio`] when
    /// pbal-core refuses the holdings (e.g. a price that is not positive).
    pub fn to_holdings(
        &self,
        selection: &AccountSelection,
        include: &BTreeSet<String>,
    ) -> Result<Holdings, Error> {
        let only = self.selected(selection)?;
        let currencies: BTreeSet<&str> = self
            .positions
            .iter()
            .filter_map(|p| p.currency.as_deref())
            .collect();
        // Merged holdings in first-seen order, found by symbol through an index that borrows
        // the symbols; sorted once at the end (a map of strings to large values cost more
        // than reading the file).
        let mut merged: Vec<(Holding, Instrument)> = Vec::with_capacity(self.positions.len());
        let mut index: FxHashMap<&str, usize> =
            FxHashMap::with_capacity_and_hasher(self.positions.len(), FxBuildHasher);
        let mut excluded = Vec::new();
        for p in self
            .positions
            .iter()
            .filter(|p| Self::in_selection(p.account.as_ref(), only))
        {
            let wanted = include.contains(&p.symbol);
            if !wanted && !plannable(p.asset_class.as_deref()) {
                excluded.push(Excluded::NotStockOrFund {
                    symbol: p.symbol.clone(),
                    asset_class: p.asset_class.clone().unwrap_or_else(|| "?".to_owned()),
                });
                continue;
            }
            if p.quantity < Decimal::ZERO {
                excluded.push(Excluded::Short {
                    symbol: p.symbol.clone(),
                    asset_class: p.asset_class.clone(),
                });
                continue;
            }
            let fx = match p
                .fx_rate_to_base
                .or_else(|| self.rate(p.currency.as_deref()))
            {
                Some(rate) => rate,
                None if currencies.len() <= 1 => Decimal::ONE,
                None => {
                    // Only the currencies that lack a rate: the base and any with one are fine.
                    let without: Vec<&str> = currencies
                        .iter()
                        .copied()
                        .filter(|c| self.rate(Some(c)).is_none())
                        .collect();
                    return Err(Error::NoBaseCurrency {
                        file: self.source.clone(),
                        currencies: without.join(", "),
                        base: self.base_currency.clone(),
                        kind: self.kind,
                    });
                }
            };
            let overflow = || Error::Parse {
                file: self.source.clone(),
                line: p.line,
                field: Column::Value.ibkr_name().into(),
                message: "too large".into(),
            };
            let value_base = p.value.checked_mul(fx).ok_or_else(overflow)?;
            let price_base = p.price.checked_mul(fx).ok_or_else(overflow)?;
            let lots: Vec<Lot> = p
                .lots
                .iter()
                .map(|l| {
                    let mut lot = Lot::new(l.quantity, l.cost_basis * fx);
                    lot.open_date = l.open_date;
                    lot.unrealized_pnl = l.unrealized_pnl.map(|u| u * fx);
                    lot
                })
                .collect();
            let account = p.account.clone().unwrap_or_default();
            if let Some((h, instrument)) = index.get(p.symbol.as_str()).map(|&i| &mut merged[i]) {
                if instrument.currency != p.currency {
                    return Err(Error::Parse {
                        file: self.source.clone(),
                        line: p.line,
                        field: Column::Currency.ibkr_name().into(),
                        message: format!("{} is held in two currencies", p.symbol),
                    });
                }
                // One symbol has one mark in a statement; two would make the merged holding's
                // value differ from its quantity times its price.
                if instrument.local_price != p.price {
                    return Err(Error::Parse {
                        file: self.source.clone(),
                        line: p.line,
                        field: Column::Price.ibkr_name().into(),
                        message: format!(
                            "{} is priced {} here and {} in account {}",
                            p.symbol,
                            p.price,
                            instrument.local_price,
                            instrument.accounts.first().map_or("-", |(a, _)| a.as_str())
                        ),
                    });
                }
                h.quantity += p.quantity;
                h.value += value_base;
                h.unrealized_pnl = match (h.unrealized_pnl, p.unrealized_pnl) {
                    (Some(a), Some(b)) => Some(a + b * fx),
                    _ => None,
                };
                h.lots.extend(lots);
                instrument.accounts.push((account, p.quantity));
            } else {
                let mut holding =
                    Holding::valued(p.symbol.clone(), p.quantity, price_base, value_base)
                        .with_lots(lots);
                holding.unrealized_pnl = p.unrealized_pnl.map(|u| u * fx);
                let instrument = Instrument {
                    currency: p.currency.clone().or_else(|| self.base_currency.clone()),
                    fx_rate_to_base: fx,
                    local_price: p.price,
                    conid: p.conid.clone(),
                    asset_class: p.asset_class.clone(),
                    listing_exchange: p.listing_exchange.clone(),
                    accounts: vec![(account, p.quantity)],
                };
                index.insert(&p.symbol, merged.len());
                merged.push((holding, instrument));
            }
        }
        drop(index);
        // Symbols are unique here, so an unstable sort gives the map's order.
        merged.sort_unstable_by(|(a, _), (b, _)| a.symbol.cmp(&b.symbol));
        let mut holdings = Vec::with_capacity(merged.len());
        let mut by_symbol = Vec::with_capacity(merged.len());
        for (h, i) in merged {
            by_symbol.push((h.symbol.clone(), i));
            holdings.push(h);
        }
        // Built from sorted pairs in one pass, not one insertion at a time.
        let instruments: BTreeMap<String, Instrument> = by_symbol.into_iter().collect();
        let portfolio = Portfolio::new(holdings).map_err(|source| Error::Portfolio {
            file: self.source.clone(),
            source,
        })?;
        Ok(Holdings {
            portfolio,
            instruments,
            excluded,
            base_currency: self.base_currency.clone(),
        })
    }

    /// Ending cash per currency (ISO code) for the selection, the base-currency summaries
    /// (`BASE`) left out: what each currency can pay for before a conversion.
    ///
    /// # Errors
    /// [`Error::MultipleAccounts`] for [`AccountSelection::Single`] in a file of several
    /// accounts, [`Error::UnknownAccount`] for [`AccountSelection::Only`] an account not in the
    /// file.
    pub fn cash_by_currency(
        &self,
        selection: &AccountSelection,
    ) -> Result<BTreeMap<String, Decimal>, Error> {
        let only = self.selected(selection)?;
        let mut by_currency: BTreeMap<String, Decimal> = BTreeMap::new();
        for c in self
            .cash
            .iter()
            .filter(|c| c.currency != "BASE" && Self::in_selection(c.account.as_ref(), only))
        {
            *by_currency.entry(c.currency.clone()).or_default() += c.amount;
        }
        Ok(by_currency)
    }

    /// Ending cash in base currency for the selection: each account's base summary, else its
    /// currencies converted.
    ///
    /// # Errors
    /// [`Error::MultipleAccounts`] for [`AccountSelection::Single`] in a file of several
    /// accounts, [`Error::UnknownAccount`] for [`AccountSelection::Only`] an account not in the
    /// file; [`Error::NoCash`] when the selection has no cash rows;
    /// [`Error::NoBaseCurrency`] for an account without a `BASE` summary whose cash is in a
    /// currency without a rate.
    pub fn cash_in_base(&self, selection: &AccountSelection) -> Result<Decimal, Error> {
        let only = self.selected(selection)?;
        let rows: Vec<&CashBalance> = self
            .cash
            .iter()
            .filter(|c| Self::in_selection(c.account.as_ref(), only))
            .collect();
        if rows.is_empty() {
            return Err(Error::NoCash {
                file: self.source.clone(),
            });
        }
        // Each account once, whatever the row order: IBKR lists Cash Report rows by account or
        // by currency (BASE for every account, then USD for every account, …).
        let mut accounts: Vec<Option<&String>> = Vec::new();
        for c in &rows {
            if !accounts.contains(&c.account.as_ref()) {
                accounts.push(c.account.as_ref());
            }
        }
        let mut total = Decimal::ZERO;
        for account in accounts {
            let of: Vec<&&CashBalance> = rows
                .iter()
                .filter(|c| c.account.as_ref() == account)
                .collect();
            if let Some(base) = of.iter().find(|c| c.currency == "BASE") {
                total += base.amount;
                continue;
            }
            for c in of {
                let rate = self.rate(Some(&c.currency)).or_else(|| {
                    (self.base_currency.is_none()
                        && self.cash.iter().all(|x| x.currency == c.currency))
                    .then_some(Decimal::ONE)
                });
                let Some(rate) = rate else {
                    return Err(Error::NoBaseCurrency {
                        file: self.source.clone(),
                        currencies: c.currency.clone(),
                        base: self.base_currency.clone(),
                        kind: self.kind,
                    });
                };
                total += c.amount * rate;
            }
        }
        Ok(total)
    }
}
