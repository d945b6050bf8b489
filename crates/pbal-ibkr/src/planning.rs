//! The whole of `pbal plan` between reading an export and showing its plan, as one call
//! ([`Statement::plan_request`]): the account selection, the managed portfolio and its
//! targets, the cash, IBKR's commission per market, the wash-sale guard with its substitutes,
//! the plan (one account, or a household with every account within its own cash) and the
//! currency audit. A library user with the same inputs gets the plan `pbal plan` shows.

use std::collections::BTreeMap;

use pbal_core::{
    AccountKind, Commission, Plan, PlanOptions, Portfolio, Substitution, Targets, WashSaleGuard,
};
use rust_decimal::Decimal;

use crate::{
    AccountSelection, CashInstruction, Error, Holdings, HouseholdCash, HouseholdOrders, NoSchedule,
    Note, PlanCash, Statement, TargetsSpec,
};

/// How the export's recent trades are used against wash sales.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum WashSaleCheck {
    /// Buys within 30 days of a loss sale of the same fund are kept out of the plan (and the
    /// targets' substitutes bought instead); `pbal plan`'s default.
    #[default]
    Block,
    /// Such buys are planned and flagged.
    Warn,
    /// Recent trades are not looked at.
    Off,
}

/// Everything a plan is made from besides the export itself.
///
/// ```
/// use pbal_core::dec;
/// use pbal_ibkr::{CashInstruction, PlanRequest};
///
/// let statement = pbal_ibkr::read_bytes(
///     b"Symbol,Quantity,MarkPrice,PositionValue\nVTI,10,250,2500\nBND,0,72,0\n",
///     "p.csv",
/// )?;
/// let request = PlanRequest::new().with_cash(CashInstruction::Move(dec!(1000)));
/// let planned = statement.plan_request(&request)?;
/// assert_eq!(planned.cash.total, dec!(1000));
/// assert!(planned.plan.trades.iter().all(|t| t.symbol == "BND"));
/// # Ok::<(), pbal_ibkr::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct PlanRequest {
    /// Which accounts: [`AccountSelection::All`] of a file with several accounts is a
    /// household plan.
    pub selection: AccountSelection,
    /// The targets (equal weights over the holdings without).
    pub targets: Option<TargetsSpec>,
    /// Which cash the plan uses; `None`: the export's own when it has cash balances for the
    /// selection, else none (the original tool's files: `-c` gives all the cash).
    pub cash: Option<CashInstruction>,
    /// A household's deposit or withdrawal goes to (or comes out of) this account (an id or
    /// the export's alias); without, the plan chooses.
    pub cash_account: Option<String>,
    /// Each account's kind (taxable when not named), by id or by the export's alias: a
    /// household's tax, withdrawals and wash sales.
    pub account_kinds: BTreeMap<String, AccountKind>,
    /// The engine's options. With [`Commission::IbkrFixed`], each asset pays its own market's
    /// schedule (see [`crate::ibkr_fixed_commission`]); the wash-sale guard is set from
    /// [`PlanRequest::wash_sale`].
    pub options: PlanOptions,
    /// The wash-sale check over the export's trades.
    pub wash_sale: WashSaleCheck,
    /// Substitutes beyond the targets' own `[substitutes]` (blocked fund → funds to buy
    /// instead, in order).
    pub substitutes: BTreeMap<String, Vec<String>>,
    /// Current prices (base currency) of funds the export does not hold, over the targets'.
    pub market_prices: BTreeMap<String, Decimal>,
}

impl PlanRequest {
    /// One account (the file's only one), equal targets, the export's cash, default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Which accounts.
    #[must_use]
    pub fn with_selection(mut self, selection: AccountSelection) -> Self {
        self.selection = selection;
        self
    }

    /// The targets.
    #[must_use]
    pub fn with_targets(mut self, targets: TargetsSpec) -> Self {
        self.targets = Some(targets);
        self
    }

    /// Which cash.
    #[must_use]
    pub fn with_cash(mut self, cash: CashInstruction) -> Self {
        self.cash = Some(cash);
        self
    }

    /// The household account a deposit or withdrawal goes to.
    #[must_use]
    pub fn with_cash_account(mut self, account: impl Into<String>) -> Self {
        self.cash_account = Some(account.into());
        self
    }

