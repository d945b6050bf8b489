//! Amounts as people write them (`5000`, `5,000.50`, `1e3`), read exactly: one rule for the
//! command line and for targets files.

use std::str::FromStr;

use rust_decimal::Decimal;

/// Why a text is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AmountError {
    /// Nothing but spaces and separators.
    #[error("empty number")]
    Empty,
    /// Written like a number, but beyond `Decimal`'s 28 digits.
    #[error("{}", too_large(.0, "28 digits"))]
    TooLarge(String),
    /// Not a number (NaN and infinities included).
    #[error("{0:?} is not a decimal number")]
    NotANumber(String),
}

/// Parses an amount such as `5000`, `5,000.50`, `5_000` or `1e3` exactly.
///
/// ```
/// use pbal_ibkr::{AmountError, parse_amount};
/// use rust_decimal::Decimal;
/// assert_eq!(parse_amount("5,000.10"), Ok(Decimal::new(500010, 2)));
/// assert_eq!(parse_amount("1e3"), Ok(Decimal::from(1000)));
/// assert!(matches!(parse_amount("NaN"), Err(AmountError::NotANumber(_))));
/// assert!(matches!(parse_amount("1e40"), Err(AmountError::TooLarge(_))));
/// ```
pub fn parse_amount(text: &str) -> Result<Decimal, AmountError> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != '_')
        .collect();
    if cleaned.is_empty() {
        return Err(AmountError::Empty);
    }
    Decimal::from_str(&cleaned)
        .or_else(|_| Decimal::from_scientific(&cleaned))
        .map_err(|_| {
            if is_number(&cleaned) {
                AmountError::TooLarge(text.to_owned())
            } else {
                AmountError::NotANumber(text.to_owned())
            }
        })
}

/// The one wording for a number beyond what pbal reads, on the command line and in exports.
pub(crate) fn too_large(text: &str, limit: &str) -> String {
    format!("{text:?} is too large (at most {limit})")
}

/// Whether `text` is written like a number (`-12.5`, `1e40`): then only its size can fail.
pub(crate) fn is_number(text: &str) -> bool {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['-', '+']).unwrap_or(e))),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (digits(int) || int.is_empty())
                && (digits(frac) || frac.is_empty())
                && mantissa.len() > 1
        }
        None => digits(mantissa),
    };
    mantissa_ok && exponent.is_none_or(digits)
}
