//! The exact search on top of the Lagrangian bound: enumerates the sets of changes to the
//! dual's plan whose reduced costs stay below the incumbent's gap (see [`crate::lagrange`]).
//!
//! A plan is the dual's plan with some assets moved to other allowed units. Its objective is
//! `φ + Σ r_i + q(S)`, so a plan better than the incumbent needs `Σ r_i + q(S) < U − φ`. The
//! search walks the assets that have a change that cheap (cheapest first), adding at most one
//! change per asset, and prunes a branch when its reduced costs plus the least cash cost its
//! remaining assets can reach already exceed the gap. When the walk finishes, no plan is better
//! by more than float noise: the incumbent is proven optimal. Each improving candidate is judged
//! exactly (decimals, budget with commissions, withdrawal and tax rules) before it replaces the
//! incumbent, so rules the bound cannot see only cost search time.

use crate::lagrange::{Dual, Units, alternatives};
use crate::search::{Judge, Problem};

/// Float noise allowed when proving: a plan better than the incumbent by less than this is
/// not looked for. Well above the rounding error of sums over 5,000 assets (about 1e-13 of
/// the objective), and small enough that a proven plan's objective matches the exact optimum
/// to its printed cents in practice.
pub(crate) fn proof_tolerance(objective: f64) -> f64 {
    1e-11 * (1.0 + objective.abs())
}

/// Changes considered per asset, tried in turn: most searches finish within the first, and a
/// cut list stops the proof. One very large holding (tens of thousands of shares, a small
/// withdrawal) has thousands of changes below the gap, most of them pruned at once by the walk:
/// the larger caps let such a proof finish, their lists counted as work.
const CHANGE_CAPS: [usize; 3] = [64, 4_096, 262_144];

/// How many times the work before it a pass of the enumeration may cost (see `prove_capped`).
pub(crate) const PASS_GROWTH: u64 = 3;

/// The work a pass may cost whatever came before it: small proofs (a household of a few
/// funds, whose earlier passes cost a few thousand units) are not cut by the growth limit,
/// and it is a few milliseconds at most. Less (30,000) lost proofs of 30-100 assets.
pub(crate) const PASS_FLOOR: u64 = 100_000;

/// An asset and its changes (reduced cost, units), cheapest first.
type Row = (usize, Vec<(f64, i64)>);

/// The incumbent: units, exact score, f64 objective.
pub(crate) type Best<S> = Option<(Vec<i64>, S, f64)>;

/// Runs the enumeration, improving `best` in place. Returns whether it finished (the incumbent
/// is then optimal) and the work it used (nodes, plus the assets per exact check and per pass).
pub(crate) fn prove<J: Judge>(
    problem: &Problem,
    judge: &J,
    dual: &Dual,
    assets: &[Units],
    best: &mut Best<J::Score>,
    work_limit: u64,
) -> (bool, u64) {
    let mut work = 0u64;
    for cap in CHANGE_CAPS {
        let (ending, used) = prove_capped(
            problem,
            judge,
            dual,
            assets,
            best,
            work_limit.saturating_sub(work),
            cap,
        );
        work += used;
        match ending {
            Ending::Proven => return (true, work),
            Ending::Stopped => return (false, work),
            Ending::Cut => {}
        }
    }
    (false, work)
}

/// How one capped enumeration ended.
enum Ending {
    /// Every change below the gap was walked: the incumbent is optimal.
    Proven,
    /// Out of work, or nothing to prove against.
    Stopped,
    /// The walk finished, but some asset had more changes than the cap.
    Cut,
}

