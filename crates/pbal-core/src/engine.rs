//! From portfolio, targets and cash to a checked [`Plan`]: sets up the integer problem, judges
//! candidates exactly in decimals, and assembles the result.

use std::cmp::Ordering;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

mod household;

use std::collections::BTreeMap;

use crate::plan::{CashSummary, Optimality, Plan, PositionPlan, RealizedSummary, Side, Trade};
use crate::search::{self, CommissionF, Judge, Problem};
use crate::weight;
use crate::{
    Account, AccountOrder, Commission, Error, Holding, HouseholdPlan, HouseholdSplit, NewCash,
    PlanOptions, Portfolio, Realized, Strategy, Targets, Transfer, WashSaleFlag,
};

/// Largest amount pbal plans with, so that squares stay exact in `Decimal` (10 trillion).
pub(crate) const MAX_AMOUNT: Decimal = Decimal::from_parts(0x4E72_A000, 0x0918, 0, false, 0);
/// Smallest price (and quantity step) pbal plans with; below it share counts overflow.
const MIN_PRICE: Decimal = Decimal::from_parts(1, 0, 0, false, 8);
/// Decimal places of reported weights and drift.
const WEIGHT_DP: u32 = 6;

/// Makes the plan for `portfolio` toward `targets` with `cash` to invest (negative: to raise).
///
/// Every held symbol and every target symbol is managed; a held symbol without a target has
/// target 0 (remove holdings you do not want managed before calling). A target symbol must be
/// held or present as a zero-quantity holding that carries its price.
///
/// When the worth-it rule leaves orders out of a plan of 200 assets or more, the plan without
/// the rule (for [`PlanNote::CostlyOrdersLeftOut`](crate::PlanNote::CostlyOrdersLeftOut)) is
/// made on a second thread while this one searches; the result is the same as in turn.
///
/// # Errors
/// Invalid options, a target without a price, a short position, a withdrawal larger than what
/// can be sold, or amounts too large for exact arithmetic.
pub fn plan(
    portfolio: &Portfolio,
    targets: &Targets,
    cash: Decimal,
    options: &PlanOptions,
) -> Result<Plan, Error> {
    plan_with(portfolio, targets, cash, options, None).map(|(plan, _)| plan)
}

/// Plans a household: the accounts' combined positions toward `targets`, every order placed in
/// one account and paid from that account's own cash (with its part of `new_cash`), every
/// account ending at or above its reserve. One engine with [`plan`]: the objective is the
/// README's `F` over the household's combined positions and its total cash, minimised over
/// whole-share orders per account, and proven optimal the same way (bound and search, the same
/// work budget). Ties, after fewer orders (an order split over two accounts counts twice): the
/// least tax (a sale in a tax-deferred or tax-free account realizes nothing taxable), then
/// fewer accounts the new cash moves in or out of, then less money traded, then symbol and
/// account order. A fund is never bought in one account and sold in another by the same plan
/// (a transfer through the market, and a wash sale at a loss); no money moves between
/// accounts.
///
/// `portfolio` is the managed portfolio of the whole household (prices and every target
/// symbol, as for [`plan`]); each account lists its own shares of it. `options.reserve` must
/// be zero: each account has its own ([`Account::with_reserve`]). In buy-only plans an account
/// sells only to cover its own debit or reserve or the withdrawal, and then buys nothing; a
/// withdrawal comes out of `new_cash.account`, else out of taxable accounts only; a deposit
/// goes into `new_cash.account`, else where the orders need it.
///
/// ```
/// use pbal_core::{Account, Holding, NewCash, PlanOptions, Portfolio, Targets, dec, plan_household};
/// let portfolio = Portfolio::new(vec![
///     Holding::new("BND", dec!(0), dec!(50))?,
///     Holding::new("VTI", dec!(10), dec!(100))?,
/// ])?;
/// let targets = Targets::equal(["BND", "VTI"])?;
/// let accounts = [
///     Account::new("U1", dec!(300)).with_holding(Holding::new("VTI", dec!(10), dec!(100))?),
///     Account::new("U2", dec!(700)),
/// ];
/// let p = plan_household(&accounts, &portfolio, &targets, &NewCash::none(), &PlanOptions::new())?;
/// // 20 BND (1,000) do not fit one account: 6 in U1, 14 in U2, each within its own cash.
/// let orders: Vec<_> = p.split.orders.iter().map(|o| (o.account.as_str(), o.quantity)).collect();
/// assert_eq!(orders, [("U1", dec!(6)), ("U2", dec!(14))]);
/// assert!(p.split.cash_after.values().all(|c| *c >= dec!(0)));
/// # Ok::<(), pbal_core::Error>(())
/// ```
///
/// # Errors
/// Those of [`plan`]; [`Error::InvalidOption`] for accounts that do not add up to the
/// portfolio, a duplicate account, a nonzero `options.reserve` or new cash naming an unknown
/// account; [`Error::InsufficientHoldings`] when no plan keeps every account within its cash.
pub fn plan_household(
    accounts: &[Account],
    portfolio: &Portfolio,
    targets: &Targets,
    new_cash: &NewCash,
    options: &PlanOptions,
) -> Result<HouseholdPlan, Error> {
    let taxable = accounts.iter().filter(|a| a.kind.is_taxable()).count();
    if options.allow_transfers && taxable >= 2 {
        return plan_with_transfers(accounts, portfolio, targets, new_cash, options);
    }
    plan_household_once(accounts, portfolio, targets, new_cash, options)
}

/// A household plan that may move cash between taxable accounts: planned with and without
/// transfers, and the plan with transfers taken only when it is better by the objective (the
/// split search over pooled cash is not exact, so it can miss a plan the accounts' own cash
/// allows). Proven only when the search with transfers proved its plan.
fn plan_with_transfers(
    accounts: &[Account],
    portfolio: &Portfolio,
    targets: &Targets,
    new_cash: &NewCash,
    options: &PlanOptions,
) -> Result<HouseholdPlan, Error> {
    let own_options = PlanOptions {
        allow_transfers: false,
        ..options.clone()
    };
    let own = plan_household_once(accounts, portfolio, targets, new_cash, &own_options);
    let pooled = plan_household_once(accounts, portfolio, targets, new_cash, options);
    let (own, pooled) = match (own, pooled) {
        (Ok(own), Ok(pooled)) => (own, pooled),
        (Ok(p), Err(_)) | (Err(_), Ok(p)) => return Ok(p),
        (Err(e), Err(_)) => return Err(e),
    };
    let proven = pooled.plan.optimality == Optimality::Optimal;
    if pooled.plan.objective_after < own.plan.objective_after {
        return Ok(pooled);
    }
    let mut chosen = own;
    if !proven {
        let bound = chosen.plan.objective_bound.max(pooled.plan.objective_bound);
        chosen.plan.objective_bound = bound.min(chosen.plan.objective_after);
        chosen.plan.optimality = Optimality::BestEffort {
            gap: (chosen.plan.objective_after - chosen.plan.objective_bound).round_dp(2),
        };
    }
    Ok(chosen)
}

