//! Field values as IBKR writes them: decimals with optional thousands separators, `-`/`--` for
//! nothing, and dates in the query's chosen format.

use std::str::FromStr;

use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::amount;

/// Largest magnitude accepted in any numeric field (10^12).
const LIMIT: Decimal = Decimal::from_parts(0xD4A5_1000, 0xE8, 0, false, 0);

/// `raw.trim()`, with no look at Unicode's spaces for the usual field that starts and ends
/// with a printable ASCII character (nearly every field of an export, read several times).
pub(crate) fn trim(raw: &str) -> &str {
    match raw.as_bytes() {
        [] => raw,
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => raw,
        [only] if only.is_ascii_graphic() => raw,
        _ => raw.trim(),
    }
}

/// The text of a field, or `None` for an empty value or a placeholder.
pub(crate) fn present(raw: &str) -> Option<&str> {
    let t = trim(raw);
    (!(t.is_empty() || t == "-" || t == "--" || t == "N/A")).then_some(t)
}

/// A decimal (`1,020.50`, `-3553`, `1.5E-3`); `Err` with a reason.
pub(crate) fn decimal(raw: &str) -> Result<Option<Decimal>, String> {
    let Some(t) = present(raw) else {
        return Ok(None);
    };
    if let Some(value) = plain_decimal(t) {
        return Ok(Some(value));
    }
    // Thousands separators are rare: only a field that has one is copied without them. No IBKR
    // layout states a locale (ibkr-flex-formats.md), so a decimal comma is refused, not guessed.
    let cleaned = amount::ungroup(t).ok_or_else(|| amount::decimal_comma(t))?;
    // Far beyond any real position; keeps every product of two fields exact and finite. A
    // number too long for `Decimal` is beyond it too: both are "too large", not junk.
    let too_large = || amount::too_large(t, "1,000,000,000,000");
    let value = Decimal::from_str(&cleaned)
        .or_else(|_| Decimal::from_scientific(&cleaned))
        .map_err(|_| {
            if amount::is_number(&cleaned) {
                too_large()
            } else {
                format!("{t:?} is not a number")
            }
        })?;
    if value.abs() > LIMIT {
        return Err(too_large());
    }
    Ok(Some(value))
}

/// The common case of [`decimal`] without `Decimal::from_str`'s generality: an optional `-`,
/// 1 to 18 digits with at most one `.` between two of them (`1020.50`, `-3553`, `0`). The
/// same value and scale as `Decimal::from_str`; `None` for anything else (grouped, signed
/// `+`, exponent, negative zero, more digits), which takes the general way. An export of
/// 5,000 positions has 20,000 such numbers.
fn plain_decimal(t: &str) -> Option<Decimal> {
    let (negative, digits) = match t.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        bytes => (false, bytes),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    // At most 19 digits: below 10^19, within a u64.
    let mut mantissa: u64 = 0;
    let mut count = 0;
    let mut point = None;
    for (i, &b) in digits.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                count += 1;
            }
            b'.' if point.is_none() && i > 0 && i + 1 < digits.len() => point = Some(i),
            _ => return None,
        }
    }
    // 18 digits fit an i64.
    let mantissa = i64::try_from(mantissa).ok().filter(|_| count <= 18)?;
    if negative && mantissa == 0 {
        return None;
    }
    let scale = point.map_or(0, |p| digits.len() - 1 - p) as u32;
    // Within the limit (10^12) when the mantissa is at most 10^(12 + scale), compared as
    // integers rather than as `Decimal`s of different scales.
    let within = 10i64
        .checked_pow(12 + scale)
        .is_none_or(|bound| mantissa <= bound);
    within.then(|| Decimal::new(if negative { -mantissa } else { mantissa }, scale))
}

/// Why a date could not be read.
pub(crate) enum DateError {
    Ambiguous,
    Invalid,
}

/// A date, alone or at the start of a date-time (`20240131;103000`, `2011-08-08;134413`,
/// `2023-07-07, 15:39:46`, `31-Jan-24`). IBKR lets the user pick day/month or month/day for
/// slash dates, so one whose two parts are both 12 or less (and differ) is ambiguous and an
/// error; one with a part over 12 can be read only one way.
pub(crate) fn date(raw: &str) -> Result<Option<Date>, DateError> {
    let Some(t) = present(raw) else {
        return Ok(None);
    };
    let date_part = t.split([';', ',', ' ', 'T']).next().unwrap_or(t).trim();
    let bytes = date_part.as_bytes();
    let parsed = if bytes.len() >= 8 && bytes[..8].iter().all(u8::is_ascii_digit) {
        Date::strptime("%Y%m%d", &date_part[..8]).ok()
    } else if date_part.len() == 10 && bytes.get(4) == Some(&b'-') {
        Date::strptime("%Y-%m-%d", date_part).ok()
    } else if date_part.contains('/') {
        return slash_date(date_part);
    } else {
        Date::strptime("%d-%b-%y", date_part).ok()
    };
    parsed.map(Some).ok_or(DateError::Invalid)
}

