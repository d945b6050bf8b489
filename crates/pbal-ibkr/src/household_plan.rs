//! A household plan: every account of an export planned as one, each order placed in one
//! account and paid from its own cash, starting from its own cash or a household amount.

use std::collections::BTreeMap;

use pbal_core::{Account, AccountKind, HouseholdSplit, NewCash, Plan, PlanOptions, Trade};
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
    /// Chosen by the plan: a deposit into the accounts whose orders need it, a withdrawal out
    /// of taxable accounts that have it after their orders.
    Orders,
}

/// `what each account's sales raise` or `each account's share of the household's value`
/// (read after "split over the accounts by").
impl std::fmt::Display for ShareBasis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Sales => "what each account's sales raise",
            Self::Value => "each account's share of the household's value",
            Self::CashAfterOrders => "what each account has after its orders",
            Self::Orders => {
                "where the plan's orders need it (out of taxable accounts for a withdrawal)"
            }
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
    /// Cash moved between taxable accounts before the orders, in the base currency (only with
    /// `PlanOptions::allow_transfers`); already in `split.cash_after` and `cash_by_currency`.
    pub transfers: Vec<pbal_core::Transfer>,
}

/// Adds an amount given in the base currency to an account's cash per currency; without a
/// base currency named, in the account's only currency (else nowhere: it cannot be placed).
fn add_in_base(currencies: &mut BTreeMap<String, Decimal>, base: Option<&str>, amount: Decimal) {
    let code = base
        .map(str::to_owned)
        .or_else(|| (currencies.len() == 1).then(|| currencies.keys().next().cloned())?);
    if let Some(code) = code {
        *currencies.entry(code).or_default() += amount;
    }
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

fn zero_cash(accounts: &[String]) -> BTreeMap<String, Decimal> {
    accounts
        .iter()
        .map(|a| (a.clone(), Decimal::ZERO))
        .collect()
}

impl Statement {
    /// Plans a household: every account of the export (`holdings`, made over
    /// [`crate::AccountSelection::All`]) planned as one toward `targets`, each order placed in
    /// one account and paid from that account's own cash ([`pbal_core::plan_household`]), with
    /// the cash each account starts from given by `cash`. `kinds` says how each account is
    /// taxed (by id; the default is taxable). `options.reserve` is kept in the account the
    /// amount names, else in the account with the most cash.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use pbal_core::{PlanOptions, Side, dec};
    /// use pbal_ibkr::{AccountSelection, HouseholdCash, read_bytes};
    ///
    /// let csv = "ClientAccountID,Symbol,Quantity,MarkPrice,PositionValue\n\
    ///            U1,VTI,30,100,3000\n\
    ///            U2,BND,10,100,1000\n";
    /// let statement = read_bytes(csv.as_bytes(), "household.csv")?;
    /// let managed = statement.portfolio(&AccountSelection::All, None)?;
    /// let (plan, orders) = statement.plan_household(
    ///     &managed.holdings,
    ///     &managed.portfolio,
    ///     &managed.targets,
    ///     HouseholdCash::Shared(dec!(2000)),
    ///     &BTreeMap::new(),
    ///     &PlanOptions::new(),
    /// )?;
    /// // The 2,000 buys 20 BND in one account; the plan says where the money goes.
    /// let buy = &orders.split.orders[0];
    /// assert_eq!((buy.side, buy.quantity), (Side::Buy, dec!(20)));
    /// let shared = orders.shared.expect("pbal chose the account");
    /// assert_eq!(shared.parts[&buy.account], dec!(2000));
    /// assert_eq!(plan.trades.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::UnknownAccount`] when `cash` names an account not in the export; the export's
    /// cash errors ([`Statement::cash_per_account`]); the plan's errors as [`Error::Plan`]
    /// (among them no plan that keeps every account within its own cash).
    pub fn plan_household(
        &self,
        holdings: &Holdings,
        portfolio: &pbal_core::Portfolio,
        targets: &pbal_core::Targets,
        cash: HouseholdCash<'_>,
        kinds: &BTreeMap<String, AccountKind>,
        options: &PlanOptions,
    ) -> Result<(Plan, HouseholdOrders), Error> {
        self.plan_household_holding_back(
            holdings,
            portfolio,
            targets,
            cash,
            kinds,
            options,
            &BTreeMap::new(),
        )
    }

    /// [`Statement::plan_household`] with `held_back` of each named account's cash left out of
    /// the plan (what its limit orders may cost beyond the plan's prices).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn plan_household_holding_back(
        &self,
        holdings: &Holdings,
        portfolio: &pbal_core::Portfolio,
        targets: &pbal_core::Targets,
        cash: HouseholdCash<'_>,
        kinds: &BTreeMap<String, AccountKind>,
        options: &PlanOptions,
        held_back: &BTreeMap<String, Decimal>,
    ) -> Result<(Plan, HouseholdOrders), Error> {
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
        let own = || -> Result<BTreeMap<String, Decimal>, Error> {
            if self.cash.is_empty() {
                Ok(zero_cash(&self.accounts))
            } else {
                self.cash_per_account()
            }
        };
        // Each account's own cash, and what moves in or out with the plan.
        let (account_cash, new_cash) = match cash {
            HouseholdCash::Available => (self.cash_per_account()?, NewCash::none()),
            HouseholdCash::InAccount { amount, account } => {
                known(account)?;
                let mut map = zero_cash(&self.accounts);
                map.insert(account.to_owned(), amount);
                (map, NewCash::none())
            }
            HouseholdCash::OnTop {
                amount,
                account: Some(account),
            } => {
                known(account)?;
                (own()?, NewCash::in_account(amount, account))
            }
            HouseholdCash::OnTop {
                amount,
                account: None,
            } => (own()?, NewCash::amount(amount)),
            HouseholdCash::Shared(amount) => (zero_cash(&self.accounts), NewCash::amount(amount)),
        };
        let mut account_cash = account_cash;
        for (account, amount) in held_back {
            if let Some(cash) = account_cash.get_mut(account) {
                *cash -= *amount;
            }
        }
        let reserve_account = new_cash.account.clone().or_else(|| match cash {
            HouseholdCash::InAccount { account, .. } => Some(account.to_owned()),
            _ => account_cash
                .iter()
                .max_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(x.0)))
                .map(|(a, _)| a.clone()),
        });
        let accounts = self.accounts_of(
            holdings,
            portfolio,
            &account_cash,
            kinds,
            options,
            reserve_account.as_deref(),
        )?;
        let mut household_options = options.clone();
        household_options.reserve = Decimal::ZERO;
        let planned = pbal_core::plan_household(
            &accounts,
            portfolio,
            targets,
            &new_cash,
            &household_options,
        )?;
        let shared =
            (new_cash.account.is_none() && !new_cash.amount.is_zero()).then(|| SharedCash {
                amount: new_cash.amount,
                parts: planned.new_cash.clone(),
                basis: ShareBasis::Orders,
            });
        let mut start = account_cash.clone();
        for (account, part) in &planned.new_cash {
            *start.entry(account.clone()).or_default() += *part;
        }
        for t in &planned.transfers {
            *start.entry(t.from.clone()).or_default() -= t.amount;
            *start.entry(t.to.clone()).or_default() += t.amount;
        }
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
        let mut cash_by_currency = match cash {
            HouseholdCash::Available => own_by_currency()?,
            // The accounts' balances, each with its part of the amount in the base currency.
            HouseholdCash::OnTop { .. } => {
                let mut by_account = own_by_currency()?;
                let own = own()?;
                for (account, cash) in &start {
                    let part = cash - own.get(account).copied().unwrap_or_default();
                    let currencies = by_account.entry(account.clone()).or_default();
                    add_in_base(currencies, holdings.base_currency.as_deref(), part);
                }
                by_account
            }
            // An amount is in the base currency.
            _ => start
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
        if matches!(cash, HouseholdCash::Available) {
            // The moved cash (the other cases count it in `start`).
            for t in &planned.transfers {
                for (account, amount) in [(&t.from, -t.amount), (&t.to, t.amount)] {
                    let currencies = cash_by_currency.entry(account.clone()).or_default();
                    add_in_base(currencies, holdings.base_currency.as_deref(), amount);
                }
            }
        }
        Ok((
            planned.plan,
            HouseholdOrders {
                split: planned.split,
                shared,
                cash_by_currency,
                transfers: planned.transfers,
            },
        ))
    }

    /// The export's accounts as pbal-core's: each with its own shares of the managed
    /// `portfolio` (at the portfolio's prices), its own lots, its cash and kind.
    fn accounts_of(
        &self,
        holdings: &Holdings,
        portfolio: &pbal_core::Portfolio,
        cash: &BTreeMap<String, Decimal>,
        kinds: &BTreeMap<String, AccountKind>,
        options: &PlanOptions,
        reserve_account: Option<&str>,
    ) -> Result<Vec<Account>, Error> {
        let symbols: std::collections::BTreeSet<String> = portfolio
            .holdings()
            .iter()
            .map(|h| h.symbol.clone())
            .collect();
        let mut accounts = Vec::with_capacity(self.accounts.len());
        for id in &self.accounts {
            let own = self.to_holdings(&AccountSelection::Only(id.clone()), &symbols)?;
            let mut account = Account::new(id.clone(), cash.get(id).copied().unwrap_or_default())
                .with_kind(kinds.get(id).copied().unwrap_or_default());
            if reserve_account == Some(id.as_str()) {
                account = account.with_reserve(options.reserve);
            }
            for h in portfolio.holdings() {
                let quantity: Decimal = holdings
                    .instruments
                    .get(&h.symbol)
                    .map(|i| {
                        i.accounts
                            .iter()
                            .filter(|(a, _)| a == id)
                            .map(|(_, q)| *q)
                            .sum()
                    })
                    .unwrap_or_default();
                if quantity.is_zero() {
                    continue;
                }
                let value = quantity
                    .checked_mul(h.price)
                    .ok_or(pbal_core::Error::Overflow {
                        what: "an account's position",
                    })?;
                let mut mine =
                    pbal_core::Holding::valued(h.symbol.clone(), quantity, h.price, value);
                if let Some(theirs) = own.portfolio.get(&h.symbol) {
                    mine.lots.clone_from(&theirs.lots);
                    mine.unrealized_pnl = theirs.unrealized_pnl;
                }
                account = account.with_holding(mine);
            }
            accounts.push(account);
        }
        Ok(accounts)
    }
}
