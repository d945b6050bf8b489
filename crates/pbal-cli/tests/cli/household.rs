//! Household plans (`--all-accounts`): every output states what the per-account orders really
//! pay and leave (a split order pays a commission in each account), the CSV and the TWS
//! basket place each account's shares in that account, and each account converts its own
//! currency.

use rust_decimal::Decimal;

use crate::common::{Pbal, fixture};

fn two_accounts() -> String {
    fixture("flex/plain-two-accounts.csv").display().to_string()
}

/// The plan of the two-account fixture that splits 18 VWCE into 16 + 2, each paying the
/// EUR 3.00 minimum, with `--cash` and extra arguments.
fn household(pbal: &Pbal, cash: &str, more: &[&str]) -> (String, String) {
    let file = two_accounts();
    let mut args = vec![
        "plan",
        &file,
        "--all-accounts",
        "--cash",
        cash,
        "-s",
        "full",
        "--commission",
        "ibkr-fixed",
    ];
    args.extend_from_slice(more);
    let (code, stdout, stderr) = pbal.run(&args);
    assert_eq!(code, 0, "{stderr}");
    (stdout, stderr)
}

fn dec(v: &serde_json::Value) -> Decimal {
    v.as_str().expect("a decimal string").parse().unwrap()
}

#[test]
fn a_household_table_states_what_the_accounts_orders_pay() {
    let pbal = Pbal::new();
    let (stdout, _) = household(&pbal, "available", &[]);
    insta::assert_snapshot!(stdout);
}

#[test]
fn a_household_table_with_an_amount_states_what_the_accounts_orders_pay() {
    let pbal = Pbal::new();
    let (stdout, _) = household(&pbal, "5000", &[]);
    let cash_line = stdout.lines().find(|l| l.starts_with("Cash")).unwrap();
    insta::assert_snapshot!(cash_line, @"Cash EUR: in 6,760.90, spent 6,693.47, received 0.00, commission 4.84, left 62.59");
}

