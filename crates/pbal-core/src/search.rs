//! The whole-share search: a local-search start, then branch and bound with the water-filling
//! bound. Works in f64 for speed; every candidate it keeps is re-checked exactly by the caller's
//! [`Judge`], which also decides ties.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::Commission;
use crate::exact;
use crate::lagrange::{self, CashSide, Piece, Units};
use crate::waterfill::{Item, Relaxation};

/// Up to this many assets the depth-first search runs first (it also settles ties exactly).
const DEPTH_FIRST_MAX: usize = 4;
/// Its node limit: past it the reduced-cost search takes over.
const DEPTH_FIRST_NODES: u64 = 20_000;

/// One asset's commission model in f64 (mirrors `Commission::estimate`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CommissionF {
    None,
    Flat(f64),
    /// `max(per_share·q + rate·value, minimum)`, at most `cap·value` (see `CommissionSchedule`).
    Schedule {
        per_share: f64,
        rate: f64,
        minimum: f64,
        cap: Option<f64>,
    },
}

impl CommissionF {
    pub(crate) fn new(commission: Commission) -> Self {
        let f = |d: Decimal| d.to_f64().unwrap_or(0.0);
        match (commission, commission.schedule()) {
            (Commission::Flat(a), _) => Self::Flat(f(a)),
            (_, Some(s)) => Self::Schedule {
                per_share: f(s.per_share),
                rate: f(s.rate),
                minimum: f(s.minimum),
                cap: s.cap.map(f),
            },
            _ => Self::None,
        }
    }

    fn estimate(self, shares: f64, price: f64) -> f64 {
        let shares = shares.abs();
        if shares == 0.0 {
            return 0.0;
        }
        match self {
            Self::None => 0.0,
            Self::Flat(a) => a,
            Self::Schedule {
                per_share,
                rate,
                minimum,
                cap,
            } => {
                let value = shares * price;
                let charged = (shares * per_share + value * rate).max(minimum);
                cap.map_or(charged, |c| charged.min(value * c))
            }
        }
    }
}

/// The integer problem: choose units `u_i ∈ [lo_i, hi_i]` (one unit = `step` shares).
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    /// Deviation from target of each asset (money).
    pub(crate) deviation: Vec<f64>,
    /// Price per share.
    pub(crate) price: Vec<f64>,
    /// Shares per unit.
    pub(crate) step: f64,
    pub(crate) lo: Vec<i64>,
    pub(crate) hi: Vec<i64>,
    /// Each asset's smallest buy and sale in units (orders worth their commission; 1: any).
    pub(crate) min_units: Vec<(i64, i64)>,
    /// Cash minus reserve: spending plus commission may not exceed it.
    pub(crate) budget: f64,
    /// Cash minus the cash's target before trading (equals `budget` unless band destinations
    /// leave some cash uninvested on purpose).
    pub(crate) cash_deviation: f64,
    pub(crate) min_trade: f64,
    /// Each asset's commission.
    pub(crate) commission: Vec<CommissionF>,
    /// A withdrawal: raise at least `−budget` and no sold unit could be kept.
    pub(crate) withdrawal: bool,
    /// For withdrawals: how far a minimal plan can overshoot (relaxation only).
    pub(crate) overshoot_slack: f64,
    /// The part of `overshoot_slack` that is not the step of a sold asset (what commissions can
    /// add): a minimal plan overshoots by less than this plus the step back of each asset it
    /// sells.
    pub(crate) overshoot_base: f64,
}

/// Exact judgement of a candidate (units per asset); `None` when it is infeasible.
pub(crate) trait Judge {
    type Score: Ord;
    fn judge(&self, units: &[i64]) -> Option<Self::Score>;
}

/// What the search found.
pub(crate) struct Outcome<S> {
    pub(crate) units: Vec<i64>,
    pub(crate) score: S,
    /// Objective (f64) of the chosen plan minus the lower bound; 0 when proven optimal.
    pub(crate) gap: f64,
    /// The root lower bound (Lagrangian or fractional, the larger): no allowed plan is below it.
    pub(crate) bound: f64,
    pub(crate) proven: bool,
}

impl Problem {
    fn len(&self) -> usize {
        self.deviation.len()
    }

    fn unit_value(&self, i: usize) -> f64 {
        self.price[i] * self.step
    }

    pub(crate) fn commission_of(&self, i: usize, units: i64) -> f64 {
        self.commission[i].estimate(units as f64 * self.step, self.price[i])
    }

    fn allowed(&self, i: usize, units: i64) -> bool {
        let (buy, sell) = self.min_units[i];
        units == 0
            || ((units as f64 * self.unit_value(i)).abs() >= self.min_trade * (1.0 - 1e-12)
                && if units > 0 {
                    units >= buy
                } else {
                    -units >= sell
                })
    }

