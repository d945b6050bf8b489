//! The account as a dimension of the exact search: a candidate (household totals per asset) is
//! feasible only if its orders can be placed account by account, each account paying its own
//! orders and commissions from its own cash (and its part of a deposit), selling only what it
//! holds. The objective sees only the totals, so the search over totals stays exact: the judge
//! turns each candidate into its best split (fewest orders, least tax, fewest cash moves) or
//! refuses it.

use std::cell::{Cell, RefCell};
use std::cmp::Ordering;
use std::collections::HashMap;

use rust_decimal::Decimal;

use super::{Score, Setup};
use crate::search::Judge;
use crate::{Account, AccountKind, Error, Holding, NewCash, Realized, Strategy};

mod pack;

/// Compositions of one order over accounts enumerated in full up to this many; beyond, the
/// natural splits (one account, two accounts with one filled, all filled in turn).
const FULL_ENUMERATION: u64 = 256;

/// Where new cash may go or come from.
#[derive(Debug, Clone)]
enum Pool {
    None,
    /// A deposit: into the named account, or where the accounts' orders need it.
    Deposit {
        amount: Decimal,
        into: Option<usize>,
    },
    /// A withdrawal from the eligible accounts.
    Withdrawal {
        amount: Decimal,
        from: Vec<bool>,
    },
}

/// The accounts as the judge sees them, by account index and asset index.
#[derive(Debug)]
pub(super) struct Accounts {
    pub(super) ids: Vec<String>,
    kinds: Vec<AccountKind>,
    /// Each account's cash before the plan.
    pub(super) cash: Vec<Decimal>,
    /// Cash minus reserve.
    room: Vec<Decimal>,
    /// Sellable units per asset per account.
    held: Vec<Vec<i64>>,
    /// Each account's holding of each asset (for what its sale realizes).
    holding: Vec<Vec<Option<Holding>>>,
    may_buy: Vec<bool>,
    may_sell: Vec<bool>,
    /// The kind of account each asset prefers (`PlanOptions::location`), by asset index.
    prefers: Vec<Option<AccountKind>>,
    pool: Pool,
    /// Accounts whose cash may move to each other (`PlanOptions::allow_transfers`: the taxable
    /// ones, when there are two or more); all false otherwise.
    pooled: Vec<bool>,
    /// Sales only raise cash: an account that sells buys nothing, and every sold unit is needed.
    sells_only_to_raise: bool,
    /// A candidate was refused for want of a split the bounded split search may have missed:
    /// the plan is then not proven.
    pub(super) uncertain: Cell<bool>,
    /// Split-search nodes left for the whole plan (the plan's work budget): past it, candidates
    /// are refused (and the plan not proven) rather than searched on.
    work_left: Cell<u64>,
    /// The second round of a search whose first was unsure (`retry_unsure`).
    retrying: Cell<bool>,
    /// What each sale (asset, account, units) realizes, for ranking and for the gain cap: the
    /// same sales recur over the candidates.
    sale_gains: RefCell<HashMap<Sale, Option<(Decimal, Decimal)>>>,
    /// Each candidate's split once searched, and whether a refusal was unsure: the search's
    /// phases (starts, proof, ties) judge the same candidates again.
    splits: RefCell<HashMap<Vec<i64>, Searched>>,
}

/// A candidate's best split (if any) and whether a refusal was unsure.
type Searched = (Option<Split>, bool);

/// A sale: asset, account, units.
type Sale = (usize, usize, i64);

/// New cash per account, how many accounts it and the transfers touch, and the transfers.
type Settled = (Vec<Decimal>, usize, Vec<(usize, usize, Decimal)>);

/// One account order: account, asset, units (negative: sell).
pub(super) type Part = (usize, usize, i64);

/// The best split of one candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Split {
    /// Orders, in the order the search placed them.
    pub(super) parts: Vec<Part>,
    /// Each part's commission.
    pub(super) commissions: Vec<Decimal>,
    /// New cash per account (deposit positive, withdrawal negative).
    pub(super) new_cash: Vec<Decimal>,
    /// Cash moved between pooled accounts before the orders: from, to, amount.
    pub(super) transfers: Vec<(usize, usize, Decimal)>,
    tax: Decimal,
    /// Money bought of a fund outside the kind of account it prefers, or sold from one.
    misplaced: Decimal,
    moves: usize,
}

/// A household candidate's score: the merged score's objective, then the split's orders, tax
/// and cash moves, then the merged tie-breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct HouseholdScore {
    objective: Decimal,
    orders: usize,
    tax: Decimal,
    misplaced: Decimal,
    moves: usize,
    traded: Decimal,
    trades: Vec<(usize, i64)>,
    pub(super) split: Split,
}

impl Ord for HouseholdScore {
    fn cmp(&self, other: &Self) -> Ordering {
        super::tie_rank(self.objective)
            .cmp(&super::tie_rank(other.objective))
            .then(self.orders.cmp(&other.orders))
            .then(self.tax.cmp(&other.tax))
            .then(self.misplaced.cmp(&other.misplaced))
            .then(self.moves.cmp(&other.moves))
            .then(self.traded.cmp(&other.traded))
            .then_with(|| self.trades.cmp(&other.trades))
            .then_with(|| self.split.parts.cmp(&other.split.parts))
    }
}

