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
//! Commissions enter as floors priced with the budget's `β`: each asset's own schedule (its
//! market's, or a flat amount) is split into runs of units on which it is linear (the cap
//! `b·k`, the minimum, the proportional part `a·k`; see `search::Problem::units`), each run's
//! line at or below what the exact estimate charges on it, so φ stays a lower bound whatever
//! schedule each asset has.
//!
//! Constraints the bound cannot see (commissions in the budget, the withdrawal's "no sold unit
//! could be kept", the realized-gain cap) only remove plans, so the bound stays valid; the exact
//! judge checks them on every candidate. Minimum trades, holdings and the orders worth their
//! commission (each side one range of units, see `crate::worth`) are in each asset's allowed
//! units, so the bound sees them.

use std::cell::Cell;

/// A run of allowed nonzero units `lo..=hi` (all of one sign) on which the commission floor
/// is linear: `fee + slope·|k|`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Piece {
    pub(crate) lo: i64,
    pub(crate) hi: i64,
    pub(crate) fee: f64,
    pub(crate) slope: f64,
}

/// One asset's allowed units: `0` (when `lo ≤ 0 ≤ hi`) and the pieces.
#[derive(Debug, Clone)]
pub(crate) struct Units {
    pub(crate) deviation: f64,
    /// Money per unit.
    pub(crate) unit: f64,
    pub(crate) lo: i64,
    pub(crate) hi: i64,
    /// The allowed nonzero units (the minimum trade and holdings applied), by commission
    /// piece; commissions are never above what the exact estimate charges.
    pub(crate) pieces: Vec<Piece>,
}

impl Units {
    fn zero_allowed(&self) -> bool {
        self.lo <= 0 && 0 <= self.hi
    }

    /// Distance to the level after `k` units.
    fn excess(&self, k: i64, level: f64) -> f64 {
        self.deviation + k as f64 * self.unit - level
    }

    /// The commission floor of `k` units.
    pub(crate) fn fee(&self, k: i64) -> f64 {
        if k == 0 {
            return 0.0;
        }
        self.pieces
            .iter()
            .find(|p| p.lo <= k && k <= p.hi)
            .map_or(0.0, |p| p.fee + p.slope * k.unsigned_abs() as f64)
    }

    /// The price of `k` units in the bound: squared distance to the level plus the priced
    /// commission floor.
    fn cost(&self, k: i64, level: f64, beta: f64) -> f64 {
        let e = self.excess(k, level);
        e * e + beta * self.fee(k)
    }

    /// The best real units on a piece (its cost is convex there) and its start for walks.
    fn centre(&self, piece: &Piece, level: f64, beta: f64) -> f64 {
        let sign = if piece.lo > 0 { 1.0 } else { -1.0 };
        let real = (level - self.deviation) / self.unit
            - sign * beta * piece.slope / (2.0 * self.unit * self.unit);
        real.clamp(piece.lo as f64, piece.hi as f64)
    }

    /// The allowed units of least cost. Ties: fewest units, then the first piece.
    fn nearest(&self, level: f64, beta: f64) -> (i64, f64) {
        self.nearest_of(level, beta, self.zero_allowed(), &self.pieces)
    }