    /// The smallest allowed size of asset `i` on side `sign` (±1): the minimum trade's, rounded
    /// down (never excludes a quantity the exact check allows), or the worth-it rule's.
    fn smallest(&self, i: usize, sign: i64) -> i64 {
        let by_min_trade = (self.min_trade / self.unit_value(i) - 1e-9)
            .ceil()
            .clamp(1.0, 9e18) as i64;
        let (buy, sell) = self.min_units[i];
        by_min_trade.max(if sign > 0 { buy } else { sell })
    }

    /// The next allowed quantity from `units` in direction `dir` (±1), skipping sizes below the
    /// minimum trade (or the worth-it rule's smallest), within bounds.
    fn next(&self, i: usize, units: i64, dir: i64) -> Option<i64> {
        let mut v = units.checked_add(dir)?;
        if !self.allowed(i, v) {
            v = match (v.signum(), dir) {
                (1, 1) => self.smallest(i, 1),
                (-1, -1) => -self.smallest(i, -1),
                _ => 0,
            };
        }
        (self.lo[i] <= v && v <= self.hi[i]).then_some(v)
    }

    /// Objective in f64 and the spending incl. commissions.
    pub(crate) fn evaluate(&self, units: &[i64]) -> (f64, f64, f64) {
        let mut objective = 0.0;
        let mut spent = 0.0;
        let mut commission = 0.0;
        for (i, &u) in units.iter().enumerate() {
            let x = u as f64 * self.unit_value(i);
            objective += (self.deviation[i] + x).powi(2);
            spent += x;
            commission += self.commission_of(i, u);
        }
        objective += (self.cash_deviation - spent).powi(2);
        (objective, spent, commission)
    }

    /// Each asset's allowed units, for the Lagrangian bound.
    fn units(&self) -> Vec<Units> {
        (0..self.len())
            .map(|i| {
                let mut pieces =
                    self.fee_pieces(i, self.smallest(i, 1).max(self.lo[i]), self.hi[i], 1);
                pieces.extend(self.fee_pieces(
                    i,
                    self.smallest(i, -1).max(-self.hi[i]),
                    -self.lo[i],
                    -1,
                ));
                Units {
                    deviation: self.deviation[i],
                    unit: self.unit_value(i),
                    lo: self.lo[i],
                    hi: self.hi[i],
                    pieces,
                }
            })
            .collect()
    }

    /// The sizes `|k| ∈ [from, to]` of asset `i` (sign `sign`) split where the commission
    /// changes formula, each with its commission as `fee + slope·|k|`, shaved for float noise
    /// so that the bound stays below the exact estimate.
    fn fee_pieces(&self, i: usize, from: i64, to: i64, sign: i64) -> Vec<Piece> {
        const SHAVE: f64 = 1.0 - 1e-9;
        let mut out = Vec::new();
        let mut push = |l: i64, h: i64, fee: f64, slope: f64| {
            let (l, h) = (l.max(from), h.min(to));
            if l <= h {
                let (lo, hi) = if sign > 0 { (l, h) } else { (-h, -l) };
                out.push(Piece {
                    lo,
                    hi,
                    fee: fee * SHAVE,
                    slope: slope * SHAVE,
                });
            }
        };
        let shares = self.step;
        let price = self.price[i];
        match self.commission[i] {
            CommissionF::None => push(from, to, 0.0, 0.0),
            CommissionF::Flat(a) => push(from, to, a, 0.0),
            // min(max(a·k, m), b·k) for k units, with a the proportional part and b the cap
            // per unit: b·k up to m/b units, then the minimum m, then a·k from m/a units on.
            // A cap no steeper than the proportional part is all there is.
            CommissionF::Schedule {
                per_share,
                rate,
                minimum,
                cap,
            } => {
                let a = (per_share + rate * price) * shares;
                let b = cap.map(|c| c * price * shares);
                match b {
                    Some(b) if b <= a => push(from, to, 0.0, b),
                    _ => {
                        let limit = |x: f64| x.clamp(0.0, 4e18) as i64;
                        let k1 = b.map_or(0, |b| limit((minimum / b).floor()));
                        let k2 = if a > 0.0 {
                            limit((minimum / a).ceil())
                        } else {
                            i64::MAX
                        };
                        if let Some(b) = b {
                            push(from, k1, 0.0, b);
                        }
                        push(k1.saturating_add(1), k2.saturating_sub(1), minimum, 0.0);
                        // Float noise could make the two meet: the pieces stay disjoint.
                        push(k2.max(k1.saturating_add(1)), to, 0.0, a);
                    }
                }
            }
        }
        out
    }

