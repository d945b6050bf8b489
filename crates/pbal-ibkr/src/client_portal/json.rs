//! The gateway's loose JSON: numbers as strings or numbers, formatted amounts ("1,977.60 USD
//! (10 Shares)"), prices with letter prefixes ("C168.42"), ids as strings or numbers.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

/// Text of a string or number field.
pub(crate) fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_owned())
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A decimal from a number, or from a formatted string: commas, a currency suffix, a
/// "(N Shares)" tail and a one-letter prefix (C = previous close, H = halted) are dropped.
pub(crate) fn decimal(value: Option<&Value>) -> Option<Decimal> {
    match value? {
        // serde_json prints the shortest round-trip form, so 0.1 stays exactly 0.1.
        Value::Number(n) => Decimal::from_str(&n.to_string())
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .ok(),
        Value::String(s) => formatted_decimal(s),
        _ => None,
    }
}

/// Parses "1,977.60 USD (10 Shares)", "C168.42", "-1", "1.2M" (suffix multipliers).
pub(crate) fn formatted_decimal(raw: &str) -> Option<Decimal> {
    let head = raw.split('(').next().unwrap_or("").trim();
    let head = head.split_whitespace().next()?;
    let head = head.trim_start_matches(['C', 'H']);
    let cleaned: String = head.chars().filter(|c| *c != ',').collect();
    let (number, scale) = match cleaned.chars().last()? {
        'K' => (&cleaned[..cleaned.len() - 1], Decimal::from(1_000)),
        'M' => (&cleaned[..cleaned.len() - 1], Decimal::from(1_000_000)),
        'B' => (&cleaned[..cleaned.len() - 1], Decimal::from(1_000_000_000)),
        _ => (cleaned.as_str(), Decimal::ONE),
    };
    Decimal::from_str(number).ok()?.checked_mul(scale)
}

/// A boolean that may come as `true`, `"true"` or `1`.
pub(crate) fn flag(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    }
}

/// The error message of `{"error": ".."}`, bare or as the first element of an array.
pub(crate) fn error_message(value: &Value) -> Option<String> {
    let object = match value {
        Value::Array(items) => items.iter().find(|i| i.get("error").is_some())?,
        other => other,
    };
    match object.get("error")? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use pbal_core::dec;
    use serde_json::json;

    use super::*;

    #[test]
    fn loose_numbers() {
        assert_eq!(
            decimal(Some(&json!(454.440_002_45))),
            Some(dec!(454.44000245))
        );
        assert_eq!(decimal(Some(&json!(0.1))), Some(dec!(0.1)));
        assert_eq!(
            decimal(Some(&json!("1,977.60 USD (10 Shares)"))),
            Some(dec!(1977.60))
        );
        assert_eq!(decimal(Some(&json!("C168.42"))), Some(dec!(168.42)));
        assert_eq!(decimal(Some(&json!("H12"))), Some(dec!(12)));
        assert_eq!(decimal(Some(&json!("-1"))), Some(dec!(-1)));
        assert_eq!(decimal(Some(&json!("1.2M"))), Some(dec!(1200000)));
        assert_eq!(decimal(Some(&json!("215,415,594"))), Some(dec!(215415594)));
        assert_eq!(decimal(Some(&json!("1 USD"))), Some(dec!(1)));
        assert_eq!(decimal(Some(&json!(""))), None);
        assert_eq!(decimal(Some(&json!("n/a"))), None);
        assert_eq!(decimal(Some(&Value::Null)), None);
        assert_eq!(
            text(Some(&json!(1_799_796_559))).as_deref(),
            Some("1799796559")
        );
        assert_eq!(text(Some(&json!("265598"))).as_deref(), Some("265598"));
    }

    #[test]
    fn errors_bare_or_in_arrays() {
        assert_eq!(error_message(&json!({"error": "x"})).as_deref(), Some("x"));
        assert_eq!(
            error_message(&json!([{"error": "y"}])).as_deref(),
            Some("y")
        );
        assert_eq!(error_message(&json!({"error": null})), None);
        assert_eq!(error_message(&json!([{"order_id": "1"}])), None);
    }

    proptest::proptest! {
        /// Whatever text the gateway sends where a number belongs, parsing never panics.
        #[test]
        fn formatted_numbers_never_panic(text in "\\PC{0,40}", n in proptest::num::f64::ANY) {
            let _ = formatted_decimal(&text);
            let _ = decimal(Some(&json!(text)));
            let _ = decimal(serde_json::Number::from_f64(n).map(Value::Number).as_ref());
        }
    }
}
