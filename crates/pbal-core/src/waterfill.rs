//! The fractional-share optimum ("water-filling"), used as the lower bound of the exact search.
//!
//! Minimise `Σ (d_i + x_i)² + (c − Σx)²` subject to `lo_i ≤ x_i ≤ hi_i` and
//! `s_min ≤ Σx ≤ s_max`, where `d_i` is asset i's deviation from target, `x_i` the money moved
//! into it and `c` the cash's deviation before trading. At the optimum every asset not at a bound
//! ends at the same deviation `μ`; without a binding sum constraint the cash ends there too.
//! The problem is a convex quadratic, so this optimum is below every whole-share plan.

/// One asset in the relaxation: deviation and the money bounds of its trade.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Item {
    pub(crate) deviation: f64,
    pub(crate) lo: f64,
    pub(crate) hi: f64,
}

/// The relaxation over a fixed set of items, with its breakpoints sorted once so that each
/// solve is a linear scan (the branch and bound solves the same set many times).
#[derive(Debug, Clone)]
pub(crate) struct Relaxation {
    items: Vec<Item>,
    /// Breakpoints: (position, true when an item starts moving there).
    events: Vec<(f64, bool)>,
    sum_lo: f64,
    sum_hi: f64,
}

impl Relaxation {
    pub(crate) fn new(items: Vec<Item>) -> Self {
        let mut events: Vec<(f64, bool)> = Vec::with_capacity(items.len() * 2);
        for item in &items {
            if item.hi > item.lo {
                events.push((item.deviation + item.lo, true));
                events.push((item.deviation + item.hi, false));
            }
        }
        events.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
        let sum_lo = items.iter().map(|i| i.lo).sum();
        let sum_hi = items.iter().map(|i| i.hi).sum();
        Self {
            items,
            events,
            sum_lo,
            sum_hi,
        }
    }

    /// The optimum value and the trade per item (`x` is overwritten). Returns
    /// `f64::INFINITY` when the sum constraint cannot be met.
    pub(crate) fn solve(&self, cash_dev: f64, s_min: f64, s_max: f64, x: &mut Vec<f64>) -> f64 {
        x.clear();
        let tol = 1e-9 * (1.0 + self.sum_lo.abs().max(self.sum_hi.abs()).max(s_max.abs()));
        if s_min > s_max + tol || self.sum_lo > s_max + tol || self.sum_hi < s_min - tol {
            return f64::INFINITY;
        }
        // Unconstrained sum: μ + h(μ) = c, then clamp the sum into [s_min, s_max].
        let mu = self.level(1.0, cash_dev);
        let sum: f64 = self.items.iter().map(|i| clamp(mu - i.deviation, i)).sum();
        let mu = if sum > s_max {
            self.level(0.0, s_max)
        } else if sum < s_min {
            self.level(0.0, s_min)
        } else {
            mu
        };
        let mut total = 0.0;
        let mut value = 0.0;
        for item in &self.items {
            let xi = clamp(mu - item.deviation, item);
            x.push(xi);
            total += xi;
            value += (item.deviation + xi) * (item.deviation + xi);
        }
        let cash = cash_dev - total;
        value + cash * cash
    }

    /// Solves `k·μ + Σ clamp(μ − d_i, lo_i, hi_i) = target` for μ (the left side never
    /// decreases). With `k = 0` and a target outside the reachable range, returns the nearest end.
    fn level(&self, k: f64, target: f64) -> f64 {
        // Each item is flat (at lo) below d+lo, rises with slope 1, and is flat (at hi) above
        // d+hi; `constant + slope·μ` is h(μ) between breakpoints.
        let events = &self.events;
        let mut constant = self.sum_lo;
        let mut slope = 0.0;
        let mut last = f64::NEG_INFINITY;
        let mut index = 0;
        while index < events.len() {
            let position = events[index].0;
            let at = (k + slope) * position + constant;
            if at >= target {
                if k + slope > 0.0 {
                    return (target - constant) / (k + slope);
                }
                return if last.is_finite() { last } else { position };
            }
            // Apply every event at this position (entries: +1 slope, exits: −1 slope).
            while index < events.len() && events[index].0 == position {
                if events[index].1 {
                    slope += 1.0;
                    constant -= position;
                } else {
                    slope -= 1.0;
                    constant += position;
                }
                index += 1;
            }
            last = position;
        }
        if k + slope > 0.0 {
            (target - constant) / (k + slope)
        } else if last.is_finite() {
            last
        } else {
            // No item can move: any μ gives the same (clamped) answer.
            0.0
        }
    }
}