    /// [`Units::nearest`] over `pieces`, and 0 when `zero` (a withdrawal part's variants of an
    /// asset without copying it).
    fn nearest_of(&self, level: f64, beta: f64, zero: bool, pieces: &[Piece]) -> (i64, f64) {
        let mut best = (0i64, f64::INFINITY);
        // `fee` is the commission floor of `k` units: each candidate comes from its own piece,
        // so no search for the piece (this is the bound's innermost loop).
        let mut consider = |k: i64, fee: f64| {
            let e = self.excess(k, level);
            let c = e * e + beta * fee;
            if c < best.1 || (c == best.1 && k.unsigned_abs() < best.0.unsigned_abs()) {
                best = (k, c);
            }
        };
        if zero {
            consider(0, 0.0);
        }
        for piece in pieces {
            let t = self.centre(piece, level, beta);
            // Clamped in f64 first, so the casts stay in range.
            let fee = |k: i64| piece.fee + piece.slope * k.unsigned_abs() as f64;
            // `t` lies in the piece (an i64 range), so the casts are exact: the floor and
            // ceiling without the library calls (a fifth of the bound's time at 5,000 assets).
            let truncated = t as i64;
            let floor = truncated - i64::from(truncated as f64 > t);
            let low = floor.clamp(piece.lo, piece.hi);
            consider(low, fee(low));
            let high = (floor + i64::from((floor as f64) < t)).clamp(piece.lo, piece.hi);
            if high != low {
                consider(high, fee(high));
            }
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
    /// The least spending with commissions (`S + commissions`) of every allowed plan (a
    /// minimal withdrawal raises less than one step more than it must), or −∞. It lets the
    /// budget's price go negative: the plan is then charged for raising too much.
    pub(crate) t_min: f64,
}

impl CashSide {
    /// What the priced budget subtracts: `β` times the bound of the spending with commissions
    /// it prices (the budget for `β ≥ 0`, the least spending for `β < 0`).
    fn priced(&self, beta: f64) -> f64 {
        if beta >= 0.0 {
            beta * self.s_max
        } else {
            beta * self.t_min
        }
    }

    fn best(&self, level: f64) -> f64 {
        (self.deviation - level).clamp(self.s_min, self.s_max)
    }
}

/// The bound at its best level and what the decomposition needs.
#[derive(Debug, Clone)]
pub(crate) struct Dual {
    pub(crate) bound: f64,
    /// The assets' level `λ − β/2`.
    pub(crate) level: f64,
    /// The price `β ≥ 0` of the budget with commissions.
    pub(crate) beta: f64,
    /// `k_i*` per asset.
    pub(crate) units: Vec<i64>,
    /// `S*`, the cash side's minimiser.
    pub(crate) spent: f64,
    /// `S* − (c − λ)`: zero unless the budget clamps the cash side.
    pub(crate) clamp: f64,
    pub(crate) cash: CashSide,
    /// The passes over the assets the maximisation took (its work).
    pub(crate) passes: u64,
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

    /// The spending range outside which `q(S) ≥ room` (`q` is convex, so it is one interval),
    /// or `None` when it is empty.
    pub(crate) fn cash_window(&self, room: f64) -> Option<(f64, f64)> {
        // q = δ(δ + 2c) with δ = S − S*: below `room` strictly between its two roots.
        let c = self.clamp;
        let root = (c * c + room).sqrt();
        let low = (self.spent - c - root).max(self.cash.s_min);
        let high = (self.spent - c + root).min(self.cash.s_max);
        (low <= high).then_some((low, high))
    }

    /// The least `q(S)` plus the budget term ([`Dual::budget_term`]) over spending in
    /// `[from, to]`, with the commission floors in `fees` (least, most): what the cash side and
    /// the priced budget add at least.
    pub(crate) fn least_tail(&self, from: f64, to: f64, fees: (f64, f64)) -> f64 {
        let slack = 1e-9 * (1.0 + from.abs().max(to.abs()));
        let from = from.max(self.cash.s_min);
        let to = to.min(self.cash.s_max).max(from);
        if from > self.cash.s_max + slack {
            return f64::INFINITY;
        }
        // The term is least with the most fees for `β ≥ 0` (unused budget), with the least
        // for `β < 0` (raised beyond the least).
        let up = self.beta >= 0.0;
        let kink = if up {
            self.cash.s_max - fees.1
        } else {
            self.cash.t_min - fees.0
        };
        let tail = |s: f64| {
            let outside = if up { kink - s } else { s - kink };
            self.cash_cost(s) + self.beta.abs() * outside.max(0.0)
        };
        // The sum is convex: its minimum is at one of these points, clamped into the range.
        [self.spent, self.spent - self.clamp + self.beta / 2.0, kink]
            .into_iter()
            .filter(|s| s.is_finite())
            .map(|s| tail(s.clamp(from, to)))
            .fold(f64::INFINITY, f64::min)
    }

    /// What the priced budget adds to a plan's objective beyond `φ + Σ r_i + q(S)`, at least:
    /// `β·(budget − S − fees)` or, for `β < 0`, `|β|·(S + fees − least)`; never negative for
    /// an allowed plan (`fees`: the commission floors).
    pub(crate) fn budget_term(&self, spent: f64, fees: f64) -> f64 {
        if self.beta >= 0.0 {
            self.beta * (self.cash.s_max - spent - fees).max(0.0)
        } else {
            -self.beta * (spent + fees - self.cash.t_min).max(0.0)
        }
    }

    /// `r_i(k)` for asset `units`.
    pub(crate) fn reduced(&self, asset: &Units, base: i64, k: i64) -> f64 {
        let c = asset.cost(k, self.level, self.beta);
        let c0 = asset.cost(base, self.level, self.beta);
        (c - c0).max(0.0)
    }
}

/// One evaluation of the bound at cash level `λ` and budget price `β`.
struct Point {
    value: f64,
    /// Supergradient in λ: `S* − Σx_i`.
    slope: f64,
}

/// φ(λ, β), with the plan of the inner minima left in `units`.
fn evaluate(
    assets: &[Units],
    cash: &CashSide,
    cash_level: f64,
    beta: f64,
    units: &mut Vec<i64>,
    passes: &Cell<u64>,
) -> Point {
    units.clear();
    passes.set(passes.get() + 1);
    let level = cash_level - beta / 2.0;
    let mut costs = 0.0;
    let mut spent = 0.0;
    let mut deviations = 0.0;
    for a in assets {
        let (k, cost) = a.nearest(level, beta);
        units.push(k);
        costs += cost;
        spent += k as f64 * a.unit;
        deviations += a.deviation;
    }
    let s = cash.best(cash_level);
    // Σ_i [(d_i + x_i)² − 2λ'x_i] = Σ e_i² + 2λ'Σd_i − nλ'² (see the module notes).
    let n = assets.len() as f64;
    let constant = 2.0 * level * deviations - n * level * level;
    let cash_part = (cash.deviation - s).powi(2) + 2.0 * cash_level * s;
    Point {
        value: costs + constant + cash_part - cash.priced(beta),
        slope: s - spent,
    }
}

/// The best cash level for a fixed `β`, by bisection on the supergradient within `±width`.
/// Returns the level and its point.
#[allow(
    clippy::too_many_arguments,
    reason = "the search's settings, all needed by each solve"
)]
fn best_level(
    assets: &[Units],
    cash: &CashSide,
    beta: f64,
    width: f64,
    precision: f64,
    enough: f64,
    guess: Option<f64>,
    units: &mut Vec<i64>,
    passes: &Cell<u64>,
) -> (f64, Point) {
    let mut best: Option<(f64, Point)> = None;
    let keep = |level: f64, point: Point, best: &mut Option<(f64, Point)>| {
        if best.as_ref().is_none_or(|b| point.value > b.1.value) {
            *best = Some((level, point));
        }
    };
    // The inner minima at the bracket's ends, once evaluated there.
    let mut at_low: Option<Vec<i64>> = None;
    let mut at_high: Option<Vec<i64>> = None;
    // Near a known level, a small bracket (grown until the supergradient changes sign inside
    // it) saves most of the halvings.
    let (mut low, mut high) = (-width, width);
    // φ's value and supergradient at the bracket's ends, once evaluated there.
    let mut ends: [Option<(f64, f64)>; 2] = [None, None];
    if let Some(g) = guess {
        let mut radius = 1.0 + 1e-6 * g.abs();
        while radius < width {
            let below = evaluate(assets, cash, g - radius, beta, units, passes);
            let below_units = units.clone();
            let above = evaluate(assets, cash, g + radius, beta, units, passes);
            let bracketed = below.slope >= 0.0 && above.slope <= 0.0;
            if bracketed {
                ends = [
                    Some((below.value, below.slope)),
                    Some((above.value, above.slope)),
                ];
            }
            keep(g - radius, below, &mut best);
            keep(g + radius, above, &mut best);
            if bracketed {
                (low, high) = (g - radius, g + radius);
                at_low = Some(below_units);
                at_high = Some(units.clone());
                break;
            }
            radius *= 16.0;
        }
    }
    let mut settled = false;
    for _ in 0..120 {
        // With at most one asset changing its units inside the bracket, φ there is two smooth
        // pieces: its maximum is at the change or at a piece's stationary point.
        if let (Some(l), Some(h)) = (&at_low, &at_high)
            && let Some(candidates) = closed_form(assets, cash, beta, l, h, low, high)
        {
            for level in candidates.into_iter().flatten() {
                let point = evaluate(assets, cash, level, beta, units, passes);
                keep(level, point, &mut best);
            }
            settled = true;
            break;
        }
        // φ is concave: below both ends' tangents, so its maximum inside is at most where
        // they cross. When that is within `enough` of the best value seen, stop.
        if enough > 0.0
            && let ([Some((vl, sl)), Some((vh, sh))], Some(b)) = (ends, &best)
        {
            let top = if sl > sh {
                let x = ((vh - sh * high) - (vl - sl * low)) / (sl - sh);
                vl + sl * (x.clamp(low, high) - low)
            } else {
                vl.max(vh)
            };
            if top - b.1.value <= enough * (1.0 + b.1.value.abs()) {
                settled = true;
                break;
            }
        }
        let mid = 0.5 * (low + high);
        let point = evaluate(assets, cash, mid, beta, units, passes);
        let slope = point.slope;
        let end = Some((point.value, slope));
        keep(mid, point, &mut best);
        if slope > 0.0 {
            ends[0] = end;
            low = mid;
            at_low = Some(std::mem::take(&mut at_low).map_or_else(
                || units.clone(),
                |mut v| {
                    v.clone_from(units);
                    v
                },
            ));
        } else if slope < 0.0 {
            ends[1] = end;
            high = mid;
            at_high = Some(std::mem::take(&mut at_high).map_or_else(
                || units.clone(),
                |mut v| {
                    v.clone_from(units);
                    v
                },
            ));
        } else {
            settled = true;
            break;
        }
        if high - low <= precision * (1.0 + mid.abs()) {
            break;
        }
    }
    if !settled {
        // The ends not yet evaluated (the others are already kept).
        for (end, seen) in [(low, ends[0]), (high, ends[1])] {
            if seen.is_none() {
                let point = evaluate(assets, cash, end, beta, units, passes);
                keep(end, point, &mut best);
            }
        }
    }
    best.unwrap_or_else(|| (0.0, evaluate(assets, cash, 0.0, beta, units, passes)))
}

