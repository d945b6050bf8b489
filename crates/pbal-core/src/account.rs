//! The accounts of a household: what each holds, its cash and reserve, and how it is taxed.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{Error, Holding, HouseholdSplit, Plan};

/// How an account's sales are taxed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum AccountKind {
    /// Gains are taxed when realized (a brokerage account).
    #[default]
    Taxable,
    /// Sales realize nothing taxable; withdrawals are taxed (a traditional IRA, 401(k), RRSP,
    /// SIPP).
    TaxDeferred,
    /// Sales realize nothing taxable (a Roth IRA, TFSA, ISA).
    TaxFree,
}

impl AccountKind {
    /// Whether a sale here realizes a taxable gain or loss.
    pub fn is_taxable(self) -> bool {
        self == Self::Taxable
    }

    /// The name used in files and output (`taxable`, `tax-deferred`, `tax-free`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Taxable => "taxable",
            Self::TaxDeferred => "tax-deferred",
            Self::TaxFree => "tax-free",
        }
    }
}

impl std::str::FromStr for AccountKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "taxable" => Ok(Self::Taxable),
            "tax-deferred" => Ok(Self::TaxDeferred),
            "tax-free" => Ok(Self::TaxFree),
            other => Err(format!(
                "unknown account kind `{other}` (taxable, tax-deferred or tax-free)"
            )),
        }
    }
}

/// One account of a household: its own cash, reserve, holdings (with their lots) and kind.
///
/// Each account's orders are paid from its own cash: [`crate::plan_household`] never spends
/// money one account has in another.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Account {
    /// Account id (as the broker names it).
    pub id: String,
    /// How its sales are taxed.
    pub kind: AccountKind,
    /// Cash before the plan (negative: a debit its own sales or a deposit must cover).
    pub cash: Decimal,
    /// Cash the account keeps after its orders.
    pub reserve: Decimal,
    /// What it holds, one holding per symbol (its quantity, lots and P&L in this account).
    pub holdings: Vec<Holding>,
}

impl Account {
    /// A taxable account with `cash`, no reserve and no holdings.
    pub fn new(id: impl Into<String>, cash: Decimal) -> Self {
        Self {
            id: id.into(),
            kind: AccountKind::Taxable,
            cash,
            reserve: Decimal::ZERO,
            holdings: Vec::new(),
        }
    }

    /// How its sales are taxed.
    #[must_use]
    pub fn with_kind(mut self, kind: AccountKind) -> Self {
        self.kind = kind;
        self
    }

    /// Cash it keeps after its orders.
    #[must_use]
    pub fn with_reserve(mut self, reserve: Decimal) -> Self {
        self.reserve = reserve;
        self
    }

    /// One more holding (its symbol's shares in this account).
    #[must_use]
    pub fn with_holding(mut self, holding: Holding) -> Self {
        self.holdings.push(holding);
        self
    }
}

/// Money moving into (positive) or out of (negative) a household with its plan.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct NewCash {
    /// The deposit (positive) or withdrawal (negative).
    pub amount: Decimal,
    /// The account it goes into or comes out of. `None`: a deposit goes where the plan needs it
    /// (decided by the optimisation), a withdrawal comes out of taxable accounts only.
    pub account: Option<String>,
}

impl NewCash {
    /// No money moves in or out.
    pub fn none() -> Self {
        Self::default()
    }

    /// `amount` in (positive) or out (negative), the account chosen by the plan.
    pub fn amount(amount: Decimal) -> Self {
        Self {
            amount,
            account: None,
        }
    }

    /// `amount` into or out of `account`.
    pub fn in_account(amount: Decimal, account: impl Into<String>) -> Self {
        Self {
            amount,
            account: Some(account.into()),
        }
    }
}

/// A household plan: the plan of the household's combined positions, its orders per account
/// and each account's cash after them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HouseholdPlan {
    /// The household's plan (its trades are the totals over the accounts; its commissions are
    /// what the accounts' orders pay).
    pub plan: Plan,
    /// Orders per account and each account's cash after them (never below its reserve).
    pub split: HouseholdSplit,
    /// The new cash per account: a deposit (positive) into, or a withdrawal (negative) out of,
    /// each account that takes part.
    pub new_cash: BTreeMap<String, Decimal>,
    /// Cash moved between taxable accounts before the orders (only with
    /// [`crate::PlanOptions::allow_transfers`], and only where the orders need it).
    pub transfers: Vec<Transfer>,
}

/// Cash moved from one taxable account of a household to another, before the orders.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Transfer {
    /// The account the cash leaves.
    pub from: String,
    /// The account it goes to.
    pub to: String,
    /// How much (positive).
    pub amount: Decimal,
}

/// Checks the accounts against each other and the managed portfolio: unique ids, amounts in
/// range, and each symbol's shares over the accounts equal to the portfolio's.
pub(crate) fn check_accounts(
    accounts: &[Account],
    portfolio: &crate::Portfolio,
    new_cash: &NewCash,
) -> Result<(), Error> {
    let invalid = |reason: String| {
        Err(Error::InvalidOption {
            option: "accounts",
            reason,
        })
    };
    if accounts.is_empty() {
        return invalid("a household needs at least one account".into());
    }
    let mut ids = std::collections::BTreeSet::new();
    let mut held: BTreeMap<&str, Decimal> = BTreeMap::new();
    for a in accounts {
        if a.id.is_empty() {
            return invalid("an account id is empty".into());
        }
        if !ids.insert(a.id.as_str()) {
            return invalid(format!("account {} is listed twice", a.id));
        }
        if a.reserve < Decimal::ZERO {
            return invalid(format!("account {}: the reserve is negative", a.id));
        }
        let mut symbols = std::collections::BTreeSet::new();
        for h in &a.holdings {
            if !symbols.insert(h.symbol.as_str()) {
                return invalid(format!("account {} holds {} twice", a.id, h.symbol));
            }
            if h.quantity < Decimal::ZERO {
                return Err(Error::ShortPosition {
                    symbol: h.symbol.clone(),
                    quantity: h.quantity,
                });
            }
            let entry = held.entry(h.symbol.as_str()).or_default();
            *entry = entry.checked_add(h.quantity).ok_or(Error::Overflow {
                what: "shares over the accounts",
            })?;
        }
        for amount in [a.cash, a.reserve] {
            if amount.abs() > crate::engine::MAX_AMOUNT {
                return Err(Error::TooLarge {
                    what: "an account's cash",
                    amount,
                    limit: crate::engine::MAX_AMOUNT,
                });
            }
        }
    }
    if let Some(account) = &new_cash.account
        && !ids.contains(account.as_str())
    {
        return invalid(format!(
            "new cash names account {account}, not in the household"
        ));
    }
    for h in portfolio.holdings() {
        let over_accounts = held.remove(h.symbol.as_str()).unwrap_or_default();
        if over_accounts != h.quantity {
            return invalid(format!(
                "{}: the accounts hold {over_accounts} shares, the portfolio {}",
                h.symbol, h.quantity
            ));
        }
    }
    if let Some((symbol, _)) = held.into_iter().next() {
        return invalid(format!(
            "{symbol} is held in an account but not in the portfolio"
        ));
    }
    Ok(())
}