fn slash_date(t: &str) -> Result<Option<Date>, DateError> {
    let parts: Vec<&str> = t.split('/').collect();
    let [a, b, y] = parts[..] else {
        return Err(DateError::Invalid);
    };
    let (Ok(a), Ok(b), Ok(mut y)) = (a.parse::<i8>(), b.parse::<i8>(), y.parse::<i16>()) else {
        return Err(DateError::Invalid);
    };
    if y < 100 {
        y += 2000;
    }
    let (day, month) = match (a > 12, b > 12) {
        (true, false) => (a, b),
        (false, true) => (b, a),
        (false, false) if a == b => (a, b),
        _ => return Err(DateError::Ambiguous),
    };
    Date::new(y, month, day)
        .map(Some)
        .map_err(|_| DateError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date as d;
    use pbal_core::dec;

    #[test]
    fn decimals() {
        assert_eq!(
            decimal("\"1,020.5\"".trim_matches('"')).ok(),
            Some(Some(dec!(1020.5)))
        );
        assert_eq!(decimal("--").ok(), Some(None));
        assert_eq!(decimal("").ok(), Some(None));
        assert!(decimal("abc").is_err());
        assert!(decimal("NaN").is_err());
        assert_eq!(decimal("-1,020").ok(), Some(Some(dec!(-1020))));
    }

    /// The general way [`decimal`] takes for what [`plain_decimal`] leaves.
    fn general(t: &str) -> Option<Decimal> {
        Decimal::from_str(t)
            .or_else(|_| Decimal::from_scientific(t))
            .ok()
            .filter(|v| v.abs() <= LIMIT)
    }

    #[test]
    fn trim_is_str_trim() {
        for raw in [
            "",
            " ",
            "a",
            " a",
            "a ",
            " a ",
            "ab",
            "a b",
            "\u{a0}a",
            "a\u{3000}",
            "\ta\n",
            "é",
            " é ",
            "-",
            "\u{85}x",
        ] {
            assert_eq!(trim(raw), raw.trim(), "{raw:?}");
        }
    }

    #[test]
    fn plain_decimals_are_read_as_from_str_reads_them() {
        for t in [
            "0",
            "00",
            "007",
            "0.0",
            "0.50",
            "1020.50",
            "-3553",
            "-0.001",
            "999999999999",
            "1000000000000",
            "1000000000001",
            "123456789012345678",
            "0.12345678901234567",
        ] {
            let plain = plain_decimal(t);
            assert_eq!(plain, general(t), "{t}");
            assert_eq!(
                plain.map(|d| d.scale()),
                general(t).map(|d| d.scale()),
                "{t}"
            );
        }
        for t in [
            "-0", "-0.00", "+5", "1.", ".5", "1.2.3", "1e3", "1,000", "", "-", "12a",
        ] {
            assert_eq!(plain_decimal(t), None, "{t}");
        }
        // Beyond 18 digits the general way reads it, the same.
        let long = "0.123456789012345678";
        assert_eq!(plain_decimal(long), None);
        assert_eq!(decimal(long).ok().flatten(), general(long));
    }

    proptest::proptest! {
        #[test]
        fn plain_decimal_agrees_with_from_str(t in "-?[0-9]{0,12}(\\.[0-9]{0,9})?") {
            if let Some(plain) = plain_decimal(&t) {
                let general = general(&t);
                proptest::prop_assert_eq!(Some(plain), general);
                proptest::prop_assert_eq!(plain.scale(), general.map_or(99, |d| d.scale()));
                proptest::prop_assert_eq!(plain.is_sign_negative(), general.is_some_and(|d| d.is_sign_negative()));
            }
        }
    }

    #[test]
    fn a_decimal_comma_is_refused() {
        for raw in ["0,83654", "1500,50", "1,5", "1,23,456"] {
            let message = decimal(raw).unwrap_err();
            assert!(message.contains("looks like a decimal comma"), "{message}");
            assert!(message.contains(&format!("{raw:?}")), "{message}");
        }
        assert!(decimal("0,83654").unwrap_err().contains("write 0.83654"));
    }

    #[test]
    fn too_large_is_not_junk() {
        let err = |s: &str| decimal(s).err().unwrap_or_default();
        let limit = "is too large (at most 1,000,000,000,000)";
        assert_eq!(
            err(&"9".repeat(29)),
            format!("\"{}\" {limit}", "9".repeat(29))
        );
        assert_eq!(
            err(&"9".repeat(19)),
            format!("\"{}\" {limit}", "9".repeat(19))
        );
        assert_eq!(
            err("-1,000,000,000,000.01"),
            format!("\"-1,000,000,000,000.01\" {limit}")
        );
        assert_eq!(err("1e40"), format!("\"1e40\" {limit}"));
        assert_eq!(
            decimal("1,000,000,000,000").ok(),
            Some(Some(Decimal::from(1_000_000_000_000_i64)))
        );
        assert_eq!(err("12abc"), "\"12abc\" is not a number");
        assert_eq!(err("1.2.3"), "\"1.2.3\" is not a number");
    }

    #[test]
    fn dates() {
        let ok = |s: &str| date(s).ok().flatten();
        assert_eq!(ok("20240131"), Some(d(2024, 1, 31)));
        assert_eq!(ok("20240131;103000"), Some(d(2024, 1, 31)));
        assert_eq!(ok("2011-08-08;134413"), Some(d(2011, 8, 8)));
        assert_eq!(ok("2023-07-07, 15:39:46"), Some(d(2023, 7, 7)));
        assert_eq!(ok("31-Jan-24"), Some(d(2024, 1, 31)));
        assert_eq!(ok("31/01/2024"), Some(d(2024, 1, 31)));
        assert_eq!(ok("01/31/24"), Some(d(2024, 1, 31)));
        assert!(matches!(date("01/02/2024"), Err(DateError::Ambiguous)));
        assert!(matches!(date("2024-13-01"), Err(DateError::Invalid)));
        assert_eq!(ok("--"), None);
    }
}
