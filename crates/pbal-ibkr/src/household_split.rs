//! A household plan (every account of an export planned as one) split into orders per account,
//! with the cash each account starts from: its own, or a household amount put in one account
//! or shared out.

use std::collections::BTreeMap;

use pbal_core::{HouseholdSplit, Plan, PlanOptions, Trade};
use rust_decimal::Decimal;

use crate::{AccountSelection, CurrencyFlows, Error, Holdings, Statement};

/// The cash a household split starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HouseholdCash<'a> {
    /// Each account's own ending cash from the export ([`Statement::cash_per_account`]).
    Available,
    /// An amount for the whole household (negative: a withdrawal), all of it in one account.
    InAccount {
        /// The amount.
        amount: Decimal,
        /// The account it is in.
        account: &'a str,
    },
    /// An amount for the whole household, shared out: a deposit by each account's share of
    /// the household's value, a withdrawal by what each account's sales raise.
    Shared(Decimal),
    /// Each account's own ending cash (none in a file without cash balances) plus an amount
    /// moving in or, negative, out of the household: into `account` when named, else shared
    /// out (a deposit by each account's share of the household's value, a withdrawal by what
    /// each account has after its orders).
    OnTop {
        /// The deposit (positive) or withdrawal (negative).
        amount: Decimal,
        /// The account it goes to or comes out of; `None`: shared out.
        account: Option<&'a str>,
    },
}

/// What a shared amount was shared out by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShareBasis {
    /// A withdrawal: by what each account's sales of the plan raise.
    Sales,
    /// A deposit: by each account's share of the household's value.
    Value,
    /// A withdrawal on top of the accounts' own cash: by what each account has after its
    /// orders.
    CashAfterOrders,
    /// A deposit on top of the accounts' own cash: first to the accounts whose orders their
    /// own cash does not cover, by what each lacks, the rest by each account's share of the
    /// household's value.
    NeedThenValue,
}

/// `what each account's sales raise` or `each account's share of the household's value`
/// (read after "split over the accounts by").
impl std::fmt::Display for ShareBasis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Sales => "what each account's sales raise",
            Self::Value => "each account's share of the household's value",
            Self::CashAfterOrders => "what each account has after its orders",
            Self::NeedThenValue => {
                "what each account's orders need beyond its own cash, the rest by each \
                 account's share of the household's value"
            }
        })
    }
}

/// How [`HouseholdCash::Shared`] was shared out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SharedCash {
    /// The amount shared.
    pub amount: Decimal,
    /// Each account's part (they add up to `amount` exactly).
    pub parts: BTreeMap<String, Decimal>,
    /// What it was shared out by.
    pub basis: ShareBasis,
}

/// A household plan's orders per account.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HouseholdOrders {
    /// The orders per account and each account's cash after them, audited
    /// ([`pbal_core::audit_split`]).
    pub split: HouseholdSplit,
    /// How a shared amount was shared out (`None` unless [`HouseholdCash::Shared`]): worth
    /// telling the user, who did not say which account the money is in.
    pub shared: Option<SharedCash>,
    /// Each account's cash per currency before its orders: its Cash Report's with
    /// [`HouseholdCash::Available`], else its part of the amount, in the base currency.
    pub cash_by_currency: BTreeMap<String, BTreeMap<String, Decimal>>,
}

impl HouseholdOrders {
    /// Each account's orders per currency, its cash there and the conversions it needs
    /// ([`CurrencyFlows`], made from that account's orders and cash alone): currency cannot
    /// move between accounts, so each converts its own. `instruments` and `base` come from
    /// [`Holdings`]. Accounts without orders are left out.
    ///
    /// # Errors
    /// [`Error::Plan`] for an order too large to convert.
    pub fn currency_flows(
        &self,
        instruments: &BTreeMap<String, crate::Instrument>,
        base: Option<&str>,
    ) -> Result<BTreeMap<String, CurrencyFlows>, Error> {
        let mut trades: BTreeMap<&str, Vec<Trade>> = BTreeMap::new();
        for o in &self.split.orders {
            let mut trade = Trade::new(o.symbol.clone(), o.side, o.quantity, o.price)?;
            trade.commission = o.commission;
            trades.entry(o.account.as_str()).or_default().push(trade);
        }
        let none = BTreeMap::new();
        trades
            .into_iter()
            .map(|(account, trades)| {
                let cash = self.cash_by_currency.get(account).unwrap_or(&none);
                let flows = CurrencyFlows::new(&trades, instruments, cash, base)?;
                Ok((account.to_owned(), flows))
            })
            .collect()
    }
}

