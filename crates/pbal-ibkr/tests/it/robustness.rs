//! No input makes the reader panic: arbitrary bytes, and real-layout files truncated, with
//! lines shuffled or dropped, or with a field replaced.

use std::fmt::Write as _;
use std::path::PathBuf;

use pbal_ibkr::{AccountSelection, read_bytes};
use proptest::prelude::*;
use rust_decimal::Decimal;

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
        .join("tests/fixtures")
        .join(FIXTURES[index % FIXTURES.len()]);
    std::fs::read(path).unwrap()
}

/// Reads and, when that works, also uses every public function over the statement: none of
/// it may panic.
fn exercise(bytes: &[u8]) {
    if let Ok(statement) = read_bytes(bytes, "fuzz") {
        let include = std::collections::BTreeSet::new();
        for selection in [AccountSelection::Single, AccountSelection::All] {
            if let Ok(holdings) = statement.to_holdings(&selection, &include) {
                let _ = holdings.held_by_account();
                let _ = holdings.value_by_account(&statement.accounts);
            }
            let _ = statement.cash_in_base(&selection);
            let _ = statement.cash_by_currency(&selection);
            if let Ok(managed) = statement.portfolio(&selection, None) {
                let options = pbal_core::PlanOptions::new();
                if let Ok(plan) = pbal_core::plan(
                    &managed.portfolio,
                    &managed.targets,
                    Decimal::ZERO,
                    &options,
                ) {
                    let _ = pbal_ibkr::audit_currencies(&plan, &managed.holdings);
                }
            }
        }
        let _ = statement.cash_per_account();
        let _ = statement.wash_sale_guard(true);
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
            Just("79228162514264337593543950335".to_owned()),
            Just("-79228162514264337593543950335".to_owned()),
            Just("39614081257132168796771975167".to_owned()),
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

/// A number as an export may write it, from ordinary to `Decimal`'s extremes.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_owned()),
        Just("1".to_owned()),
        Just("-1".to_owned()),
        Just(String::new()),
        Just("79228162514264337593543950335".to_owned()),
        Just("-79228162514264337593543950335".to_owned()),
        Just("39614081257132168796771975167".to_owned()),
        Just("0.0000000000000000000000000001".to_owned()),
        Just("1000000000000".to_owned()),
        Just("-1000000000000".to_owned()),
        Just("0.000000000001".to_owned()),
        (1i64..100_000).prop_map(|c| format!("{}.{:02}", c / 100, c % 100)),
    ]
}

/// One position row (summary or lot) of a two-account Flex CSV, every number drawn.
fn position_row() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("U1"), Just("U2")],
        prop_oneof![Just("USD"), Just("EUR")],
        prop_oneof![Just("VTI"), Just("BND")],
        prop_oneof![Just("SUMMARY"), Just("LOT"), Just("")],
        proptest::collection::vec(number(), 7),
    )
        .prop_map(|(account, currency, symbol, level, n)| {
            format!(
                "{account},{currency},{},STK,{symbol},{},{},{},{},{},{},{level},20240102\n",
                n[0], n[1], n[2], n[3], n[4], n[5], n[6]
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Positions, lots and cash with absurd numbers in every field: errors, never a panic.
    #[test]
    fn absurd_numbers(
        rows in proptest::collection::vec(position_row(), 1..6),
        cash in proptest::collection::vec((prop_oneof![Just("U1"), Just("U2")], prop_oneof![Just("BASE_SUMMARY"), Just("USD"), Just("EUR")], number()), 0..4),
        trades in proptest::collection::vec(number(), 0..3),
    ) {
        let mut text = String::from(
            "ClientAccountID,CurrencyPrimary,FXRateToBase,AssetClass,Symbol,Multiplier,Quantity,\
             MarkPrice,PositionValue,CostBasisMoney,FifoPnlUnrealized,LevelOfDetail,OpenDateTime\n",
        );
        text.extend(rows);
        text.push_str("ClientAccountID,CurrencyPrimary,EndingCash\n");
        for (account, currency, amount) in cash {
            let _ = writeln!(text, "{account},{currency},{amount}");
        }
        text.push_str("ClientAccountID,Symbol,TradeDate,Buy/Sell,Quantity,TradePrice,FifoPnlRealized\n");
        for n in trades {
            let _ = writeln!(text, "U1,VTI,20261101,SELL,{n},{n},{n}");
        }
        exercise(text.as_bytes());
    }
}

/// The largest numbers the readers accept, in every field at once.
#[test]
fn largest_accepted_numbers() {
    let big = "1000000000000";
    let tiny = "0.000000000001";
    for (quantity, price, fx, multiplier) in [
        (big, big, big, big),
        (big, big, big, "1"),
        (big, tiny, big, "1"),
        (tiny, big, tiny, big),
    ] {
        let text = format!(
            "ClientAccountID,CurrencyPrimary,FXRateToBase,AssetClass,Symbol,Multiplier,Quantity,\
             MarkPrice,PositionValue,CostBasisMoney,FifoPnlUnrealized,LevelOfDetail,OpenDateTime\n\
             U1,USD,{fx},STK,VTI,{multiplier},{quantity},{price},{big},-{big},{big},SUMMARY,20240102\n\
             U1,USD,{fx},STK,VTI,{multiplier},{quantity},{price},{big},-{big},{big},LOT,20240102\n\
             U2,USD,{fx},STK,VTI,{multiplier},{quantity},{price},{big},,,SUMMARY,20240102\n\
             U2,EUR,{fx},STK,BND,{multiplier},{quantity},{price},{big},,,,\n\
             ClientAccountID,CurrencyPrimary,EndingCash\nU1,USD,{big}\nU2,USD,-{big}\nU2,EUR,{big}\n"
        );
        exercise(text.as_bytes());
    }
}