impl PartialOrd for HouseholdScore {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Accounts {
    /// The accounts in the engine's asset order. `withdrawal` and the strategy decide who may
    /// buy and sell.
    pub(super) fn new(
        accounts: &[Account],
        setup: &Setup,
        new_cash: &NewCash,
    ) -> Result<Self, Error> {
        let n = setup.assets.len();
        let m = accounts.len();
        let step = setup.options.quantity_step;
        let index_of = |id: &str| accounts.iter().position(|a| a.id == id);
        let mut held = vec![vec![0i64; m]; n];
        let mut holding = vec![vec![None; m]; n];
        for (a, account) in accounts.iter().enumerate() {
            for h in &account.holdings {
                let i = setup
                    .assets
                    .binary_search_by(|x| x.symbol.as_str().cmp(&h.symbol))
                    .map_err(|_| Error::InvalidOption {
                        option: "accounts",
                        reason: format!("{} is held but not managed", h.symbol),
                    })?;
                held[i][a] = super::to_units(h.quantity / step)?;
                let mut h = h.clone();
                // The plan's price, so that realized gains match the plan's proceeds.
                h.price = setup.assets[i].price;
                holding[i][a] = Some(h);
            }
        }
        let room: Vec<Decimal> = accounts.iter().map(|a| a.cash - a.reserve).collect();
        let taxable: Vec<bool> = accounts.iter().map(|a| a.kind.is_taxable()).collect();
        let amount = new_cash.amount;
        let named = new_cash.account.as_deref().and_then(index_of);
        let pool = match amount.cmp(&Decimal::ZERO) {
            Ordering::Greater => Pool::Deposit {
                amount,
                into: named,
            },
            Ordering::Less => {
                let from = match named {
                    Some(k) => (0..m).map(|a| a == k).collect(),
                    // Out of taxable accounts only; a household of tax-advantaged accounts alone
                    // has nowhere else to take it from.
                    None if taxable.iter().any(|&t| t) => taxable.clone(),
                    None => vec![true; m],
                };
                Pool::Withdrawal {
                    amount: -amount,
                    from,
                }
            }
            Ordering::Equal => Pool::None,
        };
        let sells_only_to_raise = match setup.options.strategy {
            Strategy::BuyOnly => true,
            Strategy::Bands => setup.withdrawal,
            Strategy::Full => false,
        };
        let (may_buy, may_sell) = if sells_only_to_raise {
            // A withdrawal the eligible accounts' cash covers needs no sale (buy-only sells
            // nothing to fund buys); one it does not cover may need a sale in any of them.
            let withdrawal_sells = match &pool {
                Pool::Withdrawal { amount, from } => {
                    let spare: Decimal = (0..m)
                        .filter(|&a| from[a])
                        .map(|a| room[a].max(Decimal::ZERO))
                        .sum();
                    *amount > spare
                }
                _ => false,
            };
            let raising: Vec<bool> = (0..m)
                .map(|a| {
                    room[a] < Decimal::ZERO
                        || (withdrawal_sells
                            && matches!(&pool, Pool::Withdrawal { from, .. } if from[a]))
                })
                .collect();
            // While the household as a whole has cash, any account may invest its own (one
            // that sells buys nothing: the judge's rule). When it must raise cash, only an
            // account with nothing to raise and no part in the withdrawal invests: its cash
            // could not pay the others' debits anyway (no money moves between accounts).
            let may_buy = raising.iter().map(|r| !setup.withdrawal || !r).collect();
            (may_buy, raising)
        } else {
            (vec![true; m], vec![true; m])
        };
        Ok(Self {
            ids: accounts.iter().map(|a| a.id.clone()).collect(),
            kinds: accounts.iter().map(|a| a.kind).collect(),
            cash: accounts.iter().map(|a| a.cash).collect(),
            room,
            held,
            holding,
            may_buy,
            may_sell,
            prefers: setup
                .assets
                .iter()
                .map(|asset| setup.options.location.get(&asset.symbol).copied())
                .collect(),
            pool,
            pooled: {
                let allow =
                    setup.options.allow_transfers && taxable.iter().filter(|&&t| t).count() >= 2;
                taxable.iter().map(|&t| allow && t).collect()
            },
            sells_only_to_raise,
            uncertain: Cell::new(false),
            work_left: Cell::new(split_budget(setup)),
            retrying: Cell::new(false),
            sale_gains: RefCell::new(HashMap::new()),
            splits: RefCell::new(HashMap::new()),
        })
    }

    /// The engine's range of each asset's household total: sales only from the accounts that
    /// may sell, buys only if some account may buy.
    pub(super) fn narrow(
        &self,
        setup: &Setup,
        lo: &mut [i64],
        hi: &mut [i64],
        min_units: &mut [(i64, i64)],
    ) -> Result<(), Error> {
        let anyone_buys = self.may_buy.iter().any(|&b| b);
        // What buys can spend: accounts in debit raise their own debit, they fund no buy.
        let spendable: Decimal = (0..self.ids.len())
            .filter(|&a| self.may_buy[a])
            .map(|a| self.room[a].max(Decimal::ZERO))
            .sum::<Decimal>()
            + match &self.pool {
                Pool::Deposit { amount, .. } => *amount,
                _ => Decimal::ZERO,
            };
        let raises = (0..self.ids.len()).any(|a| self.may_sell[a]);
        let options = &setup.options;
        for i in 0..lo.len() {
            let symbol = &setup.assets[i].symbol;
            // A fund whose target was shared out, or whose buy would wash a recent loss, stays
            // as the single-account engine leaves it.
            let held_back = options.hold.contains(symbol);
            let buy_blocked = held_back
                || match (&options.wash_sale, options.as_of) {
                    (Some(guard), Some(as_of)) => {
                        guard.block_buys && guard.recent_loss_sale(symbol, as_of).is_some()
                    }
                    _ => false,
                };
            if held_back {
                lo[i] = 0;
            }
            if buy_blocked {
                hi[i] = 0;
            }
            if held_back && buy_blocked {
                continue;
            }
            let sellable: i64 = (0..self.ids.len())
                .filter(|&a| self.may_sell[a])
                .map(|a| self.held[i][a])
                .sum();
            if self.sells_only_to_raise {
                // Forced sales are not held to the worth-it rule (as a withdrawal's are not).
                if !held_back {
                    lo[i] = -sellable;
                    min_units[i].1 = 1;
                }
                if anyone_buys && !buy_blocked && (raises || setup.withdrawal) {
                    let unit = setup.quantity(1) * setup.assets[i].price;
                    let most = super::to_units(spendable / unit)?;
                    hi[i] = hi[i].max(most);
                }
            } else {
                lo[i] = lo[i].max(-sellable);
            }
            if !anyone_buys {
                hi[i] = 0;
            }
        }
        Ok(())
    }

