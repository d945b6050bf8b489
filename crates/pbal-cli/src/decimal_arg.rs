//! Exact decimal command-line values.

use rust_decimal::Decimal;

/// Parses an amount such as `5000`, `5,000.50` or `1e3` exactly; rejects NaN and infinities
/// (pbal-ibkr's rule, shared with targets files).
pub(crate) fn parse_decimal(text: &str) -> Result<Decimal, String> {
    pbal_ibkr::parse_amount(text).map_err(|e| e.to_string())
}

/// Parses a non-negative amount.
pub(crate) fn parse_non_negative(text: &str) -> Result<Decimal, String> {
    let value = parse_decimal(text)?;
    if value < Decimal::ZERO {
        return Err(format!("{text:?} must not be negative"));
    }
    Ok(value)
}

/// Parses a whole number from `min` to `max` (counts, seconds, basis points): a negative one
/// says so, like the amounts do, instead of clap's "invalid digit".
pub(crate) fn parse_whole(text: &str, min: u64, max: u64) -> Result<u64, String> {
    let trimmed = text.trim();
    if trimmed.starts_with('-') && parse_decimal(trimmed).is_ok() {
        return Err(format!("{text:?} must not be negative"));
    }
    let value: u64 = trimmed
        .parse()
        .map_err(|_| format!("{text:?} is not a whole number"))?;
    if value < min || value > max {
        return Err(format!("{text:?}: expected {min} to {max}"));
    }
    Ok(value)
}

/// Parses a percent: `5`, `5%` and `5 %` all mean 5% (0.05); `0.5` means 0.5%. One meaning
/// for every percent option, so `1` is never 100%.
pub(crate) fn parse_percent(text: &str) -> Result<Decimal, String> {
    let trimmed = text.trim();
    let number = trimmed.strip_suffix('%').unwrap_or(trimmed);
    let value = parse_non_negative(number).map_err(|e| {
        if e.ends_with("must not be negative") {
            format!("{text:?} must not be negative")
        } else {
            e
        }
    })?;
    if value > Decimal::ONE_HUNDRED {
        return Err(format!("{text:?} is more than 100%"));
    }
    Ok(value / Decimal::ONE_HUNDRED)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pbal_core::dec;

    #[test]
    fn parses_exactly() {
        assert_eq!(parse_decimal("5,000.10"), Ok(dec!(5000.10)));
        assert_eq!(parse_decimal("-10000"), Ok(dec!(-10000)));
        assert_eq!(parse_decimal("1e3"), Ok(dec!(1000)));
        assert!(parse_decimal("NaN").is_err());
        assert!(parse_decimal("inf").is_err());
        assert!(parse_decimal("").is_err());
        assert!(parse_non_negative("-1").is_err());
        assert_eq!(
            parse_decimal("99999999999999999999999999999"),
            Err("\"99999999999999999999999999999\" is too large (at most 28 digits)".to_owned())
        );
        assert!(parse_decimal("1e40").unwrap_err().contains("too large"));
        assert!(
            parse_decimal("12abc")
                .unwrap_err()
                .contains("not a decimal number")
        );
        assert!(
            parse_decimal("1.2.3")
                .unwrap_err()
                .contains("not a decimal number")
        );
    }

    #[test]
    fn a_bare_percent_is_percent() {
        assert_eq!(parse_percent("1"), Ok(dec!(0.01)));
        assert_eq!(parse_percent("1%"), Ok(dec!(0.01)));
        assert_eq!(parse_percent("0.5"), Ok(dec!(0.005)));
        assert_eq!(parse_percent("37 %"), Ok(dec!(0.37)));
        assert_eq!(parse_percent("100"), Ok(dec!(1)));
        assert_eq!(
            parse_percent("-5"),
            Err("\"-5\" must not be negative".to_owned())
        );
        assert!(parse_percent("101").is_err());
    }

    #[test]
    fn whole_numbers_say_what_is_wrong() {
        assert_eq!(parse_whole("10", 0, 1000), Ok(10));
        assert_eq!(
            parse_whole("-5", 0, 1000),
            Err("\"-5\" must not be negative".to_owned())
        );
        assert_eq!(
            parse_whole("1.5", 0, 1000),
            Err("\"1.5\" is not a whole number".to_owned())
        );
        assert_eq!(
            parse_whole("0", 1, 600),
            Err("\"0\": expected 1 to 600".to_owned())
        );
    }
}