/// [`prove`] with at most `cap` changes per asset.
fn prove_capped<J: Judge>(
    problem: &Problem,
    judge: &J,
    dual: &Dual,
    assets: &[Units],
    best: &mut Best<J::Score>,
    work_limit: u64,
    cap: usize,
) -> (Ending, u64) {
    let base_spent: f64 = assets
        .iter()
        .zip(&dual.units)
        .map(|(a, &k)| k as f64 * a.unit)
        .sum();
    let base_fees: f64 = assets.iter().zip(&dual.units).map(|(a, &k)| a.fee(k)).sum();
    let base_commission: f64 = dual
        .units
        .iter()
        .enumerate()
        .map(|(i, &k)| problem.commission_of(i, k))
        .sum();
    let mut work = 0u64;
    // Each asset's changes below the first pass's gap; later passes (smaller gaps) filter them.
    let mut rows: Option<Vec<Row>> = None;
    // The last pass's walk work and frontier (the root is the frontier of no walk).
    let mut last = (0u64, 1u64, None);
    // Improvements usually need one to three changes: look for those first (each pass shrinks
    // the gap, so the next has fewer changes to consider), then search without a depth limit.
    for depth in [1, 2, 3, 4, 5, usize::MAX] {
        let Some(incumbent) = best.as_ref().map(|b| b.2) else {
            return (Ending::Stopped, work);
        };
        let limit = incumbent - dual.bound;
        let (current, truncated) = match rows.take() {
            None => {
                // Finding each asset's changes is a few evaluations per asset.
                work += 10 * assets.len() as u64;
                all_rows(dual, assets, limit, cap)
            }
            Some(previous) => {
                work += 10 * previous.len() as u64;
                narrow(dual, assets, previous, limit, cap)
            }
        };
        // Long lists cost their length.
        work += current.iter().map(|(_, c)| c.len() as u64).sum::<u64>() / 8;
        if work > work_limit {
            return (Ending::Stopped, work);
        }
        rows = Some(current.clone());
        let rows = current;
        // A pass after the first may cost at most `PASS_GROWTH` times all the work before it
        // (a deeper pass walks the shallower one's nodes again, so a pass that can finish
        // usually costs about as much as those together), or `PASS_FLOOR`: a pass that cannot
        // finish then stops within that, not at the end of the whole budget, and a plan left
        // unproven costs a few times its last finished pass, whatever the budget.
        let pass_limit = if depth == 1 {
            work_limit
        } else {
            let grown = work.saturating_mul(PASS_GROWTH).max(PASS_FLOOR);
            work_limit.min(work.saturating_add(grown))
        };
        let reach = Reaches::new(dual, assets, &rows);
        let by_spending = by_spending(dual, assets, &rows);
        let mut walk = Walk {
            problem,
            judge,
            dual,
            assets,
            rows,
            reach,
            by_spending,
            units: dual.units.clone(),
            base_spent,
            best: &mut *best,
            work,
            work_limit: pass_limit,
            judge_cost: 1 + assets.len() as u64,
            frontier: 0,
            judged: 0,
        };
        let start = Node {
            reduced: 0.0,
            delta: 0.0,
            fees: base_fees,
            commission: base_commission,
        };
        let finished = walk.descend(0, start, depth);
        let walked = walk.work - work;
        work = walk.work;
        let frontier = walk.frontier;
        if !finished {
            return (Ending::Stopped, work);
        }
        // A pass the depth limit never stopped was the whole walk.
        if depth == usize::MAX || walk.frontier == 0 {
            return (
                if truncated {
                    Ending::Cut
                } else {
                    Ending::Proven
                },
                work,
            );
        }
        // The next pass walks this one's nodes again and goes on from its frontier. Each
        // frontier node costs less than the last pass's did (fewer changes still fit): about
        // as much less as that one cost less than the one before. When the passes a proof
        // still needs (each at least the next one) do not fit in the work left, stop here.
        let walked = walked - walk.judged;
        let cost = walked.saturating_sub(last.0) as f64 / last.1.max(1) as f64;
        let passes_left = (1 + [1, 2, 3, 4, 5].iter().filter(|&&d| d > depth).count()) as f64;
        // A pass that closed part of the gap leaves the next one fewer changes to combine
        // (their number falls with about the gap's square).
        let now = best.as_ref().map_or(f64::INFINITY, |b| b.2) - dual.bound;
        let shrink = (now / limit).clamp(0.0, 1.0).powi(2);
        let next = last.2.map_or(0.0, |previous: f64| {
            let extra = frontier as f64 * cost * (cost / previous.max(1e-9)).min(1.0);
            shrink * (walked as f64 + extra)
        });
        if next * passes_left > work_limit.saturating_sub(work) as f64 {
            return (Ending::Stopped, work);
        }
        last = (walked, frontier, Some(cost));
    }
    (Ending::Stopped, work)
}