    /// A start the split always accepts when one exists at all: each account that must raise
    /// cash sells its most overweight holdings until it has enough; nothing is bought.
    pub(super) fn raising_start(&self, setup: &Setup) -> Vec<i64> {
        let n = setup.assets.len();
        let mut units = vec![0i64; n];
        let mut order: Vec<usize> = (0..n).collect();
        // Most overweight first.
        order.sort_by(|&x, &y| {
            let dev = |i: usize| setup.assets[i].value - setup.target_value[i];
            dev(y).cmp(&dev(x)).then(x.cmp(&y))
        });
        let mut needs: Vec<Decimal> = self.room.iter().map(|r| (-*r).max(Decimal::ZERO)).collect();
        match &self.pool {
            Pool::Deposit { amount, into: None } => {
                // The deposit goes to the accounts that lack the most first.
                let mut left = *amount;
                for need in &mut needs {
                    let covered = (*need).min(left);
                    *need -= covered;
                    left -= covered;
                }
            }
            Pool::Deposit {
                amount,
                into: Some(k),
            } => needs[*k] = (needs[*k] - *amount).max(Decimal::ZERO),
            Pool::Withdrawal { amount, from } => {
                // First what the eligible accounts have to spare, then sales in them, the
                // accounts holding the most first.
                let mut left = *amount;
                for (a, &eligible) in from.iter().enumerate() {
                    if eligible {
                        left -= self.room[a].max(Decimal::ZERO).min(left);
                    }
                }
                let value = |a: usize| -> Decimal {
                    (0..n)
                        .map(|i| {
                            Decimal::from(self.held[i][a])
                                * setup.quantity(1)
                                * setup.assets[i].price
                        })
                        .sum()
                };
                let mut by_value: Vec<usize> = (0..from.len()).filter(|&a| from[a]).collect();
                by_value.sort_by(|&x, &y| value(y).cmp(&value(x)).then(x.cmp(&y)));
                for a in by_value {
                    let part = value(a).min(left);
                    needs[a] += part;
                    left -= part;
                }
            }
            Pool::None => {}
        }
        for (a, need) in needs.into_iter().enumerate() {
            let mut need = need;
            for &i in &order {
                if need <= Decimal::ZERO {
                    break;
                }
                let available = self.held[i][a];
                if available <= 0 {
                    continue;
                }
                let unit = setup.quantity(1) * setup.assets[i].price;
                if unit <= Decimal::ZERO {
                    continue;
                }
                // Enough to cover the need and the sale's own commission.
                let mut k = 1;
                for _ in 0..3 {
                    let fee = Self::commission(setup, i, k);
                    let wanted = ((need + fee) / unit).ceil();
                    k = super::to_units(wanted)
                        .unwrap_or(available)
                        .clamp(1, available);
                }
                units[i] -= k;
                need -= Decimal::from(k) * unit - Self::commission(setup, i, k);
            }
        }
        units
    }

    fn commission(setup: &Setup, i: usize, units: i64) -> Decimal {
        let q = setup.quantity(units);
        setup.assets[i]
            .commission
            .estimate(q, setup.assets[i].price)
    }

    /// Cash an order adds to its account (negative for a buy), net of its commission.
    fn flow(setup: &Setup, i: usize, units: i64) -> Decimal {
        let q = setup.quantity(units);
        -(q * setup.assets[i].price) - Self::commission(setup, i, units)
    }

    /// What a sale of `units` of asset `i` in account `a` realizes: taxable accounts only.
    fn realized(&self, setup: &Setup, i: usize, a: usize, units: i64) -> Option<Realized> {
        if !self.kinds[a].is_taxable() {
            return None;
        }
        let holding = self.holding[i][a].as_ref()?;
        crate::tax::realize_bounded(
            holding,
            setup.quantity(units),
            setup.assets[i].price,
            setup.options.as_of,
            setup.options.lot_order,
        )
    }

    /// A fresh split budget for the search (after the start's repair used some).
    pub(super) fn renew_budget(&self, setup: &Setup) {
        self.work_left.set(split_budget(setup));
        // With a new budget, a refusal that was not sure may turn out otherwise.
        self.splits.borrow_mut().retain(|_, (_, unsure)| !*unsure);
    }

    /// Prepares a second round after a search that refused some candidate unsure: a fresh
    /// split budget, each unsure candidate searched again with a larger share of it (the
    /// first round's even shares can starve the one candidate that needs a deep packing).
    /// Returns false when no candidate was refused unsure (nothing to retry).
    pub(super) fn retry_unsure(&self, setup: &Setup) -> bool {
        let unsure = self.splits.borrow().values().any(|(_, unsure)| *unsure);
        if !unsure {
            return false;
        }
        self.uncertain.set(false);
        self.retrying.set(true);
        self.renew_budget(setup);
        true
    }

    /// A sale's gain as the ranking sees it and as reported (taxable accounts only), memoized.
    fn sale_gain(
        &self,
        setup: &Setup,
        i: usize,
        a: usize,
        units: i64,
    ) -> Option<(Decimal, Decimal)> {
        if let Some(known) = self.sale_gains.borrow().get(&(i, a, units)) {
            return *known;
        }
        let gain = self.realized(setup, i, a, units).map(|r| {
            (
                ranking_gain(&r, self.holding[i][a].as_ref(), units, setup),
                r.total(),
            )
        });
        self.sale_gains.borrow_mut().insert((i, a, units), gain);
        gain
    }

    /// What each asset's orders pay and realize over the accounts, for the plan's figures.
    pub(super) fn figures(&self, setup: &Setup, split: &Split) -> super::AssetFigures {
        let n = setup.assets.len();
        let mut commission = vec![Decimal::ZERO; n];
        let mut realized: Vec<Option<Realized>> = vec![None; n];
        for (&(a, i, u), c) in split.parts.iter().zip(&split.commissions) {
            commission[i] += *c;
            if u >= 0 {
                continue;
            }
            let part = if self.kinds[a].is_taxable() {
                self.realized(setup, i, a, -u).unwrap_or(Realized {
                    unknown: true,
                    ..Realized::default()
                })
            } else {
                // A sale in a tax-advantaged account realizes nothing taxable.
                Realized {
                    from_lots: true,
                    ..Realized::default()
                }
            };
            let total = realized[i].get_or_insert(Realized {
                from_lots: true,
                ..Realized::default()
            });
            total.short_term += part.short_term;
            total.long_term += part.long_term;
            total.lots.extend(part.lots);
            total.from_lots &= part.from_lots;
            total.unknown |= part.unknown;
        }
        super::AssetFigures {
            commission,
            realized,
        }
    }

