//! The rule that an order paying a commission is worth it: it brings its own asset at least
//! its commission closer to its target, `|d| − |d + x| ≥ c` (`d` the asset's deviation from
//! target before the plan, `x` the money the order moves, `c` its commission).
//!
//! For an order toward the target (`d·x < 0`) with `y = |x|` and `D = |d|` the rule is
//! `c ≤ y` and `y + c ≤ 2D`; an order away from the target (or of an asset on target) is never
//! worth a commission. Every commission pbal knows is non-decreasing in the quantity, so
//! `y + c` only grows and the second condition holds up to a largest quantity. The first holds
//! from a smallest quantity on: a flat amount `A ≤ y` once `y ≥ A`; a schedule
//! `max(a·q, m)` (`a` per share, rate included) when `a ≤ price` and `y ≥ m`, else never; and a
//! capped schedule never charges more than its cap, at most 100% of the value (options refuse
//! more), so always. Each side of an asset is therefore one range of units besides 0, which the
//! search treats like the minimum trade and the holding.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::{Commission, Destination, Plan, PlanOptions, Side, Strategy, Trade};

/// An order of a plan that breaks the rule.
pub(crate) struct Costly<'a> {
    pub(crate) trade: &'a Trade,
    /// How far its asset was from its target before, and after the order.
    pub(crate) before: Decimal,
    pub(crate) after: Decimal,
}

/// The orders of `plan` (made with `cash` and `options`) that pay a commission without being
/// worth it, derived from the plan's table alone: `d` is the value minus the target weight's
/// share of the total less the reserve (in a bands plan, of the band destination's weight).
/// Sales that raise cash are exempt.
pub(crate) fn costly_orders<'a>(
    plan: &'a Plan,
    cash: Decimal,
    options: &PlanOptions,
) -> Vec<Costly<'a>> {
    let raising = cash < options.reserve;
    let total = plan.positions.iter().map(|p| p.value).sum::<Decimal>() + cash;
    let invest = total - options.reserve;
    let bands = match (options.bands, options.strategy) {
        (Some(b), _) => Some(b),
        (None, Strategy::Bands) => Some(crate::Bands::default()),
        (None, _) => None,
    };
    // By symbol (a search per trade was a quadratic string scan: 25 million comparisons for
    // 5,000 orders), built at the first order that pays a commission: a plan without
    // commissions (the default) needs no map of its positions.
    let mut positions = None;
    let mut out = Vec::new();
    for t in &plan.trades {
        if t.commission <= Decimal::ZERO || (raising && t.side == Side::Sell) {
            continue;
        }
        let positions = positions.get_or_insert_with(|| {
            let mut by_symbol = std::collections::HashMap::with_capacity(plan.positions.len());
            for p in &plan.positions {
                // The first of a symbol, as a search would find it.
                by_symbol.entry(p.symbol.as_str()).or_insert(p);
            }
            by_symbol
        });
        let Some(&p) = positions.get(t.symbol.as_str()) else {
            continue; // the audit's table check reports it
        };
        let mut target = p.target_weight;
        if options.strategy == Strategy::Bands
            && let Some(bands) = bands
            && total > Decimal::ZERO
        {
            let width = bands.width(p.target_weight);
            let drift = p.value / total - p.target_weight;
            let edge = if drift > Decimal::ZERO { width } else { -width };
            target += match bands.destination {
                Destination::Target => Decimal::ZERO,
                Destination::Edge => edge,
                Destination::Half => edge / Decimal::TWO,
            };
        }
        let deviation = p.value - target * invest;
        let amount = match t.side {
            Side::Buy => t.amount,
            Side::Sell => -t.amount,
        };
        if !worth_it(deviation, amount, t.commission) {
            out.push(Costly {
                trade: t,
                before: deviation.abs(),
                after: (deviation + amount).abs(),
            });
        }
    }
    out
}

/// Whether an order moving `amount` (signed money) into an asset `deviation` from its target
/// and paying `commission` is worth it. An order without a commission always is.
pub(crate) fn worth_it(deviation: Decimal, amount: Decimal, commission: Decimal) -> bool {
    if commission <= Decimal::ZERO {
        return true;
    }
    let after = deviation
        .checked_add(amount)
        .map_or(Decimal::MAX, |a| a.abs());
    deviation.abs() - after >= commission
}

/// The units of one side (`sign` +1 buys, −1 sells) of an asset that the rule allows among
/// `1..=max`: the smallest and the largest (every size between is allowed too), or `None`.
///
/// `price` is the asset's price, `step` the shares per unit and `deviation` its value minus
/// its target value, all exact.
pub(crate) fn side_range(
    commission: Commission,
    price: Decimal,
    step: Decimal,
    deviation: Decimal,
    sign: i64,
    max: i64,
) -> Option<(i64, i64)> {
    if max < 1 {
        return None;
    }
    let quantity = |u: i64| Decimal::from(u).checked_mul(step);
    let value = |u: i64| quantity(u).and_then(|q| q.checked_mul(price));
    let fee = |u: i64| quantity(u).map(|q| commission.estimate(q, price));
    // A schedule that charges nothing for one unit charges nothing at all (see the module
    // notes): the rule does not restrict it.
    if fee(1).is_none_or(|c| c.is_zero()) {
        return Some((1, max));
    }
    if deviation.is_zero() || (deviation > Decimal::ZERO) == (sign > 0) {
        return None;
    }
    let twice = deviation.abs() * Decimal::TWO;
    let unit_value = step * price;
    let within = |u: i64| match (value(u), fee(u)) {
        (Some(v), Some(c)) => v.checked_add(c).is_some_and(|t| t <= twice),
        _ => false,
    };
    let guess = twice
        .checked_div(unit_value)
        .and_then(|g| g.floor().to_i64())
        .unwrap_or(max);
    let largest = last_true(1, max, guess, within)?;
    let covers = |u: i64| match (value(u), fee(u)) {
        (Some(v), Some(c)) => c <= v,
        _ => false,
    };
    let guess = commission
        .fixed_part()
        .checked_div(unit_value)
        .and_then(|g| g.ceil().to_i64())
        .unwrap_or(1);
    let smallest = first_true(1, largest, guess, covers)?;
    Some((smallest, largest))
}