    /// The least spending with commissions of a minimal withdrawal: it raises less than one
    /// step (or a smallest sale) of some sold asset more than it must. −∞ when not a
    /// withdrawal.
    fn least_spending(&self, s_max: f64) -> f64 {
        if self.withdrawal {
            let step = self.overshoot_slack - self.overshoot_base;
            s_max - step * (1.0 + 1e-9) - 2e-9 * self.overshoot_base - 2e-6
        } else {
            f64::NEG_INFINITY
        }
    }

    fn relaxation(&self, order: &[usize]) -> Relaxation {
        let items = order
            .iter()
            .map(|&i| Item {
                deviation: self.deviation[i],
                lo: self.lo[i] as f64 * self.unit_value(i),
                hi: self.hi[i] as f64 * self.unit_value(i),
            })
            .collect();
        Relaxation::new(items)
    }

    /// Sum interval for the remaining assets given what is already fixed.
    fn sum_range(&self, fixed_spent: f64, fixed_commission: f64) -> (f64, f64) {
        let s_max = self.budget - fixed_spent - fixed_commission;
        let s_min = if self.withdrawal {
            s_max - self.overshoot_slack
        } else {
            f64::NEG_INFINITY
        };
        (s_min, s_max)
    }
}

/// Finds the plan; exact (branch and bound) for up to `exact_max` assets within `node_limit`.
pub(crate) fn search<J: Judge>(
    problem: &Problem,
    alternatives: &[Problem],
    extra_starts: &[Vec<i64>],
    judge: &J,
    exact_max: usize,
    node_limit: u64,
) -> Option<Outcome<J::Score>> {
    let n = problem.len();
    let all: Vec<usize> = (0..n).collect();
    let (s_min, s_max) = problem.sum_range(0.0, 0.0);
    let mut fractional = Vec::new();
    let root_bound =
        problem
            .relaxation(&all)
            .solve(problem.cash_deviation, s_min, s_max, &mut fractional);

    // The Lagrangian bound (cash term dualized): positive where the fractional bound is zero.
    let units = problem.units();
    // The fractional optimum's common level (any asset strictly inside its range ends there)
    // is close to the bound's best level: starting there saves most of the bisection.
    let guess = fractional.iter().enumerate().find_map(|(i, &x)| {
        let unit = problem.unit_value(i);
        let (lo, hi) = (problem.lo[i] as f64 * unit, problem.hi[i] as f64 * unit);
        let inside = x > lo + tolerance(lo) && x < hi - tolerance(hi);
        inside.then_some(problem.deviation[i] + x)
    });
    let dual = lagrange::maximise(
        &units,
        CashSide {
            deviation: problem.cash_deviation,
            s_min,
            s_max,
            t_min: problem.least_spending(s_max),
        },
        guess,
    );
    let mut root_bound = if root_bound.is_finite() && dual.bound.is_finite() {
        root_bound.max(dual.bound)
    } else {
        root_bound
    };

    let mut best: Option<(Vec<i64>, J::Score, f64)> = None;
    // The first incumbent: the best of the local-search plans (from the fractional optimum,
    // from the dual's plan, and of the restricted alternatives) and of no trade at all.
    let dual_start: Vec<f64> = dual
        .units
        .iter()
        .zip(&units)
        .map(|(&k, a)| k as f64 * a.unit)
        .collect();
    let mut starts = vec![
        local_search(problem, &fractional),
        local_search(problem, &dual_start),
        vec![0; n],
    ];
    for alternative in alternatives {
        let mut x = Vec::new();
        alternative
            .relaxation(&all)
            .solve(alternative.cash_deviation, s_min, s_max, &mut x);
        if !x.is_empty() {
            starts.push(local_search(alternative, &x));
        }
    }
    // Starts the caller knows its judge accepts (e.g. a household's).
    starts.extend(extra_starts.iter().cloned());
    for start in starts {
        if let Some(score) = judge.judge(&start) {
            let better = best.as_ref().is_none_or(|b| score < b.1);
            if better {
                let f = problem.evaluate(&start).0;
                best = Some((start, score, f));
            }
        }
    }
    let mut proven = false;
    let mut work = 0;
    // The depth-first search also settles ties (fewer orders, ...) exactly; it is only quick
    // for a few assets.
    if n <= exact_max.min(DEPTH_FIRST_MAX) && root_bound.is_finite() {
        let mut order: Vec<usize> = (0..n).collect();
        // Most underweight first when buying, most overweight first when raising cash.
        order.sort_by(|&a, &b| {
            let by = problem.deviation[a].total_cmp(&problem.deviation[b]);
            if problem.withdrawal { by.reverse() } else { by }.then(a.cmp(&b))
        });
        let fractional: Vec<f64> = order.iter().map(|&i| fractional[i]).collect();
        // The relaxation of the assets after each depth never changes: build each once.
        let suffixes = (0..n)
            .map(|d| problem.relaxation(&order[d + 1..]))
            .collect();
        // What the assets after each depth can spend at least and at most.
        let suffix_range = (0..n)
            .map(|d| {
                order[d + 1..].iter().fold((0.0, 0.0), |(lo, hi), &i| {
                    let unit = problem.unit_value(i);
                    (
                        lo + problem.lo[i] as f64 * unit,
                        hi + problem.hi[i] as f64 * unit,
                    )
                })
            })
            .collect();
        let mut bnb = BranchAndBound {
            problem,
            judge,
            order,
            suffixes,
            suffix_range,
            units: vec![0; n],
            nodes: 0,
            node_limit: node_limit.min(DEPTH_FIRST_NODES),
            best,
        };
        let complete = bnb.descend(0, 0.0, 0.0, 0.0, &fractional);
        work = bnb.nodes;
        best = bnb.best;
        proven = complete;
    }
    if !proven && n <= exact_max && dual.bound.is_finite() {
        if problem.withdrawal {
            let (complete, bound) = prove_withdrawal(
                problem,
                judge,
                &dual,
                &units,
                &mut best,
                node_limit.saturating_sub(work),
            );
            proven = complete;
            if bound.is_finite() {
                root_bound = root_bound.max(bound);
            }
        } else {
            let (complete, _) = exact::prove(
                problem,
                judge,
                &dual,
                &units,
                &mut best,
                node_limit.saturating_sub(work),
            );
            proven = complete;
        }
    }
    let (units, score, f) = best?;
    let gap = if root_bound.is_finite() {
        (f - root_bound).max(0.0)
    } else {
        0.0
    };
    if gap <= exact::proof_tolerance(f) {
        proven = true;
    }
    Some(Outcome {
        units,
        score,
        gap: if proven { 0.0 } else { gap },
        bound: root_bound,
        proven,
    })
}