    /// Whether cash may move between some accounts.
    fn pools(&self) -> bool {
        self.pooled.iter().any(|&p| p)
    }

    /// Whether accounts ending with `balance` (room after their orders) can settle the new cash;
    /// with it, the new cash per account, how many accounts it moves in or out of (and how many
    /// transfers), and the transfers between pooled accounts it needs (only when own cash and
    /// the new cash cannot do it alone).
    fn settle(&self, balance: &[Decimal]) -> Option<Settled> {
        if let Some((new_cash, moves)) = self.settle_own(balance) {
            return Some((new_cash, moves, Vec::new()));
        }
        if !self.pools() {
            return None;
        }
        let (moved, transfers) = self.transfer(balance);
        let (new_cash, moves) = self.settle_own(&moved)?;
        Some((new_cash, moves + transfers.len(), transfers))
    }

    /// Each pooled account's shortfall covered from the pooled accounts with cash to spare,
    /// the largest shortfall first, each from the largest spare first: the balances after and
    /// the transfers (from, to, amount).
    fn transfer(&self, balance: &[Decimal]) -> (Vec<Decimal>, Vec<(usize, usize, Decimal)>) {
        let mut moved = balance.to_vec();
        let mut short: Vec<usize> = (0..moved.len())
            .filter(|&a| self.pooled[a] && moved[a] < Decimal::ZERO)
            .collect();
        short.sort_by(|&x, &y| moved[x].cmp(&moved[y]).then(x.cmp(&y)));
        let mut transfers = Vec::new();
        for to in short {
            let mut spare: Vec<usize> = (0..moved.len())
                .filter(|&a| self.pooled[a] && moved[a] > Decimal::ZERO)
                .collect();
            spare.sort_by(|&x, &y| moved[y].cmp(&moved[x]).then(x.cmp(&y)));
            for from in spare {
                if moved[to] >= Decimal::ZERO {
                    break;
                }
                let amount = moved[from].min(-moved[to]);
                moved[from] -= amount;
                moved[to] += amount;
                transfers.push((from, to, amount));
            }
        }
        (moved, transfers)
    }

    /// [`Accounts::settle`] without transfers.
    fn settle_own(&self, balance: &[Decimal]) -> Option<(Vec<Decimal>, usize)> {
        let m = balance.len();
        let mut new_cash = vec![Decimal::ZERO; m];
        match &self.pool {
            Pool::None => balance
                .iter()
                .all(|b| *b >= Decimal::ZERO)
                .then_some((new_cash, 0)),
            Pool::Deposit {
                amount,
                into: Some(k),
            } => {
                let fits = (0..m).all(|a| {
                    if a == *k {
                        balance[a] + *amount >= Decimal::ZERO
                    } else {
                        balance[a] >= Decimal::ZERO
                    }
                });
                new_cash[*k] = *amount;
                fits.then_some((new_cash, 1))
            }
            Pool::Deposit { amount, into: None } => {
                let mut lacking = Decimal::ZERO;
                for (a, b) in balance.iter().enumerate() {
                    if *b < Decimal::ZERO {
                        new_cash[a] = -*b;
                        lacking += -*b;
                    }
                }
                if lacking > *amount {
                    return None;
                }
                // What no order needs goes with the largest part (the first account if none).
                let mut largest = 0;
                for a in 1..m {
                    if new_cash[a] > new_cash[largest] {
                        largest = a;
                    }
                }
                new_cash[largest] += *amount - lacking;
                let moves = new_cash.iter().filter(|c| !c.is_zero()).count();
                Some((new_cash, moves))
            }
            Pool::Withdrawal { amount, from } => {
                if balance.iter().any(|b| *b < Decimal::ZERO) {
                    return None;
                }
                let spare: Decimal = (0..m).filter(|&a| from[a]).map(|a| balance[a]).sum();
                if spare < *amount {
                    return None;
                }
                // From the accounts with the most to spare first: fewest accounts touched.
                let mut order: Vec<usize> = (0..m).filter(|&a| from[a]).collect();
                order.sort_by(|&x, &y| balance[y].cmp(&balance[x]).then(x.cmp(&y)));
                let mut left = *amount;
                for a in order {
                    if left <= Decimal::ZERO {
                        break;
                    }
                    let taken = balance[a].min(left);
                    new_cash[a] = -taken;
                    left -= taken;
                }
                let moves = new_cash.iter().filter(|c| !c.is_zero()).count();
                Some((new_cash, moves))
            }
        }
    }

    /// The best split of `units` over the accounts, or `None` if it has none.
    fn best_split(&self, setup: &Setup, units: &[i64]) -> Option<Split> {
        if let Some((split, unsure)) = self.splits.borrow().get(units) {
            if *unsure {
                self.uncertain.set(true);
            }
            return split.clone();
        }
        let was_uncertain = self.uncertain.replace(false);
        let split = self.search_split(setup, units);
        let unsure = self.uncertain.get();
        self.uncertain.set(was_uncertain || unsure);
        self.splits
            .borrow_mut()
            .insert(units.to_vec(), (split.clone(), unsure));
        split
    }