/// The cash levels where φ can peak in `[low, high]` when the inner minima at its ends (`l`,
/// `h`) differ in at most one asset: the level where that asset's two choices tie, and each
/// smooth piece's stationary point (where the cash side's spending equals the assets'). `None`
/// when more assets change inside (or the change is not a simple tie).
fn closed_form(
    assets: &[Units],
    cash: &CashSide,
    beta: f64,
    l: &[i64],
    h: &[i64],
    low: f64,
    high: f64,
) -> Option<[Option<f64>; 3]> {
    let mut changed = None;
    for (i, (a, b)) in l.iter().zip(h).enumerate() {
        if a != b {
            if changed.is_some() {
                return None;
            }
            changed = Some(i);
        }
    }
    let spent = |u: &[i64]| -> f64 { assets.iter().zip(u).map(|(a, &k)| k as f64 * a.unit).sum() };
    // Where the cash side spends `x`: S*(λ) = clamp(c − λ) equals x at λ = c − x.
    let stationary = |x: f64, from: f64, to: f64| {
        let level = cash.deviation - x;
        (from <= level && level <= to).then_some(level)
    };
    let Some(i) = changed else {
        return Some([stationary(spent(l), low, high), None, None]);
    };
    let a = &assets[i];
    let (k1, k2) = (l[i], h[i]);
    // Asset level L where (d + k1·a − L)² + β·fee(k1) = (d + k2·a − L)² + β·fee(k2).
    let tie = a.deviation
        + (k1 + k2) as f64 * a.unit / 2.0
        + beta * (a.fee(k1) - a.fee(k2)) / (2.0 * a.unit * (k1 - k2) as f64);
    let tie = tie + beta / 2.0;
    if !(tie.is_finite() && low <= tie && tie <= high) {
        return None;
    }
    Some([
        Some(tie),
        stationary(spent(l), low, tie),
        stationary(spent(h), tie, high),
    ])
}