/// A minimal withdrawal overshoots by less than the step of every asset it sells: split the
/// plans by their sold asset of least step value `m` (assets of smaller step sell nothing, `m`
/// sells, the overshoot is below `m`'s step), bound each part with its own Lagrangian and search
/// those that can beat the incumbent. Returns whether every part was settled, and the least
/// bound over the parts (a valid bound for every plan).
fn prove_withdrawal<J: Judge>(
    problem: &Problem,
    judge: &J,
    dual: &lagrange::Dual,
    units: &[Units],
    best: &mut exact::Best<J::Score>,
    work_limit: u64,
) -> (bool, f64) {
    let mut order: Vec<usize> = (0..units.len()).filter(|&i| units[i].lo < 0).collect();
    order.sort_by(|&a, &b| units[a].unit.total_cmp(&units[b].unit).then(a.cmp(&b)));
    // One pass over the assets, in work units (about 100 ns each; measured).
    let pass = 1 + units.len() as u64 / 2;
    let cash_of = |m: usize| {
        // Selling one unit less is the step back, unless that sale would fall below the
        // minimum trade: then the whole (smallest) sale is. One more unit covers float
        // rounding of the smallest size.
        let a = units[m].unit;
        let smallest = (problem.min_trade / a - 1e-9).ceil().max(1.0);
        let near = problem.min_trade > 0.0
            && (problem.min_trade / a - (problem.min_trade / a).round()).abs() < 1e-6;
        let step = a * if near { smallest + 1.0 } else { smallest };
        let slack = (problem.overshoot_base + step) * (1.0 + 1e-9) + 1e-6;
        // With its commissions a minimal plan raises less than the step back more than it
        // must (less the float noise of the commission floors).
        let t_min = dual.cash.s_max - step * (1.0 + 1e-9) - 2e-9 * problem.overshoot_base - 2e-6;
        CashSide {
            deviation: dual.cash.deviation,
            s_min: dual.cash.s_max - slack,
            s_max: dual.cash.s_max,
            t_min,
        }
    };
    // The parts' assets: those of smaller step keep what they hold (cumulative along the
    // order), `m` sells. Every part needs a bound (all of them make the valid bound), and any
    // level gives one: a quick bound per part, the best over a spread of levels around the
    // whole problem's (a part's own best level lies up to about the level's size away), 1/64
    // to 2 times the level's size apart in steps of a quarter. Each level costs three passes
    // (the free, kept and selling choice of each asset), not one per part (at 5,000 assets
    // those alone were six times the default budget), and settles most parts without
    // maximising each (about 20 passes a part).
    let scale = dual.level.abs() + 1.0;
    let spread = std::iter::successors(Some(1.0 / 64.0), |&x| (x < 2.0).then_some(x * 1.25));
    let levels: Vec<f64> = std::iter::once(dual.level)
        .chain(spread.flat_map(|x| [dual.level - x * scale, dual.level + x * scale]))
        .collect();
    let mut work = 0u64;
    let mut quick = vec![f64::NEG_INFINITY; order.len()];
    for level in levels {
        work += 3 * pass;
        if work > work_limit {
            return (false, f64::NEG_INFINITY);
        }
        let bounds = lagrange::part_bounds(units, &order, cash_of, dual, level);
        for (q, b) in quick.iter_mut().zip(bounds) {
            *q = q.max(b);
        }
    }
    // Each part the quick bounds leave open costs its own maximisation (16–60 passes seen):
    // when even 8 passes each would not fit the work left, the proof cannot finish, so stop
    // here with the quick bounds rather than spend the rest of the budget for nothing.
    let incumbent = best.as_ref().map_or(f64::INFINITY, |b| b.2);
    let room = incumbent - exact::proof_tolerance(incumbent);
    let open = quick.iter().filter(|&&q| q < room).count() as u64;
    if open.saturating_mul(8 * pass) > work_limit.saturating_sub(work) {
        return (false, quick.iter().copied().fold(f64::INFINITY, f64::min));
    }
    let mut complete = true;
    let mut least = f64::INFINITY;
    let mut part = units.to_vec();
    // The most promising parts first (least quick bound): their plans improve the incumbent
    // soonest, and a better incumbent lets the quick bounds settle more of the rest.
    let mut sequence: Vec<usize> = (0..order.len()).collect();
    sequence.sort_by(|&a, &b| quick[a].total_cmp(&quick[b]).then(a.cmp(&b)));
    // `part` has the assets before `order[fixed]` kept (not sold).
    let mut fixed = 0;
    for rank in sequence {
        let m = order[rank];
        let incumbent = best.as_ref().map_or(f64::INFINITY, |b| b.2);
        let room = incumbent - exact::proof_tolerance(incumbent);
        work += 1;
        if quick[rank] >= room {
            least = least.min(quick[rank]);
            continue;
        }
        // Out of work: the cheap bound still covers this part.
        if work >= work_limit {
            complete = false;
            least = least.min(quick[rank]);
            continue;
        }
        // Only a part that needs its own bound is set up: the parts run in the quick bounds'
        // order, not the assets', so moving `part` to every part (settled or not) touched
        // about a third of the assets per part (at 5,000 assets, 8 million copies).
        for &j in &order[rank.min(fixed)..rank.max(fixed)] {
            if rank > fixed {
                part[j].lo = 0;
                part[j].pieces.clear();
            } else {
                part[j].clone_from(&units[j]);
            }
        }
        work += rank.abs_diff(fixed) as u64 / 8;
        fixed = rank;
        let hi = part[m].hi;
        part[m].hi = -1;
        let sub = lagrange::maximise(&part, cash_of(m), Some(dual.level));
        // Its passes over the assets, and the pass to set up the part.
        work += (sub.passes + 1) * pass;
        least = least.min(sub.bound.max(quick[rank]));
        if sub.bound < room {
            // Like a pass of the enumeration, a part's search may cost a few times the work
            // before it (the proof's bounds and parts so far): one that cannot finish then
            // leaves the proof open within that, not at the end of the budget.
            let part_limit = work_limit.saturating_sub(work).min(
                work.saturating_mul(exact::PASS_GROWTH)
                    .max(exact::PASS_FLOOR),
            );
            let (done, used) = exact::prove(problem, judge, &sub, &part, best, part_limit);
            work += used + pass;
            complete &= done;
        }
        part[m].hi = hi;
        // One part left open leaves the whole proof open: the other parts' searches could
        // only improve the plan, and the walk stopped because proofs of this size do not fit
        // the budget. The quick bounds cover the rest.
        if !complete {
            work = work_limit;
        }
    }
    (complete, least)
}

