//! The Lagrangian lower bound (the cash term dualized) and the reduced-cost decomposition that
//! lets the exact search look only at plans that can still beat the incumbent.
//!
//! With `x_i = u_i·a_i` (units times unit value) and `S = Σ x_i`, the search minimises
//! `F(u) = Σ (d_i + x_i)² + (c − S)²` over allowed units, where every allowed plan has
//! `s_min ≤ S ≤ s_max` (the budget; commissions only shrink it further). Treating `S` as a
//! variable of its own and pricing `S = Σ x_i` with a multiplier `ν = 2λ` gives, for every `λ`,
//!
//! ```text
//! φ(λ) = Σ_i min_k [(d_i + k·a_i)² − 2λ·k·a_i]  +  min_{s_min ≤ S ≤ s_max} [(c − S)² + 2λ·S]
//! ```
//!
//! a lower bound of every allowed plan (the issue's `c² ≥ 2μc − μ²` with the budget folded into
//! the cash's own minimum). Each inner minimum is one rounding: asset i ends as close to the
//! level `λ` as its whole units allow. φ is concave in λ; its supergradient `S*(λ) − Σ x_i(λ)`
//! only decreases, so bisection finds the maximum.
//!
//! The decomposition is exact, not only a bound: with `k_i*`, `S*` the inner minimisers,
//! `F(u) = φ(λ) + Σ_i r_i(u_i) + q(S(u))` where `r_i(k) = e_i(k)² − e_i(k_i*)² ≥ 0`
//! (`e_i(k) = d_i + k·a_i − λ`) and `q(S) = h(S) − h(S*) ≥ 0` for `h(S) = (c − S)² + 2λS`.
//! A plan beats an incumbent of objective `U` only if `Σ r_i + q < U − φ`: every asset whose
//! cheapest change costs more than that gap keeps `k_i*`.
//!
//! Constraints the bound cannot see (commissions in the budget, the withdrawal's "no sold unit
//! could be kept", the realized-gain cap) only remove plans, so the bound stays valid; the exact
//! judge checks them on every candidate. Minimum trades and holdings are in each asset's
//! allowed units, so the bound sees them.

/// One asset's allowed units: `0`, `[pos_lo, hi]` and `[lo, neg_hi]` (a side is empty when its
/// low end exceeds its high end).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Units {
    pub(crate) deviation: f64,
    /// Money per unit.
    pub(crate) unit: f64,
    pub(crate) lo: i64,
    pub(crate) hi: i64,
    /// Smallest allowed nonzero |units| (from the minimum trade).
    pub(crate) smallest: i64,
}

impl Units {
    /// The allowed runs of units other than zero: the buying side, then the selling side.
    fn runs(&self) -> [(i64, i64); 2] {
        [
            (self.lo.max(self.smallest), self.hi),
            (self.lo, self.hi.min(-self.smallest)),
        ]
    }

    fn zero_allowed(&self) -> bool {
        self.lo <= 0 && 0 <= self.hi
    }

    /// Distance to the level after `k` units.
    fn excess(&self, k: i64, level: f64) -> f64 {
        self.deviation + k as f64 * self.unit - level
    }

    /// The allowed units closest to `level`, and its squared distance. Ties: fewest units, then
    /// buying before selling (the candidates come in that order).
    fn nearest(&self, level: f64) -> (i64, f64) {
        let mut best = (0i64, f64::INFINITY);
        let mut consider = |k: i64| {
            let e = self.excess(k, level);
            let e2 = e * e;
            if e2 < best.1 || (e2 == best.1 && k.unsigned_abs() < best.0.unsigned_abs()) {
                best = (k, e2);
            }
        };
        if self.zero_allowed() {
            consider(0);
        }
        let real = (level - self.deviation) / self.unit;
        for (l, h) in self.runs() {
            if l > h {
                continue;
            }
            let t = real.clamp(l as f64, h as f64);
            // Clamped in f64 first, so the casts stay in range.
            consider((t.floor() as i64).clamp(l, h));
            consider((t.ceil() as i64).clamp(l, h));
        }
        best
    }
}

/// The cash's side: `min_{s_min ≤ S ≤ s_max} (c − S)² + 2λS`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CashSide {
    pub(crate) deviation: f64,
    pub(crate) s_min: f64,
    pub(crate) s_max: f64,
}

impl CashSide {
    fn best(&self, level: f64) -> f64 {
        (self.deviation - level).clamp(self.s_min, self.s_max)
    }
}