fn plan_household_once(
    accounts: &[Account],
    portfolio: &Portfolio,
    targets: &Targets,
    new_cash: &NewCash,
    options: &PlanOptions,
) -> Result<HouseholdPlan, Error> {
    crate::account::check_accounts(accounts, portfolio, new_cash)?;
    if !options.reserve.is_zero() {
        return Err(Error::InvalidOption {
            option: "reserve",
            reason: "a household keeps a reserve per account (Account::with_reserve)".into(),
        });
    }
    let mut household_options = options.clone();
    let mut cash = new_cash.amount;
    for a in accounts {
        household_options.reserve = household_options
            .reserve
            .checked_add(a.reserve)
            .ok_or(overflow("reserves"))?;
        cash = cash.checked_add(a.cash).ok_or(overflow("cash"))?;
    }
    let (plan, split) = plan_with(
        portfolio,
        targets,
        cash,
        &household_options,
        Some((accounts, new_cash)),
    )?;
    let (split, new_cash, transfers) = split.ok_or(overflow("household"))?;
    Ok(HouseholdPlan {
        plan,
        split,
        new_cash,
        transfers,
    })
}

/// A household plan's orders per account and its new cash per account.
type AccountsOutcome = (HouseholdSplit, BTreeMap<String, Decimal>, Vec<Transfer>);

fn plan_with(
    portfolio: &Portfolio,
    targets: &Targets,
    cash: Decimal,
    options: &PlanOptions,
    household: Option<(&[Account], &NewCash)>,
) -> Result<(Plan, Option<AccountsOutcome>), Error> {
    // In a plan that sells to rebalance, a fund the wash-sale guard keeps from being bought
    // gives its missing weight to the others: otherwise the plan would sell them only to park
    // the proceeds in cash (realizing their gains). Buy-only keeps the targets: new cash then
    // waits rather than going to funds already above theirs.
    let shared_targets;
    let mut shared = Vec::new();
    let targets = match (&options.wash_sale, options.as_of) {
        (Some(guard), Some(as_of)) if options.strategy != Strategy::BuyOnly => {
            let (adjusted, blocked) = crate::share_blocked(portfolio, targets, cash, guard, as_of)?;
            shared = blocked;
            shared_targets = adjusted;
            &shared_targets
        }
        _ => targets,
    };
    let held_options;
    let engine_options = if shared.is_empty() || cash < options.reserve {
        // Cash to raise may need every fund: nothing is held back then.
        options
    } else {
        let mut held = options.clone();
        held.hold = shared.iter().map(|s| s.blocked.clone()).collect();
        held_options = held;
        &held_options
    };
    let setup = setup_for(portfolio, targets, cash, engine_options)?;
    let ((mut plan, split), unruled) = if setup.narrowed {
        // What the worth-it rule left out: the plan without it, and its orders the rule refuses.
        let mut without = engine_options.clone();
        without.keep_costly_orders = true;
        // Only a note's count and commission come from this plan: a sixteenth of the budget
        // (small plans still finish their proof) keeps it from doubling a large plan's time.
        without.node_limit = (engine_options.node_limit / 16).max(1);
        let unruled_plan = || plan_unaudited(portfolio, targets, cash, &without, household);
        if setup.assets.len() < PARALLEL_NOTE_ASSETS {
            (plan_from(setup, household)?, Some(unruled_plan()))
        } else {
            // Independent of the plan itself: made on another core while the plan is searched
            // (the same result as in turn). Where no thread can be started, in turn.
            std::thread::scope(|scope| {
                let side = std::thread::Builder::new().spawn_scoped(scope, unruled_plan);
                let planned = plan_from(setup, household);
                let unruled = match side {
                    Ok(handle) => handle.join().ok(),
                    Err(_) => Some(unruled_plan()),
                };
                planned.map(|p| (p, unruled))
            })?
        }
    } else {
        (plan_from(setup, household)?, None)
    };
    plan.notes = notes(&plan, cash, options);
    plan.notes.extend(
        shared
            .into_iter()
            .map(|s| crate::PlanNote::BlockedTargetShared {
                symbol: s.blocked,
                loss_sale: s.loss_sale,
                weight_shared: s.weight_shared,
            }),
    );
    if let Some(Ok((unruled, _))) = unruled {
        let costly = crate::worth::costly_orders(&unruled, cash, options);
        if !costly.is_empty() {
            plan.notes.push(crate::PlanNote::CostlyOrdersLeftOut {
                orders: costly.len(),
                commission: costly.iter().map(|c| c.trade.commission).sum(),
            });
        }
    }
    if let (Some((split, new_cash, transfers)), Some((accounts, _))) = (&split, household) {
        crate::audit::audit_household(
            &plan, portfolio, cash, options, accounts, split, new_cash, transfers,
        )?;
    } else {
        crate::audit(&plan, portfolio, cash, options)?;
        plan.notes
            .extend(crate::bands_cash::note(portfolio, targets, &plan, options)?);
    }
    Ok((plan, split))
}

/// The plan as the search and assembly make it; [`plan`] audits it before anyone sees it.
fn plan_unaudited(
    portfolio: &Portfolio,
    targets: &Targets,
    cash: Decimal,
    options: &PlanOptions,
    household: Option<(&[Account], &NewCash)>,
) -> Result<(Plan, Option<AccountsOutcome>), Error> {
    plan_from(setup_for(portfolio, targets, cash, options)?, household)
}

/// From this many assets the costly-orders note's plan is made on a thread of its own: below
/// it both plans take a few milliseconds at most, less than starting a thread is worth.
const PARALLEL_NOTE_ASSETS: usize = 200;

/// The checked inputs, each asset's allowed units and the worth-it rule's ranges.
fn setup_for(
    portfolio: &Portfolio,
    targets: &Targets,
    cash: Decimal,
    options: &PlanOptions,
) -> Result<Setup, Error> {
    validate_options(options)?;
    let assets = assets(portfolio, targets, options)?;
    if options.max_realized_gain.is_some() {
        // A sale of these would "realize 0": the cap would look kept, unchecked.
        let symbols: Vec<String> = assets
            .iter()
            .filter(|a| a.quantity > Decimal::ZERO && a.holding.unrealized_pnl.is_none())
            .filter(|a| a.holding.lots.iter().map(|l| l.quantity).sum::<Decimal>() < a.quantity)
            .map(|a| a.symbol.clone())
            .collect();
        if !symbols.is_empty() {
            return Err(Error::UnknownGains { symbols });
        }
    }
    Setup::new(assets, cash, options)
}

