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
