//! A weight as reported: `value / total` rounded to a fixed number of decimals, half to even.
//! Each plan reports two weights per asset; the Decimal division behind each costs about a
//! thousand instructions, so the usual case is done in integers with the same result.

use rust_decimal::{Decimal, RoundingStrategy};

/// `value / total` (the Decimal quotient) rounded to `dp` decimals, half to even; zero for a
/// total that is not positive.
pub(crate) fn weight(value: Decimal, total: Decimal, dp: u32) -> Decimal {
    if total <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    quick(value, total, dp).unwrap_or_else(|| {
        value
            .checked_div(total)
            .unwrap_or(Decimal::ZERO)
            .round_dp_with_strategy(dp, RoundingStrategy::MidpointNearestEven)
    })
}

/// The same in u128 for a positive value and a quotient under 10⁶ whose decimals go past `dp`
/// and are not within 10⁻¹³ of a step's half; `None` otherwise. There the Decimal quotient
/// keeps over 20 decimals (its error is under 10⁻²⁰), so rounding it or the exact quotient
/// gives the same digits, and both results carry exactly `dp` decimals.
fn quick(value: Decimal, total: Decimal, dp: u32) -> Option<Decimal> {
    if value <= Decimal::ZERO || dp > 10 {
        return None;
    }
    let (mv, sv) = (u128::try_from(value.mantissa()).ok()?, value.scale());
    let (mt, st) = (u128::try_from(total.mantissa()).ok()?, total.scale());
    // value / total · 10^dp = mv · 10^(dp + st) / (mt · 10^sv)
    let num = mv.checked_mul(10u128.checked_pow(dp + st)?)?;
    let den = mt.checked_mul(10u128.checked_pow(sv)?)?;
    let (q, r) = (num / den, num % den);
    if r == 0 || q >= 10u128.pow(6 + dp) {
        return None;
    }
    let twice = r.checked_mul(2)?;
    let from_half = twice.abs_diff(den);
    if from_half.checked_mul(10u128.pow(13))? <= den.checked_mul(2)? {
        return None;
    }
    let rounded = if twice > den { q + 1 } else { q };
    Decimal::try_from_i128_with_scale(i128::try_from(rounded).ok()?, dp).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn slow(value: Decimal, total: Decimal, dp: u32) -> Decimal {
        value
            .checked_div(total)
            .unwrap_or(Decimal::ZERO)
            .round_dp_with_strategy(dp, RoundingStrategy::MidpointNearestEven)
    }

    proptest! {
        // Same digits and the same scale (so the same text) as the Decimal division.
        #[test]
        fn matches_decimal_division(
            v in -10_000_000_000i64..10_000_000_000i64,
            sv in 0u32..6,
            t in 1i64..10_000_000_000i64,
            st in 0u32..6,
            dp in 0u32..8,
        ) {
            let (value, total) = (Decimal::new(v, sv), Decimal::new(t, st));
            let fast = weight(value, total, dp);
            let slow = slow(value, total, dp);
            prop_assert_eq!(fast, slow);
            prop_assert_eq!(fast.to_string(), slow.to_string());
        }
    }

    #[test]
    fn halves_and_exact_quotients() {
        for (v, t) in [
            (1, 2_000_000),
            (3, 2_000_000),
            (1, 2),
            (1, 3),
            (2, 3),
            (5, 1),
            (0, 7),
        ] {
            let (value, total) = (Decimal::from(v), Decimal::from(t));
            assert_eq!(
                weight(value, total, 6).to_string(),
                slow(value, total, 6).to_string()
            );
        }
        assert_eq!(weight(Decimal::ONE, Decimal::ZERO, 6), Decimal::ZERO);
    }
}