    /// An account's kind.
    #[must_use]
    pub fn with_account_kind(mut self, account: impl Into<String>, kind: AccountKind) -> Self {
        self.account_kinds.insert(account.into(), kind);
        self
    }

    /// The engine's options.
    #[must_use]
    pub fn with_options(mut self, options: PlanOptions) -> Self {
        self.options = options;
        self
    }

    /// The wash-sale check.
    #[must_use]
    pub fn with_wash_sale(mut self, check: WashSaleCheck) -> Self {
        self.wash_sale = check;
        self
    }

    /// More substitutes for a blocked fund.
    #[must_use]
    pub fn with_substitutes<S: Into<String>>(
        mut self,
        blocked: impl Into<String>,
        substitutes: impl IntoIterator<Item = S>,
    ) -> Self {
        self.substitutes
            .entry(blocked.into())
            .or_default()
            .extend(substitutes.into_iter().map(Into::into));
        self
    }

    /// A current price for a fund the export does not hold.
    #[must_use]
    pub fn with_market_price(mut self, symbol: impl Into<String>, price: Decimal) -> Self {
        self.market_prices.insert(symbol.into(), price);
        self
    }
}

/// An asset that pays no commission in the plan because its market has no IBKR fixed schedule
/// here (its orders are estimated without one).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NoCommission {
    /// The asset.
    pub symbol: String,
    /// Why.
    pub reason: NoSchedule,
}

/// A planned buy in a tax-deferred or tax-free account within 30 days after a loss sale of the
/// same fund in a taxable account: a wash sale whose loss is lost for good, not deferred (the
/// IRA's basis does not take it; IRS Rev. Rul. 2008-5). Only with [`WashSaleCheck::Warn`]:
/// blocking keeps such buys out of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LostLoss {
    /// The account that buys.
    pub account: String,
    /// Its kind.
    pub kind: AccountKind,
    /// The fund.
    pub symbol: String,
    /// The loss sale's date.
    pub loss_sale: pbal_core::Date,
}

/// Everything a plan is made from, ready for the engine ([`Statement::prepare_plan`]): what a
/// caller may show before planning (what was left out, the cash, the substitutes).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PreparedPlan<'a> {
    /// The selection's holdings (and what was left out of the plan).
    pub holdings: Holdings,
    /// The managed portfolio.
    pub portfolio: Portfolio,
    /// The targets to plan for (after wash-sale substitutes).
    pub targets: Targets,
    /// The options to plan with (commission per market, wash-sale guard).
    pub options: PlanOptions,
    /// The cash the plan uses, and where it comes from.
    pub cash: PlanCash,
    /// What the targets leave implicit.
    pub notes: Vec<Note>,
    /// Blocked buys moved to substitutes.
    pub substitutions: Vec<Substitution>,
    /// Assets estimated without commission.
    pub no_commission: Vec<NoCommission>,
    statement: &'a Statement,
    household: Option<HouseholdRequest>,
    account_kinds: BTreeMap<String, AccountKind>,
    /// The one account a single-account plan trades in.
    account: Option<String>,
}

/// A household plan's own inputs.
#[derive(Debug, Clone)]
struct HouseholdRequest {
    cash_account: Option<String>,
    account_kinds: BTreeMap<String, AccountKind>,
}

/// A plan with everything it was made from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StatementPlan {
    /// The plan (household totals for a household).
    pub plan: Plan,
    /// A household plan's orders per account, and where a shared amount goes.
    pub household: Option<HouseholdOrders>,
    /// The cash the plan uses, and where it comes from.
    pub cash: PlanCash,
    /// The selection's holdings (and what was left out of the plan).
    pub holdings: Holdings,
    /// The managed portfolio.
    pub portfolio: Portfolio,
    /// The targets planned for (after wash-sale substitutes).
    pub targets: Targets,
    /// The options planned with (commission per market, wash-sale guard).
    pub options: PlanOptions,
    /// What the targets leave implicit.
    pub notes: Vec<Note>,
    /// Blocked buys moved to substitutes.
    pub substitutions: Vec<Substitution>,
    /// Assets estimated without commission.
    pub no_commission: Vec<NoCommission>,
    /// Buys whose wash sale loses a taxable loss for good (an IRA buying after a loss sale).
    pub lost_losses: Vec<LostLoss>,
}