    fn search_split(&self, setup: &Setup, units: &[i64]) -> Option<Split> {
        // Out of budget, candidates are refused and the plan is no longer proven by the search
        // alone.
        let left = self.work_left.get();
        if left == 0 {
            self.uncertain.set(true);
            return None;
        }
        let mut trades: Vec<(usize, i64)> = units
            .iter()
            .enumerate()
            .filter(|&(_, &u)| u != 0)
            .map(|(i, &u)| (i, u))
            .collect();
        // Sales first (they raise the cash the buys spend), then the largest buys first.
        let amount = |&(i, u): &(usize, i64)| setup.quantity(u).abs() * setup.assets[i].price;
        trades.sort_by_cached_key(|t| (t.1 > 0, std::cmp::Reverse(amount(t)), t.0));
        let sells_end = trades.iter().take_while(|t| t.1 < 0).count();
        let buys_left: Vec<Decimal> = (0..=trades.len())
            .map(|t| {
                trades[t.min(trades.len())..]
                    .iter()
                    .filter(|x| x.1 > 0)
                    .map(amount)
                    .sum()
            })
            .collect();
        // A candidate may take an eighth of what is left: the few that need a deep split
        // search (sales spread to where the buys need the cash) get it, and the budget still
        // reaches many candidates.
        // On the retry round only candidates refused unsure are searched again: each may take
        // half of what is left.
        let share = if self.retrying.get() { 2 } else { 8 };
        let node_limit = (200 + 10 * trades.len() as u64).max(left / share).min(left);
        let mut search = SplitSearch {
            accounts: self,
            setup,
            trades,
            sells_end,
            buys_left,
            balance: self.room.clone(),
            parts: Vec::new(),
            commissions: Vec::new(),
            orders: 0,
            tax: Decimal::ZERO,
            gain: Decimal::ZERO,
            best: None,
            nodes: 0,
            node_limit,
            exhaustive: true,
            least_tax: None,
            accepted: 0,
        };
        search.least_tax = search.least_tax();
        search.descend(0);
        self.work_left
            .set(self.work_left.get().saturating_sub(search.nodes));
        if search.best.is_none() && (!search.exhaustive || search.nodes >= search.node_limit) {
            self.uncertain.set(true);
        }
        search.best
    }
}

/// Split-search nodes for a whole plan: a split node costs far more than a search node
/// (decimal sums over the accounts), and more the more assets trade; small households get
/// enough to settle their proofs.
fn split_budget(setup: &Setup) -> u64 {
    let assets = setup.assets.len().max(1) as u64;
    (setup.options.node_limit / 40)
        .max(2_000_000 / assets)
        .max(1_000)
}

/// Depth-first over the candidate's orders, each given one way of splitting it over the
/// accounts at a time.
struct SplitSearch<'a> {
    accounts: &'a Accounts,
    setup: &'a Setup,
    trades: Vec<(usize, i64)>,
    sells_end: usize,
    /// What the buys from each depth on cost (before commissions).
    buys_left: Vec<Decimal>,
    balance: Vec<Decimal>,
    parts: Vec<Part>,
    commissions: Vec<Decimal>,
    orders: usize,
    tax: Decimal,
    /// Reported gain of taxable sales (for the realized-gain cap).
    gain: Decimal,
    best: Option<Split>,
    nodes: u64,
    node_limit: u64,
    /// Every way of splitting each order was tried (not only the natural ones).
    exhaustive: bool,
    /// The least tax any split can rank: each sale in the one account where it realizes least
    /// (`None` when some sale fits no single account).
    least_tax: Option<Decimal>,
    /// Splits that kept every rule (better or not than the best).
    accepted: u64,
}

