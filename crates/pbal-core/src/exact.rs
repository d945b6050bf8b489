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

/// Changes considered per asset; more would mean the bound is far too weak to finish anyway.
const MAX_CHANGES: usize = 64;

/// The incumbent: units, exact score, f64 objective.
pub(crate) type Best<S> = Option<(Vec<i64>, S, f64)>;

/// Runs the enumeration, improving `best` in place. Returns whether it finished (the incumbent
/// is then optimal) and the work it used (nodes, plus a share of the assets per exact check).
pub(crate) fn prove<J: Judge>(
    problem: &Problem,
    judge: &J,
    dual: &Dual,
    assets: &[Units],
    best: &mut Best<J::Score>,
    work_limit: u64,
) -> (bool, u64) {
    let Some(incumbent) = best.as_ref().map(|b| b.2) else {
        return (false, 0);
    };
    let limit = incumbent - dual.bound;
    let mut complete = true;
    // Assets with a change cheaper than the gap, each with its changes cheapest first.
    let mut rows: Vec<(usize, Vec<(f64, i64)>)> = Vec::new();
    for (i, a) in assets.iter().enumerate() {
        let (changes, truncated) = alternatives(dual, a, dual.units[i], limit, MAX_CHANGES);
        complete &= !truncated;
        if !changes.is_empty() {
            rows.push((i, changes));
        }
    }
    rows.sort_by(|x, y| x.1[0].0.total_cmp(&y.1[0].0).then(x.0.cmp(&y.0)));
    // What the assets from each row on can change the spending by, at least and at most.
    let mut reach = vec![(0.0, 0.0); rows.len() + 1];
    for j in (0..rows.len()).rev() {
        let (i, changes) = &rows[j];
        let base = dual.units[*i];
        let unit = assets[*i].unit;
        let (mut down, mut up) = (0.0f64, 0.0f64);
        for &(_, k) in changes {
            let dx = (k - base) as f64 * unit;
            down = down.min(dx);
            up = up.max(dx);
        }
        reach[j] = (reach[j + 1].0 + down, reach[j + 1].1 + up);
    }
    let base_spent: f64 = assets
        .iter()
        .zip(&dual.units)
        .map(|(a, &k)| k as f64 * a.unit)
        .sum();
    let mut walk = Walk {
        problem,
        judge,
        dual,
        assets,
        rows,
        reach,
        units: dual.units.clone(),
        base_spent,
        best,
        work: 0,
        work_limit,
        judge_cost: 1 + assets.len() as u64 / 4,
    };
    let finished = walk.descend(0, 0.0, 0.0);
    (complete && finished, walk.work)
}

struct Walk<'a, J: Judge> {
    problem: &'a Problem,
    judge: &'a J,
    dual: &'a Dual,
    assets: &'a [Units],
    rows: Vec<(usize, Vec<(f64, i64)>)>,
    reach: Vec<(f64, f64)>,
    units: Vec<i64>,
    base_spent: f64,
    best: &'a mut Best<J::Score>,
    work: u64,
    work_limit: u64,
    judge_cost: u64,
}

impl<J: Judge> Walk<'_, J> {
    /// What a plan may still add to `φ` to beat the incumbent, less float noise.
    fn room(&self) -> f64 {
        let incumbent = self.best.as_ref().map_or(f64::INFINITY, |b| b.2);
        incumbent - self.dual.bound - 1e-9 * (1.0 + incumbent.abs())
    }

    /// The node "changes so far" (rows before `from` decided), then its extensions by rows from
    /// `from` on. Returns false when the work limit stopped it.
    fn descend(&mut self, from: usize, reduced: f64, delta: f64) -> bool {
        self.work += 1;
        if self.work > self.work_limit {
            return false;
        }
        let spent = self.base_spent + delta;
        if reduced + self.dual.cash_cost(spent) < self.room() {
            self.consider();
        }
        for j in from..self.rows.len() {
            let cheapest = self.rows[j].1[0].0;
            let (down, up) = self.reach[j];
            let least = self.dual.least_cash_cost(spent + down, spent + up);
            // Rows are sorted by their cheapest change and reaches only shrink: done.
            if reduced + cheapest + least >= self.room() {
                break;
            }
            let asset = self.rows[j].0;
            let base = self.units[asset];
            let unit = self.assets[asset].unit;
            let (down, up) = self.reach[j + 1];
            for c in 0..self.rows[j].1.len() {
                let (r, k) = self.rows[j].1[c];
                if reduced + r >= self.room() {
                    break;
                }
                let dx = (k - base) as f64 * unit;
                let moved = spent + dx;
                let least = self.dual.least_cash_cost(moved + down, moved + up);
                if reduced + r + least >= self.room() {
                    continue;
                }
                self.units[asset] = k;
                let finished = self.descend(j + 1, reduced + r, delta + dx);
                self.units[asset] = base;
                if !finished {
                    return false;
                }
            }
        }
        true
    }

    fn consider(&mut self) {
        self.work += self.judge_cost;
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