/// What became of one node.
enum Visit {
    /// Searched (or pruned inside).
    Explored,
    /// Its bound cannot beat the incumbent.
    Worse,
    /// No completion keeps the budget: spending less (or more), by at least `by`, is needed.
    Infeasible { spend_less: bool, by: f64 },
    /// The node limit was reached.
    Stopped,
}

struct BranchAndBound<'a, J: Judge> {
    problem: &'a Problem,
    judge: &'a J,
    order: Vec<usize>,
    /// `suffixes[d]`: the relaxation of `order[d + 1..]`.
    suffixes: Vec<Relaxation>,
    /// `suffix_range[d]`: the least and most `order[d + 1..]` can spend.
    suffix_range: Vec<(f64, f64)>,
    units: Vec<i64>,
    nodes: u64,
    node_limit: u64,
    best: Option<(Vec<i64>, J::Score, f64)>,
}

impl<J: Judge> BranchAndBound<'_, J> {
    fn incumbent(&self) -> f64 {
        self.best.as_ref().map_or(f64::INFINITY, |b| b.2)
    }

    /// Decides asset `order[depth]`; `fractional` is the relaxation's answer for
    /// `order[depth..]`. Returns false when the node limit stopped the search.
    fn descend(
        &mut self,
        depth: usize,
        fixed_objective: f64,
        fixed_spent: f64,
        fixed_commission: f64,
        fractional: &[f64],
    ) -> bool {
        let p = self.problem;
        if depth == self.order.len() {
            self.leaf();
            return true;
        }
        let asset = self.order[depth];
        let unit = p.unit_value(asset);
        let centre = (fractional[0] / unit).clamp(p.lo[asset] as f64, p.hi[asset] as f64);
        let down_start = centre.floor() as i64;
        let mut child = Vec::new();
        let mut zero_seen = false;
        // Walk outward from the fractional optimum in both directions; the bound is convex in
        // this asset's quantity on each side of zero (commissions only apply to a trade), so
        // once it exceeds the incumbent that direction is done. Zero is always looked at.
        for dir in [-1i64, 1] {
            let mut u = if dir < 0 {
                down_start
            } else {
                match p.next(asset, down_start, 1) {
                    Some(v) => v,
                    None => continue,
                }
            };
            if !p.allowed(asset, u) {
                match p.next(asset, u, dir) {
                    Some(v) if (v - u).signum() == dir => u = v,
                    _ => continue,
                }
            }
            loop {
                match self.visit(
                    depth,
                    asset,
                    u,
                    fixed_objective,
                    fixed_spent,
                    fixed_commission,
                    &mut child,
                ) {
                    Visit::Stopped => return false,
                    Visit::Explored => {}
                    Visit::Infeasible { spend_less, by } => {
                        // A commission can make the budget bind a few units further out:
                        // keep walking while the walk goes toward feasibility, straight to
                        // the first quantity that can close the gap.
                        if spend_less != (dir < 0) {
                            break;
                        }
                        zero_seen |= u == 0;
                        let jump = (by / unit).ceil().max(1.0);
                        let target = if jump >= 1e15 {
                            None
                        } else {
                            u.checked_add(dir * jump as i64)
                        };
                        let Some(target) =
                            target.filter(|t| p.lo[asset] <= *t && *t <= p.hi[asset])
                        else {
                            break;
                        };
                        u = if p.allowed(asset, target) {
                            target
                        } else {
                            match p.next(asset, target, dir) {
                                Some(v) => v,
                                None => break,
                            }
                        };
                        continue;
                    }
                    Visit::Worse => break,
                }
                zero_seen |= u == 0;
                match p.next(asset, u, dir) {
                    Some(v) => u = v,
                    None => break,
                }
            }
            zero_seen |= u == 0;
        }
        if !zero_seen
            && p.lo[asset] <= 0
            && 0 <= p.hi[asset]
            && let Visit::Stopped = self.visit(
                depth,
                asset,
                0,
                fixed_objective,
                fixed_spent,
                fixed_commission,
                &mut child,
            )
        {
            return false;
        }
        true
    }

    /// Bounds the node `asset = u` and descends into it when the bound allows.
    #[allow(
        clippy::too_many_arguments,
        reason = "the node's state, passed down the recursion"
    )]
    fn visit(
        &mut self,
        depth: usize,
        asset: usize,
        u: i64,
        fixed_objective: f64,
        fixed_spent: f64,
        fixed_commission: f64,
        child: &mut Vec<f64>,
    ) -> Visit {
        let p = self.problem;
        self.nodes += 1;
        if self.nodes > self.node_limit {
            return Visit::Stopped;
        }
        let x = u as f64 * p.unit_value(asset);
        let objective = fixed_objective + (p.deviation[asset] + x).powi(2);
        let spent = fixed_spent + x;
        let commission = fixed_commission + p.commission_of(asset, u);
        let (s_min, s_max) = p.sum_range(spent, commission);
        let (rest_lo, rest_hi) = self.suffix_range[depth];
        if rest_lo > s_max + tolerance(s_max) {
            return Visit::Infeasible {
                spend_less: true,
                by: rest_lo - s_max,
            };
        }
        if rest_hi < s_min - tolerance(s_min) {
            return Visit::Infeasible {
                spend_less: false,
                by: s_min - rest_hi,
            };
        }
        let cash_dev = p.cash_deviation - spent;
        let bound = objective + self.suffixes[depth].solve(cash_dev, s_min, s_max, child);
        let incumbent = self.incumbent();
        if bound.is_infinite() || bound > incumbent + tolerance(incumbent) {
            return Visit::Worse;
        }
        self.units[asset] = u;
        let child_fractional = child.clone();
        let complete = self.descend(depth + 1, objective, spent, commission, &child_fractional);
        self.units[asset] = 0;
        if complete {
            Visit::Explored
        } else {
            Visit::Stopped
        }
    }

    fn leaf(&mut self) {
        let Some(score) = self.judge.judge(&self.units) else {
            return;
        };
        let f = self.problem.evaluate(&self.units).0;
        let better = match &self.best {
            None => true,
            Some((_, best_score, _)) => score.cmp(best_score) == Ordering::Less,
        };
        if better {
            self.best = Some((self.units.clone(), score, f));
        }
    }
}