/// The plan a setup's search and assembly make.
fn plan_from(
    mut setup: Setup,
    household: Option<(&[Account], &NewCash)>,
) -> Result<(Plan, Option<AccountsOutcome>), Error> {
    if let Some((accounts, new_cash)) = household {
        return plan_accounts(&mut setup, accounts, new_cash);
    }
    if setup.within_bands {
        let units = vec![0; setup.assets.len()];
        let objective = setup
            .judge_raw(&units, false)
            .map_or(Decimal::ZERO, |s| s.objective);
        let plan = setup.assemble(&units, objective, objective, Optimality::Optimal, None)?;
        return Ok((plan, None));
    }
    let problem = setup.problem();
    // With a gain cap, a start that sells only positions at a loss is usually within it.
    let gain_cap = setup.options.max_realized_gain;
    let alternatives: Vec<Problem> = if gain_cap.is_some() {
        vec![setup.losses_only(&problem)]
    } else {
        Vec::new()
    };
    let outcome = search::search(
        &problem,
        &alternatives,
        &[],
        &setup,
        setup.options.exact_max_assets,
        setup.options.node_limit,
    )
    .ok_or_else(|| match gain_cap {
        Some(cap) => Error::RealizedGainCap { cap },
        None => setup.infeasible(),
    })?;
    let (optimality, bound) = optimality(&outcome, outcome.score.objective, false);
    let (units, score) = settle_ties(&setup, &setup, outcome.units, outcome.score);
    let plan = setup.assemble(&units, score.objective, bound, optimality, None)?;
    Ok((plan, None))
}

/// The search's verdict and the plan's certified bound (rounded down, never above the plan's
/// own objective: float noise). `uncertain`: a candidate may have been refused wrongly, so
/// only the bound can prove the plan.
fn optimality<S>(
    outcome: &search::Outcome<S>,
    objective_after: Decimal,
    uncertain: bool,
) -> (Optimality, Decimal) {
    let bound = Decimal::from_f64_retain(outcome.bound)
        .filter(|_| outcome.bound.is_finite())
        .map_or(Decimal::ZERO, |b| b.max(Decimal::ZERO).floor())
        .min(objective_after);
    let f = objective_after.to_f64().unwrap_or(f64::MAX);
    let raw_gap = if outcome.bound.is_finite() {
        (f - outcome.bound).max(0.0)
    } else {
        f
    };
    let proven = outcome.proven && (!uncertain || raw_gap <= crate::exact::proof_tolerance(f));
    let optimality = if proven {
        Optimality::Optimal
    } else {
        let gap = if outcome.proven { raw_gap } else { outcome.gap };
        Optimality::BestEffort {
            gap: Decimal::from_f64_retain(gap)
                .unwrap_or(Decimal::MAX)
                .round_dp(2),
        }
    };
    (optimality, bound)
}

/// The household search: the same problem over the combined positions, each candidate judged
/// by its best split over the accounts ([`household`]).
fn plan_accounts(
    setup: &mut Setup,
    accounts: &[Account],
    new_cash: &NewCash,
) -> Result<(Plan, Option<AccountsOutcome>), Error> {
    let accounts_view = household::Accounts::new(accounts, setup, new_cash)?;
    if !setup.within_bands {
        let (mut lo, mut hi, mut min_units) =
            (setup.lo.clone(), setup.hi.clone(), setup.min_units.clone());
        accounts_view.narrow(setup, &mut lo, &mut hi, &mut min_units)?;
        (setup.lo, setup.hi, setup.min_units) = (lo, hi, min_units);
    }
    let setup = &*setup;
    let judge = household::HouseholdJudge {
        setup,
        accounts: &accounts_view,
    };
    let n = setup.assets.len();
    let infeasible = || Error::InsufficientHoldings {
        needed: -setup.budget,
        available: Decimal::ZERO,
    };
    let (units, score, optimality, bound) = if setup.within_bands {
        let units = vec![0; n];
        let score = search::Judge::judge(&judge, &units).ok_or_else(infeasible)?;
        let objective = score_objective(setup, &units);
        (units, score, Optimality::Optimal, objective)
    } else {
        let mut problem = setup.problem();
        // Sales in one account may be needed while the household as a whole has cash: the
        // merged withdrawal rules do not apply; the judge keeps each account's.
        problem.withdrawal = false;
        let alternatives: Vec<Problem> = if setup.options.max_realized_gain.is_some() {
            vec![setup.losses_only(&problem)]
        } else {
            Vec::new()
        };
        let mut starts = vec![accounts_view.raising_start(setup)];
        if let Some(start) = repaired_start(setup, &problem, &judge) {
            starts.push(start);
        }
        accounts_view.renew_budget(setup);
        let outcome = search::search(
            &problem,
            &alternatives,
            &starts,
            &judge,
            setup.options.exact_max_assets,
            setup.options.node_limit,
        )
        .ok_or_else(|| match setup.options.max_realized_gain {
            Some(cap) => Error::RealizedGainCap { cap },
            None => infeasible(),
        })?;
        let mut outcome = outcome;
        // Unproven only because some candidate's split was not settled: one more round, from
        // the plan found, that gives those candidates the split budget.
        if outcome.proven && accounts_view.uncertain.get() && accounts_view.retry_unsure(setup) {
            let mut starts = starts;
            starts.push(outcome.units.clone());
            if let Some(again) = search::search(
                &problem,
                &alternatives,
                &starts,
                &judge,
                setup.options.exact_max_assets,
                setup.options.node_limit,
            ) && again.score <= outcome.score
            {
                outcome = again;
            }
        }
        let objective = score_objective(setup, &outcome.units);
        let (optimality, bound) = optimality(&outcome, objective, accounts_view.uncertain.get());
        let (units, score) = settle_ties(setup, &judge, outcome.units, outcome.score);
        (units, score, optimality, bound)
    };
    let split = &score.split;
    let figures = accounts_view.figures(setup, split);
    let objective = score_objective(setup, &units);
    let plan = setup.assemble(&units, objective, bound, optimality, Some(&figures))?;
    // Orders: sales first, then buys, each by symbol, then account.
    let mut order: Vec<usize> = (0..split.parts.len()).collect();
    order.sort_by_key(|&p| {
        let (a, i, u) = split.parts[p];
        (u > 0, i, a)
    });
    let mut cash_after: BTreeMap<String, Decimal> = BTreeMap::new();
    for (a, id) in accounts_view.ids.iter().enumerate() {
        cash_after.insert(id.clone(), accounts_view.cash[a] + split.new_cash[a]);
    }
    let mut transfers = Vec::with_capacity(split.transfers.len());
    for &(from, to, amount) in &split.transfers {
        let (from, to) = (&accounts_view.ids[from], &accounts_view.ids[to]);
        *cash_after.entry(from.clone()).or_default() -= amount;
        *cash_after.entry(to.clone()).or_default() += amount;
        transfers.push(Transfer {
            from: from.clone(),
            to: to.clone(),
            amount,
        });
    }
    let mut orders = Vec::with_capacity(order.len());
    for p in order {
        let (a, i, u) = split.parts[p];
        let asset = &setup.assets[i];
        let quantity = setup.quantity(u.abs());
        let amount = quantity * asset.price;
        let commission = split.commissions[p];
        let side = if u > 0 { Side::Buy } else { Side::Sell };
        let after = cash_after.entry(accounts_view.ids[a].clone()).or_default();
        *after += if u > 0 { -amount } else { amount } - commission;
        orders.push(AccountOrder {
            account: accounts_view.ids[a].clone(),
            symbol: asset.symbol.clone(),
            side,
            quantity,
            price: asset.price,
            amount,
            commission,
        });
    }
    let new_cash: BTreeMap<String, Decimal> = accounts_view
        .ids
        .iter()
        .zip(&split.new_cash)
        .filter(|(_, c)| !c.is_zero())
        .map(|(id, c)| (id.clone(), *c))
        .collect();
    Ok((
        plan,
        Some((HouseholdSplit { orders, cash_after }, new_cash, transfers)),
    ))
}