impl Statement {
    /// The plan for `request`: what `pbal plan` computes from this export with the same
    /// inputs ([`Statement::prepare_plan`], then [`PreparedPlan::plan`]).
    ///
    /// # Errors
    /// Those of [`Statement::prepare_plan`] and [`PreparedPlan::plan`].
    pub fn plan_request(&self, request: &PlanRequest) -> Result<StatementPlan, Error> {
        self.prepare_plan(request)?.plan()
    }

    /// Everything but the plan itself: the managed portfolio and its targets, the cash, the
    /// commission per market, the wash-sale guard and its substitutes.
    ///
    /// # Errors
    /// The selection's ([`Error::MultipleAccounts`], [`Error::UnknownAccount`], also for a
    /// `cash_account` or `account_kinds` entry not in the export);
    /// [`Error::CashAccountWithoutHousehold`]; the managed portfolio's
    /// ([`Holdings::managed`]); the cash's ([`Statement::plan_cash`]);
    /// [`Error::UnpricedSubstitute`]; pbal-core's as [`Error::Plan`].
    pub fn prepare_plan(&self, request: &PlanRequest) -> Result<PreparedPlan<'_>, Error> {
        let spec = request.targets.as_ref();
        let holdings = self.holdings_for(&request.selection, spec)?;
        let household_mode = request.selection == AccountSelection::All && self.accounts.len() > 1;
        // Accounts named by id or by the export's alias.
        let cash_account = request
            .cash_account
            .as_deref()
            .map(|name| self.account_id(name))
            .transpose()?;
        let account_kinds = request
            .account_kinds
            .iter()
            .map(|(name, kind)| Ok((self.account_id(name)?, *kind)))
            .collect::<Result<BTreeMap<_, _>, Error>>()?;
        if !household_mode && request.cash_account.is_some() {
            return Err(Error::CashAccountWithoutHousehold);
        }
        let notes = holdings.notes(spec);
        let (portfolio, targets) = holdings.managed(spec, &request.market_prices)?;
        let instruction = match request.cash {
            Some(instruction) => instruction,
            None if self.has_cash(&request.selection)? => CashInstruction::Export,
            None => CashInstruction::Move(Decimal::ZERO),
        };
        let cash = self.plan_cash(&request.selection, instruction)?;
        let mut options = request.options.clone();
        if let Some(spec) = spec {
            for (symbol, kind) in &spec.locations {
                options.location.entry(symbol.clone()).or_insert(*kind);
            }
        }
        let no_commission = commission_per_market(&mut options, &holdings);
        options.wash_sale = match request.wash_sale {
            WashSaleCheck::Off => None,
            check => self
                .household_wash_sale_guard(check == WashSaleCheck::Block, &request.account_kinds),
        };
        let mut substitutes = spec.map(|s| s.substitutes.clone()).unwrap_or_default();
        for (blocked, more) in &request.substitutes {
            substitutes
                .entry(blocked.clone())
                .or_default()
                .extend(more.iter().cloned());
        }
        let (targets, substitutions) =
            substitute_blocked_buys(&portfolio, targets, cash.total, &options, &substitutes)?;
        Ok(PreparedPlan {
            holdings,
            portfolio,
            targets,
            options,
            cash,
            notes,
            substitutions,
            no_commission,
            statement: self,
            household: household_mode.then(|| HouseholdRequest {
                cash_account,
                account_kinds: account_kinds.clone(),
            }),
            account_kinds,
            account: match &request.selection {
                AccountSelection::Only(id) => Some(id.clone()),
                _ => self.accounts.first().cloned(),
            },
        })
    }
}