/// The assets with a change cheaper than `limit`, each with its changes cheapest first, sorted
/// by their cheapest change; and whether some changes were left out (then no proof).
fn all_rows(dual: &Dual, assets: &[Units], limit: f64, cap: usize) -> (Vec<Row>, bool) {
    rows_of(
        dual,
        assets,
        (0..assets.len()).map(|i| (i, None)),
        limit,
        cap,
    )
}

/// [`all_rows`] for a smaller `limit`, from the rows of a larger one: an asset without a change
/// below the larger limit has none below the smaller, and a complete list only needs cutting.
fn narrow(
    dual: &Dual,
    assets: &[Units],
    previous: Vec<Row>,
    limit: f64,
    cap: usize,
) -> (Vec<Row>, bool) {
    rows_of(
        dual,
        assets,
        previous.into_iter().map(|(i, changes)| (i, Some(changes))),
        limit,
        cap,
    )
}

/// Rows for `limit` of the given assets, each with its changes below a larger limit if known
/// (and not cut at `cap`; a cut list is computed again).
fn rows_of(
    dual: &Dual,
    assets: &[Units],
    candidates: impl Iterator<Item = (usize, Option<Vec<(f64, i64)>>)>,
    limit: f64,
    cap: usize,
) -> (Vec<Row>, bool) {
    let mut truncated = false;
    let mut rows: Vec<Row> = Vec::new();
    for (i, known) in candidates {
        let changes = match known {
            Some(mut changes) if changes.len() < cap => {
                changes.retain(|c| c.0 < limit);
                changes
            }
            _ => {
                let (changes, cut) = alternatives(dual, &assets[i], dual.units[i], limit, cap);
                truncated |= cut;
                changes
            }
        };
        if !changes.is_empty() {
            rows.push((i, changes));
        }
    }
    rows.sort_by(|x, y| x.1[0].0.total_cmp(&y.1[0].0).then(x.0.cmp(&y.0)));
    (rows, truncated)
}

/// What the assets from each row on can change, at most: the spending down and up, and the
/// commission floors up and down.
#[derive(Debug, Clone, Copy, Default)]
struct Reach {
    down: f64,
    up: f64,
    fees: f64,
    fees_down: f64,
}

/// What the rows from each row on can change: all of them together ([`Reach`]), and one change
/// of any one of them at most (each side including no change); and the sums of the rows'
/// cheapest changes before each row.
struct Reaches {
    all: Vec<Reach>,
    single: Vec<Reach>,
    cheapest: Vec<f64>,
}

impl Reaches {
    fn new(dual: &Dual, assets: &[Units], rows: &[Row]) -> Self {
        let all = reach(dual, assets, rows);
        let mut single = vec![Reach::default(); rows.len() + 1];
        for j in (0..rows.len()).rev() {
            let own = row_reach(dual, assets, &rows[j]);
            let next = single[j + 1];
            single[j] = Reach {
                down: next.down.min(own.down),
                up: next.up.max(own.up),
                fees: next.fees.max(own.fees),
                fees_down: next.fees_down.min(own.fees_down),
            };
        }
        let mut cheapest = Vec::with_capacity(rows.len() + 1);
        cheapest.push(0.0);
        for (_, changes) in rows {
            let last = cheapest.last().copied().unwrap_or(0.0);
            cheapest.push(last + changes[0].0);
        }
        Self {
            all,
            single,
            cheapest,
        }
    }

