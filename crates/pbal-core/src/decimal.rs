//! `Decimal` and a `dec!` literal macro that work with pbal-core as the only dependency.
//!
//! rust_decimal's own `dec!` expands to `::rust_decimal::Decimal`, which only compiles in crates
//! that depend on rust_decimal themselves; this one expands to `$crate::Decimal`.

pub use rust_decimal::Decimal;

/// A [`Decimal`] from a decimal literal, checked at compile time: `dec!(250.50)`, `dec!(-3)`,
/// `dec!(1_000.25)`. Exponents and radixes are not accepted (use rust_decimal's own `dec!`).
///
/// ```
/// use pbal_core::{Decimal, dec};
///
/// assert_eq!(dec!(250.50), Decimal::new(25050, 2));
/// assert_eq!(dec!(-1_000.5).to_string(), "-1000.5");
/// ```
///
/// A literal that is not a decimal number does not compile:
///
/// ```compile_fail
/// let _ = pbal_core::dec!(1e6);
/// ```
#[macro_export]
macro_rules! dec {
    ($($literal:tt)+) => {
        const { $crate::__parse_decimal_literal(stringify!($($literal)+)) }
    };
}

/// `dec!`'s parser; evaluated in a `const` block, so its panics are compile errors.
#[doc(hidden)]
pub const fn __parse_decimal_literal(text: &str) -> Decimal {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut negative = false;
    // `stringify!(-5)` may put a space after the sign.
    while i < bytes.len() && bytes[i] == b' ' {
        i += 1;
    }
    if i < bytes.len() && bytes[i] == b'-' {
        negative = true;
        i += 1;
    }
    while i < bytes.len() && bytes[i] == b' ' {
        i += 1;
    }
    let mut mantissa: u128 = 0;
    let mut scale: u32 = 0;
    let mut digits = 0;
    let mut seen_point = false;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte.is_ascii_digit() {
            mantissa = match mantissa.checked_mul(10) {
                Some(m) => m + (byte - b'0') as u128,
                None => panic!("dec!: too many digits for a Decimal"),
            };
            digits += 1;
            if seen_point {
                scale += 1;
            }
        } else if byte == b'.' && !seen_point {
            seen_point = true;
        } else if byte != b'_' {
            panic!("dec!: expected a decimal literal such as 250.50");
        }
        i += 1;
    }
    assert!(
        digits > 0,
        "dec!: expected a decimal literal such as 250.50"
    );
    assert!(scale <= 28, "dec!: more than 28 decimal places");
    assert!(mantissa < 1 << 96, "dec!: too large for a Decimal");
    Decimal::from_parts(
        mantissa as u32,
        (mantissa >> 32) as u32,
        (mantissa >> 64) as u32,
        negative,
        scale,
    )
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn literals_match_rust_decimal() {
        for (ours, text) in [
            (crate::dec!(0), "0"),
            (crate::dec!(250.50), "250.50"),
            (crate::dec!(-3), "-3"),
            (crate::dec!(-0.005), "-0.005"),
            (crate::dec!(1_000.25), "1000.25"),
            (crate::dec!(1.), "1"),
            (
                crate::dec!(79228162514264337593543950335),
                "79228162514264337593543950335",
            ),
            (
                crate::dec!(0.0000000000000000000000000001),
                "0.0000000000000000000000000001",
            ),
        ] {
            let expected = Decimal::from_str(text).unwrap();
            assert_eq!(ours, expected, "{text}");
            assert_eq!(ours.scale(), expected.scale(), "{text}");
        }
    }
}