/// JSON `cash` agrees with the orders by account and the cash each account ends with, with
/// the accounts' own cash and with an amount shared out.
#[test]
fn household_json_cash_is_the_sum_of_the_accounts() {
    let pbal = Pbal::new();
    for cash in ["available", "5000"] {
        let (stdout, _) = household(&pbal, cash, &["-f", "json"]);
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let orders = v["orders_by_account"].as_array().unwrap();
        let commissions: Decimal = orders.iter().map(|o| dec(&o["commission_base"])).sum();
        let left: Decimal = v["cash_after_by_account"]
            .as_object()
            .unwrap()
            .values()
            .map(dec)
            .sum();
        let plan_commissions: Decimal = v["trades"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| dec(&t["commission_base"]))
            .sum();
        assert_eq!(
            dec(&v["cash"]["commission"]),
            commissions.round_dp(2),
            "{cash}"
        );
        assert_eq!(dec(&v["cash"]["left"]), left, "{cash}");
        assert_eq!(
            dec(&v["cash"]["commission_split_extra"]),
            (commissions - plan_commissions).round_dp(2),
            "{cash}"
        );
    }
    let (stdout, _) = household(&pbal, "available", &["-f", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    insta::assert_snapshot!(v["cash"].to_string(), @r#"{"available":"1760.90","commission":"7.84","commission_split_extra":"0.00","left":"46.076","received":"921.84","reserve":"0.00","spent":"2628.824","weight":"0.083694","weight_after":"0.002191"}"#);
    insta::assert_snapshot!(v["currencies_by_account"].to_string(), @r#"{"U1111111":{"EUR":{"after_orders":"-1327.00","buys":"1924.00","cash":"600.00","commissions":"3.00","convert":{"amount":"1327.00","from":[{"amount":"1327.00","currency":"USD","from_amount":"1442.40"}],"uncovered":"0.00"},"sells":"0.00"},"USD":{"after_orders":"1485.50","buys":"504.70","cash":"990.20","commissions":"2.00","sells":"1002.00"}},"U2222222":{"EUR":{"after_orders":"-243.50","buys":"240.50","cash":"0.00","commissions":"3.00","convert":{"amount":"243.50","from":[{"amount":"243.50","currency":"USD","from_amount":"264.68"}],"uncovered":"0.00"},"sells":"0.00"}}}"#);
}

#[test]
fn a_household_report_states_what_the_accounts_orders_pay() {
    let pbal = Pbal::new();
    let report = pbal.home.path().join("plan.html");
    let report = report.display().to_string();
    household(&pbal, "available", &["--report", &report]);
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(
        html.contains("<tr><td>commission (est.)</td><td>7.84</td></tr>"),
        "{html}"
    );
    assert!(
        html.contains("<tr><td>left</td><td>46.08</td></tr>"),
        "{html}"
    );
    // Which account places what, and converts what.
    assert!(
        html.contains(
            "<tr><td>U2222222</td><td class=\"buy\">BUY 2 VWCE</td><td>240.50 EUR</td></tr>"
        ),
        "{html}"
    );
    assert!(html.contains("<li>U2222222 EUR: buys 240.50"), "{html}");
}

#[test]
fn a_household_basket_places_each_account_s_shares_in_that_account() {
    let pbal = Pbal::new();
    let (stdout, _) = household(&pbal, "available", &["-f", "basket"]);
    insta::assert_snapshot!(stdout, @"
    Action,Quantity,Symbol,SecType,Exchange,Currency,TimeInForce,OrderType,Account,BasketTag
    SELL,4,VTI,STK,SMART/ARCA,USD,DAY,MKT,U1111111,pbal-77c7c5861d79
    BUY,7,BND,STK,SMART/NASDAQ,USD,DAY,MKT,U1111111,pbal-77c7c5861d79
    BUY,16,VWCE,STK,SMART/IBIS2,EUR,DAY,MKT,U1111111,pbal-77c7c5861d79
    BUY,2,VWCE,STK,SMART/IBIS2,EUR,DAY,MKT,U2222222,pbal-77c7c5861d79
    ");
    // Limit orders: see a_household_limit_basket_fits_each_accounts_cash_at_its_limits.
}

#[test]
fn a_household_csv_has_a_row_per_account_order() {
    let pbal = Pbal::new();
    let (stdout, _) = household(&pbal, "available", &["-f", "csv"]);
    insta::assert_snapshot!(stdout, @"
    account,symbol,side,quantity,price,amount,currency,amount_base,base_currency
    U1111111,VTI,SELL,4,250.50,1002.00,USD,921.84,EUR
    U1111111,BND,BUY,7,72.10,504.70,USD,464.32,EUR
    U1111111,VWCE,BUY,16,120.25,1924.00,EUR,1924.00,EUR
    U2222222,VWCE,BUY,2,120.25,240.50,EUR,240.50,EUR
    ");
}

/// 14 shares at 100 from 1,401.50 would need 2.00 of commissions (split 9 + 5 over the two
/// accounts, each order paying 1.00): the plan of the household counts each account's
/// commission and keeps each account within its own cash.
#[test]
fn a_household_whose_split_order_pays_two_commissions_keeps_each_account_within_its_cash() {
    let pbal = Pbal::new();
    let file = pbal.write(
        "two.csv",
        r#""ClientAccountID","CurrencyPrimary","FXRateToBase","AssetClass","Symbol","Quantity","MarkPrice","PositionValue","FifoPnlUnrealized","LevelOfDetail"
"U1","USD","1","STK","VTI","0","100","0","0","SUMMARY"
"U2","USD","1","STK","BND","0","100","0","0","SUMMARY"
"ClientAccountID","CurrencyPrimary","LevelOfDetail","EndingCash"
"U1","BASE_SUMMARY","BaseCurrency","1000"
"U2","BASE_SUMMARY","BaseCurrency","401.5"
"U1","USD","Currency","1000"
"U2","USD","Currency","401.5"
"#,
    );
    let targets = pbal.write("targets.toml", "VTI = 100\nBND = 0\n");
    let (code, stdout, stderr) = pbal.run(&[
        "plan",
        file.to_str().unwrap(),
        "--all-accounts",
        "--cash",
        "available",
        "--commission",
        "flat:1",
        "-t",
        targets.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stderr.contains("short") && !stdout.contains("short"),
        "{stderr}"
    );
    let from = stdout.find("Cash").unwrap();
    insta::assert_snapshot!(&stdout[from..], @"
    Cash USD: in 1,401.50, spent 1,300.00, received 0.00, commission 2.00, left 99.50
    Drift: 100.00% -> 7.11%   (half the sum of |weight - target| over assets and cash)
    Strategy buy-only: optimal over whole-share plans.

    Orders (1, sells first):
      BUY        13 VTI      @     100.00 USD = 1,300.00 (+ est. commission 2.00 USD)

    Orders by account (household plan):
      U1           BUY         9 VTI      = 900.00 USD
      U2           BUY         4 VTI      = 400.00 USD
      U1           cash left 99.00 USD
      U2           cash left 0.50 USD
    ");
}

/// One account's plan keeps its basket and CSV: no account column, a row per plan order.
#[test]
fn a_single_account_basket_and_csv_have_no_account() {
    let pbal = Pbal::new();
    let file = two_accounts();
    let run = |format: &str| {
        let (code, stdout, stderr) = pbal.run(&[
            "plan",
            &file,
            "--account",
            "U1111111",
            "--cash",
            "available",
            "-s",
            "full",
            "-f",
            format,
        ]);
        assert_eq!(code, 0, "{stderr}");
        stdout
    };
    insta::assert_snapshot!(run("basket"), @"
    Action,Quantity,Symbol,SecType,Exchange,Currency,TimeInForce,OrderType,BasketTag
    SELL,1,VTI,STK,SMART/ARCA,USD,DAY,MKT,pbal-78ad7fcefad6
    BUY,14,VWCE,STK,SMART/IBIS2,EUR,DAY,MKT,pbal-78ad7fcefad6
    ");
    insta::assert_snapshot!(run("csv"), @"
    symbol,side,quantity,price,amount,currency,amount_base,base_currency
    VTI,SELL,1,250.50,250.50,USD,230.46,EUR
    VWCE,BUY,14,120.25,1683.50,EUR,1683.50,EUR
    ");
}

/// Issue 19's case: two accounts with 1,500.50 and 3,200.25 of cash, equal targets over
/// BND/VTI/VXUS. The split after the plan left U7000002 27.25 short; the household plan keeps
/// each account within its own cash and never asks to move money between accounts.
#[test]
fn every_account_stays_within_its_own_cash() {
    let pbal = Pbal::new();
    let file = pbal.write(
        "two.csv",
        r#""ClientAccountID","CurrencyPrimary","FXRateToBase","AssetClass","Symbol","Quantity","MarkPrice","PositionValue","FifoPnlUnrealized","LevelOfDetail"
"U7000001","USD","1","STK","VTI","12","250","3000","100","SUMMARY"
"U7000001","USD","1","STK","BND","0","72.5","0","0","SUMMARY"
"U7000002","USD","1","STK","VTI","8","250","2000","50","SUMMARY"
"U7000002","USD","1","STK","VXUS","0","62.5","0","0","SUMMARY"
"ClientAccountID","CurrencyPrimary","LevelOfDetail","EndingCash"
"U7000001","BASE_SUMMARY","BaseCurrency","1500.50"
"U7000002","BASE_SUMMARY","BaseCurrency","3200.25"
"U7000001","USD","Currency","1500.50"
"U7000002","USD","Currency","3200.25"
"#,
    );
    let targets = pbal.write("targets.toml", "BND = 33.34\nVTI = 33.33\nVXUS = 33.33\n");
    let file = file.to_str().unwrap();
    let targets = targets.to_str().unwrap();
    for strategy in ["buy-only", "full"] {
        let (code, stdout, stderr) = pbal.run(&[
            "plan",
            file,
            "--all-accounts",
            "--cash",
            "available",
            "-t",
            targets,
            "-s",
            strategy,
            "-f",
            "json",
        ]);
        assert_eq!(code, 0, "{stderr}");
        assert!(
            !stderr.contains("short") && !stderr.contains("move"),
            "{stderr}"
        );
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        for (account, cash) in v["cash_after_by_account"].as_object().unwrap() {
            assert!(
                dec(cash) >= Decimal::ZERO,
                "{strategy}: {account} ends with {cash}"
            );
        }
        assert_eq!(v["optimal"], true, "{strategy}");
    }
    // A deposit of 100 goes into an account whose orders need it, and pbal says which.
    let (code, stdout, stderr) = pbal.run(&[
        "plan",
        file,
        "--all-accounts",
        "-c",
        "100",
        "-t",
        targets,
        "-f",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("note: deposit 100.00 into U700000"),
        "{stderr}"
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let parts = v["new_cash_by_account"].as_object().unwrap();
    assert_eq!(parts.values().map(dec).sum::<Decimal>(), Decimal::from(100));
}

/// An IRA (named with `--account-kind`) that buys a fund within 30 days after the taxable
/// account sold it at a loss: warned as a loss lost for good; blocked by default.
#[test]
fn an_ira_buy_after_a_taxable_loss_sale_is_told_or_blocked() {
    let pbal = Pbal::new();
    let export = pbal.write(
        "wash.csv",
        "ClientAccountID,Symbol,Quantity,MarkPrice,PositionValue\n\
         U1,AAA,0,100,0\n\
         U2,BBB,40,50,2000\n\
         ClientAccountID,CurrencyPrimary,EndingCash\n\
         U1,USD,1000\n\
         U2,USD,1000\n\
         ClientAccountID,Symbol,TradeDate,Buy/Sell,Quantity,TradePrice,FifoPnlRealized\n\
         U1,AAA,20261110,SELL,-10,100,-150\n",
    );
    let args = |wash: &'static str| {
        vec![
            "plan".to_owned(),
            export.to_str().unwrap().to_owned(),
            "--all-accounts".into(),
            "--account-kind".into(),
            "U2=tax-deferred".into(),
            "--as-of".into(),
            "2026-11-25".into(),
            "--wash-sale".into(),
            wash.into(),
        ]
    };
    let run = |wash| {
        let a = args(wash);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        pbal.run(&refs)
    };
    let (code, _, stderr) = run("warn");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(
            "U2 (tax-deferred) buys AAA within 30 days after its loss sale on 2026-11-10"
        ) && stderr.contains("Rev. Rul. 2008-5"),
        "{stderr}"
    );
    let (code, stdout, stderr) = run("block");
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("Rev. Rul."), "{stderr}");
    assert!(
        !stdout
            .lines()
            .any(|l| l.contains("BUY") && l.contains(" AAA")),
        "{stdout}"
    );
}

/// An account may be named by the export's AccountAlias wherever its id goes:
/// `--account-kind`, the config's `[accounts]`, `--cash-account`.
#[test]
fn accounts_are_named_by_id_or_by_the_exports_alias() {
    let pbal = Pbal::new();
    let export = fixture("flex/plain-two-accounts.csv");
    let export = export.to_str().unwrap();
    let plan = |more: &[&str]| {
        let args = [
            &["plan", export, "--all-accounts", "-c", "-500", "-f", "json"][..],
            more,
        ]
        .concat();
        let (code, stdout, stderr) = pbal.run(&args);
        assert_eq!(code, 0, "{more:?}: {stderr}");
        stdout
    };
    let by_id = plan(&["--account-kind", "U2222222=tax-deferred"]);
    assert_eq!(plan(&["--account-kind", "IRA=tax-deferred"]), by_id);
    let config = pbal.write("alias.toml", "[accounts]\nIRA = \"tax-deferred\"\n");
    assert_eq!(plan(&["--config", config.to_str().unwrap()]), by_id);
    // Not vacuous: the other account sheltered plans otherwise.
    assert_ne!(plan(&["--account-kind", "U1111111=tax-deferred"]), by_id);
    assert_eq!(
        plan(&["--cash-account", "IRA"]),
        plan(&["--cash-account", "U2222222"])
    );
    let (code, _, stderr) = pbal.run(&[
        "plan",
        export,
        "--all-accounts",
        "-c",
        "100",
        "--cash-account",
        "Roth",
    ]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("--cash-account Roth: not an account of the export"),
        "{stderr}"
    );
}

/// A fund's `location` in the targets file decides which account buys it when the plans are
/// otherwise equal (same objective, orders and tax): the bonds go to the IRA or to the taxable
/// account as asked, and the household's trades are the same either way.
#[test]
fn a_location_preference_places_a_fund_without_changing_the_plan() {
    let pbal = Pbal::new();
    // Each account can pay for either fund's 10 shares, and only for one of them.
    let export = pbal.write(
        "two.csv",
        "ClientAccountID,Symbol,Quantity,MarkPrice,PositionValue\n\
         U1,VTI,0,100,0\n\
         ClientAccountID,CurrencyPrimary,EndingCash\n\
         U1,USD,1000\n\
         U2,USD,1000\n",
    );
    let run = |location: &str| {
        let targets = pbal.write(
            "t.toml",
            &format!("VTI = 50\n[BND]\nweight = 50\nprice = 100\n{location}\n"),
        );
        let (code, stdout, stderr) = pbal.run(&[
            "plan",
            export.to_str().unwrap(),
            "--all-accounts",
            "--account-kind",
            "U2=tax-deferred",
            "-t",
            targets.to_str().unwrap(),
            "-f",
            "json",
        ]);
        assert_eq!(code, 0, "{stderr}");
        serde_json::from_str::<serde_json::Value>(&stdout).unwrap()
    };
    let bnd_buyer = |json: &serde_json::Value| -> Vec<(String, Decimal)> {
        json["orders_by_account"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["symbol"] == "BND")
            .map(|o| {
                (
                    o["account"].as_str().unwrap().to_owned(),
                    dec(&o["quantity"]),
                )
            })
            .collect()
    };
    let in_ira = run("location = \"tax-deferred\"");
    let in_taxable = run("location = \"taxable\"");
    assert_eq!(in_ira["trades"], in_taxable["trades"]);
    assert_eq!(bnd_buyer(&in_ira), [("U2".to_owned(), Decimal::from(10))]);
    assert_eq!(
        bnd_buyer(&in_taxable),
        [("U1".to_owned(), Decimal::from(10))]
    );
}

/// A household's limit-order basket: every account's orders fit its own cash even at their
/// limit prices (the plan is made with less cash where they would not), each row in its
/// account.
#[test]
fn a_household_limit_basket_fits_each_accounts_cash_at_its_limits() {
    let pbal = Pbal::new();
    let (code, stdout, stderr) = pbal.run(&[
        "plan",
        &two_accounts(),
        "--all-accounts",
        "-f",
        "basket",
        "--order-type",
        "lmt",
        "--limit-offset",
        "50",
        "--as-of",
        "2026-11-25",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("(each account's own)"), "{stderr}");
    // Both accounts' cash is in EUR, as are the orders here.
    let cash = [
        ("U1111111", Decimal::new(151_090, 2)),
        ("U2222222", Decimal::from(250)),
    ];
    let mut rows = 0;
    for (account, own) in cash {
        let spent: Decimal = stdout
            .lines()
            .skip(1)
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|f| f[9] == account)
            .map(|f| {
                rows += 1;
                assert_eq!(f[5], "EUR", "{stdout}");
                let amount = f[1].parse::<Decimal>().unwrap() * f[8].parse::<Decimal>().unwrap();
                if f[0] == "BUY" { amount } else { -amount }
            })
            .sum();
        assert!(
            spent <= own,
            "{account} spends {spent} of {own} at its limits:\n{stdout}"
        );
    }
    assert!(rows >= 2, "{stdout}");
}

/// `--allow-transfers`: the taxable accounts' cash pays orders together, with the transfer as
/// a line of its own before the orders; an IRA's cash never moves; without the flag no
/// transfer is planned.
#[test]
fn allowed_transfers_move_cash_between_taxable_accounts_only_where_the_orders_need_it() {
    let pbal = Pbal::new();
    let file = pbal.write(
        "three.csv",
        r#""ClientAccountID","CurrencyPrimary","FXRateToBase","AssetClass","Symbol","Quantity","MarkPrice","PositionValue","FifoPnlUnrealized","LevelOfDetail"
"U1","USD","1","STK","VTI","0","100","0","0","SUMMARY"
"U3","USD","1","STK","BND","10","100","1000","0","SUMMARY"
"ClientAccountID","CurrencyPrimary","LevelOfDetail","EndingCash"
"U1","BASE_SUMMARY","BaseCurrency","150"
"U2","BASE_SUMMARY","BaseCurrency","60"
"U3","BASE_SUMMARY","BaseCurrency","90"
"U1","USD","Currency","150"
"U2","USD","Currency","60"
"U3","USD","Currency","90"
"#,
    );
    let targets = pbal.write("targets.toml", "VTI = 50\nBND = 50\n");
    let run = |more: &[&str]| {
        let mut args = vec![
            "plan",
            file.to_str().unwrap(),
            "--all-accounts",
            "--cash",
            "available",
            "--account-kind",
            "U3=tax-deferred",
            "-t",
            targets.to_str().unwrap(),
        ];
        args.extend_from_slice(more);
        let (code, stdout, stderr) = pbal.run(&args);
        assert_eq!(code, 0, "{stderr}");
        (stdout, stderr)
    };
    let (own, _) = run(&[]);
    assert!(!own.contains("Transfers"), "{own}");
    assert!(own.contains("U1           BUY         1 VTI"), "{own}");
    let (pooled, _) = run(&["--allow-transfers"]);
    let from = pooled.find("Transfers").expect("a transfer line");
    insta::assert_snapshot!(&pooled[from..], @"
    Transfers between taxable accounts (--allow-transfers), before the orders:
      move 50.00 USD from U2 to U1

    Orders by account (household plan):
      U1           BUY         2 VTI      = 200.00 USD
      U1           cash left 0.00 USD
      U2           cash left 10.00 USD
      U3           cash left 90.00 USD
    ");
    let json: serde_json::Value =
        serde_json::from_str(&run(&["--allow-transfers", "-f", "json"]).0).unwrap();
    let transfers = json["transfers"].as_array().expect("transfers");
    assert_eq!(transfers.len(), 1);
    assert_eq!(transfers[0]["from"], "U2");
    assert_eq!(transfers[0]["to"], "U1");
    assert_eq!(dec(&transfers[0]["amount"]), Decimal::from(50));
    let after = &json["cash_after_by_account"];
    assert_eq!(dec(&after["U3"]), Decimal::from(90));
    for account in ["U1", "U2", "U3"] {
        assert!(dec(&after[account]) >= Decimal::ZERO, "{after}");
    }
    // The HTML report and stderr (for a basket, CSV or JSON user) say it too.
    let report = file.with_file_name("report.html");
    let report_arg = report.to_str().unwrap();
    let (_, stderr) = run(&["--allow-transfers", "-f", "basket", "--report", report_arg]);
    assert!(
        stderr.contains("move 50.00 from U2 to U1 before placing the orders"),
        "{stderr}"
    );
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("<li>move 50.00 from U2 to U1</li>"), "{html}");
    // Only with --all-accounts.
    let (code, _, stderr) = pbal.run(&["plan", file.to_str().unwrap(), "--allow-transfers"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("--all-accounts"), "{stderr}");
}