/// A household start close to the optimum: the plan of the merged positions (no accounts),
/// its buys taken back one unit at a time, where that costs the objective least, until the
/// accounts can place it.
fn repaired_start(
    setup: &Setup,
    problem: &Problem,
    judge: &household::HouseholdJudge,
) -> Option<Vec<i64>> {
    const ROUNDS: usize = 60;
    let merged = search::search(
        problem,
        &[],
        &[],
        setup,
        setup.options.exact_max_assets,
        (setup.options.node_limit / 8).max(1),
    )?;
    let mut units = merged.units;
    let unit: Vec<f64> = problem.price.iter().map(|p| p * problem.step).collect();
    for _ in 0..ROUNDS {
        if search::Judge::judge(judge, &units).is_some() {
            return Some(units);
        }
        let spent: f64 = units.iter().zip(&unit).map(|(&u, v)| u as f64 * v).sum();
        let cash = problem.cash_deviation - spent;
        // The buy whose last unit is worth least to the objective.
        let mut cheapest: Option<(f64, usize, i64)> = None;
        for (i, &u) in units.iter().enumerate() {
            if u <= 0 {
                continue;
            }
            let mut fewer = u - 1;
            if fewer != 0 && !setup.allowed(i, fewer) {
                fewer = 0;
            }
            let x = problem.deviation[i] + u as f64 * unit[i];
            let back = (u - fewer) as f64 * unit[i];
            let change = (x - back).powi(2) - x.powi(2) + (cash + back).powi(2) - cash.powi(2);
            if cheapest.is_none_or(|c| change < c.0) {
                cheapest = Some((change, i, fewer));
            }
        }
        let (_, i, fewer) = cheapest?;
        units[i] = fewer;
    }
    None
}

/// Settles exact ties the search does not look at (it only looks for strictly better
/// objectives): assets alike in price and distance from target give the same objective
/// whichever of them trades, so their orders are swapped while that scores better (less tax:
/// the largest loss sold first; then the judge's other tie-breaks).
fn settle_ties<J: search::Judge>(
    setup: &Setup,
    judge: &J,
    mut units: Vec<i64>,
    mut score: J::Score,
) -> (Vec<i64>, J::Score) {
    let mut alike: BTreeMap<(Decimal, Decimal), Vec<usize>> = BTreeMap::new();
    for (i, a) in setup.assets.iter().enumerate() {
        let key = (
            a.price.normalize(),
            tie_rank(a.value - setup.target_value[i]),
        );
        alike.entry(key).or_default().push(i);
    }
    let groups: Vec<Vec<usize>> = alike.into_values().filter(|g| g.len() > 1).collect();
    for _ in 0..4 {
        let mut improved = false;
        for group in &groups {
            for (x, &i) in group.iter().enumerate() {
                for &j in &group[x + 1..] {
                    if units[i] == units[j] {
                        continue;
                    }
                    let mut swapped = units.clone();
                    swapped.swap(i, j);
                    if let Some(s) = judge.judge(&swapped)
                        && s < score
                    {
                        units = swapped;
                        score = s;
                        improved = true;
                    }
                }
            }
        }
        if !improved {
            break;
        }
    }
    (units, score)
}

/// The objective of `units` (the judge's, without its rules).
fn score_objective(setup: &Setup, units: &[i64]) -> Decimal {
    setup
        .judge_raw(units, false)
        .map_or(Decimal::ZERO, |s| s.objective)
}

/// What the plan does beyond its strategy's usual rule, and why.
fn notes(plan: &Plan, cash: Decimal, options: &PlanOptions) -> Vec<crate::PlanNote> {
    let mut notes = Vec::new();
    let needed = options.reserve - cash;
    let raising = needed > Decimal::ZERO;
    if raising && options.strategy == Strategy::Bands {
        notes.push(crate::PlanNote::BandsSetAsideForWithdrawal);
    }
    let sells = plan.trades.iter().any(|t| t.side == Side::Sell);
    if raising && sells && options.strategy != Strategy::Full {
        notes.push(crate::PlanNote::RaisesCash {
            needed,
            negative_cash: cash < Decimal::ZERO,
        });
    }
    notes
}

fn validate_options(options: &PlanOptions) -> Result<(), Error> {
    let invalid = |option, reason: &str| {
        Err(Error::InvalidOption {
            option,
            reason: reason.to_owned(),
        })
    };
    if options.reserve < Decimal::ZERO {
        return invalid("reserve", "must not be negative");
    }
    if options.min_trade < Decimal::ZERO {
        return invalid("min_trade", "must not be negative");
    }
    if options.quantity_step < MIN_PRICE || options.quantity_step > Decimal::ONE_THOUSAND {
        return invalid("quantity_step", "must be between 0.00000001 and 1000");
    }
    if options.min_trade > MAX_AMOUNT {
        return invalid("min_trade", "too large");
    }
    if options.reserve > MAX_AMOUNT {
        return invalid("reserve", "too large");
    }
    if let Some(reason) = std::iter::once(&options.commission)
        .chain(options.commission_for.values())
        .find_map(|c| c.problem())
    {
        return invalid("commission", reason);
    }
    if options.node_limit == 0 {
        return invalid("node_limit", "must be at least 1");
    }
    Ok(())
}

