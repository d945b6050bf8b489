//! Issue 11, items 3 and 4, through the real binary: a row that would be lost, lots that do
//! not add up, a quote never closed and a negative price stop the run (exit 1, nothing on
//! stdout) with the file, line and field.

use crate::common::Pbal;

/// Runs `args` on `file` (written to the temporary HOME, which is the working directory) and
/// returns stderr after checking the run failed cleanly.
fn fails(pbal: &Pbal, args: &[&str], file: &str, text: &str) -> String {
    pbal.write(file, text);
    let (code, stdout, stderr) = pbal.run(&[args, &[file]].concat());
    assert_eq!(code, 1, "{args:?} {file}: {stdout}{stderr}");
    assert_eq!(stdout, "", "{args:?} {file}");
    stderr
}

const ORIGINAL: &str = "Symbol,PositionValue,MarkPrice,FifoPnlUnrealized\n";

#[test]
fn a_symbol_twice_in_the_original_csv_is_not_dropped() {
    let pbal = Pbal::new();
    let text = format!(
        "{ORIGINAL}FTEC,15000.00,128.62,3343.96\nVAW,10000.00,180.51,893.39\nFTEC,5000.00,128.62,100\n"
    );
    let stderr = fails(&pbal, &["plan", "-c", "100"], "twice.csv", &text);
    insta::assert_snapshot!(stderr, @"error: twice.csv:4: FTEC appears twice (first on line 2); a position has one row (to list its tax lots, add the LevelOfDetail column to the Open Positions section)");
    assert_eq!(fails(&pbal, &["positions"], "twice.csv", &text), stderr);
}

#[test]
fn two_flex_rows_without_level_of_detail_name_both_lines() {
    let pbal = Pbal::new();
    let text = "\"ClientAccountID\",\"CurrencyPrimary\",\"Symbol\",\"Quantity\",\"MarkPrice\",\"PositionValue\"\n\
                \"U1\",\"USD\",\"VTI\",\"12\",\"250.5\",\"3006\"\n\
                \"U1\",\"USD\",\"BND\",\"40\",\"72.1\",\"2884\"\n\
                \"U1\",\"USD\",\"VTI\",\"3\",\"250.5\",\"751.5\"\n";
    let stderr = fails(&pbal, &["plan", "-c", "100"], "flex.csv", text);
    insta::assert_snapshot!(stderr, @"error: flex.csv:4: VTI in account U1 appears twice (first on line 2); a position has one row (to list its tax lots, add the LevelOfDetail column to the Open Positions section)");
}

#[test]
fn lots_that_do_not_add_up_to_the_position() {
    let pbal = Pbal::new();
    let text = "\"ClientAccountID\",\"CurrencyPrimary\",\"Symbol\",\"Quantity\",\"MarkPrice\",\"PositionValue\",\"CostBasisMoney\",\"LevelOfDetail\",\"OpenDateTime\"\n\
                \"U1\",\"USD\",\"VTI\",\"30\",\"250.5\",\"7515\",\"6903\",\"SUMMARY\",\"\"\n\
                \"U1\",\"USD\",\"VTI\",\"20\",\"250.5\",\"5010\",\"4200\",\"LOT\",\"20230315;101500\"\n\
                \"U1\",\"USD\",\"BND\",\"100\",\"72.1\",\"7210\",\"7400\",\"SUMMARY\",\"\"\n\
                \"U1\",\"USD\",\"BND\",\"100\",\"72.1\",\"7210\",\"7400\",\"LOT\",\"20250805;113000\"\n";
    let stderr = fails(&pbal, &["plan", "-c", "100"], "lots.csv", text);
    insta::assert_snapshot!(stderr, @"error: lots.csv:2: VTI in account U1: the SUMMARY row holds 30 but its LOT rows (lines 3) hold 20; a lot row is missing or extra");
}

#[test]
fn a_quote_never_closed_at_the_end_of_the_file() {
    let pbal = Pbal::new();
    let text = format!("{ORIGINAL}FTEC,15000.00,128.62,3343.96\nVAW,10000.00,\"180.51,893.39\n");
    let stderr = fails(&pbal, &["plan", "-c", "100"], "cut.csv", &text);
    insta::assert_snapshot!(stderr, @"error: cut.csv:3:14: this quote is never closed (the file is cut short, or a quote is missing)");
    assert_eq!(fails(&pbal, &["positions"], "cut.csv", &text), stderr);
}