/// φ at the assets' level `asset_level` and `dual`'s price for each withdrawal part of `order` (part `r`: the assets `order[..r]` keep
/// what they hold, `order[r]` sells, the rest are free), in one pass per asset kind instead of
/// one pass over every asset per part: at a fixed level and price each asset's inner minimum
/// is its own, so a part's sum differs from the whole problem's only in the changed assets.
/// Lowered by the float noise of the regrouped sums (a lower bound stays valid).
pub(crate) fn part_bounds(
    assets: &[Units],
    order: &[usize],
    cash_of: impl Fn(usize) -> CashSide,
    dual: &Dual,
    asset_level: f64,
) -> Vec<f64> {
    let beta = dual.beta;
    let cash_level = asset_level + dual.beta / 2.0;
    let level = cash_level - beta / 2.0;
    let full: Vec<f64> = assets.iter().map(|a| a.nearest(level, beta).1).collect();
    let deviations: f64 = assets.iter().map(|a| a.deviation).sum();
    let n = assets.len() as f64;
    let constant = 2.0 * level * deviations - n * level * level;
    let total: f64 = full.iter().sum();
    let size: f64 = full.iter().map(|c| c.abs()).sum::<f64>() + constant.abs();
    let mut kept_delta = 0.0;
    let mut kept_size = 0.0;
    let mut bounds = Vec::with_capacity(order.len());
    for (rank, &m) in order.iter().enumerate() {
        if rank > 0 {
            let j = order[rank - 1];
            // Kept: 0 only (when its range allows it).
            let cost = assets[j].nearest_of(level, beta, assets[j].hi >= 0, &[]).1;
            kept_delta += cost - full[j];
            kept_size += cost.abs() + full[j].abs();
        }
        // Sells: its pieces without 0.
        let forced = assets[m]
            .nearest_of(level, beta, false, &assets[m].pieces)
            .1;
        let cash = cash_of(m);
        let spent = cash.best(cash_level);
        let cash_part = (cash.deviation - spent).powi(2) + 2.0 * cash_level * spent;
        let priced = cash.priced(beta);
        let value = total + kept_delta + (forced - full[m]) + constant + cash_part - priced;
        let noise = 1e-12
            * (1.0
                + size
                + kept_size
                + forced.abs()
                + full[m].abs()
                + cash_part.abs()
                + priced.abs());
        bounds.push(value - noise);
    }
    bounds
}