/// One managed asset.
#[derive(Debug, Clone)]
struct Asset {
    symbol: String,
    price: Decimal,
    quantity: Decimal,
    value: Decimal,
    weight: Decimal,
    /// The holding as given (lots and P&L), for what a sale realizes.
    holding: Holding,
    /// What its orders pay.
    commission: Commission,
}

fn assets(
    portfolio: &Portfolio,
    targets: &Targets,
    options: &PlanOptions,
) -> Result<Vec<Asset>, Error> {
    for (symbol, _) in targets.iter() {
        if portfolio.get(symbol).is_none() {
            return Err(Error::MissingPrice {
                symbol: symbol.to_owned(),
            });
        }
    }
    let assets: Vec<Asset> = portfolio
        .holdings()
        .iter()
        .map(|h| Asset {
            symbol: h.symbol.clone(),
            price: h.price,
            quantity: h.quantity,
            value: h.value,
            weight: targets.weight(&h.symbol),
            holding: h.clone(),
            commission: options.commission_of(&h.symbol),
        })
        .collect();
    if assets.is_empty() {
        return Err(Error::NoAssets);
    }
    for a in &assets {
        if a.quantity < Decimal::ZERO {
            return Err(Error::ShortPosition {
                symbol: a.symbol.clone(),
                quantity: a.quantity,
            });
        }
        if a.price < MIN_PRICE {
            return Err(Error::InvalidOption {
                option: "price",
                reason: format!("{}: price {} is below {MIN_PRICE}", a.symbol, a.price),
            });
        }
        let lots_in_range = a.holding.lots.iter().all(|l| {
            l.quantity.abs() <= MAX_AMOUNT
                && l.cost_basis.abs() <= MAX_AMOUNT
                && l.unrealized_pnl.is_none_or(|p| p.abs() <= MAX_AMOUNT)
        });
        let in_range = a.price <= MAX_AMOUNT
            && a.value.abs() <= MAX_AMOUNT
            && a.quantity <= MAX_AMOUNT
            && a.holding
                .unrealized_pnl
                .is_none_or(|p| p.abs() <= MAX_AMOUNT);
        if !in_range || !lots_in_range {
            return Err(Error::Overflow {
                what: "position value",
            });
        }
    }
    Ok(assets)
}

/// What each asset's orders pay and realize when they are split over accounts (each account's
/// order pays its own commission and realizes its own lots).
struct AssetFigures {
    commission: Vec<Decimal>,
    realized: Vec<Option<Realized>>,
}

/// The problem in exact terms, shared by the judge and the assembly.
struct Setup {
    assets: Vec<Asset>,
    cash: Decimal,
    options: PlanOptions,
    /// Each asset's target value `t_i·(N − r)`.
    target_value: Vec<Decimal>,
    /// Each asset's squared deviation without a trade (`None`: it overflows).
    idle: Vec<Option<Decimal>>,
    /// `cash − reserve`.
    budget: Decimal,
    /// Cash minus the cash's target (the reserve, or what band destinations leave in cash).
    cash_deviation: Decimal,
    /// Bands apply and no asset is outside its band.
    within_bands: bool,
    withdrawal: bool,
    lo: Vec<i64>,
    hi: Vec<i64>,
    /// Each asset's smallest buy and sale in units that the worth-it rule allows (1: any).
    min_units: Vec<(i64, i64)>,
    /// The worth-it rule took some order size away from some asset.
    narrowed: bool,
    total: Decimal,
}

fn overflow(what: &'static str) -> Error {
    Error::Overflow { what }
}

fn to_units(value: Decimal) -> Result<i64, Error> {
    // Far beyond any real order; keeps the f64 search exact on integers.
    const LIMIT: i64 = 1 << 50;
    let v = value.floor().to_i64().ok_or(overflow("quantity"))?;
    if v.abs() > LIMIT {
        return Err(overflow("quantity"));
    }
    Ok(v)
}

/// Narrows each asset's units to the orders worth their commission ([`crate::worth`]): `lo`
/// and `hi` become the largest sale and buy, and the result holds the smallest of each side.
/// Sales are exempt when cash must be raised (they are forced then, and the withdrawal rules
/// govern them); with `keep_costly_orders` nothing changes.
fn worth_ranges(
    assets: &[Asset],
    target_value: &[Decimal],
    budget: Decimal,
    options: &PlanOptions,
    lo: &mut [i64],
    hi: &mut [i64],
) -> Vec<(i64, i64)> {
    let mut min_units = vec![(1, 1); assets.len()];
    if options.keep_costly_orders {
        return min_units;
    }
    let step = options.quantity_step;
    for (i, (a, t)) in assets.iter().zip(target_value).enumerate() {
        let deviation = a.value - *t;
        let range =
            |sign, max| crate::worth::side_range(a.commission, a.price, step, deviation, sign, max);
        if hi[i] > 0 {
            match range(1, hi[i]) {
                Some((smallest, largest)) => {
                    hi[i] = largest;
                    min_units[i].0 = smallest;
                }
                None => hi[i] = 0,
            }
        }
        if lo[i] < 0 && budget >= Decimal::ZERO {
            match range(-1, -lo[i]) {
                Some((smallest, largest)) => {
                    lo[i] = -largest;
                    min_units[i].1 = smallest;
                }
                None => lo[i] = 0,
            }
        }
    }
    min_units
}