impl PreparedPlan<'_> {
    /// The plan's buys in sheltered accounts that follow a taxable loss sale (see [`LostLoss`]).
    fn lost_losses(&self, plan: &Plan, household: Option<&HouseholdOrders>) -> Vec<LostLoss> {
        let (Some(guard), Some(as_of)) = (&self.options.wash_sale, self.options.as_of) else {
            return Vec::new();
        };
        let buys: Vec<(String, String)> = match (household, &self.account) {
            (Some(orders), _) => orders
                .split
                .orders
                .iter()
                .filter(|o| o.side == pbal_core::Side::Buy)
                .map(|o| (o.account.clone(), o.symbol.clone()))
                .collect(),
            (None, Some(account)) => plan
                .trades
                .iter()
                .filter(|t| t.side == pbal_core::Side::Buy)
                .map(|t| (account.clone(), t.symbol.clone()))
                .collect(),
            (None, None) => Vec::new(),
        };
        buys.into_iter()
            .filter_map(|(account, symbol)| {
                let kind = self.account_kinds.get(&account).copied()?;
                if kind.is_taxable() {
                    return None;
                }
                let loss_sale = guard.recent_loss_sale(&symbol, as_of)?;
                Some(LostLoss {
                    account,
                    kind,
                    symbol,
                    loss_sale,
                })
            })
            .collect()
    }

    /// Plans: one account's plan, or a household's with every account within its own cash;
    /// then the currency audit.
    ///
    /// # Errors
    /// The plan's and the currency audit's as [`Error::Plan`] (among them no plan that keeps
    /// every account within its own cash).
    pub fn plan(self) -> Result<StatementPlan, Error> {
        let (plan, household) = self.plan_holding_back(&BTreeMap::new())?;
        self.finish(plan, household)
    }

    /// Plans for a limit-order basket (`bps` basis points through the plan's prices: buys may
    /// fill above them, sells below): planned again with less cash, at most eight times, until
    /// the orders fit the cash even at their limits, in every account of a household. Returns
    /// the plan and the cash held back in all.
    ///
    /// # Errors
    /// [`Error::LimitOrdersDoNotFit`] when no plan of those rounds fits; those of
    /// [`PreparedPlan::plan`].
    pub fn plan_limit_orders(self, bps: u32) -> Result<(StatementPlan, Decimal), Error> {
        let mut held_back: BTreeMap<String, Decimal> = BTreeMap::new();
        let mut planned = self.plan_holding_back(&held_back)?;
        for round in 0..=8 {
            let lacking = self.limit_shortfall(&planned.0, planned.1.as_ref(), &held_back, bps)?;
            if lacking.is_empty() {
                let total = held_back.values().copied().sum();
                let planned = self.finish(planned.0, planned.1)?;
                return Ok((planned, total));
            }
            if round == 8 {
                return Err(Error::LimitOrdersDoNotFit {
                    excess: lacking.values().copied().sum(),
                });
            }
            for (account, amount) in lacking {
                *held_back.entry(account).or_default() += amount;
            }
            planned = self.plan_holding_back(&held_back)?;
        }
        unreachable!("the loop returns by its ninth round")
    }

    /// What each account (the key `""` for a single account's plan) still lacks to pay its
    /// orders at their limit prices: empty when every account's orders fit.
    fn limit_shortfall(
        &self,
        plan: &Plan,
        household: Option<&HouseholdOrders>,
        held_back: &BTreeMap<String, Decimal>,
        bps: u32,
    ) -> Result<BTreeMap<String, Decimal>, Error> {
        let instruments = &self.holdings.instruments;
        let reserve = self.options.reserve;
        let mut lacking = BTreeMap::new();
        let Some(orders) = household else {
            let back = held_back.get("").copied().unwrap_or_default();
            let excess = crate::basket::limit_excess(&plan.trades, instruments, bps);
            let short = excess - (plan.cash.left + back - reserve);
            if short > Decimal::ZERO {
                lacking.insert(String::new(), short);
            }
            return Ok(lacking);
        };
        for (account, after) in &orders.split.cash_after {
            let trades = orders
                .split
                .orders
                .iter()
                .filter(|o| &o.account == account)
                .map(|o| pbal_core::Trade::new(o.symbol.clone(), o.side, o.quantity, o.price))
                .collect::<Result<Vec<_>, _>>()?;
            let excess = crate::basket::limit_excess(&trades, instruments, bps);
            let back = held_back.get(account).copied().unwrap_or_default();
            // The reserve is kept in every account here: never less cash than asked for.
            let short = excess - (*after + back - reserve);
            if short > Decimal::ZERO {
                lacking.insert(account.clone(), short);
            }
        }
        Ok(lacking)
    }

    /// One account's plan, or the household's, with `held_back` of the cash left out (per
    /// account; the key `""` for a single account).
    fn plan_holding_back(
        &self,
        held_back: &BTreeMap<String, Decimal>,
    ) -> Result<(Plan, Option<HouseholdOrders>), Error> {
        if let Some(request) = &self.household {
            let account = request.cash_account.as_deref();
            let household_cash = match (self.cash.instruction, account) {
                (CashInstruction::Move(amount), account) => {
                    HouseholdCash::OnTop { amount, account }
                }
                (CashInstruction::Total(amount), Some(account)) => {
                    HouseholdCash::InAccount { amount, account }
                }
                (CashInstruction::Total(amount), None) => HouseholdCash::Shared(amount),
                (CashInstruction::Export, _) => HouseholdCash::Available,
            };
            let (plan, orders) = self.statement.plan_household_holding_back(
                &self.holdings,
                &self.portfolio,
                &self.targets,
                household_cash,
                &request.account_kinds,
                &self.options,
                held_back,
            )?;
            Ok((plan, Some(orders)))
        } else {
            let back = held_back.get("").copied().unwrap_or_default();
            let plan = pbal_core::plan(
                &self.portfolio,
                &self.targets,
                self.cash.total - back,
                &self.options,
            )?;
            Ok((plan, None))
        }
    }

    /// The audit and what to tell, around a plan.
    fn finish(
        self,
        plan: Plan,
        household: Option<HouseholdOrders>,
    ) -> Result<StatementPlan, Error> {
        crate::audit_currencies(&plan, &self.holdings).map_err(pbal_core::Error::from)?;
        let lost_losses = self.lost_losses(&plan, household.as_ref());
        Ok(StatementPlan {
            lost_losses,
            plan,
            household,
            cash: self.cash,
            holdings: self.holdings,
            portfolio: self.portfolio,
            targets: self.targets,
            options: self.options,
            notes: self.notes,
            substitutions: self.substitutions,
            no_commission: self.no_commission,
        })
    }
}