    /// What rows `from..` can change with changes costing less than `room` in all: no more
    /// changes than their cheapest ones allow (rows are sorted by their cheapest), each within
    /// one change's reach, and within all the rows' reach. Not limited by a pass's depth: a
    /// pass that the depth limit never stopped must be the whole walk (see `prove_capped`).
    fn within(&self, from: usize, room: f64) -> Reach {
        let count = self.count(from, room) as f64;
        let (all, one) = (self.all[from], self.single[from]);
        Reach {
            down: all.down.max(count * one.down),
            up: all.up.min(count * one.up),
            fees: all.fees.min(count * one.fees),
            fees_down: all.fees_down.max(count * one.fees_down),
        }
    }

    /// How many changes of rows `from..` can cost less than `room` in all.
    fn count(&self, from: usize, room: f64) -> usize {
        let rows = self.cheapest.len() - 1;
        let base = self.cheapest[from];
        // Generous by the float noise of the prefix sums: more changes only widen the reach.
        let noise = 1e-9 * (1.0 + self.cheapest[rows].abs() + room.abs());
        let fits = |k: usize| self.cheapest[from + k] - base < room + noise;
        let (mut low, mut high) = (0, rows - from);
        // The largest count that fits (0 always does).
        while low < high {
            let mid = high - (high - low) / 2;
            if fits(mid) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        low
    }
}

/// What one row's changes (or none) can change.
fn row_reach(dual: &Dual, assets: &[Units], row: &Row) -> Reach {
    let (i, changes) = row;
    let base = dual.units[*i];
    let a = &assets[*i];
    let (mut down, mut up, mut fees, mut fees_down) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for &(_, k) in changes {
        let dx = (k - base) as f64 * a.unit;
        down = down.min(dx);
        up = up.max(dx);
        fees = fees.max(a.fee(k) - a.fee(base));
        fees_down = fees_down.min(a.fee(k) - a.fee(base));
    }
    Reach {
        down,
        up,
        fees,
        fees_down,
    }
}

fn reach(dual: &Dual, assets: &[Units], rows: &[Row]) -> Vec<Reach> {
    let mut reach = vec![Reach::default(); rows.len() + 1];
    for j in (0..rows.len()).rev() {
        let Reach {
            down,
            up,
            fees,
            fees_down,
        } = row_reach(dual, assets, &rows[j]);
        let next = reach[j + 1];
        reach[j] = Reach {
            down: next.down + down,
            up: next.up + up,
            fees: next.fees + fees,
            fees_down: next.fees_down + fees_down,
        };
    }
    reach
}

/// Every change of every row as (spending change, row, change index), sorted by spending change
/// (ties by row and change, for determinism).
fn by_spending(dual: &Dual, assets: &[Units], rows: &[Row]) -> Vec<(f64, usize, usize)> {
    let mut out = Vec::new();
    for (j, (i, changes)) in rows.iter().enumerate() {
        let unit = assets[*i].unit;
        let base = dual.units[*i];
        for (c, &(_, k)) in changes.iter().enumerate() {
            out.push(((k - base) as f64 * unit, j, c));
        }
    }
    out.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    out
}

/// A set of changes to the dual's plan: their reduced costs, spending change, commission
/// floors (as the bound prices them) and commissions (f64).
#[derive(Debug, Clone, Copy)]
struct Node {
    reduced: f64,
    delta: f64,
    fees: f64,
    commission: f64,
}

struct Walk<'a, J: Judge> {
    problem: &'a Problem,
    judge: &'a J,
    dual: &'a Dual,
    assets: &'a [Units],
    rows: Vec<Row>,
    reach: Reaches,
    /// Every row's changes as (spending change, row, change), by spending change.
    by_spending: Vec<(f64, usize, usize)>,
    units: Vec<i64>,
    base_spent: f64,
    best: &'a mut Best<J::Score>,
    work: u64,
    work_limit: u64,
    judge_cost: u64,
    /// The nodes where the depth limit stopped a walk that could have gone on.
    frontier: u64,
    /// The work of the exact judgements (not the walk's own).
    judged: u64,
}