impl Setup {
    fn new(assets: Vec<Asset>, cash: Decimal, options: &PlanOptions) -> Result<Self, Error> {
        for (what, amount) in [("cash", cash), ("reserve", options.reserve)] {
            if amount.abs() > MAX_AMOUNT {
                return Err(Error::TooLarge {
                    what,
                    amount,
                    limit: MAX_AMOUNT,
                });
            }
        }
        let holdings = assets
            .iter()
            .try_fold(Decimal::ZERO, |acc, a| acc.checked_add(a.value))
            .ok_or(overflow("portfolio value"))?;
        let total = holdings.checked_add(cash).ok_or(overflow("total"))?;
        if total.abs() > MAX_AMOUNT {
            return Err(overflow("total"));
        }
        let invest = total - options.reserve;
        let budget = cash - options.reserve;
        let withdrawal = matches!(options.strategy, Strategy::BuyOnly | Strategy::Bands)
            && budget < Decimal::ZERO;
        let bands = match (options.bands, options.strategy) {
            (Some(b), _) => Some(b),
            (None, Strategy::Bands) => Some(crate::Bands::default()),
            (None, _) => None,
        };
        // Which assets are outside their band, and the signed distance from target to edge.
        let outside: Vec<Option<Decimal>> = assets
            .iter()
            .map(|a| {
                let bands = bands?;
                let weight = if total > Decimal::ZERO {
                    a.value.checked_div(total).unwrap_or(Decimal::MAX)
                } else {
                    Decimal::ZERO
                };
                let width = bands.width(a.weight);
                let drift = weight - a.weight;
                (drift.abs() > width).then(|| if drift > Decimal::ZERO { width } else { -width })
            })
            .collect();
        let within_bands = bands.is_some() && !withdrawal && outside.iter().all(Option::is_none);
        let band_strategy = options.strategy == Strategy::Bands && !withdrawal;
        let target_value: Vec<Decimal> = assets
            .iter()
            .zip(&outside)
            .map(|(a, edge)| {
                if !band_strategy {
                    return a.weight * invest;
                }
                let Some(edge) = edge else { return a.value };
                let share = match bands.map(|b| b.destination).unwrap_or_default() {
                    crate::Destination::Target => Decimal::ZERO,
                    crate::Destination::Edge => *edge,
                    crate::Destination::Half => *edge / Decimal::TWO,
                };
                (a.weight + share) * invest
            })
            .collect();
        let cash_deviation = if band_strategy {
            // The cash ends where the destinations leave it.
            cash - (total - target_value.iter().copied().sum::<Decimal>())
        } else {
            budget
        };
        let step = options.quantity_step;
        let sellable: Vec<Decimal> = assets
            .iter()
            .zip(&outside)
            .map(|(a, edge)| {
                if band_strategy && edge.is_none() {
                    Decimal::ZERO
                } else {
                    (a.quantity / step).floor()
                }
            })
            .collect();
        let sellable_value = assets
            .iter()
            .zip(&sellable)
            .try_fold(Decimal::ZERO, |acc, (a, units)| {
                acc.checked_add(units.checked_mul(step)?.checked_mul(a.price)?)
            })
            .ok_or(overflow("value of the holdings"))?;
        let mut lo = Vec::with_capacity(assets.len());
        let mut hi = Vec::with_capacity(assets.len());
        for ((a, units), edge) in assets.iter().zip(&sellable).zip(&outside) {
            let unit_value = a.price * step;
            let (l, h) = match (options.strategy, withdrawal) {
                (Strategy::BuyOnly, false) => (
                    Decimal::ZERO,
                    budget
                        .checked_div(unit_value)
                        .ok_or(overflow("quantity"))?
                        .floor(),
                ),
                (Strategy::BuyOnly | Strategy::Bands, true) => (-*units, Decimal::ZERO),
                (Strategy::Bands, false) if edge.is_none() => (Decimal::ZERO, Decimal::ZERO),
                (Strategy::Full | Strategy::Bands, _) => (
                    -*units,
                    (budget + sellable_value)
                        .checked_div(unit_value)
                        .ok_or(overflow("quantity"))?
                        .floor()
                        .max(Decimal::ZERO),
                ),
            };
            // A blocked fund whose target was shared out is left alone: selling it would only
            // fund the others (and, at a loss, restart its wash-sale window).
            let held = options.hold.contains(&a.symbol);
            lo.push(if held { 0 } else { to_units(l)? });
            // A buy that would wash a recent loss is skipped when the guard blocks buys.
            let blocked = match (&options.wash_sale, options.as_of) {
                (Some(guard), Some(as_of)) => {
                    guard.block_buys && guard.recent_loss_sale(&a.symbol, as_of).is_some()
                }
                _ => false,
            };
            hi.push(if blocked || held { 0 } else { to_units(h)? });
        }
        let (before_lo, before_hi) = (lo.clone(), hi.clone());
        let min_units = worth_ranges(&assets, &target_value, budget, options, &mut lo, &mut hi);
        let narrowed = lo != before_lo || hi != before_hi || min_units.iter().any(|&m| m != (1, 1));
        // Each asset's term at zero units, computed as the judge would: most assets of a large
        // plan do not trade, and every candidate is judged in full.
        let idle = assets
            .iter()
            .zip(&target_value)
            .map(|(a, t)| {
                let x = (Decimal::ZERO * step).checked_mul(a.price)?;
                let deviation = a.value.checked_add(x)?.checked_sub(*t)?;
                deviation.checked_mul(deviation)
            })
            .collect();
        let setup = Self {
            assets,
            cash,
            options: options.clone(),
            idle,
            target_value,
            budget,
            cash_deviation,
            within_bands,
            withdrawal,
            lo,
            hi,
            min_units,
            narrowed,
            total,
        };
        if setup.budget < Decimal::ZERO && setup.judge_raw(&setup.max_sale(), false).is_none() {
            return Err(setup.infeasible());
        }
        Ok(setup)
    }

    /// Sell everything that may be sold (a sale below the minimum trade may not).
    fn max_sale(&self) -> Vec<i64> {
        (0..self.assets.len())
            .map(|i| {
                if self.allowed(i, self.lo[i]) {
                    self.lo[i]
                } else {
                    0
                }
            })
            .collect()
    }

    fn infeasible(&self) -> Error {
        let available = self
            .assets
            .iter()
            .zip(&self.max_sale())
            .map(|(a, &l)| {
                let q = Decimal::from(-l) * self.options.quantity_step;
                q * a.price - a.commission.estimate(q, a.price)
            })
            .sum();
        Error::InsufficientHoldings {
            needed: -self.budget,
            available,
        }
    }

    fn problem(&self) -> Problem {
        let f = |d: Decimal| d.to_f64().unwrap_or(0.0);
        let step = f(self.options.quantity_step);
        let commission = self
            .assets
            .iter()
            .map(|a| CommissionF::new(a.commission))
            .collect();
        let price: Vec<f64> = self.assets.iter().map(|a| f(a.price)).collect();
        let min_trade = f(self.options.min_trade);
        // A minimal withdrawal overshoots by less than one step (or one minimum trade) of some
        // sold asset plus what commissions can add.
        let (overshoot_slack, overshoot_base) = if self.withdrawal {
            let step_max = price.iter().map(|p| p * step).fold(0.0f64, f64::max);
            let commissions: f64 = self
                .assets
                .iter()
                .zip(&self.lo)
                .map(|(a, &l)| {
                    let q = Decimal::from(-l) * self.options.quantity_step;
                    f(a.commission.estimate(q, a.price)) + f(a.commission.fixed_part())
                })
                .sum();
            (
                (min_trade + step_max + commissions) * (1.0 + 1e-9) + 1e-6,
                commissions,
            )
        } else {
            (0.0, 0.0)
        };
        Problem {
            deviation: self
                .assets
                .iter()
                .zip(&self.target_value)
                .map(|(a, t)| f(a.value) - f(*t))
                .collect(),
            price,
            step,
            lo: self.lo.clone(),
            hi: self.hi.clone(),
            min_units: self.min_units.clone(),
            budget: f(self.budget),
            cash_deviation: f(self.cash_deviation),
            min_trade,
            commission,
            withdrawal: self.withdrawal,
            overshoot_slack,
            overshoot_base,
        }
    }

