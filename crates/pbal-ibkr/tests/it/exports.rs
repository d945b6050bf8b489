//! Every export layout, read from the project's fixtures: golden JSON of what pbal read, the
//! holdings and cash it plans with, and the errors bad files give.

use std::collections::BTreeSet;
use std::path::PathBuf;

use pbal_ibkr::{AccountSelection, Error, read_bytes, read_path};
use rust_decimal::Decimal;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn golden(name: &str) -> String {
    let statement = read_path(fixture(name)).unwrap();
    serde_json::to_string_pretty(&statement).unwrap()
}

#[test]
fn golden_plain_two_accounts() {
    insta::assert_snapshot!(golden("flex/plain-two-accounts.csv"));
}

#[test]
fn golden_header_trailer() {
    insta::assert_snapshot!(golden("flex/header-trailer.csv"));
}

#[test]
fn golden_section_codes() {
    insta::assert_snapshot!(golden("flex/section-codes.csv"));
}

#[test]
fn golden_activity_statement() {
    insta::assert_snapshot!(golden("flex/activity-statement.csv"));
}

#[test]
fn golden_flex_xml() {
    insta::assert_snapshot!(golden("flex/flex-statement.xml"));
}

#[test]
fn golden_original_tool_csv() {
    insta::assert_snapshot!(golden("positions-custom.csv"));
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn accounts_are_chosen_or_merged() {
    let s = read_path(fixture("flex/plain-two-accounts.csv")).unwrap();
    let none = BTreeSet::new();
    let err = s.to_holdings(&AccountSelection::Single, &none).unwrap_err();
    assert!(matches!(err, Error::MultipleAccounts { .. }), "{err}");
    assert!(err.to_string().contains("U1111111, U2222222"));

    let one = s
        .to_holdings(&AccountSelection::Only("U2222222".into()), &none)
        .unwrap();
    let symbols: Vec<&str> = one
        .portfolio
        .holdings()
        .iter()
        .map(|h| h.symbol.as_str())
        .collect();
    assert_eq!(symbols, ["BND", "VTI"]);

    let all = s.to_holdings(&AccountSelection::All, &none).unwrap();
    let vti = all.portfolio.get("VTI").unwrap();
    assert_eq!(vti.quantity, d("34"));
    assert_eq!(
        vti.value,
        d("7830.04") + d("5.6"),
        "USD values in EUR at 0.92"
    );
    assert_eq!(vti.lots.len(), 2);
    assert_eq!(all.instruments["VTI"].accounts.len(), 2);
    // The short option is reported, not planned.
    assert!(
        all.excluded.iter().any(|e| matches!(
            e,
            pbal_ibkr::Excluded::NotStockOrFund { symbol, asset_class }
                if symbol == "VTI   261218C00260000" && asset_class == "OPT"
        )),
        "{:?}",
        all.excluded
    );
    assert!(all.portfolio.get("VTI   261218C00260000").is_none());

    let unknown = s
        .to_holdings(&AccountSelection::Only("U9".into()), &none)
        .unwrap_err();
    assert!(matches!(unknown, Error::UnknownAccount { .. }));
}

#[test]
fn cash_comes_from_the_base_summary() {
    let s = read_path(fixture("flex/plain-two-accounts.csv")).unwrap();
    assert_eq!(s.cash_in_base(&AccountSelection::All).unwrap(), d("1760.9"));
    assert_eq!(
        s.cash_in_base(&AccountSelection::Only("U2222222".into()))
            .unwrap(),
        d("250")
    );
    let activity = read_path(fixture("flex/activity-statement.csv")).unwrap();
    assert_eq!(
        activity.cash_in_base(&AccountSelection::Single).unwrap(),
        d("3410.50")
    );
    let seed = read_path(fixture("positions-custom.csv")).unwrap();
    assert!(matches!(
        seed.cash_in_base(&AccountSelection::Single),
        Err(Error::NoCash { .. })
    ));
}

#[test]
fn activity_statement_rates_come_from_its_rate_section() {
    let s = read_path(fixture("flex/activity-statement.csv")).unwrap();
    assert_eq!(s.base_currency.as_deref(), Some("EUR"));
    let h = s
        .to_holdings(&AccountSelection::Single, &BTreeSet::new())
        .unwrap();
    assert_eq!(h.portfolio.get("VTI").unwrap().value, d("276552.00"));
    assert_eq!(h.instruments["VTI"].local_price, d("250.5"));
    assert_eq!(s.trades.len(), 1);
}

fn read(text: &str) -> Result<pbal_ibkr::Statement, Error> {
    read_bytes(text.as_bytes(), "test.csv")
}

#[test]
fn bad_files_name_line_and_column() {
    let e = read("Symbol,PositionValue,MarkPrice\nAAA,100,10\nBBB,100,abc\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "test.csv:3: column \"MarkPrice\": \"abc\" is not a number"
    );
    let e = read("Symbol,PositionValue,MarkPrice\nAAA,100,0\n").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("test.csv:2: column \"MarkPrice\""),
        "{e}"
    );
    let e = read("Symbol,PositionValue,MarkPrice\nAAA,100,NaN\n").unwrap_err();
    assert!(e.to_string().contains(":2:"), "{e}");
    let e = read("Symbol,PositionValue,MarkPrice\nAAA,100000000000000000000,10\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "test.csv:2: column \"PositionValue\": \"100000000000000000000\" is too large (at most 1,000,000,000,000)"
    );
    // Too long for a decimal at all: too large as well, not "not a number".
    let nines = "9".repeat(29);
    let e = read(&format!("Symbol,Quantity,MarkPrice\nAAA,{nines},1\n")).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "test.csv:2: column \"Quantity\": \"{nines}\" is too large (at most 1,000,000,000,000)"
        )
    );
    let e = read_bytes(
        b"Symbol,PositionValue,MarkPrice\nAAA,100,10\n\xff\xfe,1,1\n",
        "x.csv",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "x.csv:3: not UTF-8 text (export the statement again as CSV or XML)"
    );
    let e = read("").unwrap_err();
    assert!(matches!(e, Error::UnknownLayout { .. }));
    // Cash and no Open Positions section: an account with nothing bought yet (issue 11).
    let s = read("\"ClientAccountID\",\"CurrencyPrimary\",\"EndingCash\"\n\"U1\",\"USD\",\"5\"\n")
        .unwrap();
    assert!(s.positions.is_empty());
    assert_eq!(s.cash.len(), 1);
    let e = read(
        "\"ClientAccountID\",\"CurrencyPrimary\",\"AccountType\"\n\"U1\",\"USD\",\"Individual\"\n",
    )
    .unwrap_err();
    assert!(matches!(e, Error::NoPositions { .. }), "{e}");
    // Column headers turned off.
    let e = read(
        "\"BOF\",\"U1\"\n\"BOS\",\"POST\",\"Open Positions\"\n\"U1\",\"USD\",\"VTI\",\"10\"\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("Include column headers"), "{e}");
    // Duplicate summary rows.
    let e = read("Symbol,Quantity,MarkPrice,LevelOfDetail\nVTI,1,10,SUMMARY\nVTI,2,10,SUMMARY\n")
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Duplicate {
                line: 3,
                first: 2,
                ..
            }
        ),
        "{e}"
    );
    // Ambiguous slash dates.
    let e = read("Symbol,Quantity,MarkPrice,LevelOfDetail,OpenDateTime\nVTI,1,10,SUMMARY,\nVTI,1,10,LOT,03/04/2025\n").unwrap_err();
    assert!(matches!(e, Error::AmbiguousDate { line: 3, .. }), "{e}");
    // Truncated XML.
    let xml = std::fs::read_to_string(fixture("flex/flex-statement.xml")).unwrap();
    let e = read_bytes(&xml.as_bytes()[..xml.len() / 2], "cut.xml").unwrap_err();
    assert!(e.to_string().starts_with("cut.xml:"), "{e}");
    // Several currencies without rates.
    let s = read("Symbol,Quantity,MarkPrice,CurrencyPrimary\nA,1,10,USD\nB,1,10,EUR\n").unwrap();
    let e = s
        .to_holdings(&AccountSelection::Single, &BTreeSet::new())
        .unwrap_err();
    assert!(matches!(e, Error::NoBaseCurrency { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("positions in EUR, USD and no way to convert them to one base currency"),
        "{e}"
    );
    // A known base (EUR at a rate of 1, CAD with its rate): only the currency without one.
    let s = read(
        "Symbol,Quantity,MarkPrice,CurrencyPrimary,FXRateToBase\nA,1,10,EUR,1\nB,1,10,CAD,0.68\nC,1,10,USD,\n",
    )
    .unwrap();
    let e = s
        .to_holdings(&AccountSelection::Single, &BTreeSet::new())
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("no rate from USD to the base currency EUR (add FXRateToBase"),
        "{e}"
    );
}