/// A plan being improved and what it spends.
#[derive(Debug, Default)]
struct Walk {
    units: Vec<i64>,
    spent: f64,
    commission: f64,
    /// Moves still allowed.
    moves_left: usize,
}

/// Takes every objective-lowering move in direction `dir` while the plan stays feasible.
/// Returns whether any move was made.
///
/// A move of `dx` on an asset with deviation `g` changes the objective by
/// `2·dx·(g + dx − r)`, `r` being the cash's deviation: it helps exactly when `g + dx < r`
/// (buying) or `g + dx > r` (selling). The key `g + dx` does not depend on `r`, so a heap of
/// keys gives the next helpful move without rescanning all assets after every move.
fn improve_in(problem: &Problem, walk: &mut Walk, dir: i64, margin: f64) -> bool {
    let step = |walk: &Walk, i: usize| -> Option<(i64, f64, f64)> {
        let v = problem.next(i, walk.units[i], dir)?;
        let dx = (v - walk.units[i]) as f64 * problem.unit_value(i);
        let dc = problem.commission_of(i, v) - problem.commission_of(i, walk.units[i]);
        let spent = walk.spent + dx;
        let commission = walk.commission + dc;
        let feasible = spent + commission <= problem.budget - margin
            && !(problem.withdrawal
                && problem.budget - spent - commission > problem.overshoot_slack);
        feasible.then_some((v, dx, dc))
    };
    // Keys are negated for selling so that the smallest key is always the best move.
    let key = |walk: &Walk, i: usize, dx: f64| {
        let g = problem.deviation[i] + walk.units[i] as f64 * problem.unit_value(i);
        (g + dx) * dir as f64
    };
    let mut heap: BinaryHeap<Reverse<Candidate>> = BinaryHeap::new();
    for i in 0..problem.len() {
        if let Some((_, dx, _)) = step(walk, i) {
            heap.push(Reverse(Candidate(key(walk, i, dx), i)));
        }
    }
    let mut moved = false;
    while walk.moves_left > 0
        && let Some(Reverse(Candidate(_, i))) = heap.pop()
    {
        // Spending only moves one way in this direction: a move that breaks the budget now
        // stays broken, and is dropped.
        let Some((v, dx, dc)) = step(walk, i) else {
            continue;
        };
        let delta = move_delta(problem, &walk.units, walk.spent, i, v);
        if delta >= -tolerance(delta) {
            // The best remaining key does not help: none does.
            break;
        }
        walk.spent += dx;
        walk.commission += dc;
        walk.units[i] = v;
        walk.moves_left -= 1;
        moved = true;
        if let Some((_, dx, _)) = step(walk, i) {
            heap.push(Reverse(Candidate(key(walk, i, dx), i)));
        }
    }
    moved
}