    /// The same problem with sales limited to positions whose sale realizes a loss.
    fn losses_only(&self, problem: &Problem) -> Problem {
        let mut restricted = problem.clone();
        for (i, a) in self.assets.iter().enumerate() {
            let one = self.quantity(1);
            if self.realize(a, one.min(a.quantity)).total() > Decimal::ZERO {
                restricted.lo[i] = 0;
            }
        }
        restricted
    }

    fn quantity(&self, units: i64) -> Decimal {
        Decimal::from(units) * self.options.quantity_step
    }

    fn allowed(&self, i: usize, units: i64) -> bool {
        units == 0
            || ((self.quantity(units) * self.assets[i].price).abs() >= self.options.min_trade
                && self.worth_size(i, units))
    }

    /// Whether `units` (nonzero, within the asset's range) is at least the smallest size the
    /// worth-it rule allows on its side.
    fn worth_size(&self, i: usize, units: i64) -> bool {
        let (buy, sell) = self.min_units[i];
        if units > 0 {
            units >= buy
        } else {
            -units >= sell
        }
    }

    /// Spending incl. commissions, if it fits the budget.
    fn spending(&self, units: &[i64]) -> Option<(Decimal, Decimal)> {
        let mut spent = Decimal::ZERO;
        let mut commission = Decimal::ZERO;
        for (a, &u) in self.assets.iter().zip(units) {
            // No trade adds nothing (skipping it only saves time).
            if u == 0 {
                continue;
            }
            let q = self.quantity(u);
            spent = spent.checked_add(q.checked_mul(a.price)?)?;
            commission = commission.checked_add(a.commission.estimate(q, a.price))?;
        }
        (spent.checked_add(commission)? <= self.budget).then_some((spent, commission))
    }

    /// Exact score of a candidate, or `None` if it breaks a rule. `minimal` enforces the
    /// withdrawal rule that no sold unit could be kept.
    /// Exact score of a candidate, or `None` if it breaks a rule. `strict` adds the rules a
    /// final plan must keep beyond budget and bounds: the realized-gain cap, and for withdrawals
    /// that no sold unit could be kept.
    fn judge_raw(&self, units: &[i64], strict: bool) -> Option<Score> {
        // Spending is summed in the same pass as the objective (as `spending` does it): one
        // pass over thousands of assets instead of two.
        let mut spent = Decimal::ZERO;
        let mut commission = Decimal::ZERO;
        let mut objective = Decimal::ZERO;
        let mut orders = 0;
        let mut tax = Decimal::ZERO;
        // The cap is kept on the gain as reported (in cents), which the audit checks.
        let mut reported_gain = Decimal::ZERO;
        let mut traded = Decimal::ZERO;
        let mut trades = Vec::new();
        for (i, (a, &u)) in self.assets.iter().zip(units).enumerate() {
            if u < self.lo[i] || u > self.hi[i] {
                return None;
            }
            if u == 0 {
                objective = objective.checked_add(self.idle[i]?)?;
                continue;
            }
            let q = self.quantity(u);
            let x = q.checked_mul(a.price)?;
            // `allowed`, with the trade's value already at hand.
            if x.abs() < self.options.min_trade || !self.worth_size(i, u) {
                return None;
            }
            spent = spent.checked_add(x)?;
            commission = commission.checked_add(a.commission.estimate(q, a.price))?;
            let deviation = a.value.checked_add(x)?.checked_sub(self.target_value[i])?;
            objective = objective.checked_add(deviation.checked_mul(deviation)?)?;
            orders += 1;
            traded += x.abs();
            trades.push((i, u));
            if u < 0 {
                tax += self.realized_for_ranking(a, -q);
                if self.options.max_realized_gain.is_some() {
                    reported_gain += self.realize(a, -q).total();
                }
            }
        }
        if spent.checked_add(commission)? > self.budget {
            return None;
        }
        if strict
            && let Some(cap) = self.options.max_realized_gain
            && reported_gain > cap
        {
            return None;
        }
        let cash_dev = self.cash_deviation.checked_sub(spent)?;
        objective = objective.checked_add(cash_dev.checked_mul(cash_dev)?)?;
        if strict && self.withdrawal {
            let mut probe = units.to_vec();
            for i in 0..units.len() {
                if units[i] >= 0 {
                    continue;
                }
                let mut v = units[i] + 1;
                if !self.allowed(i, v) {
                    v = 0;
                }
                probe[i] = v;
                let keeps_enough = self.spending(&probe).is_some();
                probe[i] = units[i];
                if keeps_enough {
                    return None;
                }
            }
        }
        Some(Score {
            objective,
            orders,
            tax,
            traded,
            trades,
        })
    }