/// With [`Commission::IbkrFixed`], gives every asset its market's schedule in `options`
/// (converted to the base currency); files without exchange or currency (the original tool's
/// CSV) keep the US per-share rate. Returns the assets whose market has no known schedule,
/// which are estimated without commission. Other commissions are left as they are.
pub fn commission_per_market(options: &mut PlanOptions, holdings: &Holdings) -> Vec<NoCommission> {
    let mut none = Vec::new();
    if options.commission != Commission::IbkrFixed {
        return none;
    }
    for (symbol, instrument) in &holdings.instruments {
        if instrument.listing_exchange.is_none() && instrument.currency.is_none() {
            continue;
        }
        let commission = match crate::ibkr_fixed_commission(instrument) {
            Ok(schedule) => Commission::Schedule(schedule),
            Err(reason) => {
                none.push(NoCommission {
                    symbol: symbol.clone(),
                    reason,
                });
                Commission::None
            }
        };
        options.commission_for.insert(symbol.clone(), commission);
    }
    none
}

/// The targets with the buys `options`' wash-sale guard blocks moved to their first usable
/// substitute ([`pbal_core::substitute_blocked`]); unchanged without a guard, a date or
/// substitutes.
///
/// # Errors
/// [`Error::UnpricedSubstitute`] for a substitute the portfolio does not price; pbal-core's
/// as [`Error::Plan`].
pub fn substitute_blocked_buys(
    portfolio: &Portfolio,
    targets: Targets,
    cash: Decimal,
    options: &PlanOptions,
    substitutes: &BTreeMap<String, Vec<String>>,
) -> Result<(Targets, Vec<Substitution>), Error> {
    let (Some(guard), Some(as_of)) = (&options.wash_sale, options.as_of) else {
        return Ok((targets, Vec::new()));
    };
    if substitutes.is_empty() {
        return Ok((targets, Vec::new()));
    }
    check_substitutes(portfolio, substitutes)?;
    let guard: &WashSaleGuard = guard;
    Ok(pbal_core::substitute_blocked(
        portfolio,
        &targets,
        cash,
        guard,
        as_of,
        substitutes,
    )?)
}

fn check_substitutes(
    portfolio: &Portfolio,
    substitutes: &BTreeMap<String, Vec<String>>,
) -> Result<(), Error> {
    for (blocked, list) in substitutes {
        for s in list {
            if portfolio.get(s).is_none() {
                return Err(Error::UnpricedSubstitute {
                    substitute: s.clone(),
                    blocked: blocked.clone(),
                });
            }
        }
    }
    Ok(())
}