/// The bound at its best level and what the decomposition needs.
#[derive(Debug, Clone)]
pub(crate) struct Dual {
    pub(crate) bound: f64,
    pub(crate) level: f64,
    /// `k_i*` per asset.
    pub(crate) units: Vec<i64>,
    /// `S*`, the cash side's minimiser.
    pub(crate) spent: f64,
    /// `S* − (c − λ)`: zero unless the budget clamps the cash side.
    pub(crate) clamp: f64,
    pub(crate) cash: CashSide,
}

impl Dual {
    /// `q(S)`; infinite outside `[s_min, s_max]` (no allowed plan spends that).
    pub(crate) fn cash_cost(&self, spent: f64) -> f64 {
        let slack = 1e-9 * (1.0 + spent.abs());
        if spent > self.cash.s_max + slack || spent < self.cash.s_min - slack {
            return f64::INFINITY;
        }
        let delta = spent - self.spent;
        (delta * (delta + 2.0 * self.clamp)).max(0.0)
    }

    /// The least `q` over spending in `[from, to]`.
    pub(crate) fn least_cash_cost(&self, from: f64, to: f64) -> f64 {
        let slack = 1e-9 * (1.0 + from.abs().max(to.abs()));
        let from = from.max(self.cash.s_min);
        let to = to.min(self.cash.s_max);
        if from > to + slack {
            return f64::INFINITY;
        }
        // `h` is convex with its minimum over the budget at `S*`.
        self.cash_cost(self.spent.clamp(from, to.max(from)))
    }

    /// `r_i(k)` for asset `units`.
    pub(crate) fn reduced(&self, asset: &Units, base: i64, k: i64) -> f64 {
        let e = asset.excess(k, self.level);
        let e0 = asset.excess(base, self.level);
        (e * e - e0 * e0).max(0.0)
    }
}

/// φ(λ), the plan of the inner minima and the supergradient `S*(λ) − Σx_i(λ)`.
fn evaluate(assets: &[Units], cash: &CashSide, level: f64, units: &mut Vec<i64>) -> (f64, f64) {
    units.clear();
    let mut squares = 0.0;
    let mut spent = 0.0;
    let mut deviations = 0.0;
    for a in assets {
        let (k, e2) = a.nearest(level);
        units.push(k);
        squares += e2;
        spent += k as f64 * a.unit;
        deviations += a.deviation;
    }
    let s = cash.best(level);
    // Σ_i [(d_i + x_i)² − 2λx_i] = Σ e_i² + 2λΣd_i − nλ² (see the module notes).
    let n = assets.len() as f64;
    let constant = 2.0 * level * deviations - n * level * level;
    let cash_part = (cash.deviation - s).powi(2) + 2.0 * level * s;
    (squares + constant + cash_part, s - spent)
}

/// Maximises φ over the level by bisection on its supergradient. `evaluations` bounds the work
/// (each is one pass over the assets).
pub(crate) fn maximise(assets: &[Units], cash: CashSide) -> Dual {
    // Past this width every asset sits at a bound and the cash side at an end: φ is flat or
    // falling beyond it, so the maximum lies inside.
    let mut width = cash.deviation.abs() + 1.0;
    for a in assets {
        width = width
            .max((a.deviation + a.lo as f64 * a.unit).abs())
            .max((a.deviation + a.hi as f64 * a.unit).abs())
            .max(a.unit);
    }
    for s in [cash.s_min, cash.s_max] {
        if s.is_finite() {
            width = width.max(s.abs());
        }
    }
    let width = 2.0 * width + 1.0;
    let mut units = Vec::with_capacity(assets.len());
    let mut best = (f64::NEG_INFINITY, 0.0);
    let (mut low, mut high) = (-width, width);
    for _ in 0..100 {
        let mid = 0.5 * (low + high);
        let (value, slope) = evaluate(assets, &cash, mid, &mut units);
        if value > best.0 {
            best = (value, mid);
        }
        if slope > 0.0 {
            low = mid;
        } else if slope < 0.0 {
            high = mid;
        } else {
            break;
        }
        if high - low <= 1e-13 * (1.0 + mid.abs()) {
            break;
        }
    }
    for end in [low, high] {
        let (value, _) = evaluate(assets, &cash, end, &mut units);
        if value > best.0 {
            best = (value, end);
        }
    }
    let level = best.1;
    let (bound, _) = evaluate(assets, &cash, level, &mut units);
    let spent = cash.best(level);
    Dual {
        bound,
        level,
        units,
        spent,
        clamp: spent - (cash.deviation - level),
        cash,
    }
}