#[test]
fn a_header_short_of_positions_columns_names_what_it_lacks() {
    let message = |text: &str| read(text).unwrap_err().to_string();
    let rule = "pbal needs Symbol and two of Quantity, MarkPrice and PositionValue";
    // Two known columns make it a header; without Symbol it was "no open positions found".
    assert_eq!(
        message("Ticker,PositionValue,MarkPrice\nAAA,10,1\n"),
        format!(
            "test.csv:1: the header lacks Symbol: {rule}; found Ticker, PositionValue, \
             MarkPrice (the original tool's header is \
             Symbol,PositionValue,MarkPrice,FifoPnlUnrealized)"
        )
    );
    let e = message("Symbol,PositionValue\nAAA,10\n");
    assert!(
        e.starts_with(&format!(
            "test.csv:1: the header lacks Quantity or MarkPrice: {rule}; found Symbol, PositionValue"
        )),
        "{e}"
    );
    let e = message("Ticker,PositionValue\nAAA,10\n");
    assert!(
        e.contains("lacks Symbol and either Quantity or MarkPrice:"),
        "{e}"
    );
    let e = message("Ticker,Shares,Cost\nVTI,10,2000\n");
    assert!(
        e.contains("lacks Symbol, Quantity, MarkPrice and PositionValue:"),
        "{e}"
    );
    // Quantity and value without a mark price are enough (the price is their quotient).
    let s = read("Symbol,Quantity,PositionValue\nAAA,4,10\n").unwrap();
    assert_eq!(s.positions[0].price, d("2.5"));
    // A section of other data that names a symbol and a quantity (dividend accruals) next to
    // the positions is not an error.
    let s =
        read("Symbol,Quantity,MarkPrice\nAAA,4,10\n\nSymbol,Quantity,PayDate\nAAA,4,20250101\n")
            .unwrap();
    assert_eq!(s.positions.len(), 1);
    // A section whose code says it is not positions is not blamed for lacking their columns.
    let e = read(
        "\"HEADER\",\"OPDA\",\"Symbol\",\"Quantity\",\"PayDate\"\n\"DATA\",\"OPDA\",\"AAA\",\"4\",\"20250101\"\n",
    )
    .unwrap_err();
    assert!(matches!(e, Error::NoPositions { .. }), "{e}");
}

#[test]
fn quoting_bom_crlf_and_placeholders() {
    let text = "\u{feff}\"Symbol\",\"Quantity\",\"MarkPrice\",\"PositionValue\",\"FifoPnlUnrealized\"\r\n\"A, Inc\",\"1,000\",\"2.5\",\"2,500\",\"--\"\r\n";
    let s = read(text).unwrap();
    assert_eq!(s.positions[0].symbol, "A, Inc");
    assert_eq!(s.positions[0].quantity, d("1000"));
    assert_eq!(s.positions[0].value, d("2500"));
    assert_eq!(s.positions[0].unrealized_pnl, None);
}

#[test]
fn lots_without_level_of_detail() {
    // The row equal to the sum of the others is the summary.
    let s = read("Symbol,Quantity,MarkPrice,PositionValue,CostBasisMoney,OpenDateTime\nVTI,30,10,300,250,\nVTI,10,10,100,120,20240101;100000\nVTI,20,10,200,130,20250101;100000\n").unwrap();
    assert_eq!(s.positions.len(), 1);
    assert_eq!(s.positions[0].quantity, d("30"));
    assert_eq!(s.positions[0].lots.len(), 2);
}
