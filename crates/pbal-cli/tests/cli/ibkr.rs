//! IBKR exports through the CLI: `pbal positions`, accounts, cash, currencies, wash sales.

use crate::common::{Pbal, fixture};

fn f(name: &str) -> String {
    fixture(name).display().to_string()
}

#[test]
fn positions_json_has_the_documented_shape() {
    let pbal = Pbal::new();
    let (code, stdout, stderr) = pbal.run(&[
        "positions",
        &f("flex/header-trailer.csv"),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["base_currency"], "USD");
    assert_eq!(v["accounts"][0], "U3333333");
    let p = &v["positions"][0];
    for key in [
        "account",
        "symbol",
        "conid",
        "asset_class",
        "currency",
        "quantity",
        "price",
        "value",
        "value_base",
        "unrealized_pnl",
    ] {
        assert!(p.get(key).is_some(), "positions[0].{key}");
    }
    let lot = &p["lots"][0];
    for key in ["open_date", "quantity", "cost_basis", "unrealized_pnl"] {
        assert!(lot.get(key).is_some(), "lots[0].{key}");
    }
    assert_eq!(v["cash"][0]["currency"], "BASE");
    assert_eq!(v["cash"][0]["amount"], "4250.75");
    assert!(v["skipped"].is_array());
}

#[test]
fn positions_table_lists_skipped_rows() {
    let pbal = Pbal::new();
    let (code, stdout, _) = pbal.run(&["positions", &f("flex/activity-statement.csv")]);
    assert_eq!(code, 0);
    assert!(stdout.contains("Base currency: EUR"), "{stdout}");
    assert!(stdout.contains("forex balance"), "{stdout}");
}

#[test]
fn several_accounts_need_a_choice() {
    let pbal = Pbal::new();
    let file = f("flex/plain-two-accounts.csv");
    let (code, stdout, stderr) = pbal.run(&["plan", &file, "-c", "1000"]);
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("U1111111, U2222222") && stderr.contains("--account"),
        "{stderr}"
    );

    let (code, stdout, stderr) = pbal.run(&[
        "plan",
        &file,
        "--account",
        "U2222222",
        "-c",
        "available",
        "-f",
        "json",
        "--as-of",
        "2026-11-25",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["cash"]["available"], "250.00");
    assert_eq!(v["base_currency"], "EUR");

    let (code, stdout, stderr) = pbal.run(&[
        "plan",
        &file,
        "--all-accounts",
        "-c",
        "available",
        "-f",
        "json",
        "--as-of",
        "2026-11-25",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("OPT"), "the option is reported: {stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["cash"]["available"], "1760.90");
    // Trades show their own currency and price, and the base-currency equivalent.
    let trades = v["trades"].as_array().unwrap();
    let bnd = trades.iter().find(|t| t["symbol"] == "BND").unwrap();
    assert_eq!(bnd["currency"], "USD");
    assert_eq!(bnd["price"], "72.10");
    assert_eq!(bnd["price_base"], "66.332");
}

#[test]
fn a_recent_loss_sale_blocks_the_buy() {
    let pbal = Pbal::new();
    let file = f("flex/header-trailer.csv");
    let args = [
        "plan",
        &file,
        "-c",
        "available",
        "-f",
        "json",
        "--as-of",
        "2026-11-25",
    ];
    let (code, stdout, stderr) = pbal.run(&args);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        v["trades"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["symbol"] != "BND"),
        "{stdout}"
    );
    assert_eq!(v["wash_sale"][0]["kind"], "buy-after-loss-sale");
    assert_eq!(v["wash_sale"][0]["symbol"], "BND");
    // 31 days after the loss sale the buy is allowed again.
    let (_, stdout, _) = pbal.run(&[
        "plan",
        &file,
        "-c",
        "available",
        "-f",
        "csv",
        "--as-of",
        "2026-12-02",
    ]);
    assert!(stdout.contains("BND,BUY"), "{stdout}");
    // --wash-sale off ignores the trades.
    let (_, stdout, _) = pbal.run(&[
        "plan",
        &file,
        "-c",
        "available",
        "-f",
        "csv",
        "--as-of",
        "2026-11-25",
        "--wash-sale",
        "off",
    ]);
    assert!(stdout.contains("BND,BUY"), "{stdout}");
}

#[test]
fn lots_are_listed_for_sales() {
    let pbal = Pbal::new();
    let (code, stdout, stderr) = pbal.run(&[
        "plan",
        &f("flex/flex-statement.xml"),
        // The whole cash, so that the withdrawal sells: the export's cash would cover it.
        "--cash-total",
        "-1000",
        "--as-of",
        "2026-11-25",
        "--tax-rate-short",
        "37%",
        "--tax-rate-long",
        "20%",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("lot opened"), "{stdout}");
    assert!(stdout.contains("Realized (USD): short-term"), "{stdout}");
}

#[test]
fn every_layout_plans() {
    let pbal = Pbal::new();
    for file in [
        "flex/section-codes.csv",
        "flex/activity-statement.csv",
        "flex/flex-statement.xml",
        "flex/header-trailer.csv",
    ] {
        let (code, stdout, stderr) = pbal.run(&[
            "plan",
            &f(file),
            "-c",
            "available",
            "-f",
            "csv",
            "--as-of",
            "2026-11-25",
        ]);
        assert_eq!(code, 0, "{file}: {stderr}");
        assert!(stdout.starts_with("symbol,side"), "{file}: {stdout}");
    }
}

#[test]
fn a_blocked_buy_goes_to_its_substitute() {
    let pbal = Pbal::new();
    let file = f("flex/header-trailer.csv");
    // Targets: equal thirds, with BIV (not held) as BND's substitute.
    let targets = pbal.write(
        "targets.toml",
        "VTI = 33.34\nVXUS = 33.33\nBND = 33.33\n[BIV]\nweight = 0\nprice = 77.50\n\
         [substitutes]\nBND = [\"BIV\"]\n",
    );
    let targets = targets.display().to_string();
    let args = [
        "plan",
        &file,
        "-c",
        "available",
        "-t",
        &targets,
        "-f",
        "csv",
        "--as-of",
        "2026-11-25",
    ];
    let (code, stdout, stderr) = pbal.run(&args);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("BIV,BUY"), "{stdout}");
    assert!(!stdout.contains("BND,BUY"), "{stdout}");
    assert!(
        stderr.contains("BND was sold at a loss on 2026-11-01") && stderr.contains("go to BIV"),
        "{stderr}"
    );
    // The same table in its own file.
    let subs = pbal.write("subs.toml", "BND = [\"BIV\"]\n");
    let plain = pbal.write(
        "plain.toml",
        "VTI = 33.34\nVXUS = 33.33\nBND = 33.33\n[BIV]\nweight = 0\nprice = 77.50\n",
    );
    let (plain, subs) = (plain.display().to_string(), subs.display().to_string());
    let (code, stdout, stderr) = pbal.run(&[
        "plan",
        &file,
        "-c",
        "available",
        "-t",
        &plain,
        "--substitutes",
        &subs,
        "-f",
        "csv",
        "--as-of",
        "2026-11-25",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("BIV,BUY"), "{stdout}");
    // A substitute without a price is a clear error.
    let (code, _, stderr) = pbal.run(&[
        "plan",
        &file,
        "-c",
        "available",
        "-t",
        &plain,
        "--substitutes",
        &subs,
        "-f",
        "csv",
        "--as-of",
        "2026-11-25",
        "--wash-sale",
        "warn",
    ]);
    // Warn mode blocks no buy, so it has nothing to substitute.
    assert_eq!(code, 2, "{stderr}");
    insta::assert_snapshot!(stderr, @"error: --substitutes needs the wash-sale guard that blocks buys (--wash-sale block)");
    let bare = pbal
        .write("bare.toml", "BND = [\"NOPE\"]\n")
        .display()
        .to_string();
    let (code, _, stderr) = pbal.run(&[
        "plan",
        &file,
        "-c",
        "available",
        "-t",
        &plain,
        "--substitutes",
        &bare,
        "--as-of",
        "2026-11-25",
    ]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("NOPE, a substitute for BND, is neither held nor priced"),
        "{stderr}"
    );
}

#[test]
fn a_household_plan_lists_orders_per_account() {
    let pbal = Pbal::new();
    let file = f("flex/plain-two-accounts.csv");
    let (code, stdout, stderr) = pbal.run(&[
        "plan",
        &file,
        "--all-accounts",
        "-c",
        "available",
        "-s",
        "full",
        "-f",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let split = v["orders_by_account"].as_array().unwrap();
    assert!(!split.is_empty());
    for trade in v["trades"].as_array().unwrap() {
        let total: rust_decimal::Decimal = split
            .iter()
            .filter(|o| o["symbol"] == trade["symbol"] && o["side"] == trade["side"])
            .map(|o| {
                o["quantity"]
                    .as_str()
                    .unwrap()
                    .parse::<rust_decimal::Decimal>()
                    .unwrap()
            })
            .sum();
        assert_eq!(
            total.to_string(),
            trade["quantity"].as_str().unwrap(),
            "{trade}"
        );
    }
    let accounts: std::collections::BTreeSet<_> = split
        .iter()
        .map(|o| o["account"].as_str().unwrap())
        .collect();
    assert!(
        accounts
            .iter()
            .all(|a| ["U1111111", "U2222222"].contains(a))
    );
    // With the accounts' own cash, no account spends more than it has.
    for cash in v["cash_after_by_account"].as_object().unwrap().values() {
        assert!(!cash.as_str().unwrap().starts_with('-'), "{cash}");
    }
    // A single-account plan has no split.
    let (_, stdout, _) = pbal.run(&[
        "plan",
        &file,
        "--account",
        "U1111111",
        "-c",
        "available",
        "-f",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(v["orders_by_account"].is_null());
}

#[test]
fn positions_are_formatted_like_the_plan_without_empty_columns() {
    let pbal = Pbal::new();
    let (code, stdout, stderr) = pbal.run(&["positions", &f("flex/plain-two-accounts.csv")]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout);
    let (code, stdout, _) = pbal.run(&["positions", &f("positions-custom.csv")]);
    assert_eq!(code, 0);
    let header = stdout.lines().find(|l| l.starts_with("| Symbol")).unwrap();
    assert!(
        !header.contains("Account") && !header.contains("Currency"),
        "{header}"
    );
}

/// Positions left out of the plan are told one line per reason, not one line each.
#[test]
fn left_out_positions_are_grouped_by_reason() {
    let pbal = Pbal::new();
    let file = pbal.write(
        "mixed.csv",
        "Symbol,Quantity,MarkPrice,AssetClass\nVTI,10,250,STK\nAAA,-1,10,STK\nBBB,-2,10,STK\n\
         CCC,-3,10,STK\nVTI 261218C00260000,1,3.1,OPT\nEUR.USD,100,1.1,CASH\n",
    );
    let (code, _, stderr) = pbal.run(&["plan", file.to_str().unwrap(), "-c", "0"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stderr, @"
    note: cash: none (the file has no cash balances; -c AMOUNT plans with new cash)
    warning: AAA, BBB and CCC: short positions, left out of the plan
    warning: VTI 261218C00260000 (OPT) and EUR.USD (CASH): not stocks or funds, left out of the plan (name them in the targets to include them)
    ");

    // One of each: the singular sentences, as the library's Display gives them.
    let file = pbal.write(
        "one.csv",
        "Symbol,Quantity,MarkPrice,AssetClass\nVTI,10,250,STK\nAAA,-1,10,STK\nES,1,5000,FUT\n",
    );
    let (code, _, stderr) = pbal.run(&["plan", file.to_str().unwrap(), "-c", "0"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stderr, @"
    note: cash: none (the file has no cash balances; -c AMOUNT plans with new cash)
    warning: AAA: short position, left out of the plan
    warning: ES (FUT): not a stock or fund, left out of the plan (name it in the targets to include it)
    ");
}

/// `pbal positions` on files with nothing to list, a price over 1,000, a value without a rate,
/// and the original tool's CSV (no base currency, no accounts): no empty table or lines that
/// say nothing.
#[test]
fn positions_say_what_the_file_lacks_without_empty_output() {
    let pbal = Pbal::new();
    pbal.write(
        "cash.csv",
        "\"ClientAccountID\",\"CurrencyPrimary\",\"EndingCash\"\n\"U1\",\"BASE_SUMMARY\",\"-2563.46\"\n\"U1\",\"USD\",\"12.5\"\n",
    );
    let (code, stdout, stderr) = pbal.run(&["positions", "cash.csv"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout, @"
    Accounts: U1

    No positions in cash.csv.

    Cash:
      U1 base-currency summary -2,563.46
      U1 USD 12.50
    ");

    pbal.write(
        "rates.csv",
        "ClientAccountID,CurrencyPrimary,Symbol,Quantity,MarkPrice,PositionValue,FXRateToBase\n\
         U1,EUR,MUV2,9,1101.53,9913.77,1\n\
         U1,USD,ADP,21,240.48,5050.08,\n\
         U1,CAD,XYZ,1000,0.8125,812.5,0.68\n",
    );
    let (code, stdout, stderr) = pbal.run(&["positions", "rates.csv"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout, @"
    Base currency: EUR
    Accounts: U1

    3 positions read:
    | Account | Symbol | Currency | Quantity |    Price |    Value | Value EUR |
    |---------|--------|----------|----------|----------|----------|-----------|
    | U1      | MUV2   | EUR      |        9 | 1,101.53 | 9,913.77 |  9,913.77 |
    | U1      | ADP    | USD      |       21 |   240.48 | 5,050.08 |         ? |
    | U1      | XYZ    | CAD      |     1000 |   0.8125 |   812.50 |    552.50 |
    ? Value EUR unknown: no rate from USD to the base currency EUR in the file (`pbal plan` needs one)
    ");
    // The plan stops where the table shows "?".
    let (code, _, stderr) = pbal.run(&["plan", "rates.csv", "-c", "0"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("no rate from USD to the base currency EUR"),
        "{stderr}"
    );

    pbal.write(
        "original.csv",
        "Symbol,PositionValue,MarkPrice,FifoPnlUnrealized\nFTEC,15000.00,128.62,3343.96\nBRK.A,1468012.5,734006.25,1\n",
    );
    let (code, stdout, stderr) = pbal.run(&["positions", "original.csv"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout, @"
    2 positions read:
    | Symbol | Quantity |      Price |        Value | Unrealized |
    |--------|----------|------------|--------------|------------|
    | FTEC   | 116.6226 |     128.62 |    15,000.00 |   3,343.96 |
    | BRK.A  |        2 | 734,006.25 | 1,468,012.50 |       1.00 |
    ");
}