/// The last `u` in `lo..=hi` where `pred` holds, for a `pred` that holds up to some point and
/// not after it; `None` when it does not hold at `lo`. Gallops from `guess`, then bisects.
fn last_true(lo: i64, hi: i64, guess: i64, pred: impl Fn(i64) -> bool) -> Option<i64> {
    let g = guess.clamp(lo, hi);
    // `yes` holds, `no` does not (or is past `hi`).
    let (mut yes, mut no) = if pred(g) {
        let mut yes = g;
        let mut step = 1i64;
        loop {
            let Some(probe) = yes.checked_add(step).filter(|&p| p <= hi) else {
                if yes == hi || pred(hi) {
                    return Some(hi);
                }
                break (yes, hi);
            };
            if !pred(probe) {
                break (yes, probe);
            }
            yes = probe;
            step = step.saturating_mul(2);
        }
    } else {
        let mut no = g;
        let mut step = 1i64;
        loop {
            let probe = no.saturating_sub(step);
            if probe <= lo {
                if !pred(lo) {
                    return None;
                }
                break (lo, no);
            }
            if pred(probe) {
                break (probe, no);
            }
            no = probe;
            step = step.saturating_mul(2);
        }
    };
    while no - yes > 1 {
        let mid = yes + (no - yes) / 2;
        if pred(mid) {
            yes = mid;
        } else {
            no = mid;
        }
    }
    Some(yes)
}

/// The first `u` in `lo..=hi` where `pred` holds, for a `pred` that holds from some point on.
fn first_true(lo: i64, hi: i64, guess: i64, pred: impl Fn(i64) -> bool) -> Option<i64> {
    if lo > hi {
        return None;
    }
    if pred(lo) {
        return Some(lo);
    }
    match last_true(lo, hi, guess, |u| !pred(u)) {
        Some(u) if u < hi => Some(u + 1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CommissionSchedule;
    use crate::dec;
    use proptest::prelude::{Just, prop_assert_eq, prop_oneof, proptest};
    use proptest::strategy::Strategy as _;

    fn commission() -> impl proptest::strategy::Strategy<Value = Commission> {
        let cents = |hi: i64| (0..hi).prop_map(|c| Decimal::new(c, 2));
        prop_oneof![
            Just(Commission::None),
            Just(Commission::IbkrFixed),
            cents(500).prop_map(Commission::Flat),
            (
                (0..20i64).prop_map(|m| Decimal::new(m, 3)),
                (0..30i64).prop_map(|r| Decimal::new(r, 4)),
                cents(400),
                proptest::option::of((0..=100i64).prop_map(|c| Decimal::new(c, 2))),
            )
                .prop_map(|(per_share, rate, minimum, cap)| Commission::Schedule(
                    CommissionSchedule::new(per_share, rate, minimum, cap)
                )),
        ]
    }

    proptest! {
        /// The range is exactly the sizes the rule allows, for every kind of schedule, whole
        /// and fractional steps, cheap and dear shares.
        #[test]
        fn the_range_is_exactly_the_sizes_worth_their_commission(
            commission in commission(),
            price in (1..50_000i64).prop_map(|c| Decimal::new(c, 2)),
            step in prop_oneof![Just(dec!(1)), Just(dec!(0.1)), Just(dec!(0.001))],
            deviation in (-500_000..500_000i64).prop_map(|c| Decimal::new(c, 2)),
            sign in prop_oneof![Just(1i64), Just(-1i64)],
            max in 1..400i64,
        ) {
            let range = side_range(commission, price, step, deviation, sign, max);
            for u in 1..=max {
                let q = Decimal::from(u) * step;
                let x = q * price * Decimal::from(sign);
                let allowed = worth_it(deviation, x, commission.estimate(q, price));
                let inside = range.is_some_and(|(s, l)| s <= u && u <= l);
                prop_assert_eq!(allowed, inside, "{} units, range {:?}", u, range);
            }
        }
    }

    #[test]
    fn a_one_share_sale_of_a_near_target_asset_is_not_worth_a_dollar() {
        // 0.02 over target: selling one share at 154.97 overshoots by 154.95.
        let r = side_range(
            Commission::IbkrFixed,
            dec!(154.97),
            dec!(1),
            dec!(0.02),
            -1,
            10,
        );
        assert_eq!(r, None);
        // 500 over: up to 6 shares bring it closer by more than 1.00 (6 × 154.97 + 1 ≤ 1000).
        let r = side_range(
            Commission::IbkrFixed,
            dec!(154.97),
            dec!(1),
            dec!(500),
            -1,
            10,
        );
        assert_eq!(r, Some((1, 6)));
    }

    #[test]
    fn galloping_finds_the_edge_from_any_guess() {
        for edge in [1i64, 2, 7, 64, 999, 1000] {
            for guess in [-5i64, 1, 3, 500, 1000, 5000] {
                assert_eq!(last_true(1, 1000, guess, |u| u <= edge), Some(edge));
                assert_eq!(first_true(1, 1000, guess, |u| u >= edge), Some(edge));
            }
        }
        assert_eq!(last_true(1, 1000, 3, |_| false), None);
        assert_eq!(first_true(1, 1000, 3, |_| false), None);
    }
}