/// A deposit shared over accounts that keep their own cash: what each lacks for its orders
/// (`after`: each account's cash after them, from its own cash alone) comes first, by what it
/// lacks when the deposit is smaller; what is left goes by `value`.
fn deposit_parts(
    amount: Decimal,
    after: &BTreeMap<String, Decimal>,
    value: &BTreeMap<String, Decimal>,
) -> Result<(BTreeMap<String, Decimal>, ShareBasis), Error> {
    let lacking: BTreeMap<String, Decimal> = after
        .iter()
        .map(|(a, c)| (a.clone(), (-*c).max(Decimal::ZERO)))
        .collect();
    let lacked: Decimal = lacking.values().copied().sum();
    if lacked.is_zero() {
        return Ok((pbal_core::split_amount(amount, value)?, ShareBasis::Value));
    }
    if lacked >= amount {
        return Ok((
            pbal_core::split_amount(amount, &lacking)?,
            ShareBasis::NeedThenValue,
        ));
    }
    let mut parts = pbal_core::split_amount(amount - lacked, value)?;
    for (account, lack) in lacking {
        *parts.entry(account).or_default() += lack;
    }
    Ok((parts, ShareBasis::NeedThenValue))
}

fn zero_cash(accounts: &[String]) -> BTreeMap<String, Decimal> {
    accounts
        .iter()
        .map(|a| (a.clone(), Decimal::ZERO))
        .collect()
}