impl SplitSearch<'_> {
    fn least_tax(&self) -> Option<Decimal> {
        let a = self.accounts;
        let mut least = Decimal::ZERO;
        for &(i, u) in &self.trades[..self.sells_end] {
            let best = (0..a.ids.len())
                .filter(|&x| a.may_sell[x] && a.held[i][x] >= -u)
                .map(|x| {
                    a.sale_gain(self.setup, i, x, -u)
                        .map_or(Decimal::ZERO, |g| g.0)
                })
                .min()?;
            least += best;
        }
        Some(least)
    }

    fn descend(&mut self, t: usize) {
        self.nodes += 1;
        if self.nodes > self.node_limit {
            return;
        }
        let remaining = self.trades.len() - t;
        if let Some(best) = &self.best {
            let orders = self.orders + remaining;
            if orders > best.parts.len()
                || (orders == best.parts.len() && t >= self.sells_end && self.tax > best.tax)
            {
                return;
            }
        }
        if t >= self.sells_end && !self.may_still_fit(t) {
            return;
        }
        if t == self.trades.len() {
            self.leaf();
            return;
        }
        if (t == 0 || t == self.sells_end) && self.packable(t) {
            self.exactly(t);
            return;
        }
        self.natural(t);
    }

    /// The orders from `t` on (`t` is the first order or the first buy): the natural splits
    /// first (they prefer fewer orders, and from the first order they pack the buys after
    /// each way of splitting the sales); when they find none and were not exhaustive, the
    /// exact packing decides.
    fn exactly(&mut self, t: usize) {
        let exhaustive = self.exhaustive;
        let accepted = self.accepted;
        self.exhaustive = true;
        // The natural splits get a part of the nodes left, the packing the rest.
        let node_limit = self.node_limit;
        let share = if t < self.sells_end { 2 } else { 4 };
        self.node_limit = self.nodes + (node_limit.saturating_sub(self.nodes) / share).max(50);
        self.natural(t);
        let natural_cut = self.nodes > self.node_limit;
        self.node_limit = node_limit;
        if self.accepted > accepted
            || (self.exhaustive && !natural_cut)
            || self.nodes > self.node_limit
        {
            self.exhaustive &= exhaustive && !natural_cut;
            return;
        }
        let a = self.accounts;
        let buys: Vec<pack::Buy> = self.trades[self.sells_end.max(t)..]
            .iter()
            .map(|&(i, u)| (i, u, self.setup.quantity(1) * self.setup.assets[i].price))
            .collect();
        let sales: Vec<pack::Sale> = self.trades[t.min(self.sells_end)..self.sells_end]
            .iter()
            .map(|&(i, u)| {
                let held = (0..a.ids.len()).map(|x| (x, a.held[i][x])).collect();
                (
                    i,
                    -u,
                    self.setup.quantity(1) * self.setup.assets[i].price,
                    held,
                )
            })
            .collect();
        // With a deposit, each account it may go to is tried as the one that spends beyond
        // its own cash.
        let (deposit, takers): (Decimal, Vec<Option<usize>>) = match &a.pool {
            Pool::Deposit { amount, into } => (
                *amount,
                (0..a.ids.len())
                    .filter(|&x| a.may_buy[x] && into.is_none_or(|k| k == x))
                    .map(Some)
                    .collect(),
            ),
            _ => (Decimal::ZERO, vec![None]),
        };
        let mut answer = pack::Packed::Never;
        for (n, &taker) in takers.iter().enumerate() {
            let rooms: Vec<(usize, Decimal)> = (0..a.ids.len())
                .map(|x| {
                    let extra = if Some(x) == taker {
                        deposit
                    } else {
                        Decimal::ZERO
                    };
                    (x, self.balance[x] + extra)
                })
                .filter(|&(x, room)| a.may_buy[x] && (room > Decimal::ZERO || !sales.is_empty()))
                .collect();
            let share = (takers.len() - n) as u64;
            let limit = (self.node_limit.saturating_sub(self.nodes) / share).max(2_000);
            let commission = |i: usize, k: i64| Accounts::commission(self.setup, i, k);
            let (this, nodes) = pack::pack(&rooms, &sales, &buys, taker, &commission, limit);
            self.nodes += nodes;
            match this {
                pack::Packed::Fits(_) => {
                    answer = this;
                    break;
                }
                pack::Packed::Unknown => answer = pack::Packed::Unknown,
                pack::Packed::Never => {}
            }
        }
        // With commissions, a packing may need the deposit in more than one account (moving a
        // unit to the one account that takes it all can add a commission): trying each account
        // as that one does not rule those out.
        let charged = self.trades[t..]
            .iter()
            .any(|&(i, _)| !matches!(self.setup.assets[i].commission, crate::Commission::None));
        if charged && takers.len() > 1 && matches!(answer, pack::Packed::Never) {
            answer = pack::Packed::Unknown;
        }
        self.exhaustive = match answer {
            pack::Packed::Never => exhaustive,
            pack::Packed::Unknown => false,
            pack::Packed::Fits(parts) => {
                let (saved_tax, saved_gain) = (self.tax, self.gain);
                for &(x, i, k) in &parts {
                    self.balance[x] += Accounts::flow(self.setup, i, k);
                    if k < 0
                        && let Some((ranked, reported)) = a.sale_gain(self.setup, i, x, -k)
                    {
                        self.tax += ranked;
                        self.gain += reported;
                    }
                    self.parts.push((x, i, k));
                    self.commissions
                        .push(Accounts::commission(self.setup, i, k));
                    self.orders += 1;
                }
                self.leaf();
                for &(x, i, k) in parts.iter().rev() {
                    self.balance[x] -= Accounts::flow(self.setup, i, k);
                    self.parts.pop();
                    self.commissions.pop();
                    self.orders -= 1;
                }
                (self.tax, self.gain) = (saved_tax, saved_gain);
                // A packing the other rules refuse: another might pass them.
                exhaustive && self.accepted > accepted
            }
        };
    }

    /// Whether the exact packing applies to the orders from `t` on: own cash, a deposit, or
    /// a withdrawal every account may give to (without commissions, what they leave in all is
    /// then the same whatever the split), no minimum size on any fund traded, no account
    /// in debit; with sales, a full rebalance (buy-only's sales follow rules of their own) in
    /// accounts that may all buy and sell.
    fn packable(&self, t: usize) -> bool {
        let a = self.accounts;
        let pool_fits = match &a.pool {
            Pool::Withdrawal { from, .. } => from.iter().all(|&f| f),
            Pool::None | Pool::Deposit { .. } => true,
        };
        let with_sales = t < self.sells_end;
        pool_fits
            && !a.pools()
            && t < self.trades.len()
            && (!with_sales
                || (!a.sells_only_to_raise
                    && a.may_buy.iter().all(|&b| b)
                    && a.may_sell.iter().all(|&b| b)))
            && self.balance.iter().all(|b| *b >= Decimal::ZERO)
            && self.trades[t..]
                .iter()
                .all(|&(i, u)| self.setup.allowed(i, u.signum()))
    }

    /// Each way of splitting the order at `t`, tried in turn.
    fn natural(&mut self, t: usize) {
        let (i, u) = self.trades[t];
        let last = t + 1 == self.trades.len();
        for alloc in self.allocations(i, u, last) {
            let saved_tax = self.tax;
            let saved_gain = self.gain;
            for &(a, k) in &alloc {
                let c = Accounts::commission(self.setup, i, k);
                self.balance[a] += Accounts::flow(self.setup, i, k);
                if k < 0
                    && let Some((ranked, reported)) = self.accounts.sale_gain(self.setup, i, a, -k)
                {
                    self.tax += ranked;
                    self.gain += reported;
                }
                self.parts.push((a, i, k));
                self.commissions.push(c);
                self.orders += 1;
            }
            self.descend(t + 1);
            for &(a, k) in alloc.iter().rev() {
                self.balance[a] -= Accounts::flow(self.setup, i, k);
                self.parts.pop();
                self.commissions.pop();
                self.orders -= 1;
            }
            self.tax = saved_tax;
            self.gain = saved_gain;
            if self.nodes > self.node_limit || self.settled() {
                return;
            }
        }
    }

    /// The best split cannot be beaten: one order per trade, each sale where it realizes least,
    /// every fund where it prefers to be.
    fn settled(&self) -> bool {
        self.best.as_ref().is_some_and(|b| {
            b.parts.len() == self.trades.len()
                && b.moves <= 1
                && self.least_tax.is_some_and(|least| b.tax <= least)
                && b.misplaced.is_zero()
        })
    }

    /// The money the split's orders place against the funds' location preferences: buys
    /// outside the preferred kind of account, sales from it.
    fn misplaced(&self) -> Decimal {
        let a = self.accounts;
        self.parts
            .iter()
            .filter_map(|&(account, i, units)| {
                let prefers = a.prefers[i]?;
                let here = a.kinds[account] == prefers;
                let against = if units > 0 { !here } else { here };
                against.then(|| self.setup.quantity(units).abs() * self.setup.assets[i].price)
            })
            .sum()
    }

    /// With only buys left (they only take cash), whether the accounts can still pay them.
    fn may_still_fit(&self, t: usize) -> bool {
        let a = self.accounts;
        let total: Decimal = self.balance.iter().copied().sum();
        let extra = match &a.pool {
            Pool::None => Decimal::ZERO,
            Pool::Deposit { amount, .. } => *amount,
            Pool::Withdrawal { amount, .. } => -*amount,
        };
        if total + extra < self.buys_left[t] {
            return false;
        }
        a.settle(&self.balance).is_some()
    }

    fn leaf(&mut self) {
        let a = self.accounts;
        let Some((new_cash, moves, transfers)) = a.settle(&self.balance) else {
            return;
        };
        if let Some(cap) = self.setup.options.max_realized_gain
            && self.gain > cap
        {
            return;
        }
        if a.sells_only_to_raise && !self.sales_needed() {
            return;
        }
        self.accepted += 1;
        let candidate = Split {
            parts: self.parts.clone(),
            commissions: self.commissions.clone(),
            new_cash,
            transfers,
            tax: self.tax,
            misplaced: self.misplaced(),
            moves,
        };
        let better = self.best.as_ref().is_none_or(|b| {
            (
                candidate.parts.len(),
                candidate.tax,
                candidate.misplaced,
                candidate.moves,
                &candidate.parts,
            ) < (b.parts.len(), b.tax, b.misplaced, b.moves, &b.parts)
        });
        if better {
            self.best = Some(candidate);
        }
    }

    /// Sales only raise cash: no account that sells also buys, and each sold unit is needed
    /// (selling one unit less, or nothing where one less is below the minimum, would leave
    /// some account or the withdrawal short).
    fn sales_needed(&self) -> bool {
        let m = self.balance.len();
        let mut sells = vec![false; m];
        let mut buys = vec![false; m];
        for &(a, _, k) in &self.parts {
            if k < 0 {
                sells[a] = true;
            } else {
                buys[a] = true;
            }
        }
        if (0..m).any(|a| sells[a] && buys[a]) {
            return false;
        }
        let mut probe = self.balance.clone();
        for &(a, i, k) in &self.parts {
            if k >= 0 {
                continue;
            }
            let mut fewer = k + 1;
            if fewer != 0 && !self.setup.allowed(i, fewer) {
                fewer = 0;
            }
            let change = Accounts::flow(self.setup, i, fewer) - Accounts::flow(self.setup, i, k);
            probe[a] += change;
            let still_fits = self.accounts.settle(&probe).is_some();
            probe[a] -= change;
            if still_fits {
                return false;
            }
        }
        true
    }

    /// The ways of splitting `u` units of asset `i` over the accounts, the fewest orders first.
    fn allocations(&mut self, i: usize, u: i64, last: bool) -> Vec<Vec<(usize, i64)>> {
        let accounts = self.accounts;
        let count = accounts.ids.len();
        let sign = u.signum();
        let total = u.abs();
        // A buy comes after every sale, and later buys only take cash: each account's part
        // must fit what it has now (with the deposit, if one may go to it).
        let fits: Vec<i64> = (0..count)
            .map(|x| {
                if sign < 0 {
                    accounts.held[i][x]
                } else {
                    let extra = match &accounts.pool {
                        Pool::Deposit { amount, into } if into.is_none_or(|k| k == x) => *amount,
                        _ => Decimal::ZERO,
                    };
                    self.fill_with(i, x, total, extra)
                }
            })
            .collect();
        let cap = |x: usize| fits[x];
        let eligible: Vec<usize> = (0..count)
            .filter(|&x| {
                if sign < 0 {
                    accounts.may_sell[x]
                } else {
                    accounts.may_buy[x]
                }
            })
            .filter(|&x| cap(x) > 0)
            .collect();
        let allowed = |k: i64| self.setup.allowed(i, sign * k);
        let mut out: Vec<Vec<(usize, i64)>> = Vec::new();
        if compositions(total, eligible.len()) <= FULL_ENUMERATION {
            let mut current = Vec::new();
            enumerate(total, &eligible, &cap, &allowed, &mut current, &mut out);
        } else {
            // The last order, a buy: the accounts filled largest room first (and, with a
            // deposit, topped up where it costs least) pay it if any split does, so nothing is
            // missed.
            let closes = last
                && sign > 0
                && matches!(self.setup.assets[i].commission, crate::Commission::None)
                && !matches!(self.accounts.pool, Pool::Withdrawal { .. })
                && !self.accounts.pools()
                && allowed(1);
            if !closes {
                self.exhaustive = false;
            }
            // One account.
            for &x in &eligible {
                if cap(x) >= total && allowed(total) {
                    out.push(vec![(x, total)]);
                }
            }
            // Two accounts, one of them filled to what it can take.
            for &x in &eligible {
                let fill = self.fill(i, x, sign, total).min(total - 1);
                for &y in &eligible {
                    if x == y || fill <= 0 {
                        continue;
                    }
                    let rest = total - fill;
                    if cap(y) >= rest && allowed(fill) && allowed(rest) {
                        out.push(vec![(x, fill), (y, rest)]);
                    }
                }
            }
            // Every account filled in turn, starting from each account in turn (which one
            // keeps a remainder decides what later orders can still use).
            for start in 0..eligible.len() {
                let mut left = total;
                let mut parts = Vec::new();
                for n in 0..eligible.len() {
                    let x = eligible[(start + n) % eligible.len()];
                    if left == 0 {
                        break;
                    }
                    let k = self.fill(i, x, sign, left).min(left);
                    if k > 0 && allowed(k) {
                        parts.push((x, k));
                        left -= k;
                    }
                }
                if left == 0 && parts.len() > 2 {
                    out.push(parts);
                }
            }
            if closes {
                let mut by_room = eligible.clone();
                by_room.sort_by_key(|&x| (std::cmp::Reverse(cap(x)), x));
                let mut left = total;
                let mut parts = Vec::new();
                for &x in &by_room {
                    let k = self.fill(i, x, sign, left).min(left);
                    if left > 0 && k > 0 {
                        parts.push((x, k));
                        left -= k;
                    }
                }
                if left == 0 {
                    out.push(parts);
                }
            }
            if sign > 0
                && let Some(parts) = self.topped_up(i, total, &eligible, &allowed)
            {
                out.push(parts);
            }
            out.sort();
            out.dedup();
        }
        // Fewest orders first; among them, sales where they realize least, buys where the most
        // cash is.
        let key = |alloc: &Vec<(usize, i64)>| {
            let first = alloc.first().map_or(0, |p| p.0);
            let preference = if sign < 0 {
                alloc
                    .iter()
                    .filter_map(|&(x, k)| Some(accounts.sale_gain(self.setup, i, x, k)?.0))
                    .sum::<Decimal>()
            } else {
                -self.balance[first]
            };
            (alloc.len(), preference, first)
        };
        out.sort_by_cached_key(key);
        out.into_iter()
            .map(|alloc| alloc.into_iter().map(|(x, k)| (x, sign * k)).collect())
            .collect()
    }

    /// A buy of `total` units split so that a deposit pays as little of it as it can: each
    /// account buys what its own cash pays, then one more unit where the deposit tops up
    /// least (an account whose cash pays most of a unit), the rest where the deposit may go.
    /// Without it, own cash alone cannot pay a buy that needs every account's last cents.
    fn topped_up(
        &self,
        i: usize,
        total: i64,
        eligible: &[usize],
        allowed: &dyn Fn(i64) -> bool,
    ) -> Option<Vec<(usize, i64)>> {
        let Pool::Deposit { into, .. } = &self.accounts.pool else {
            return None;
        };
        let may_top = |x: usize| into.is_none_or(|k| k == x);
        let mut units: Vec<(usize, i64)> = Vec::with_capacity(eligible.len());
        let mut left = total;
        for &x in eligible {
            let k = self.fill(i, x, 1, left).min(left);
            units.push((x, k));
            left -= k;
        }
        if left == 0 {
            return None; // own cash pays it: the fills in turn cover this
        }
        let top_up = |x: usize, k: i64| -Accounts::flow(self.setup, i, k + 1) - self.balance[x];
        let mut order: Vec<usize> = (0..units.len()).filter(|&n| may_top(units[n].0)).collect();
        order.sort_by_key(|&n| (top_up(units[n].0, units[n].1), n));
        for &n in &order {
            if left == 0 {
                break;
            }
            units[n].1 += 1;
            left -= 1;
        }
        let &first = order.first()?;
        units[first].1 += left;
        let parts: Vec<(usize, i64)> = units.into_iter().filter(|&(_, k)| k > 0).collect();
        parts.iter().all(|&(_, k)| allowed(k)).then_some(parts)
    }

    /// The most units of asset `i` account `x` can take: its holding for a sale, what its cash
    /// pays (with the commission) for a buy.
    fn fill(&self, i: usize, x: usize, sign: i64, most: i64) -> i64 {
        let a = self.accounts;
        if sign < 0 {
            return a.held[i][x].min(most);
        }
        self.fill_with(i, x, most, Decimal::ZERO)
    }

    /// The most units of asset `i` (up to `most`) account `x` can buy with its cash and `extra`.
    fn fill_with(&self, i: usize, x: usize, most: i64, extra: Decimal) -> i64 {
        let unit = self.setup.quantity(1) * self.setup.assets[i].price;
        let a = self.accounts;
        // What the other pooled accounts could move in.
        let pooled: Decimal = if a.pooled[x] {
            (0..a.ids.len())
                .filter(|&y| y != x && a.pooled[y])
                .map(|y| self.balance[y])
                .sum::<Decimal>()
                .max(Decimal::ZERO)
        } else {
            Decimal::ZERO
        };
        let room = self.balance[x] + extra + pooled;
        if room <= Decimal::ZERO || unit <= Decimal::ZERO {
            return 0;
        }
        let mut k = super::to_units(room / unit).unwrap_or(most).min(most);
        while k > 0 && -Accounts::flow(self.setup, i, k) > room {
            k -= 1;
        }
        k
    }
}

