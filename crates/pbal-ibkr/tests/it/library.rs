//! pbal-ibkr as a dependency: paths of any kind, errors that state facts (the CLI adds its own
//! flags), and a plan from an export in a few lines.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use pbal_core::{PlanOptions, Targets};
use pbal_ibkr::{AccountSelection, Error, read_path};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

#[test]
fn read_path_takes_any_path_like_value() {
    let path = fixtures().join("flex/header-trailer.csv");
    let from_path_buf = read_path(&path).unwrap();
    let from_str = read_path(path.to_str().unwrap()).unwrap();
    let from_string = read_path(path.display().to_string()).unwrap();
    assert_eq!(from_path_buf.positions.len(), from_str.positions.len());
    assert_eq!(from_str.source, from_string.source);
    let missing = read_path("no-such-export.csv").unwrap_err();
    assert!(matches!(missing, Error::Io { .. }), "{missing}");
}

#[test]
fn errors_state_facts_not_command_line_flags() {
    let s = read_path(fixtures().join("flex/plain-two-accounts.csv")).unwrap();
    let err = s
        .to_holdings(&AccountSelection::Single, &BTreeSet::new())
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.ends_with("2 accounts in the file (U1111111, U2222222) and none selected"),
        "{text}"
    );
    assert!(!text.contains("--"), "{text}");
}

/// What examples/plan_from_export.rs does, checked: the equal-weight plan of the export's cash.
#[test]
fn an_export_plans_in_a_few_lines() {
    let statement = read_path(fixtures().join("flex/header-trailer.csv")).unwrap();
    let selection = AccountSelection::Single;
    let holdings = statement.to_holdings(&selection, &BTreeSet::new()).unwrap();
    let cash = statement.cash_in_base(&selection).unwrap();
    let symbols = holdings
        .portfolio
        .holdings()
        .iter()
        .map(|h| h.symbol.clone());
    let targets = Targets::equal(symbols).unwrap();
    let plan = pbal_core::plan(&holdings.portfolio, &targets, cash, &PlanOptions::new()).unwrap();
    assert!(plan.cash.spent <= cash);
    assert!(plan.trades.iter().all(|t| t.side == pbal_core::Side::Buy));
    assert!(plan.drift_after <= plan.drift_before);
}

/// An export from any reader reads like the same file from its path.
#[test]
fn an_export_reads_from_any_reader() {
    let path = fixtures().join("flex/header-trailer.csv");
    let file = std::fs::File::open(&path).unwrap();
    let from_reader = pbal_ibkr::read(file, "export.csv").unwrap();
    let from_path = read_path(&path).unwrap();
    assert_eq!(from_reader.positions.len(), from_path.positions.len());
    assert_eq!(from_reader.source, "export.csv");
}

/// A price history reads from a path or any reader into the same table, and its errors name
/// the file.
#[test]
fn price_histories_read_from_a_path_or_a_reader() {
    let path = fixtures().join("prices/stocks.csv");
    let from_path = pbal_ibkr::read_prices_path(&path).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    let from_reader = pbal_ibkr::read_prices(file, "stocks.csv").unwrap();
    // Compared by content: the table's f64 cache holds NaN for a missing price.
    let rows = |t: &pbal_core::backtest::PriceTable| {
        (0..t.dates().len())
            .map(|i| t.row(i).to_vec())
            .collect::<Vec<_>>()
    };
    assert_eq!(from_path.dates(), from_reader.dates());
    assert!(rows(&from_path) == rows(&from_reader), "the same prices");
    assert_eq!(from_path.dates().len(), 123);
    assert_eq!(from_path.symbols(), ["MSFT", "AMZN", "IBM", "GOOG", "AAPL"]);
    let missing = pbal_ibkr::read_prices_path("no-such-prices.csv").unwrap_err();
    assert_eq!(missing.to_string(), "cannot read no-such-prices.csv");
    crate::error_chain::assert_each_cause_told_once(&missing, 2);
}