/// The units of `asset` other than `base` whose reduced cost is below `limit`, cheapest first,
/// at most `cap` of them. The flag says whether some were left out because of the cap.
pub(crate) fn alternatives(
    dual: &Dual,
    asset: &Units,
    base: i64,
    limit: f64,
    cap: usize,
) -> (Vec<(f64, i64)>, bool) {
    let mut out: Vec<(f64, i64)> = Vec::new();
    let mut truncated = false;
    if base != 0 && asset.zero_allowed() {
        let r = dual.reduced(asset, base, 0);
        if r < limit {
            out.push((r, 0));
        }
    }
    let real = (dual.level - asset.deviation) / asset.unit;
    for (l, h) in asset.runs() {
        if l > h {
            continue;
        }
        // The reduced cost is convex along a run: walk out from its best unit both ways.
        let start = (real.clamp(l as f64, h as f64).round() as i64).clamp(l, h);
        for dir in [-1i64, 1] {
            let mut k = if dir < 0 { start } else { start + 1 };
            let mut taken = 0usize;
            while l <= k && k <= h {
                let r = dual.reduced(asset, base, k);
                if r >= limit {
                    break;
                }
                if taken == cap {
                    truncated = true;
                    break;
                }
                if k != base {
                    out.push((r, k));
                }
                taken += 1;
                k += dir;
            }
        }
    }
    out.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    if out.len() > cap {
        out.truncate(cap);
        truncated = true;
    }
    (out, truncated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(deviation: f64, unit: f64, lo: i64, hi: i64) -> Units {
        Units {
            deviation,
            unit,
            lo,
            hi,
            smallest: 1,
        }
    }

    /// Brute force over all plans of small units.
    fn brute(assets: &[Units], cash: CashSide) -> f64 {
        let mut best = f64::INFINITY;
        let mut current: Vec<i64> = assets.iter().map(|a| a.lo).collect();
        loop {
            let spent: f64 = assets
                .iter()
                .zip(&current)
                .map(|(a, &k)| k as f64 * a.unit)
                .sum();
            if spent >= cash.s_min && spent <= cash.s_max {
                let f: f64 = assets
                    .iter()
                    .zip(&current)
                    .map(|(a, &k)| (a.deviation + k as f64 * a.unit).powi(2))
                    .sum::<f64>()
                    + (cash.deviation - spent).powi(2);
                best = best.min(f);
            }
            let mut i = 0;
            loop {
                if i == current.len() {
                    return best;
                }
                if current[i] < assets[i].hi {
                    current[i] += 1;
                    break;
                }
                current[i] = assets[i].lo;
                i += 1;
            }
        }
    }

    #[test]
    fn the_bound_is_positive_where_fractional_shares_would_hit_the_targets() {
        // Full rebalance: deviations sum to minus the cash deviation, so fractional shares
        // reach F = 0; whole shares of 70 and 110 cannot.
        let assets = [units(-35.0, 70.0, -5, 5), units(55.0, 110.0, -5, 5)];
        let cash = CashSide {
            deviation: -20.0,
            s_min: f64::NEG_INFINITY,
            s_max: -20.0 + 1000.0,
        };
        let dual = maximise(&assets, cash);
        let exact = brute(&assets, cash);
        assert!(dual.bound > 0.0, "{dual:?}");
        assert!(dual.bound <= exact + 1e-6, "{} > {exact}", dual.bound);
    }

    #[test]
    fn the_decomposition_is_exact() {
        let assets = [
            units(-300.0, 47.0, 0, 20),
            units(120.0, 93.0, -3, 20),
            units(-10.0, 11.0, 0, 20),
        ];
        let cash = CashSide {
            deviation: 190.0,
            s_min: f64::NEG_INFINITY,
            s_max: 190.0,
        };
        let dual = maximise(&assets, cash);
        for plan in [[0i64, 0, 0], [6, -1, 0], [3, -1, 2]] {
            let spent: f64 = assets
                .iter()
                .zip(&plan)
                .map(|(a, &k)| k as f64 * a.unit)
                .sum();
            let f: f64 = assets
                .iter()
                .zip(&plan)
                .map(|(a, &k)| (a.deviation + k as f64 * a.unit).powi(2))
                .sum::<f64>()
                + (cash.deviation - spent).powi(2);
            let r: f64 = assets
                .iter()
                .zip(&plan)
                .zip(&dual.units)
                .map(|((a, &k), &b)| dual.reduced(a, b, k))
                .sum();
            let g = dual.bound + r + dual.cash_cost(spent);
            assert!((f - g).abs() < 1e-6 * (1.0 + f), "{f} vs {g}");
        }
    }
}