#[test]
fn a_negative_price_is_not_a_short_position() {
    let pbal = Pbal::new();
    // Before: VAW became a short of 55.4 shares, was left out with a warning, and the plan of
    // the rest exited 0.
    let text = format!("{ORIGINAL}FTEC,15000.00,128.62,3343.96\nVAW,-10000.00,-180.51,893.39\n");
    let stderr = fails(&pbal, &["plan", "-c", "100"], "negative.csv", &text);
    insta::assert_snapshot!(stderr, @r#"error: negative.csv:3: column "MarkPrice": price must be positive, got -180.51 (a short position has a negative quantity, not a negative price)"#);

    // A Flex short with a negative price, and a zero price.
    let header = "\"Symbol\",\"Quantity\",\"MarkPrice\",\"PositionValue\",\"Side\"\n";
    let short = format!(
        "{header}\"VTI\",\"10\",\"250.5\",\"2505\",\"Long\"\n\"XYZ\",\"-100\",\"-35.53\",\"3553\",\"Short\"\n"
    );
    let stderr = fails(&pbal, &["positions"], "short.csv", &short);
    insta::assert_snapshot!(stderr, @r#"error: short.csv:3: column "MarkPrice": price must be positive, got -35.53 (a short position has a negative quantity, not a negative price)"#);
    let zero = format!("{header}\"VTI\",\"10\",\"0\",\"0\",\"Long\"\n");
    let stderr = fails(&pbal, &["plan", "-c", "100"], "zero.csv", &zero);
    insta::assert_snapshot!(stderr, @r#"error: zero.csv:2: column "MarkPrice": price must be positive, got 0"#);
}

/// Issue 24, item 1: a cut export is an error naming what is missing, never a plan of the rows
/// it has (exit 1, nothing on stdout), in every layout that can show it is whole.
#[test]
fn a_cut_export_is_refused_naming_what_is_missing() {
    let pbal = Pbal::new();
    let read = |name: &str| std::fs::read_to_string(crate::common::fixture(name)).unwrap();
    let lines = |text: &str, n: usize| text.lines().take(n).collect::<Vec<_>>().join("\n") + "\n";
    let flex = read("flex/header-trailer.csv");
    let stderr = fails(
        &pbal,
        &["plan", "-c", "1000", "-v"],
        "flex.csv",
        &lines(&flex, 12),
    );
    insta::assert_snapshot!(stderr, @"error: flex.csv:12: the file ends inside the Open Positions section (BOS on line 7), after 4 rows: no EOS/EOA/EOF trailer, so the file is cut short; download it again");
    let stderr = fails(&pbal, &["plan", "-c", "1000"], "flex.csv", &lines(&flex, 8));
    insta::assert_snapshot!(stderr, @"error: flex.csv:8: the file ends right after the Open Positions column header (line 8), with no rows and no EOS/EOA/EOF trailer: the file is cut short; download it again");
    let lost = flex.replace(
        "\"U3333333\",\"USD\",\"STK\",\"BND\",\"12340003\",\"NASDAQ\",\"40\",\"72.1\",\"2884\",\"2960\",\"-76\",\"LOT\",\"2025-11-03;15:59:59\"\n",
        "",
    );
    let stderr = fails(&pbal, &["positions"], "flex.csv", &lost);
    insta::assert_snapshot!(stderr, @"error: flex.csv:14: Open Positions has 5 of the 6 rows its EOS row announces: rows are missing (the file is cut or edited)");
    // An Activity Statement cut after the first of its holdings.
    let activity = read("flex/activity-statement.csv");
    let stderr = fails(
        &pbal,
        &["plan", "-c", "1000"],
        "activity.csv",
        &lines(&activity, 18),
    );
    insta::assert_snapshot!(stderr, @"error: activity.csv:18: the file ends inside the Open Positions section, without the closing sections an Activity Statement ends with (Codes, Notes/Legal Notes): the file is cut short; download the statement again");
    let xml = read("flex/flex-statement.xml");
    let stderr = fails(&pbal, &["plan", "-c", "1000"], "flex.xml", &lines(&xml, 12));
    insta::assert_snapshot!(stderr, @"error: flex.xml:12: the Flex XML ends before </FlexQueryResponse>, inside <OpenPositions>: the file is cut short; download it again");
}

/// Issue 24, item 6: files people really have.
#[test]
fn a_utf16_resave_reads_like_the_original() {
    let pbal = Pbal::new();
    let text = std::fs::read_to_string(crate::common::fixture("flex/multi-currency.csv")).unwrap();
    pbal.write("utf8.csv", &text);
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(pbal.write("utf16.csv", ""), bytes).unwrap();
    for args in [&["positions"][..], &["plan", "-c", "1000"]] {
        let utf8 = pbal.run(&[args, &["utf8.csv"]].concat());
        let utf16 = pbal.run(&[args, &["utf16.csv"]].concat());
        assert_eq!(utf8.0, 0, "{}", utf8.2);
        assert_eq!(
            utf16,
            (
                utf8.0,
                utf8.1.clone(),
                utf8.2.replace("utf8.csv", "utf16.csv")
            )
        );
    }
}

#[test]
fn a_semicolon_csv_and_a_bare_header_say_what_they_are() {
    let pbal = Pbal::new();
    let stderr = fails(
        &pbal,
        &["plan", "-c", "1000"],
        "semi.csv",
        "Symbol;PositionValue;MarkPrice;FifoPnlUnrealized\nVTI;25050,5;250,505;600\n",
    );
    insta::assert_snapshot!(stderr, @r#"error: semi.csv:1: the separator is `;`, not a comma (a re-save by a spreadsheet, whose numbers may then have decimal commas): use the file IBKR wrote, or save it as "CSV (comma delimited)" with `.` as the decimal point"#);
    let header = "\"ClientAccountID\",\"CurrencyPrimary\",\"Symbol\",\"Quantity\",\"MarkPrice\",\"PositionValue\"\n";
    let stderr = fails(&pbal, &["plan", "-c", "1000"], "header.csv", header);
    insta::assert_snapshot!(stderr, @"error: header.csv:1: the file ends right after the Open Positions column header: the section has a header and no rows, so the file is cut short; download it again");
}

/// Issue 24, item 7: a row that contradicts itself or lacks a figure stops the run.
#[test]
fn a_contradicting_or_blank_figure_stops_the_run() {
    let pbal = Pbal::new();
    let header = "\"Symbol\",\"Quantity\",\"MarkPrice\",\"PositionValue\",\"FifoPnlUnrealized\"\n";
    let text = format!(
        "{header}\"VTI\",\"100\",\"10\",\"500\",\"0\"\n\"BND\",\"50\",\"10\",\"500\",\"0\"\n"
    );
    let stderr = fails(
        &pbal,
        &["plan", "-s", "full", "-c", "0"],
        "twice.csv",
        &text,
    );
    insta::assert_snapshot!(stderr, @r#"error: twice.csv:2: column "PositionValue": 500 is not Quantity × MarkPrice (100 × 10 = 1000): the row contradicts itself"#);
    let text =
        format!("{header}\"VTI\",\"100\",\"10\",\"\",\"0\"\n\"BND\",\"50\",\"10\",\"500\",\"0\"\n");
    let stderr = fails(&pbal, &["plan", "-c", "1000"], "blank.csv", &text);
    insta::assert_snapshot!(stderr, @r#"error: blank.csv:2: column "PositionValue": blank while Quantity is 100: the position's value is missing"#);
    let text = format!("{header}\"VTI\",\"100\",\"10\"\n");
    let stderr = fails(&pbal, &["plan", "-c", "1000"], "short.csv", &text);
    insta::assert_snapshot!(stderr, @"error: short.csv:2: this row has 3 fields and its column header (line 1) has 5: PositionValue and FifoPnlUnrealized are missing (the row is cut short or edited)");
}

/// Issue 24, item 7: with no P&L or cost column the gain of a sale is unknown: said so, never
/// "realizes 0.00", and a gain cap that could not be checked is refused.
#[test]
fn a_gain_without_pnl_or_cost_is_unknown() {
    let pbal = Pbal::new();
    pbal.write(
        "nopnl.csv",
        "\"Symbol\",\"Quantity\",\"MarkPrice\",\"PositionValue\"\n\"VTI\",\"100\",\"250\",\"25000\"\n\"BND\",\"10\",\"70\",\"700\"\n",
    );
    let (code, stdout, stderr) = pbal.run(&["plan", "nopnl.csv", "-s", "full", "-c", "0"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(
            "SELL       49 VTI      @     250.00 = 12,250.00, realizes an unknown gain\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("Realized: unknown (no P&L, cost basis or lots for VTI: add FifoPnlUnrealized or CostBasisMoney to the export); estimated tax unknown\n"), "{stdout}");
    let (code, stdout, _) = pbal.run(&[
        "plan",
        "nopnl.csv",
        "-s",
        "full",
        "-c",
        "0",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["realized"]["short_term"], "unknown");
    assert_eq!(json["realized"]["estimated_tax"], "unknown");
    let sale = &json["trades"][0];
    assert_eq!(
        (
            &sale["side"],
            &sale["realized_pnl"],
            &sale["realized_short_term"]
        ),
        (&"SELL".into(), &serde_json::Value::Null, &"unknown".into())
    );
    let stderr = fails(
        &pbal,
        &["plan", "-s", "full", "-c", "0", "--max-realized-gain", "0"],
        "nopnl.csv",
        &std::fs::read_to_string(pbal.home.path().join("nopnl.csv")).unwrap(),
    );
    insta::assert_snapshot!(stderr, @"
    note: cash: none (the file has no cash balances; -c AMOUNT plans with new cash)
    error: cannot plan nopnl.csv: the realized gain of selling BND, VTI is unknown (no P&L, cost basis or tax lots), so a cap on realized gains cannot be kept; add FifoPnlUnrealized or CostBasisMoney to the export, or plan without --max-realized-gain
    ");
    // A cost basis column gives the P&L (value − cost): the gain is known again.
    pbal.write(
        "cost.csv",
        "\"Symbol\",\"Quantity\",\"MarkPrice\",\"PositionValue\",\"CostBasisMoney\"\n\"VTI\",\"100\",\"250\",\"25000\",\"20000\"\n\"BND\",\"10\",\"70\",\"700\",\"800\"\n",
    );
    let (code, stdout, stderr) = pbal.run(&["plan", "cost.csv", "-s", "full", "-c", "0"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("realizes 2,450.00 (est.)"), "{stdout}");
}