    fn assemble(
        &self,
        units: &[i64],
        objective_after: Decimal,
        objective_bound: Decimal,
        optimality: Optimality,
        figures: Option<&AssetFigures>,
    ) -> Result<Plan, Error> {
        let (net_spent, mut commission_total) = self
            .spending(units)
            .ok_or(overflow("the plan's spending"))?;
        if let Some(f) = figures {
            commission_total = f.commission.iter().copied().sum();
        }
        let left = self.cash - net_spent - commission_total;
        let total_after = self.total - commission_total;
        let reserve = self.options.reserve;
        let weight = |value: Decimal, total: Decimal| weight::weight(value, total, WEIGHT_DP);
        let mut positions = Vec::with_capacity(self.assets.len());
        let mut sells = Vec::new();
        let mut buys = Vec::new();
        let mut drift_before = (self.cash - reserve).abs();
        let mut drift_after = (left - reserve).abs();
        let mut spent = Decimal::ZERO;
        let mut received = Decimal::ZERO;
        let mut realized = RealizedSummary {
            from_lots: true,
            ..RealizedSummary::default()
        };
        for (i, (a, &u)) in self.assets.iter().zip(units).enumerate() {
            let q = self.quantity(u);
            let amount = q * a.price;
            let value_after = a.value + amount;
            drift_before += (a.value - a.weight * (self.total - reserve)).abs();
            drift_after += (value_after - a.weight * (total_after - reserve)).abs();
            positions.push(PositionPlan {
                symbol: a.symbol.clone(),
                price: a.price,
                quantity: a.quantity,
                value: a.value,
                weight: weight(a.value, self.total),
                target_weight: a.weight,
                trade_quantity: q,
                value_after,
                weight_after: weight(value_after, total_after),
            });
            if u == 0 {
                continue;
            }
            let side = if u > 0 { Side::Buy } else { Side::Sell };
            let trade = Trade {
                symbol: a.symbol.clone(),
                side,
                quantity: q.abs(),
                price: a.price,
                amount: amount.abs(),
                commission: figures
                    .map_or_else(|| a.commission.estimate(q, a.price), |f| f.commission[i]),
                realized_pnl: None,
                realized_short_term: Decimal::ZERO,
                realized_long_term: Decimal::ZERO,
                lots: Vec::new(),
            };
            let trade = if u < 0 {
                let r = match figures.and_then(|f| f.realized[i].clone()) {
                    Some(r) => r,
                    None => self.realize(a, -q),
                };
                realized.short_term += r.short_term;
                realized.long_term += r.long_term;
                realized.from_lots &= r.from_lots;
                realized.unknown |= r.unknown;
                Trade {
                    realized_pnl: (!r.unknown).then(|| r.total()),
                    realized_short_term: r.short_term,
                    realized_long_term: r.long_term,
                    lots: r.lots,
                    ..trade
                }
            } else {
                trade
            };
            if u > 0 {
                spent += amount;
                buys.push(trade);
            } else {
                received -= amount;
                sells.push(trade);
            }
        }
        let wash_sale = self.wash_sale_flags(&sells, &buys);
        sells.extend(buys);
        realized.estimated_tax = estimated_tax(
            realized.short_term,
            realized.long_term,
            self.options.tax_rate_short,
            self.options.tax_rate_long,
        );
        realized.tax_rated =
            !(self.options.tax_rate_short.is_zero() && self.options.tax_rate_long.is_zero());
        let half = Decimal::new(5, 1);
        Ok(Plan {
            strategy: self.options.strategy,
            cash: CashSummary {
                available: self.cash,
                spent,
                received,
                commission: commission_total,
                left,
                reserve,
            },
            positions,
            trades: sells,
            cash_weight: weight(self.cash, self.total),
            cash_weight_after: weight(left, total_after),
            drift_before: weight(drift_before * half, self.total),
            drift_after: weight(drift_after * half, total_after),
            objective_before: self
                .judge_raw(&vec![0; self.assets.len()], false)
                .map_or(Decimal::ZERO, |s| s.objective)
                .round_dp(2),
            objective_after: objective_after.round_dp(2),
            objective_bound: objective_bound
                .round_dp_with_strategy(2, RoundingStrategy::ToNegativeInfinity),
            optimality,
            realized,
            wash_sale,
            within_bands: self.within_bands,
            quantity_step: self.options.quantity_step,
            notes: Vec::new(),
        })
    }

    /// Flags loss sales right after a buy, and buys (planned or skipped) right after a loss sale.
    fn wash_sale_flags(&self, sells: &[Trade], buys: &[Trade]) -> Vec<WashSaleFlag> {
        let (Some(guard), Some(as_of)) = (&self.options.wash_sale, self.options.as_of) else {
            return Vec::new();
        };
        let mut flags = Vec::new();
        for sale in sells {
            if sale.realized_pnl.is_some_and(|p| p < Decimal::ZERO)
                && let Some(bought_on) = guard.recent_buy(&sale.symbol, as_of)
            {
                flags.push(WashSaleFlag::LossSaleAfterBuy {
                    symbol: sale.symbol.clone(),
                    bought_on,
                });
            }
        }
        for a in &self.assets {
            let Some(sold_on) = guard.recent_loss_sale(&a.symbol, as_of) else {
                continue;
            };
            let planned = buys.iter().any(|b| b.symbol == a.symbol);
            if planned || guard.block_buys {
                flags.push(WashSaleFlag::BuyAfterLossSale {
                    symbol: a.symbol.clone(),
                    sold_on,
                    blocked: !planned,
                });
            }
        }
        flags
    }

    /// What a sale realizes, unrounded, to rank equally good plans: the largest loss first.
    /// (Reported figures are rounded to cents; ranking on them would tie a loss of 6.666 with
    /// one of 3.334 + 3.332.)
    fn realized_for_ranking(&self, asset: &Asset, quantity: Decimal) -> Decimal {
        let h = &asset.holding;
        let covered_by_lots =
            !h.lots.is_empty() && h.lots.iter().map(|l| l.quantity).sum::<Decimal>() >= quantity;
        if covered_by_lots || h.quantity.is_zero() {
            return self.realize(asset, quantity).total();
        }
        h.unrealized_pnl
            .unwrap_or_default()
            .checked_mul(quantity)
            .and_then(|x| x.checked_div(h.quantity))
            .unwrap_or_default()
    }

    fn realize(&self, asset: &Asset, quantity: Decimal) -> Realized {
        // Amounts are within MAX_AMOUNT (`assets`) and a sale never exceeds the holding.
        crate::tax::realize_bounded(
            &asset.holding,
            quantity,
            asset.price,
            self.options.as_of,
            self.options.lot_order,
        )
        .unwrap_or_default()
    }
}

/// Tax on net gains: short-term and long-term net against each other first.
fn estimated_tax(
    short: Decimal,
    long: Decimal,
    rate_short: Decimal,
    rate_long: Decimal,
) -> Decimal {
    let (short, long) = match (short < Decimal::ZERO, long < Decimal::ZERO) {
        (true, false) => (Decimal::ZERO, (long + short).max(Decimal::ZERO)),
        (false, true) => ((short + long).max(Decimal::ZERO), Decimal::ZERO),
        (true, true) => (Decimal::ZERO, Decimal::ZERO),
        (false, false) => (short, long),
    };
    (short * rate_short + long * rate_long).round_dp(2)
}

/// How good a candidate is: lower is better, field by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Score {
    objective: Decimal,
    orders: usize,
    tax: Decimal,
    traded: Decimal,
    /// (asset index in symbol order, units): earlier symbols win the last tie.
    trades: Vec<(usize, i64)>,
}

/// Objectives that differ only in the last digits of the targets' decimals (a third of the
/// total, say) are ties: their orders are then ranked by the tie-breaks, not by that noise.
pub(crate) fn tie_rank(objective: Decimal) -> Decimal {
    objective.round_dp(6)
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> Ordering {
        tie_rank(self.objective)
            .cmp(&tie_rank(other.objective))
            .then(self.orders.cmp(&other.orders))
            .then(self.tax.cmp(&other.tax))
            .then(self.traded.cmp(&other.traded))
            .then_with(|| self.trades.cmp(&other.trades))
    }
}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Judge for Setup {
    type Score = Score;
    fn judge(&self, units: &[i64]) -> Option<Score> {
        self.judge_raw(units, true)
    }
}
