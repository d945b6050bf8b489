//! Amounts as people write them (`5000`, `5,000.50`, `1e3`), read exactly: one rule for the
//! command line, targets files and exports. A comma is a thousands separator only between
//! valid groups (`1,234,567.89`); any other comma (`1500,50`, `1,5`, `1,23,456`) is refused as
//! a likely decimal comma, never guessed.

use std::borrow::Cow;
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
    /// A comma that is not a thousands separator between groups of three digits.
    #[error("{}", decimal_comma(.0))]
    DecimalComma(String),
}

/// Parses an amount such as `5000`, `5,000.50`, `5_000` or `1e3` exactly.
///
/// # Errors
/// [`AmountError::Empty`] for nothing but spaces, commas and underscores,
/// [`AmountError::DecimalComma`] for a comma that is not a thousands separator,
/// [`AmountError::TooLarge`] for a number beyond a [`Decimal`]'s 28 digits, and
/// [`AmountError::NotANumber`] for anything else that does not parse.
///
/// ```
/// use pbal_ibkr::{AmountError, parse_amount};
/// use pbal_core::Decimal;
/// assert_eq!(parse_amount("5,000.10"), Ok(Decimal::new(500010, 2)));
/// assert_eq!(parse_amount("1e3"), Ok(Decimal::from(1000)));
/// assert!(matches!(parse_amount("NaN"), Err(AmountError::NotANumber(_))));
/// assert!(matches!(parse_amount("1e40"), Err(AmountError::TooLarge(_))));
/// assert!(matches!(parse_amount("1500,50"), Err(AmountError::DecimalComma(_))));
/// ```
pub fn parse_amount(text: &str) -> Result<Decimal, AmountError> {
    let trimmed = text.trim();
    let without_underscores: String = trimmed.chars().filter(|c| *c != '_').collect();
    if without_underscores.chars().all(|c| c == ',') {
        return Err(AmountError::Empty);
    }
    let cleaned = ungroup(&without_underscores)
        .ok_or_else(|| AmountError::DecimalComma(trimmed.to_owned()))?;
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

/// `text` without its thousands separators, or `None` when a comma is anywhere but between
/// valid groups: first group 1 to 3 digits (after an optional sign), then `,ddd` groups, all
/// before the decimal point or exponent. Text with no comma is returned as it is.
pub(crate) fn ungroup(text: &str) -> Option<Cow<'_, str>> {
    if !text.contains(',') {
        return Some(Cow::Borrowed(text));
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let end = unsigned.find(['.', 'e', 'E']).unwrap_or(unsigned.len());
    let (integer, rest) = unsigned.split_at(end);
    if rest.contains(',') {
        return None;
    }
    let mut groups = integer.split(',');
    let digits = |g: &str| g.bytes().all(|b| b.is_ascii_digit());
    let first = groups.next()?;
    let first_ok = (1..=3).contains(&first.len()) && digits(first);
    if !first_ok || !groups.all(|g| g.len() == 3 && digits(g)) {
        return None;
    }
    Some(Cow::Owned(text.replace(',', "")))
}

/// The one wording for a refused comma: names the text and says what to write instead.
pub(crate) fn decimal_comma(text: &str) -> String {
    format!(
        "{text:?} looks like a decimal comma; pbal reads \".\" as the decimal point and \",\" only \
         between groups of three digits (1,234.56): {}",
        instead(text)
    )
}

/// What to write for a refused comma: with one comma, that comma as the decimal point (any
/// dots before it taken as thousands separators, `1.234,5` → `1234.5`); otherwise a rule.
fn instead(text: &str) -> String {
    let commas = text.matches(',').count();
    let last_comma = text.rfind(',').unwrap_or(0);
    let dot_after = text[last_comma..].contains('.');
    if commas == 1 && !dot_after {
        let suggestion = text.replace('.', "").replace(',', ".");
        let suggestion = suggestion.trim();
        if Decimal::from_str(suggestion).is_ok() {
            return format!("write {suggestion} if the comma is the decimal point");
        }
    }
    let plain: String = text.chars().filter(|c| *c != ',').collect();
    format!(
        "write it with \".\" as the decimal point and without commas (e.g. {})",
        plain.trim()
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use pbal_core::dec;

    #[test]
    fn valid_groups_are_thousands() {
        assert_eq!(parse_amount("1,234,567.89"), Ok(dec!(1234567.89)));
        assert_eq!(parse_amount("-1,234"), Ok(dec!(-1234)));
        assert_eq!(parse_amount("+999,000"), Ok(dec!(999000)));
        assert_eq!(parse_amount(" 12,345 "), Ok(dec!(12345)));
        assert_eq!(parse_amount("5_000"), Ok(dec!(5000)));
    }

    #[test]
    fn any_other_comma_is_refused() {
        for text in [
            "1500,50",
            "1,5",
            "0,83654",
            "1,23,456",
            "1234,567",
            ",5",
            "1,",
            "1,,234",
            "-,123",
            "1.234,56",
            "1,234.5,6",
            "1,234e1,0",
            "12,3456",
        ] {
            assert!(
                matches!(parse_amount(text), Err(AmountError::DecimalComma(_))),
                "{text}"
            );
        }
        assert_eq!(parse_amount(","), Err(AmountError::Empty));
    }

    #[test]
    fn the_message_says_what_to_write() {
        let message = |t: &str| parse_amount(t).unwrap_err().to_string();
        assert_eq!(
            message("1500,50"),
            "\"1500,50\" looks like a decimal comma; pbal reads \".\" as the decimal point and \
             \",\" only between groups of three digits (1,234.56): write 1500.50 if the comma is \
             the decimal point"
        );
        assert!(message("1.234,5").ends_with("write 1234.5 if the comma is the decimal point"));
        assert!(message("1,23,456").ends_with("without commas (e.g. 123456)"));
    }
}