impl Statement {
    /// Splits a household `plan` (made over [`crate::AccountSelection::All`]'s `holdings`) into
    /// orders per account: sells from the accounts holding the most, buys into the accounts
    /// with the most cash ([`pbal_core::split_by_account`]), starting from `cash`. The split is
    /// audited before it is returned.
    ///
    /// ```
    /// use pbal_core::{PlanOptions, Side, dec};
    /// use pbal_ibkr::{AccountSelection, HouseholdCash, ShareBasis, read_bytes};
    ///
    /// let csv = "ClientAccountID,Symbol,Quantity,MarkPrice,PositionValue\n\
    ///            U1,VTI,30,100,3000\n\
    ///            U2,BND,10,100,1000\n";
    /// let statement = read_bytes(csv.as_bytes(), "household.csv")?;
    /// let managed = statement.portfolio(&AccountSelection::All, None)?;
    /// let options = PlanOptions::new();
    /// let plan = pbal_core::plan(&managed.portfolio, &managed.targets, dec!(2000), &options)?;
    /// let orders = statement.household_split(
    ///     &plan,
    ///     &managed.holdings,
    ///     HouseholdCash::Shared(dec!(2000)),
    ///     &options,
    /// )?;
    /// let shared = orders.shared.expect("a shared amount");
    /// assert_eq!(shared.basis, ShareBasis::Value);
    /// assert_eq!(shared.parts["U1"], dec!(1500)); // 3000 of the 4000 held
    /// let buy = &orders.split.orders[0];
    /// assert_eq!((buy.account.as_str(), buy.side, buy.quantity), ("U1", Side::Buy, dec!(15)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::UnknownAccount`] when [`HouseholdCash::InAccount`] names an account not in
    /// the export; the export's cash errors ([`Statement::cash_per_account`]); amounts too
    /// large to split, or a split that fails its audit (a bug), as [`Error::Plan`].
    pub fn household_split(
        &self,
        plan: &Plan,
        holdings: &Holdings,
        cash: HouseholdCash<'_>,
        options: &PlanOptions,
    ) -> Result<HouseholdOrders, Error> {
        let held = holdings.held_by_account();
        let zero: BTreeMap<String, Decimal> = self
            .accounts
            .iter()
            .map(|a| (a.clone(), Decimal::ZERO))
            .collect();
        let split = |cash: &BTreeMap<String, Decimal>| {
            pbal_core::split_by_account(&plan.trades, &held, cash, options.quantity_step, options)
        };
        let mut shared = None;
        let known = |account: &str| {
            if self.accounts.iter().any(|a| a == account) {
                Ok(())
            } else {
                Err(Error::UnknownAccount {
                    file: self.source.clone(),
                    account: account.to_owned(),
                    accounts: self.accounts.clone(),
                })
            }
        };
        let overflow = || pbal_core::Error::Overflow {
            what: "an account's cash plus its part of the amount",
        };
        let account_cash = match cash {
            HouseholdCash::Available => self.cash_per_account()?,
            HouseholdCash::InAccount { amount, account } => {
                known(account)?;
                let mut map = zero;
                map.insert(account.to_owned(), amount);
                map
            }
            HouseholdCash::OnTop { amount, account } => {
                let mut own = if self.cash.is_empty() {
                    zero.clone()
                } else {
                    self.cash_per_account()?
                };
                let parts = if let Some(account) = account {
                    known(account)?;
                    BTreeMap::from([(account.to_owned(), amount)])
                } else {
                    let after = split(&own)?.cash_after;
                    let (parts, basis) = if amount < Decimal::ZERO {
                        let parts = pbal_core::split_amount(amount, &after)?;
                        (parts, ShareBasis::CashAfterOrders)
                    } else {
                        let value = holdings.value_by_account(&self.accounts)?;
                        deposit_parts(amount, &after, &value)?
                    };
                    shared = Some(SharedCash {
                        amount,
                        parts: parts.clone(),
                        basis,
                    });
                    parts
                };
                for (account, part) in parts {
                    let entry = own.entry(account).or_default();
                    *entry = entry.checked_add(part).ok_or_else(overflow)?;
                }
                own
            }
            HouseholdCash::Shared(amount) => {
                let (weights, basis) = if amount < Decimal::ZERO {
                    // A withdrawal comes out of the accounts whose sales raise it.
                    (split(&zero)?.cash_after, ShareBasis::Sales)
                } else {
                    (
                        holdings.value_by_account(&self.accounts)?,
                        ShareBasis::Value,
                    )
                };
                let parts = pbal_core::split_amount(amount, &weights)?;
                shared = Some(SharedCash {
                    amount,
                    parts: parts.clone(),
                    basis,
                });
                parts
            }
        };
        let split = split(&account_cash)?;
        pbal_core::audit_split(&split, plan, &held, &account_cash)
            .map_err(pbal_core::Error::from)?;
        let own_by_currency = || {
            self.accounts
                .iter()
                .map(|a| {
                    Ok((
                        a.clone(),
                        self.cash_by_currency(&AccountSelection::Only(a.clone()))?,
                    ))
                })
                .collect::<Result<BTreeMap<_, BTreeMap<_, _>>, Error>>()
        };
        let cash_by_currency = match cash {
            HouseholdCash::Available => own_by_currency()?,
            // The accounts' balances, each with its part of the amount in the base currency.
            HouseholdCash::OnTop { .. } => {
                let mut by_account = own_by_currency()?;
                let own = if self.cash.is_empty() {
                    zero_cash(&self.accounts)
                } else {
                    self.cash_per_account()?
                };
                for (account, cash) in &account_cash {
                    let part = cash - own.get(account).copied().unwrap_or_default();
                    let currencies = by_account.entry(account.clone()).or_default();
                    // The amount is in the base currency; without one named, in the account's
                    // only currency.
                    let code = holdings.base_currency.clone().or_else(|| {
                        (currencies.len() == 1).then(|| currencies.keys().next().cloned())?
                    });
                    if let Some(code) = code {
                        *currencies.entry(code).or_default() += part;
                    }
                }
                by_account
            }
            // An amount is in the base currency.
            _ => account_cash
                .iter()
                .map(|(a, amount)| {
                    let by_currency = holdings
                        .base_currency
                        .iter()
                        .map(|b| (b.clone(), *amount))
                        .collect();
                    (a.clone(), by_currency)
                })
                .collect(),
        };
        Ok(HouseholdOrders {
            split,
            shared,
            cash_by_currency,
        })
    }
}
