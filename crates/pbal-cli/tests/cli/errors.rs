//! Errors that say what to do: each names the problem once and the fix.

use crate::common::{Pbal, fixture};

fn export() -> String {
    fixture("positions-custom.csv").display().to_string()
}

#[test]
fn a_missing_file_is_reported_once() {
    let pbal = Pbal::new();
    let (code, stdout, stderr) = pbal.run(&["plan", "nowhere.csv"]);
    assert_eq!((code, stdout.as_str()), (1, ""));
    insta::assert_snapshot!(stderr, @"error: cannot read nowhere.csv: no such file");
    let (_, _, positions) = pbal.run(&["positions", "nowhere.csv"]);
    assert_eq!(positions, stderr);
    // The common file errors in plain words, without the system's error number.
    let (code, _, stderr) = pbal.run(&["plan", "/"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr, @"error: cannot read /: a directory, not a file");
    let (code, _, stderr) = pbal.run(&["plan", &export(), "-o", "no/dir/plan.csv"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr, @"
    note: cash: none (the file has no cash balances; -c AMOUNT plans with new cash)
    error: cannot write no/dir/plan.csv: the directory no/dir does not exist
    ");
}

#[test]
fn a_header_without_the_needed_columns_says_which() {
    let pbal = Pbal::new();
    let file = pbal.write("holdings.csv", "Ticker,Shares,Cost\nVTI,10,2000\n");
    let (code, _, stderr) = pbal.run(&["plan", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr, @"error: [HOME]/holdings.csv:1: the header lacks Symbol, Quantity, MarkPrice and PositionValue: pbal needs Symbol and two of Quantity, MarkPrice and PositionValue; found Ticker, Shares, Cost (the original tool's header is Symbol,PositionValue,MarkPrice,FifoPnlUnrealized)");

    // Two known columns make it a header, but not of positions: still which columns are
    // missing, not "no open positions found".
    let file = pbal.write("hdr2.csv", "Ticker,PositionValue,MarkPrice\nAAA,10,1\n");
    let (code, stdout, stderr) = pbal.run(&["plan", file.to_str().unwrap(), "-c", "1"]);
    assert_eq!((code, stdout.as_str()), (1, ""));
    insta::assert_snapshot!(stderr, @"error: [HOME]/hdr2.csv:1: the header lacks Symbol: pbal needs Symbol and two of Quantity, MarkPrice and PositionValue; found Ticker, PositionValue, MarkPrice (the original tool's header is Symbol,PositionValue,MarkPrice,FifoPnlUnrealized)");
    let file = pbal.write("hdr3.csv", "Symbol,PositionValue\nAAA,10\n");
    let (code, _, stderr) = pbal.run(&["positions", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr, @"error: [HOME]/hdr3.csv:1: the header lacks Quantity or MarkPrice: pbal needs Symbol and two of Quantity, MarkPrice and PositionValue; found Symbol, PositionValue (the original tool's header is Symbol,PositionValue,MarkPrice,FifoPnlUnrealized)");
}

#[test]
fn a_duplicate_targets_key_is_named() {
    let pbal = Pbal::new();
    let targets = pbal.write("t.toml", "FTEC = 60\nVAW = 20\nFTEC = 20\n");
    let (code, _, stderr) = pbal.run(&["plan", &export(), "-t", targets.to_str().unwrap()]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr, @"error: [HOME]/t.toml:3: duplicate key `FTEC` (first set on line 1): each key may appear once");
}

#[test]
fn a_toml_syntax_error_names_the_key_and_what_to_write() {
    let pbal = Pbal::new();
    let file = export();
    let mut seen = Vec::new();
    for text in [
        "FTEC = \n",
        "FTEC = 60\nVAW = twenty\n",
        "FTEC = 60\n[VAW\n",
    ] {
        let targets = pbal.write("t.toml", text);
        let (code, _, stderr) = pbal.run(&["plan", &file, "-t", targets.to_str().unwrap()]);
        assert_eq!(code, 1, "{stderr}");
        seen.push(stderr);
    }
    let subs = pbal.write("s.toml", "VTI = \n");
    let (code, _, stderr) = pbal.run(&["plan", &file, "--substitutes", subs.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    seen.push(stderr);
    pbal.write("bad7.toml", "strategy = \n");
    let (code, _, stderr) = pbal.run(&["--config", "bad7.toml", "config"]);
    assert_eq!(code, 1, "{stderr}");
    seen.push(stderr);
    insta::assert_snapshot!(seen.concat(), @r#"
    error: [HOME]/t.toml:1: `FTEC` has no value: write FTEC = 20
    error: [HOME]/t.toml:2: `VAW`: twenty needs quotes (text in TOML is quoted); write e.g. VAW = 20
    error: [HOME]/t.toml:2: unclosed table, expected `]` in `[VAW`
    error: [HOME]/s.toml:1: `VTI` has no value: write VTI = ["ITOT", "SCHB"]
    error: bad7.toml:1: `strategy` has no value: write strategy = "full"
    "#);
}

#[test]
fn a_lowercase_target_gets_the_case_hint() {
    let pbal = Pbal::new();
    let targets = pbal.write(
        "t.toml",
        "FTEC = 50\nvaw = 50\nexclude = [\"VCR\", \"VDC\", \"VHT\", \"VIS\", \"VNQ\", \"VOX\", \"VPU\", \"VSMAX\"]\n",
    );
    let (code, _, stderr) = pbal.run(&["plan", &export(), "-t", targets.to_str().unwrap()]);
    assert_eq!(code, 1);
    // Not also "VAW is held but has no target": the error says it.
    insta::assert_snapshot!(stderr, @"error: [HOME]/t.toml: vaw has a target but is not held, and VAW is: symbols are case-sensitive, write VAW");
}

#[test]
fn a_29_digit_cash_is_too_large() {
    let pbal = Pbal::new();
    let (code, _, stderr) = pbal.run(&["plan", &export(), "-c", "99999999999999999999999999999"]);
    assert_eq!(code, 2);
    insta::assert_snapshot!(stderr, @r#"
    error: invalid value '99999999999999999999999999999' for '--cash <CASH>': "99999999999999999999999999999" is too large (at most 28 digits)

    For more information, try '--help'.
    "#);
}

/// Numbers in an export that are only too large say so, with the file, line and column, in
/// the words `--cash` uses; junk is still "not a number".
#[test]
fn a_too_large_number_in_an_export_is_too_large() {
    let pbal = Pbal::new();
    let header = "Symbol,Quantity,MarkPrice\n";
    for (name, quantity) in [("q29.csv", "9".repeat(29)), ("q19.csv", "9".repeat(19))] {
        let file = pbal.write(name, &format!("{header}AAA,{quantity},1\n"));
        let (code, stdout, stderr) = pbal.run(&["plan", file.to_str().unwrap(), "-c", "1"]);
        assert_eq!((code, stdout.as_str()), (1, ""));
        assert_eq!(
            stderr,
            format!(
                "error: [HOME]/{name}:2: column \"Quantity\": \"{quantity}\" is too large (at most 1,000,000,000,000)\n"
            )
        );
    }
    let file = pbal.write("junk.csv", &format!("{header}AAA,12x,1\n"));
    let (code, _, stderr) = pbal.run(&["positions", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr, @r#"error: [HOME]/junk.csv:2: column "Quantity": "12x" is not a number"#);
}

/// A number Decimal can hold but no portfolio has: named with the limit, not "overflow".
#[test]
fn cash_beyond_any_portfolio_is_too_large() {
    let pbal = Pbal::new();
    let (code, _, stderr) = pbal.run(&["plan", &export(), "-c", "99999999999999999999999"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr, @"
    note: cash: 99,999,999,999,999,999,999,999.00 of new cash (-c; the file has no cash balances)
    error: cannot plan [FIXTURES]/positions-custom.csv: the cash, 99999999999999999999999, is too large: pbal plans with amounts up to 10,000,000,000,000.00
    ");
}

#[test]
fn a_bad_as_of_says_how_to_write_a_date() {
    let pbal = Pbal::new();
    let (code, _, stderr) = pbal.run(&["plan", &export(), "--as-of", "2025-02-30"]);
    assert_eq!(code, 2);
    insta::assert_snapshot!(stderr, @r#"
    error: invalid value '2025-02-30' for '--as-of <DATE>': "2025-02-30" is not a day of the calendar

    For more information, try '--help'.
    "#);
    let (code, _, stderr) = pbal.run(&["plan", &export(), "--as-of", "31/03/2025"]);
    assert_eq!(code, 2);
    insta::assert_snapshot!(stderr, @r#"
    error: invalid value '31/03/2025' for '--as-of <DATE>': "31/03/2025" is not a date: write YYYY-MM-DD, e.g. 2025-03-31

    For more information, try '--help'.
    "#);
}

#[test]
fn backtest_usage_errors_exit_2() {
    let pbal = Pbal::new();
    let prices = fixture("prices/stocks.csv").display().to_string();
    let (code, _, stderr) = pbal.run(&["backtest", &prices, "--compare", "quarterly,weekly"]);
    assert_eq!(code, 2);
    insta::assert_snapshot!(stderr, @r#"
    error: invalid value 'weekly' for '--compare <LIST>': unknown policy "weekly": expected [STRATEGY-]SCHEDULE[:THRESHOLD]: a schedule (monthly, quarterly, semiannually, annually, bands or never), optionally prefixed by buy-only-, full- or bands-, and for a calendar schedule a threshold in percentage points (e.g. full-quarterly:5); bands:ABS/REL sets the bands (e.g. bands:5/25)

    For more information, try '--help'.
    "#);
    let (code, _, stderr) = pbal.run(&["backtest", &prices, "-r", "fortnightly"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = pbal.run(&["backtest", &prices, "--continuous", "-s", "buy-only"]);
    assert_eq!(code, 2);
    insta::assert_snapshot!(stderr, @"error: --continuous needs full rebalancing: use `-s full` or name full policies in --compare (e.g. full-quarterly), not `-s buy-only`");
    // The policy as the user named it.
    let (code, _, stderr) = pbal.run(&[
        "backtest",
        &prices,
        "--continuous",
        "--compare",
        "full-quarterly,annually",
    ]);
    assert_eq!(code, 2);
    insta::assert_snapshot!(stderr, @"error: --continuous needs full rebalancing: use `-s full` or name full policies in --compare (e.g. full-quarterly), not `annually` in --compare with `-s buy-only`");
    let (code, _, stderr) = pbal.run(&[
        "backtest",
        &prices,
        "--continuous",
        "-s",
        "full",
        "--commission",
        "flat:1",
    ]);
    assert_eq!(code, 2);
    insta::assert_snapshot!(stderr, @"error: --continuous cannot be used with --commission (exact weights have no costs)");
    // Threshold policies: exact weights need no contributions and trade to the target.
    let (code, _, stderr) = pbal.run(&[
        "backtest",
        &prices,
        "--continuous",
        "-s",
        "full",
        "-r",
        "quarterly:5",
        "--contribution",
        "100",
    ]);
    assert_eq!(code, 2);
    insta::assert_snapshot!(stderr, @"error: --continuous with a threshold policy (`-r quarterly:5`) cannot be used with --contribution");
    let (code, _, stderr) = pbal.run(&[
        "backtest",
        &prices,
        "--continuous",
        "-s",
        "full",
        "-r",
        "quarterly:5",
        "--to",
        "edge",
    ]);
    assert_eq!(code, 2);
    insta::assert_snapshot!(stderr, @"error: --continuous trades to the target: it cannot be used with --to edge (`-r quarterly:5`)");
    // A usage error is found before the prices are read.
    let (code, _, _) = pbal.run(&["backtest", "missing.csv", "--continuous"]);
    assert_eq!(code, 2);
}

/// pbal-ibkr says what is wrong; the CLI adds the flags that fix it.
#[test]
fn several_accounts_and_none_chosen_names_the_flags() {
    let pbal = Pbal::new();
    let file = fixture("flex/plain-two-accounts.csv");
    let (code, stdout, stderr) = pbal.run(&["plan", file.to_str().unwrap()]);
    assert_eq!((code, stdout.as_str()), (1, ""));
    insta::assert_snapshot!(stderr, @"error: [FIXTURES]/flex/plain-two-accounts.csv: 2 accounts in the file (U1111111, U2222222) and none selected; choose one with --account ID, or plan them together with --all-accounts");
}

/// pbal-core states the cap; the CLI names the option that sets it.
#[test]
fn a_realized_gain_cap_no_plan_keeps_names_the_flag() {
    let pbal = Pbal::new();
    let (code, _, stderr) = pbal.run(&[
        "plan",
        &export(),
        "-c",
        "-60000",
        "--max-realized-gain",
        "0",
    ]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr, @"
    note: cash: -60,000.00: a withdrawal to raise by selling (-c; the file has no cash balances)
    error: cannot plan [FIXTURES]/positions-custom.csv: no plan keeps realized gains within the cap of 0; raise --max-realized-gain
    ");
}