/// A move's cost (or key) and its asset, ordered by cost, then asset (for determinism).
#[derive(Debug, Clone, Copy)]
struct Candidate(f64, usize);

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Candidate {}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
    }
}

/// A good feasible start: the fractional optimum rounded toward feasibility, repaired, then
/// improved one unit at a time while that lowers the objective.
fn local_search(problem: &Problem, fractional: &[f64]) -> Vec<i64> {
    let n = problem.len();
    let mut units: Vec<i64> = (0..n)
        .map(|i| {
            if fractional.is_empty() {
                return 0;
            }
            let u = (fractional[i] / problem.unit_value(i) + 1e-9).floor() as i64;
            let u = u.clamp(problem.lo[i], problem.hi[i]);
            if problem.allowed(i, u) {
                u
            } else if u < 0 {
                // A sale below the minimum becomes the minimum sale (keeps the cash raised).
                problem.next(i, 0, -1).unwrap_or(0)
            } else {
                0
            }
        })
        .collect();
    let margin = tolerance(problem.budget);
    let (_, mut spent, mut commission) = problem.evaluate(&units);
    let feasible = |spent: f64, commission: f64| spent + commission <= problem.budget - margin;
    // Repair: while over budget, make the move (less buying or more selling) that hurts least.
    // Each such move raises the cash left, which only makes every other move's cost higher,
    // so a heap of possibly stale costs, re-checked when popped, still picks the best move.
    let mut heap: BinaryHeap<Reverse<Candidate>> = BinaryHeap::new();
    if !feasible(spent, commission) {
        for i in 0..n {
            if let Some(v) = problem.next(i, units[i], -1) {
                let delta = move_delta(problem, &units, spent, i, v);
                heap.push(Reverse(Candidate(delta, i)));
            }
        }
    }
    // Extreme inputs could need more moves than are worth making: the judge then refuses an
    // unrepaired start and the search goes on without it.
    let mut repairs_left = 1_000_000usize;
    while !feasible(spent, commission) && repairs_left > 0 {
        repairs_left -= 1;
        let Some(Reverse(Candidate(_, i))) = heap.pop() else {
            break;
        };
        let Some(v) = problem.next(i, units[i], -1) else {
            continue;
        };
        let delta = move_delta(problem, &units, spent, i, v);
        if heap
            .peek()
            .is_some_and(|Reverse(Candidate(next, _))| delta > *next)
        {
            heap.push(Reverse(Candidate(delta, i)));
            continue;
        }
        spent += (v - units[i]) as f64 * problem.unit_value(i);
        commission += problem.commission_of(i, v) - problem.commission_of(i, units[i]);
        units[i] = v;
        if let Some(w) = problem.next(i, v, -1) {
            heap.push(Reverse(Candidate(
                move_delta(problem, &units, spent, i, w),
                i,
            )));
        }
    }
    // Improve: all the moves that lower the objective in one direction (best first), then in
    // the other, until neither finds one. Within a direction every move shifts the cash the
    // same way, which only raises the other moves' costs, so the lazy heap is exact; moving
    // one asset at a time instead zig-zags for thousands of moves on hundreds of assets.
    let state = &mut Walk {
        units,
        spent,
        commission,
        // Extreme inputs (tiny steps, huge amounts) could otherwise take billions of moves.
        moves_left: 100 * n + 10_000,
    };
    for _ in 0..64 {
        let up = improve_in(problem, state, 1, margin);
        let down = improve_in(problem, state, -1, margin);
        if !up && !down {
            break;
        }
    }
    let Walk {
        mut units,
        spent,
        commission,
        ..
    } = std::mem::take(state);
    if problem.withdrawal {
        make_minimal(problem, &mut units, spent, commission, margin);
    }
    units
}