/// Maximises φ: over the cash level by bisection on its supergradient, and when the dual's
/// plan overspends through commissions, over the budget price too. `guess`: a level near the
/// best one, if known (any level gives the same maximum, a near one sooner).
pub(crate) fn maximise(assets: &[Units], cash: CashSide, guess: Option<f64>) -> Dual {
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
    let passes = Cell::new(0);
    let (mut level, first) = best_level(
        assets, &cash, 0.0, width, 1e-13, 0.0, guess, &mut units, &passes,
    );
    let mut beta = 0.0;
    let has_fees = assets
        .iter()
        .any(|a| a.pieces.iter().any(|p| p.fee > 0.0 || p.slope > 0.0));
    if has_fees && cash.s_max.is_finite() {
        // φ(β) = max_λ φ(λ, β) is concave: golden-section search over the budget's price. It
        // is at most the marginal value of cash, about twice the level's size.
        let mut value = first.value;
        let ratio = 0.5 * (5f64.sqrt() - 1.0);
        let mut low = 0.0f64;
        let mut high = 4.0 * level.abs() + 1.0;
        let mut last = level;
        let mut probe = |b: f64, units: &mut Vec<i64>| {
            // The assets' level λ − β/2 moves little with β: start from the last one.
            let guess = last + b / 2.0;
            let (l, p) = best_level(
                assets,
                &cash,
                b,
                width + b.abs(),
                1e-9,
                // The search over prices only compares the probes' values, and the chosen
                // price's level is refined below: a probe within 1e-12 of its best is enough.
                1e-12,
                Some(guess),
                units,
                &passes,
            );
            last = l - b / 2.0;
            if p.value > value {
                (value, level, beta) = (p.value, l, b);
            }
            p.value
        };
        // With a least spending known the price may be negative (raising too much is
        // charged): φ is concave, so the side where it rises near 0 holds the maximum.
        let mut side = 1.0;
        if cash.t_min.is_finite() {
            let near = high / 64.0;
            if probe(-near, &mut units) > probe(near, &mut units) {
                side = -1.0;
            }
        }
        let mut probe = |b: f64, units: &mut Vec<i64>| probe(side * b, units);
        // When the commissions must come out of a cash side near its target (a full
        // rebalance), the budget's price is about twice the cash the commissions need, far
        // above the level: grow the range while φ still rises at its end (φ is concave, so
        // the maximum is then past the previous end).
        let mut at_high = probe(high, &mut units);
        for _ in 0..40 {
            let further = probe(2.0 * high, &mut units);
            if further <= at_high {
                break;
            }
            low = high;
            high *= 2.0;
            at_high = further;
        }
        high *= 2.0;
        let mut x1 = high - ratio * (high - low);
        let mut x2 = low + ratio * (high - low);
        let mut f1 = probe(x1, &mut units);
        let mut f2 = probe(x2, &mut units);
        // The bound is flat near its maximum: a coarse price is nearly as strong.
        for _ in 0..14 {
            if f1 < f2 {
                low = x1;
                (x1, f1) = (x2, f2);
                x2 = low + ratio * (high - low);
                f2 = probe(x2, &mut units);
            } else {
                high = x2;
                (x2, f2) = (x1, f1);
                x1 = high - ratio * (high - low);
                f1 = probe(x1, &mut units);
            }
        }
        if beta != 0.0 {
            // Refine the level at the chosen price.
            level = best_level(
                assets,
                &cash,
                beta,
                width + beta.abs(),
                1e-13,
                0.0,
                Some(level),
                &mut units,
                &passes,
            )
            .0;
        }
    }
    let point = evaluate(assets, &cash, level, beta, &mut units, &passes);
    let spent = cash.best(level);
    Dual {
        bound: point.value,
        level: level - beta / 2.0,
        beta,
        units,
        spent,
        clamp: spent - (cash.deviation - level),
        cash,
        passes: passes.get(),
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
    for piece in &asset.pieces {
        let (l, h) = (piece.lo, piece.hi);
        // The reduced cost is convex along a piece: walk out from its best unit both ways.
        let start = (asset.centre(piece, dual.level, dual.beta).round() as i64).clamp(l, h);
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
        let piece = |lo, hi| Piece {
            lo,
            hi,
            fee: 0.0,
            slope: 0.0,
        };
        Units {
            deviation,
            unit,
            lo,
            hi,
            pieces: vec![piece(1, hi), piece(lo, -1)]
                .into_iter()
                .filter(|p| p.lo <= p.hi)
                .collect(),
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
            t_min: f64::NEG_INFINITY,
        };
        let dual = maximise(&assets, cash, None);
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
            t_min: f64::NEG_INFINITY,
        };
        let dual = maximise(&assets, cash, None);
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

    #[test]
    fn the_bound_with_commissions_stays_below_the_optimum() {
        // A full rebalance whose orders pay 3 each out of the cash: the budget's price is
        // searched past the level (see `maximise`); any price must keep the bound valid.
        let fee = |lo: i64, hi: i64| Piece {
            lo,
            hi,
            fee: 3.0,
            slope: 0.0,
        };
        let assets: Vec<Units> = [(-35.0, 70.0), (55.0, 110.0), (-90.0, 30.0), (40.0, 50.0)]
            .into_iter()
            .map(|(deviation, unit)| Units {
                deviation,
                unit,
                lo: -4,
                hi: 4,
                pieces: vec![fee(1, 4), fee(-4, -1)],
            })
            .collect();
        let cash = CashSide {
            deviation: 30.0,
            s_min: f64::NEG_INFINITY,
            s_max: 30.0,
            t_min: f64::NEG_INFINITY,
        };
        let mut exact = f64::INFINITY;
        for plan in 0..9i64.pow(4) {
            let k: Vec<i64> = (0..4).map(|j| plan / 9i64.pow(j) % 9 - 4).collect();
            let spent: f64 = assets.iter().zip(&k).map(|(a, &u)| u as f64 * a.unit).sum();
            let fees: f64 = k.iter().filter(|&&u| u != 0).count() as f64 * 3.0;
            if spent + fees <= cash.s_max {
                let f: f64 = assets
                    .iter()
                    .zip(&k)
                    .map(|(a, &u)| (a.deviation + u as f64 * a.unit).powi(2))
                    .sum::<f64>()
                    + (cash.deviation - spent).powi(2);
                exact = exact.min(f);
            }
        }
        let dual = maximise(&assets, cash, None);
        assert!(dual.bound <= exact + 1e-6, "{} > {exact}", dual.bound);
    }
}
