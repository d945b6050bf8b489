//! No row is lost or invented: a position listed twice, lots that do not add up, a quote never
//! closed and a price below zero are errors naming the file, line and field, never a guess.

use pbal_ibkr::{Error, Statement, read_bytes};
use rust_decimal::Decimal;

fn read(text: &str) -> Result<Statement, Error> {
    read_bytes(text.as_bytes(), "t.csv")
}

fn message(text: &str) -> String {
    read(text).unwrap_err().to_string()
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn original_tool_csv_with_a_symbol_twice_names_both_lines() {
    let text =
        "Symbol,PositionValue,MarkPrice,FifoPnlUnrealized\nAAA,100,10,0\nBBB,50,5,0\nAAA,30,10,0\n";
    insta::assert_snapshot!(message(text), @"t.csv:4: AAA appears twice (first on line 2); a position has one row (to list its tax lots, add the LevelOfDetail column to the Open Positions section)");
}

#[test]
fn two_rows_without_level_of_detail_are_an_error_even_when_equal() {
    // Identical rows could be a summary and its one lot, or the position listed twice: pbal
    // does not guess, it asks for the LevelOfDetail column.
    let e = read("ClientAccountID,CurrencyPrimary,Symbol,Quantity,MarkPrice\nU1,USD,VTI,10,250\nU1,USD,VTI,10,250\n")
        .unwrap_err();
    assert!(
        matches!(&e, Error::Duplicate { line: 3, first: 2, account: Some(a), .. } if a == "U1"),
        "{e}"
    );
    // Other accounts or currencies are other positions.
    let s = read("ClientAccountID,CurrencyPrimary,Symbol,Quantity,MarkPrice\nU1,USD,VTI,10,250\nU2,USD,VTI,10,250\nU1,EUR,VTI,10,230\n")
        .unwrap();
    assert_eq!(s.positions.len(), 3);
}

#[test]
fn a_summary_row_is_found_only_among_three_or_more_rows_that_add_up() {
    let header = "Symbol,Quantity,MarkPrice,PositionValue\n";
    let s = read(&format!(
        "{header}VTI,30,10,300\nVTI,10,10,100\nVTI,20,10,200\n"
    ))
    .unwrap();
    assert_eq!(s.positions[0].quantity, d("30"));
    assert_eq!(s.positions[0].lots.len(), 2);
    // Quantities add up but values do not: not a summary and its lots.
    let e = read(&format!(
        "{header}VTI,30,10,300\nVTI,10,10,100\nVTI,20,10,250\n"
    ))
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
    // No row is the sum of the others.
    let e = read(&format!(
        "{header}VTI,30,10,300\nVTI,10,10,100\nVTI,5,10,50\n"
    ))
    .unwrap_err();
    assert!(matches!(e, Error::Duplicate { .. }), "{e}");
}

#[test]
fn lots_must_add_up_to_their_summary() {
    let header = "ClientAccountID,Symbol,Quantity,MarkPrice,PositionValue,CostBasisMoney,LevelOfDetail,OpenDateTime\n";
    let ok = format!(
        "{header}U1,VTI,30.5,10,305,250,SUMMARY,\nU1,VTI,10.25,10,102.5,120,LOT,20240101;100000\nU1,VTI,20.25,10,202.5,130,LOT,20250101;100000\n"
    );
    let s = read(&ok).unwrap();
    assert_eq!(s.positions[0].lots.len(), 2);
    let short = format!(
        "{header}U1,XYZ,-30,10,-300,-250,SUMMARY,\nU1,XYZ,-10,10,-100,-120,LOT,20240101;100000\nU1,XYZ,-20,10,-200,-130,LOT,20250101;100000\n"
    );
    assert_eq!(read(&short).unwrap().positions[0].quantity, d("-30"));
    let missing = format!(
        "{header}U1,VTI,30,10,300,250,SUMMARY,\nU1,VTI,10,10,100,120,LOT,20240101;100000\n"
    );
    insta::assert_snapshot!(message(&missing), @"t.csv:2: VTI in account U1: the SUMMARY row holds 30 but its LOT rows (lines 3) hold 10; a lot row is missing or extra");
    let extra = format!(
        "{header}U1,VTI,30,10,300,250,SUMMARY,\nU1,VTI,10,10,100,120,LOT,20240101;100000\nU1,VTI,20,10,200,130,LOT,20250101;100000\nU1,VTI,5,10,50,50,LOT,20250201;100000\n"
    );
    let e = read(&extra).unwrap_err();
    assert!(
        matches!(&e, Error::LotsMismatch { line: 2, lot_lines, .. } if lot_lines == &[3, 4, 5]),
        "{e}"
    );
    // Two SUMMARY rows for one position.
    let twice = format!("{header}U1,VTI,30,10,300,250,SUMMARY,\nU1,VTI,30,10,300,250,SUMMARY,\n");
    insta::assert_snapshot!(message(&twice), @"t.csv:3: VTI in account U1 appears twice (first on line 2); a position has one SUMMARY row");
    // Lots without a summary are the position.
    let lots_only = format!(
        "{header}U1,VTI,10,10,100,120,LOT,20240101;100000\nU1,VTI,20,10,200,130,LOT,20250101;100000\n"
    );
    let s = read(&lots_only).unwrap();
    assert_eq!(s.positions[0].quantity, d("30"));
    assert_eq!(s.positions[0].value, d("300"));
}

#[test]
fn activity_statement_lots_are_checked_too() {
    let text = "\
Statement,Header,Field Name,Field Value
Statement,Data,Title,Activity Statement
Open Positions,Header,DataDiscriminator,Asset Category,Currency,Symbol,Open,Quantity,Mult,Cost Price,Cost Basis,Close Price,Value,Unrealized P/L,Code
Open Positions,Data,Summary,Stocks,EUR,EUNL,-,50,1,85.1,4255,92.4,4620,365,
Open Positions,Data,Lot,Stocks,EUR,EUNL,\"2023-05-02, 10:01:12\",30,,80,2400,92.4,2772,372,LT
Codes,Header,Code,Meaning
";
    let e = read(text).unwrap_err();
    assert!(
        matches!(&e, Error::LotsMismatch { line: 4, quantity, lot_total, .. } if *quantity == d("50") && *lot_total == d("30")),
        "{e}"
    );
}

#[test]
fn a_quote_never_closed_is_an_error_with_line_and_column() {
    insta::assert_snapshot!(
        message("Symbol,PositionValue,MarkPrice\nAAA,100,10\nBBB,100,\"10\n"),
        @"t.csv:3:9: this quote is never closed (the file is cut short, or a quote is missing)"
    );
    // The quote swallows every line after it; the error names where it opened.
    let e =
        read("Symbol,PositionValue,MarkPrice\nAAA,100,10\n\"BBB,100,10\nCCC,100,10\nDDD,100,10\n")
            .unwrap_err();
    assert!(
        matches!(
            e,
            Error::UnclosedQuote {
                line: 3,
                column: 1,
                ..
            }
        ),
        "{e}"
    );
    // Columns count characters, not bytes.
    let e = read("Symbol,Description,PositionValue,MarkPrice\nAAA,Société,100,\"10").unwrap_err();
    assert!(
        matches!(
            e,
            Error::UnclosedQuote {
                line: 2,
                column: 17,
                ..
            }
        ),
        "{e}"
    );
    // Activity Statements too.
    let e = read(
        "Statement,Header,Field Name,Field Value\nStatement,Data,Title,\"Activity Statement\n",
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            Error::UnclosedQuote {
                line: 2,
                column: 22,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn closed_quotes_are_fine_wherever_they_are() {
    // Doubled quotes, line breaks and commas inside quotes, a quote inside an unquoted field,
    // CRLF line ends and no final line end.
    let text = "\"Symbol\",\"Description\",\"PositionValue\",\"MarkPrice\"\r\n\"AAA\",\"5\"\" floppy, \r\nline two\",\"100\",\"10\"\r\nBBB,5\" disk,50,5";
    let s = read(text).unwrap();
    assert_eq!(s.positions.len(), 2);
    let s = read("Symbol,PositionValue,MarkPrice\nAAA,100,\"10\"").unwrap();
    assert_eq!(s.positions[0].price, d("10"));
}

#[test]
fn a_price_is_positive_whatever_the_quantity() {
    // The original tool's CSV: a negative price made a short position.
    insta::assert_snapshot!(
        message("Symbol,PositionValue,MarkPrice,FifoPnlUnrealized\nAAA,100,10,0\nBBB,-100,-10,0\n"),
        @r#"t.csv:3: column "MarkPrice": price must be positive, got -10 (a short position has a negative quantity, not a negative price)"#
    );
    // A real short: negative quantity and value, positive price.
    let s =
        read("Symbol,Quantity,MarkPrice,PositionValue,Side\nXYZ,-100,35.53,-3553,Short\n").unwrap();
    assert_eq!(s.positions[0].quantity, d("-100"));
    // A negative price on a short or a long, in every layout.
    for text in [
        "Symbol,Quantity,MarkPrice,PositionValue,Side\nXYZ,-100,-35.53,3553,Short\n",
        "Symbol,Quantity,MarkPrice\nXYZ,100,-1\n",
        "Symbol,Quantity,PositionValue\nXYZ,100,-100\n",
        "<FlexQueryResponse><OpenPosition symbol=\"XYZ\" position=\"-5\" markPrice=\"-2\"/></FlexQueryResponse>",
    ] {
        let e = read(text).unwrap_err();
        assert!(
            matches!(&e, Error::Parse { field, .. } if field == "MarkPrice"),
            "{text}: {e}"
        );
    }
    // Zero: an error for a stock, a worthless option is read.
    let e = read("Symbol,Quantity,MarkPrice,AssetClass\nXYZ,-100,0,STK\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.csv:2: column \"MarkPrice\": price must be positive, got 0"
    );
    let s =
        read("Symbol,Quantity,MarkPrice,AssetClass,Multiplier\nXYZ 261218C00260000,1,0,OPT,100\n")
            .unwrap();
    assert_eq!(s.positions[0].value, Decimal::ZERO);
}

#[test]
fn a_household_symbol_has_one_price() {
    // Merged at two prices, the holding's value would not be its quantity times its price.
    let s =
        read("ClientAccountID,Symbol,Quantity,MarkPrice\nU1,VTI,10,250\nU2,VTI,5,25\n").unwrap();
    let all = pbal_ibkr::AccountSelection::All;
    let e = s
        .to_holdings(&all, &std::collections::BTreeSet::new())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.csv:3: column \"MarkPrice\": VTI is priced 25 here and 250 in account U1"
    );
    let s = read("ClientAccountID,Symbol,Quantity,MarkPrice\nU1,VTI,10,250\nU2,VTI,5,250.00\n")
        .unwrap();
    let h = s
        .to_holdings(&all, &std::collections::BTreeSet::new())
        .unwrap();
    assert_eq!(h.portfolio.get("VTI").unwrap().value, d("3750"));
}

/// Issue 24, item 7: a row that contradicts itself or lacks a figure is an error naming the
/// line and field, never read one way or the other.
#[test]
fn a_value_that_is_not_quantity_times_price_is_an_error() {
    let header = "\"Symbol\",\"CurrencyPrimary\",\"Quantity\",\"MarkPrice\",\"PositionValue\",\"Multiplier\"\n";
    let row = |q: &str, p: &str, v: &str, m: &str| {
        format!("{header}\"VTI\",\"USD\",\"{q}\",\"{p}\",\"{v}\",\"{m}\"\n")
    };
    insta::assert_snapshot!(message(&row("100", "10", "500", "1")), @r#"t.csv:2: column "PositionValue": 500 is not Quantity × MarkPrice (100 × 10 = 1000): the row contradicts itself"#);
    insta::assert_snapshot!(message(&row("-2", "0.4982", "-9.96", "100")), @r#"t.csv:2: column "PositionValue": -9.96 is not Quantity × MarkPrice × Multiplier (-2 × 0.4982 × 100 = -99.64): the row contradicts itself"#);
    // Rounding: IBKR rounds the value to the cent; a rounded mark may be 0.01% off.
    assert!(read(&row("3", "0.3333", "1", "1")).is_ok());
    assert!(read(&row("7", "1.234567", "8.64", "1")).is_ok());
    assert!(read(&row("10000", "3.858", "38583.86", "1")).is_ok()); // 38580 + 0.01% + 0.01
    assert!(read(&row("10000", "3.858", "38583.87", "1")).is_err());
    // JPY has no minor unit: one yen of rounding.
    let jpy = |v: &str| format!("{header}\"7203\",\"JPY\",\"3\",\"0.5\",\"{v}\",\"1\"\n");
    assert!(read(&jpy("2")).is_ok());
    assert!(read(&jpy("3")).is_err());
}

#[test]
fn a_blank_value_or_quantity_is_an_error_not_nothing_held() {
    let header = "\"Symbol\",\"Quantity\",\"MarkPrice\",\"PositionValue\"\n";
    insta::assert_snapshot!(message(&format!("{header}\"VTI\",\"100\",\"10\",\"\"\n")), @r#"t.csv:2: column "PositionValue": blank while Quantity is 100: the position's value is missing"#);
    insta::assert_snapshot!(message(&format!("{header}\"VTI\",\"\",\"10\",\"1000\"\n")), @r#"t.csv:2: column "Quantity": blank while PositionValue is 1000: the position's quantity is missing"#);
    // The original tool's layout has no quantity: a blank value there is missing too.
    insta::assert_snapshot!(message("Symbol,PositionValue,MarkPrice,FifoPnlUnrealized\nVTI,,250.5,10\n"), @r#"t.csv:2: column "PositionValue": blank: the position's value is missing"#);
    // A closed position (quantity 0) may have no value.
    assert!(read(&format!("{header}\"VTI\",\"0\",\"10\",\"\"\n")).is_ok());
}