/// A sale's gain as the ranking sees it (exact for lots, pro rata otherwise).
fn ranking_gain(r: &Realized, holding: Option<&Holding>, units: i64, setup: &Setup) -> Decimal {
    let Some(h) = holding else {
        return r.total();
    };
    let quantity = setup.quantity(units);
    let covered =
        !h.lots.is_empty() && h.lots.iter().map(|l| l.quantity).sum::<Decimal>() >= quantity;
    if covered || h.quantity.is_zero() {
        return r.total();
    }
    h.unrealized_pnl
        .unwrap_or_default()
        .checked_mul(quantity)
        .and_then(|x| x.checked_div(h.quantity))
        .unwrap_or_default()
}

/// How many ways `total` units split over `k` accounts (an upper bound, ignoring holdings).
fn compositions(total: i64, k: usize) -> u64 {
    if k <= 1 {
        return 1;
    }
    // C(total + k − 1, k − 1), saturating.
    let mut c: u64 = 1;
    for j in 1..k as u64 {
        c = c.saturating_mul(total as u64 + j) / j;
        if c > FULL_ENUMERATION {
            return c;
        }
    }
    c
}

fn enumerate(
    left: i64,
    accounts: &[usize],
    cap: &dyn Fn(usize) -> i64,
    allowed: &dyn Fn(i64) -> bool,
    current: &mut Vec<(usize, i64)>,
    out: &mut Vec<Vec<(usize, i64)>>,
) {
    let Some((&x, rest)) = accounts.split_first() else {
        if left == 0 && !current.is_empty() {
            out.push(current.clone());
        }
        return;
    };
    // The last account takes what is left.
    let first = if rest.is_empty() { left } else { 0 };
    for k in first..=left.min(cap(x)) {
        if k > 0 && !allowed(k) {
            continue;
        }
        if k > 0 {
            current.push((x, k));
        }
        enumerate(left - k, rest, cap, allowed, current, out);
        if k > 0 {
            current.pop();
        }
    }
}

/// The judge of household candidates: the merged rules, then a split over the accounts.
pub(super) struct HouseholdJudge<'a> {
    pub(super) setup: &'a Setup,
    pub(super) accounts: &'a Accounts,
}

impl Judge for HouseholdJudge<'_> {
    type Score = HouseholdScore;
    fn judge(&self, units: &[i64]) -> Option<HouseholdScore> {
        // Out of split budget every candidate is refused: skip the merged rules' cost too.
        if self.accounts.work_left.get() == 0 {
            self.accounts.uncertain.set(true);
            return None;
        }
        let Score {
            objective,
            traded,
            trades,
            ..
        } = self.setup.judge_raw(units, false)?;
        let split = self.accounts.best_split(self.setup, units)?;
        Some(HouseholdScore {
            objective,
            orders: split.parts.len(),
            tax: split.tax,
            misplaced: split.misplaced,
            moves: split.moves,
            traded,
            trades,
            split,
        })
    }
}
