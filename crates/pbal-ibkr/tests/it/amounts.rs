//! Commas in numbers: valid thousands groups are read exactly, everything else with a comma is
//! refused as a likely decimal comma, never mis-read, on the command line (`parse_amount`) and
//! in exports (every numeric field).

use std::str::FromStr;

use pbal_ibkr::{AmountError, parse_amount, read_bytes};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// `digits` with a comma before every group of three from the right: the oracle for "valid".
fn group(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Whether `text` is grouped exactly as `group` would write its integer part.
fn validly_grouped(text: &str) -> bool {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (integer, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    !fraction.contains(',') && group(&integer.replace(',', "")) == integer
}

/// The value `text` would have if its commas were simply dropped (the old, wrong reading).
fn without_commas(text: &str) -> Option<Decimal> {
    Decimal::from_str(&text.replace(',', "")).ok()
}

/// A one-position Flex CSV whose FXRateToBase is `rate`.
fn export_with_rate(rate: &str) -> String {
    format!(
        "\"Symbol\",\"CurrencyPrimary\",\"FXRateToBase\",\"Quantity\",\"MarkPrice\",\"PositionValue\"\n\
         \"VTI\",\"USD\",\"{rate}\",\"10\",\"250\",\"2500\"\n"
    )
}

proptest! {
    /// Any number written with valid groups reads back to itself.
    #[test]
    fn grouped_numbers_round_trip(
        negative in any::<bool>(),
        integer in 0u64..10_000_000_000_000,
        fraction in proptest::option::of("[0-9]{1,6}"),
    ) {
        let sign = if negative { "-" } else { "" };
        let fraction = fraction.map(|f| format!(".{f}")).unwrap_or_default();
        let text = format!("{sign}{}{fraction}", group(&integer.to_string()));
        let expected = Decimal::from_str(&format!("{sign}{integer}{fraction}")).unwrap();
        prop_assert_eq!(parse_amount(&text), Ok(expected));
    }

    /// Any text of digits with a comma is either validly grouped and read as such, or refused
    /// as a decimal comma: never read some other way.
    #[test]
    fn other_commas_are_refused(
        text in "[-+]?[0-9]{0,5}(,[0-9]{0,5}){1,3}(\\.[0-9]{0,3}(,[0-9]{1,3})?)?",
    ) {
        let digits = text.chars().any(|c| c.is_ascii_digit());
        match parse_amount(&text) {
            Ok(value) => {
                prop_assert!(validly_grouped(&text), "{text} read as {value}");
                prop_assert_eq!(Some(value), without_commas(&text));
            }
            Err(AmountError::DecimalComma(shown)) => {
                prop_assert!(!validly_grouped(&text), "{text} refused");
                prop_assert_eq!(shown, text);
            }
            Err(AmountError::Empty) => prop_assert!(!digits, "{text} called empty"),
            Err(e) => prop_assert!(false, "{text}: {e}"),
        }
    }

    /// The same rule holds in an export's numeric fields, with the file, line and column named.
    #[test]
    fn export_fields_follow_the_same_rule(
        text in "[0-9]{1,4}(,[0-9]{1,5}){1,2}(\\.[0-9]{1,3})?",
    ) {
        let read = read_bytes(export_with_rate(&text).as_bytes(), "fx.csv");
        if validly_grouped(&text) {
            let statement = read.map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(statement.positions[0].fx_rate_to_base, without_commas(&text));
        } else {
            let message = read.err().map(|e| e.to_string()).unwrap_or_default();
            prop_assert!(
                message.starts_with("fx.csv:2: column \"FXRateToBase\": ")
                    && message.contains("looks like a decimal comma")
                    && message.contains(&format!("{text:?}")),
                "{text}: {message}"
            );
        }
    }
}

#[test]
fn the_issues_examples() {
    for text in ["1500,50", "1,5", "0,83654", "1,23,456"] {
        let message = parse_amount(text).unwrap_err().to_string();
        assert!(
            message.starts_with(&format!("{text:?} looks like a decimal comma")),
            "{message}"
        );
    }
    assert_eq!(
        parse_amount("1,234,567.89"),
        Ok(Decimal::from_str("1234567.89").unwrap())
    );
    let e = read_bytes(export_with_rate("0,83654").as_bytes(), "fx.csv").unwrap_err();
    assert!(
        e.to_string().starts_with(
            "fx.csv:2: column \"FXRateToBase\": \"0,83654\" looks like a decimal comma"
        ),
        "{e}"
    );
    assert!(
        e.to_string()
            .ends_with("write 0.83654 if the comma is the decimal point")
    );
}

#[test]
fn an_activity_statement_rate_with_a_decimal_comma_is_refused() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/flex/activity-statement.csv");
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.replace(
        "Base Currency Exchange Rate,Data,USD,0.92",
        "Base Currency Exchange Rate,Data,USD,\"0,83654\"",
    );
    let e = read_bytes(text.as_bytes(), "activity.csv").unwrap_err();
    assert!(
        e.to_string().starts_with(
            "activity.csv:10: column \"Rate\": \"0,83654\" looks like a decimal comma"
        ),
        "{e}"
    );
}