/// Un-sells units while the withdrawal stays covered (best objective first).
fn make_minimal(
    problem: &Problem,
    units: &mut [i64],
    mut spent: f64,
    mut commission: f64,
    margin: f64,
) {
    // Bounded: with extreme amounts one unit can vanish in the float sum, and the walk
    // would never end. The exact judge checks minimality of the final plan anyway.
    for _ in 0..(100 * units.len() + 10_000) {
        // Un-selling may go down to the need itself (within float noise): a withdrawal that
        // whole shares raise exactly is minimal there, and the exact judge decides.
        let slack = problem.budget + margin - spent - commission;
        let mut choice: Option<(f64, usize, i64)> = None;
        for i in 0..units.len() {
            if units[i] >= 0 {
                continue;
            }
            let Some(mut v) = problem.next(i, units[i], 1) else {
                continue;
            };
            // Un-sell half of what the slack allows at once: with fractional steps the
            // overshoot can be millions of units, one at a time would never finish.
            let room = (slack / problem.unit_value(i) / 2.0).floor();
            if room > 1.0 {
                let jump = units[i] + (room as i64).min(-units[i]);
                if jump > v && problem.allowed(i, jump) {
                    v = jump;
                }
            }
            let dx = (v - units[i]) as f64 * problem.unit_value(i);
            let dc = problem.commission_of(i, v) - problem.commission_of(i, units[i]);
            if spent + dx + commission + dc <= problem.budget + margin {
                let delta = move_delta(problem, units, spent, i, v);
                if choice.is_none_or(|c| delta < c.0) {
                    choice = Some((delta, i, v));
                }
            }
        }
        let Some((_, i, v)) = choice else { return };
        spent += (v - units[i]) as f64 * problem.unit_value(i);
        commission += problem.commission_of(i, v) - problem.commission_of(i, units[i]);
        units[i] = v;
    }
}

/// Change of the objective when asset `i` goes from `units[i]` to `v`.
fn move_delta(problem: &Problem, units: &[i64], spent: f64, i: usize, v: i64) -> f64 {
    let unit = problem.unit_value(i);
    let x = units[i] as f64 * unit;
    let dx = (v - units[i]) as f64 * unit;
    let asset = (problem.deviation[i] + x + dx).powi(2) - (problem.deviation[i] + x).powi(2);
    let cash_before = problem.cash_deviation - spent;
    let cash = (cash_before - dx).powi(2) - cash_before.powi(2);
    asset + cash
}

/// Float noise allowance for an objective or amount of size `scale`.
fn tolerance(scale: f64) -> f64 {
    1e-9 * (1.0 + scale.abs())
}
