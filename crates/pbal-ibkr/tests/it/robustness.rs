//! No input makes the reader panic: arbitrary bytes, and real-layout files truncated, with
//! lines shuffled or dropped, or with a field replaced.

use std::path::PathBuf;

use pbal_ibkr::{AccountSelection, read_bytes};
use proptest::prelude::*;

const FIXTURES: &[&str] = &[
    "flex/plain-two-accounts.csv",
    "flex/header-trailer.csv",
    "flex/section-codes.csv",
    "flex/activity-statement.csv",
    "flex/flex-statement.xml",
    "positions-custom.csv",
];

fn fixture(index: usize) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(FIXTURES[index % FIXTURES.len()]);
    std::fs::read(path).unwrap()
}

/// Reads and, when that works, also converts to holdings and cash: none of it may panic.
fn exercise(bytes: &[u8]) {
    if let Ok(statement) = read_bytes(bytes, "fuzz") {
        let include = std::collections::BTreeSet::new();
        for selection in [AccountSelection::Single, AccountSelection::All] {
            let _ = statement.to_holdings(&selection, &include);
            let _ = statement.cash_in_base(&selection);
        }
        let _ = serde_json::to_string(&statement);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        exercise(&bytes);
    }

    #[test]
    fn truncated_files(file in 0usize..6, cut in 0.0f64..1.0) {
        let bytes = fixture(file);
        let end = (bytes.len() as f64 * cut) as usize;
        exercise(&bytes[..end]);
    }

    #[test]
    fn shuffled_and_dropped_lines(file in 0usize..6, order in prop::collection::vec(any::<u16>(), 0..60)) {
        let text = String::from_utf8(fixture(file)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let picked: Vec<&str> = order.iter().map(|i| lines[*i as usize % lines.len()]).collect();
        exercise(picked.join("\n").as_bytes());
    }

    #[test]
    fn a_field_replaced(
        file in 0usize..6,
        at in any::<u16>(),
        with in prop_oneof![
            Just(String::new()), Just("-".to_owned()), Just("NaN".to_owned()),
            Just("99999999999999999999999999999".to_owned()), Just("0".to_owned()),
            Just("-1".to_owned()), Just("\"".to_owned()), Just("1e-28".to_owned()),
            Just("0.0000000000000000000000000001".to_owned()), Just("31/12/2024".to_owned()),
        ],
    ) {
        let text = String::from_utf8(fixture(file)).unwrap();
        let separators: Vec<usize> = text.match_indices([',', '"', '=']).map(|(i, _)| i).collect();
        let start = separators[at as usize % separators.len()] + 1;
        let end = text[start..].find([',', '"', '\n']).map_or(text.len(), |e| start + e);
        let mutated = format!("{}{}{}", &text[..start], with, &text[end..]);
        exercise(mutated.as_bytes());
    }
}