impl<J: Judge> Walk<'_, J> {
    /// What a plan may still add to `φ` to beat the incumbent, less float noise.
    fn room(&self) -> f64 {
        let incumbent = self.best.as_ref().map_or(f64::INFINITY, |b| b.2);
        incumbent - self.dual.bound - proof_tolerance(incumbent)
    }

    /// The node "changes so far" (rows before `from` decided), then its extensions by at most
    /// `depth` more changes from rows `from` on. Returns false when the work limit stopped it.
    fn descend(&mut self, from: usize, node: Node, depth: usize) -> bool {
        self.work += 1;
        if self.work > self.work_limit {
            return false;
        }
        let Node { reduced, delta, .. } = node;
        let spent = self.base_spent + delta;
        let budget = self.dual.cash.s_max;
        // The node's objective less φ: F = φ + Σr + q + β·(budget − S − fee floors).
        let value = reduced + self.dual.cash_cost(spent) + self.dual.budget_term(spent, node.fees);
        let noise = 1e-9 * (1.0 + budget.abs());
        // A withdrawal part's plans raise less than a step beyond what they must (with
        // commissions): others are not minimal, and judging them exactly is costly.
        let with_fees = spent + node.commission;
        let fits = with_fees <= budget + noise && with_fees >= self.dual.cash.t_min - noise;
        if fits && value < self.room() {
            self.consider();
        }
        if depth == 0 {
            return true;
        }
        // Rows from `deep` on cannot take a change and then another one (two changes cost at
        // least their two cheapest, and rows are sorted by those): only single changes are
        // left there, found through the spending window instead of a walk over every row.
        let room = self.room();
        let deep = if depth > 1 {
            self.deep(from, reduced, room)
        } else {
            // The depth limit stops here; a walk without it would go on when two more changes
            // fit (then this pass is not exhaustive).
            let two_fit = self
                .rows
                .get(from + 1)
                .is_some_and(|next| reduced + self.rows[from].1[0].0 + next.1[0].0 < room);
            self.frontier += u64::from(two_fit);
            from
        };
        for j in from..deep {
            let cheapest = self.rows[j].1[0].0;
            let Reach {
                down,
                up,
                fees,
                fees_down,
            } = self.reach.within(j, room - reduced);
            let least = self.dual.least_tail(
                spent + down,
                spent + up,
                (node.fees + fees_down, node.fees + fees),
            );
            // Rows are sorted by their cheapest change and reaches only shrink: done.
            if reduced + cheapest + least >= self.room() {
                break;
            }
            let asset = self.rows[j].0;
            let base = self.units[asset];
            let unit = self.assets[asset].unit;
            // After this row's change (its cheapest at least).
            let tail = self.reach.within(j + 1, room - reduced - cheapest);
            for c in 0..self.rows[j].1.len() {
                let (r, k) = self.rows[j].1[c];
                if reduced + r >= self.room() {
                    break;
                }
                let dx = (k - base) as f64 * unit;
                let moved = spent + dx;
                let a = &self.assets[asset];
                let fees = node.fees + a.fee(k) - a.fee(base);
                let least = self.dual.least_tail(
                    moved + tail.down,
                    moved + tail.up,
                    (fees + tail.fees_down, fees + tail.fees),
                );
                if reduced + r + least >= self.room() {
                    continue;
                }
                let child = Node {
                    reduced: reduced + r,
                    delta: delta + dx,
                    fees,
                    commission: node.commission + self.problem.commission_of(asset, k)
                        - self.problem.commission_of(asset, base),
                };
                self.units[asset] = k;
                let finished = self.descend(j + 1, child, depth - 1);
                self.units[asset] = base;
                if !finished {
                    return false;
                }
            }
        }
        if deep < self.rows.len() {
            return self.last_change(deep, node);
        }
        true
    }

    /// The first row from `from` on after which no two changes fit in `room` beyond
    /// `reduced`: rows are sorted by their cheapest change, so a binary search finds it.
    fn deep(&self, from: usize, reduced: f64, room: f64) -> usize {
        let rows = &self.rows;
        let (mut low, mut high) = (from, rows.len());
        while low < high {
            let mid = low + (high - low) / 2;
            let done = rows
                .get(mid + 1)
                .is_none_or(|next| reduced + rows[mid].1[0].0 + next.1[0].0 >= room);
            if done {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        low
    }

    /// The extensions of `node` by one change from rows `from` on: only changes whose spending
    /// keeps the cash side's cost below the room can beat the incumbent, and those lie in one
    /// window of the changes sorted by spending (the cash side's cost is convex in it).
    fn last_change(&mut self, from: usize, node: Node) -> bool {
        let Node { reduced, delta, .. } = node;
        let spent = self.base_spent + delta;
        let room = self.room();
        if room <= reduced {
            return true;
        }
        let Some((low, high)) = self.dual.cash_window(room - reduced) else {
            return true;
        };
        // Float noise as `Dual::cash_cost` allows it (infinite ends stay infinite).
        let size = [low, high, spent]
            .into_iter()
            .filter(|x| x.is_finite())
            .fold(0.0f64, |m, x| m.max(x.abs()));
        let slack = 1e-9 * (1.0 + size);
        let (low, high) = (low - spent - slack, high - spent + slack);
        let start = self.by_spending.partition_point(|e| e.0 < low);
        // The candidates, best first: judging the best one first saves judging the others
        // (each exact judgement costs a pass over every asset).
        let mut found: Vec<(f64, usize, usize)> = Vec::new();
        let mut scanned = 0u64;
        for e in start..self.by_spending.len() {
            let (dx, row, change) = self.by_spending[e];
            if dx > high {
                break;
            }
            scanned += 1;
            if row < from {
                continue;
            }
            let (cost, units) = self.rows[row].1[change];
            if reduced + cost >= room {
                continue;
            }
            let asset = self.rows[row].0;
            let allowed = &self.assets[asset];
            let base = self.units[asset];
            let fees = node.fees + allowed.fee(units) - allowed.fee(base);
            let moved = spent + dx;
            let value =
                reduced + cost + self.dual.cash_cost(moved) + self.dual.budget_term(moved, fees);
            if value < room {
                found.push((value, row, change));
            }
        }
        // A scanned change costs a few comparisons: an eighth of a search node.
        self.work += 1 + scanned / 8;
        if self.work > self.work_limit {
            return false;
        }
        found.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
        for (_, j, c) in found {
            let (r, k) = self.rows[j].1[c];
            let asset = self.rows[j].0;
            let base = self.units[asset];
            let a = &self.assets[asset];
            let child = Node {
                reduced: reduced + r,
                delta: delta + (k - base) as f64 * a.unit,
                fees: node.fees + a.fee(k) - a.fee(base),
                commission: node.commission + self.problem.commission_of(asset, k)
                    - self.problem.commission_of(asset, base),
            };
            self.units[asset] = k;
            let finished = self.descend(j + 1, child, 0);
            self.units[asset] = base;
            if !finished {
                return false;
            }
        }
        true
    }

    fn consider(&mut self) {
        self.work += self.judge_cost;
        self.judged += self.judge_cost;
        let Some(score) = self.judge.judge(&self.units) else {
            return;
        };
        let better = self.best.as_ref().is_none_or(|b| score < b.1);
        if better {
            let f = self.problem.evaluate(&self.units).0;
            *self.best = Some((self.units.clone(), score, f));
        }
    }
}
