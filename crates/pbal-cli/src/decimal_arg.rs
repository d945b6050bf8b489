//! Exact decimal command-line values.

use std::str::FromStr;

use rust_decimal::Decimal;

/// Parses an amount such as `5000`, `5,000.50` or `1e3` exactly; rejects NaN and infinities.
pub(crate) fn parse_decimal(text: &str) -> Result<Decimal, String> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != '_')
        .collect();
    if cleaned.is_empty() {
        return Err("empty number".to_owned());
    }
    Decimal::from_str(&cleaned)
        .or_else(|_| Decimal::from_scientific(&cleaned))
        .map_err(|_| format!("{text:?} is not a decimal number"))
}

/// Parses a non-negative amount.
pub(crate) fn parse_non_negative(text: &str) -> Result<Decimal, String> {
    let value = parse_decimal(text)?;
    if value < Decimal::ZERO {
        return Err(format!("{text:?} must not be negative"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn parses_exactly() {
        assert_eq!(parse_decimal("5,000.10"), Ok(dec!(5000.10)));
        assert_eq!(parse_decimal("-10000"), Ok(dec!(-10000)));
        assert_eq!(parse_decimal("1e3"), Ok(dec!(1000)));
        assert!(parse_decimal("NaN").is_err());
        assert!(parse_decimal("inf").is_err());
        assert!(parse_decimal("").is_err());
        assert!(parse_non_negative("-1").is_err());
    }
}