/// The relaxation's optimum for `items` (see [`Relaxation::solve`]).
#[cfg(test)]
fn solve(items: &[Item], cash_dev: f64, s_min: f64, s_max: f64, x: &mut Vec<f64>) -> f64 {
    Relaxation::new(items.to_vec()).solve(cash_dev, s_min, s_max, x)
}

fn clamp(v: f64, item: &Item) -> f64 {
    v.max(item.lo).min(item.hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(d: f64, lo: f64, hi: f64) -> Item {
        Item {
            deviation: d,
            lo,
            hi,
        }
    }

    #[test]
    fn two_underweight_assets_fill_to_a_common_level() {
        // d = −300, −100; cash 400 to place; unlimited buys.
        let items = [item(-300.0, 0.0, 1e9), item(-100.0, 0.0, 1e9)];
        let mut x = Vec::new();
        let v = solve(&items, 400.0, f64::NEG_INFINITY, 400.0, &mut x);
        // Everything ends at μ where μ = 400 − Σx and x_i = μ − d_i: 3μ = 400 − 400 → μ = 0.
        assert!(
            (x[0] - 300.0).abs() < 1e-9 && (x[1] - 100.0).abs() < 1e-9,
            "{x:?}"
        );
        assert!(v.abs() < 1e-9);
    }

    #[test]
    fn an_overweight_asset_is_not_bought() {
        let items = [item(-100.0, 0.0, 1e9), item(500.0, 0.0, 1e9)];
        let mut x = Vec::new();
        let v = solve(&items, 100.0, f64::NEG_INFINITY, 100.0, &mut x);
        // μ + (μ + 100) = 100 → μ = 0: buy 100 of the first, nothing of the second.
        assert!((x[0] - 100.0).abs() < 1e-9 && x[1].abs() < 1e-9, "{x:?}");
        assert!((v - 250_000.0).abs() < 1e-6);
    }

    #[test]
    fn the_budget_binds_when_cash_is_short() {
        let items = [item(-1000.0, 0.0, 1e9), item(-1000.0, 0.0, 1e9)];
        let mut x = Vec::new();
        // Cash deviation 2000 but only 100 may be spent (commissions took the rest).
        let v = solve(&items, 2000.0, f64::NEG_INFINITY, 100.0, &mut x);
        assert!(
            (x[0] - 50.0).abs() < 1e-9 && (x[1] - 50.0).abs() < 1e-9,
            "{x:?}"
        );
        assert!((v - (2.0 * 950.0f64.powi(2) + 1900.0f64.powi(2))).abs() < 1e-6);
    }

    #[test]
    fn infeasible_sum_is_infinite() {
        let items = [item(0.0, 0.0, 10.0)];
        let mut x = Vec::new();
        assert!(solve(&items, 0.0, 20.0, 30.0, &mut x).is_infinite());
    }

    #[test]
    fn withdrawal_drains_the_most_overweight_first() {
        // Must raise at least 100 (Σx ≤ −100), at most 110.
        let items = [item(300.0, -1e9, 0.0), item(100.0, -1e9, 0.0)];
        let mut x = Vec::new();
        solve(&items, -100.0, -110.0, -100.0, &mut x);
        assert!(x[1].abs() < 1e-9, "{x:?}");
        assert!((x[0] + 110.0).abs() < 1e-9, "{x:?}");
    }
}
