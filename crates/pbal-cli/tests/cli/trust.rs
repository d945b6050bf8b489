//! Plans you can trust with real money: one regression test per wrong plan found on real and
//! realistic exports (issue 11), through the real binary.

use crate::common::{Pbal, fixture};
use rust_decimal::Decimal;

/// Two accounts whose Cash Report lists BASE for both, then USD for both (IBKR's by-currency
/// order): each account's cash must count once.
const TWO_ACCOUNTS_CASH_BY_CURRENCY: &str = r#""ClientAccountID","CurrencyPrimary","FXRateToBase","AssetClass","Symbol","Quantity","MarkPrice","PositionValue","FifoPnlUnrealized","LevelOfDetail"
"U1","USD","1","STK","VTI","10","250","2500","100","SUMMARY"
"U2","USD","1","STK","BND","40","75","3000","-50","SUMMARY"
"ClientAccountID","CurrencyPrimary","LevelOfDetail","EndingCash"
"U1","BASE_SUMMARY","BaseCurrency","1000"
"U2","BASE_SUMMARY","BaseCurrency","500"
"U1","USD","Currency","1000"
"U2","USD","Currency","500"
"#;

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).expect("one JSON object")
}

#[test]
fn household_cash_is_counted_once_whatever_the_row_order() {
    let pbal = Pbal::new();
    let file = pbal.write("two.csv", TWO_ACCOUNTS_CASH_BY_CURRENCY);
    let file = file.to_str().unwrap();
    let (code, stdout, stderr) = pbal.run(&[
        "plan",
        file,
        "--all-accounts",
        "--cash",
        "available",
        "-f",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v = json(&stdout);
    assert_eq!(v["cash"]["available"], "1500.00");
    let after = v["cash_after_by_account"].as_object().unwrap();
    for (account, cash) in after {
        let cash: f64 = cash.as_str().unwrap().parse().unwrap();
        assert!(cash >= 0.0, "{account} ends at {cash}");
    }
    // Each account spends at most its own cash.
    let spent = |account: &str| -> f64 {
        v["orders_by_account"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["account"] == account && o["side"] == "BUY")
            .map(|o| o["amount"].as_str().unwrap().parse::<f64>().unwrap())
            .sum()
    };
    assert!(spent("U1") <= 1000.0 && spent("U2") <= 500.0);
}

#[test]
fn household_cash_given_on_the_command_line_is_split_and_said() {
    let pbal = Pbal::new();
    let file = pbal.write("two.csv", TWO_ACCOUNTS_CASH_BY_CURRENCY);
    let file = file.to_str().unwrap();
    let (code, stdout, stderr) =
        pbal.run(&["plan", file, "--all-accounts", "-c", "100", "-f", "json"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stderr, @"
    note: cash: 1,600.00 USD = the export's own 1,500.00 USD + a deposit of 100.00 USD (-c adds to or takes from the cash already there; --cash-total 100 plans with that amount alone)
    note: deposit 100.00 into U2 (the plan chose the account; name one with --cash-account ID)
    ");
    let v = json(&stdout);
    for (account, cash) in v["cash_after_by_account"].as_object().unwrap() {
        assert!(
            !cash.as_str().unwrap().starts_with('-'),
            "{account} ends at {cash}"
        );
    }

    let (code, stdout, stderr) = pbal.run(&[
        "plan",
        file,
        "--all-accounts",
        "--cash-total",
        "600",
        "--cash-account",
        "U2",
        "-f",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    let v = json(&stdout);
    let orders = v["orders_by_account"].as_array().unwrap();
    assert!(!orders.is_empty());
    assert!(orders.iter().all(|o| o["account"] == "U2"), "{orders:?}");
    assert_eq!(v["cash_after_by_account"]["U1"], "0.00");

    let (code, _, stderr) = pbal.run(&[
        "plan",
        file,
        "--all-accounts",
        "-c",
        "600",
        "--cash-account",
        "U9",
    ]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("U9: not an account of the export (it has U1, U2)"),
        "{stderr}"
    );
}

#[test]
fn a_withdrawal_from_a_household_comes_out_of_the_accounts_that_sell() {
    let pbal = Pbal::new();
    let file = pbal.write("two.csv", TWO_ACCOUNTS_CASH_BY_CURRENCY);
    let (code, stdout, stderr) = pbal.run(&[
        "plan",
        file.to_str().unwrap(),
        "--all-accounts",
        // The whole cash: the accounts' own 1,500.00 would cover a withdrawal of 700.
        "--cash-total",
        "-700",
        "-f",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("withdraw 700.00 from"), "{stderr}");
    let v = json(&stdout);
    for (account, cash) in v["cash_after_by_account"].as_object().unwrap() {
        assert!(
            !cash.as_str().unwrap().starts_with('-'),
            "{account} ends at {cash}"
        );
    }
}

#[test]
fn among_equal_withdrawals_the_largest_loss_is_sold() {
    let pbal = Pbal::new();
    let file = pbal.write(
        "loss.csv",
        "Symbol,PositionValue,MarkPrice,FifoPnlUnrealized\n\
         AAA,10000,100,-1000\n\
         BBB,10000,100,-2000\n\
         CCC,10000,100,500\n",
    );
    let file = file.to_str().unwrap();
    let (code, stdout, stderr) = pbal.run(&["plan", file, "-c", "-100", "-f", "csv"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout, @r"
    symbol,side,quantity,price,amount,currency,amount_base,base_currency
    BBB,SELL,1,100.00,100.00,,100.00,
    ");
    // In steps of 0.0001 share, the extra step goes to the larger loss too.
    let (code, stdout, stderr) =
        pbal.run(&["plan", file, "-c", "-100", "--fractional", "-f", "csv"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout, @r"
    symbol,side,quantity,price,amount,currency,amount_base,base_currency
    AAA,SELL,0.3333,100.00,33.33,,33.33,
    BBB,SELL,0.3334,100.00,33.34,,33.34,
    CCC,SELL,0.3333,100.00,33.33,,33.33,
    ");
}

#[test]
fn fractional_withdrawals_with_a_commission_are_planned() {
    let pbal = Pbal::new();
    // One layout with lots and one commission each: the search is the slow part in a debug
    // build, and what failed here was the withdrawal's repair, not the layout.
    for (layout, commission) in [
        ("flex/section-codes.csv", "ibkr-fixed"),
        ("flex/plain-two-accounts.csv", "flat:1"),
    ] {
        let file = fixture(layout);
        {
            let (code, stdout, stderr) = pbal.run(&[
                "plan",
                file.to_str().unwrap(),
                "--all-accounts",
                "--fractional",
                "--commission",
                commission,
                "-c",
                "-2000",
                "-f",
                "json",
            ]);
            assert_eq!(code, 0, "{layout} {commission}: {stderr}");
            let v = json(&stdout);
            let left: f64 = v["cash"]["left"].as_str().unwrap().parse().unwrap();
            assert!(left >= 0.0, "{layout} {commission}: left {left}");
        }
    }
}

#[test]
fn orders_are_priced_in_their_own_currency_everywhere() {
    let pbal = Pbal::new();
    let file = pbal.write(
        "cad.csv",
        r#""ClientAccountID","CurrencyPrimary","FXRateToBase","AssetClass","Symbol","Quantity","MarkPrice","PositionValue","FifoPnlUnrealized"
"U1","CAD","0.73","STK","XEQT","100","32.10","3210","10"
"U1","USD","1","STK","VTI","20","250","5000","100"
"#,
    );
    let file = file.to_str().unwrap();
    let (code, stdout, stderr) = pbal.run(&["plan", file, "-c", "5000", "-f", "csv"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout, @r"
    symbol,side,quantity,price,amount,currency,amount_base,base_currency
    VTI,BUY,5,250.00,1250.00,USD,1250.00,USD
    XEQT,BUY,160,32.10,5136.00,CAD,3749.28,USD
    ");
    let (_, stdout, _) = pbal.run(&["plan", file, "-c", "5000"]);
    assert!(
        stdout.contains(
            "BUY       160 XEQT     @      32.10 CAD = 5,136.00 CAD (about 3,749.28 USD)"
        ),
        "{stdout}"
    );
    let (_, stdout, _) = pbal.run(&["plan", file, "-c", "5000", "-f", "json"]);
    let v = json(&stdout);
    let t = &v["trades"][1];
    assert_eq!(
        (&t["price"], &t["amount"], &t["currency"]),
        (&"32.10".into(), &"5136.00".into(), &"CAD".into())
    );
    assert_eq!(t["amount_base"], "3749.28");
}

#[test]
fn a_bare_number_in_a_percent_option_is_percent() {
    let pbal = Pbal::new();
    let file = pbal.write(
        "gain.csv",
        "Symbol,PositionValue,MarkPrice,FifoPnlUnrealized\nAAA,20000,100,10000\nBBB,10000,100,0\n",
    );
    let file = file.to_str().unwrap();
    let tax = |rate: &str| {
        let (code, stdout, stderr) = pbal.run(&[
            "plan",
            file,
            "-s",
            "full",
            "--tax-rate-short",
            rate,
            "-f",
            "json",
        ]);
        assert_eq!(code, 0, "{stderr}");
        json(&stdout)["realized"]["estimated_tax"].clone()
    };
    // Selling 50 AAA realizes 2,500: 1% of it is 25, whether written 1 or 1%.
    assert_eq!(tax("1"), "25.00");
    assert_eq!(tax("1%"), "25.00");
    assert_eq!(tax("0.5"), "12.50");
    let (code, _, stderr) = pbal.run(&["plan", file, "--band-abs", "-5"]);
    assert_eq!(code, 2);
    insta::assert_snapshot!(stderr, @r#"
    error: invalid value '-5' for '--band-abs <PCT>': "-5" must not be negative

    For more information, try '--help'.
    "#);
}

#[test]
fn plans_say_why_they_sell_and_what_optimal_means() {
    let pbal = Pbal::new();
    let file = pbal.write(
        "three.csv",
        "Symbol,PositionValue,MarkPrice,FifoPnlUnrealized\nAAA,12000,100,0\nBBB,10000,100,0\nCCC,8000,100,0\n",
    );
    let file = file.to_str().unwrap();
    let (code, stdout, stderr) = pbal.run(&["plan", file, "-s", "bands", "-c", "-500"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("Cash must be raised, so the bands are set aside"),
        "{stdout}"
    );
    assert!(
        stdout.contains("It sells because 500.00 must be raised"),
        "{stdout}"
    );
    let (code, stdout, stderr) = pbal.run(&["plan", file, "-c", "10", "--reserve", "300"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("It sells because 290.00 must be raised to keep the reserve of 300.00."),
        "{stdout}"
    );
    let (_, stdout, _) = pbal.run(&["plan", file, "-c", "1000", "--fractional"]);
    assert!(!stdout.contains("whole-share"), "{stdout}");
    assert!(
        stdout.contains("optimal over plans in steps of 0.0001 share"),
        "{stdout}"
    );
}

#[test]
fn an_account_with_only_cash_plans_its_first_purchase() {
    let pbal = Pbal::new();
    let file = pbal.write(
        "cash.csv",
        r#""ClientAccountID","CurrencyPrimary","LevelOfDetail","EndingCash"
"U1","BASE_SUMMARY","BaseCurrency","10000"
"U1","USD","Currency","10000"
"#,
    );
    let targets = pbal.write(
        "targets.toml",
        "[VTI]\nweight = 60\nprice = 250.50\n[BND]\nweight = 40\nprice = 72.10\n",
    );
    let (code, stdout, stderr) = pbal.run(&[
        "plan",
        file.to_str().unwrap(),
        "-t",
        targets.to_str().unwrap(),
        "-c",
        "available",
        "-f",
        "csv",
    ]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout, @r"
    symbol,side,quantity,price,amount,currency,amount_base,base_currency
    BND,BUY,55,72.10,3965.50,,3965.50,
    VTI,BUY,24,250.50,6012.00,,6012.00,
    ");
    let (code, _, stderr) = pbal.run(&["plan", file.to_str().unwrap(), "-c", "available"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("give a targets file"), "{stderr}");
}

#[test]
fn without_cash_an_export_with_a_cash_report_plans_its_cash_and_says_so() {
    let pbal = Pbal::new();
    let file = fixture("flex/flex-statement.xml");
    let (code, stdout, stderr) = pbal.run(&["plan", file.to_str().unwrap(), "-f", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let v = json(&stdout);
    let available = v["cash"]["available"].as_str().unwrap().to_owned();
    assert_ne!(available, "0.00");
    // The amount in the export's base currency, on stderr's first line.
    let note = stderr.lines().next().unwrap_or_default();
    insta::assert_snapshot!(note, @"note: cash: the export's own 5,120.34 USD (-c AMOUNT adds a deposit or, negative, a withdrawal; --cash-total AMOUNT plans with an amount instead)");
    // The original tool's files have no cash: 0, as before, and the line says so.
    let (code, stdout, stderr) = pbal.run(&[
        "plan",
        fixture("positions-custom.csv").to_str().unwrap(),
        "-f",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json(&stdout)["cash"]["available"], "0.00");
    assert_eq!(
        stderr,
        "note: cash: none (the file has no cash balances; -c AMOUNT plans with new cash)\n"
    );
}

/// An export's own cash is never replaced by `--cash` without a word: an amount moves money in
/// or out on top of it, `--cash-total` is the whole cash, and the first line says which.
#[test]
fn cash_on_the_command_line_moves_money_on_top_of_the_exports_cash() {
    let pbal = Pbal::new();
    // 5,120.34 USD of cash in the export.
    let file = fixture("flex/flex-statement.xml");
    let file = file.to_str().unwrap();
    let plan = |extra: &[&str]| {
        let mut args = vec!["plan", file, "-f", "json", "--as-of", "2026-11-25"];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = pbal.run(&args);
        assert_eq!(code, 0, "{stderr}");
        (
            json(&stdout),
            stderr.lines().next().unwrap_or_default().to_owned(),
        )
    };

    let available = |v: &serde_json::Value| -> Decimal {
        v["cash"]["available"].as_str().unwrap().parse().unwrap()
    };
    let (own, _) = plan(&["-c", "available"]);
    assert_eq!(available(&own).round_dp(2), Decimal::new(512_034, 2));
    // A withdrawal the cash covers sells nothing.
    let (v, first) = plan(&["-c", "-500"]);
    assert_eq!(available(&v), available(&own) - Decimal::from(500), "{v}");
    assert!(
        v["trades"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["side"] == "BUY"),
        "{v}"
    );
    insta::assert_snapshot!(first, @"note: cash: 4,620.34 USD = the export's own 5,120.34 USD - a withdrawal of 500.00 USD (-c adds to or takes from the cash already there; --cash-total -500 plans with that amount alone)");

    // A deposit adds to the cash already there.
    let (v, first) = plan(&["-c", "1000"]);
    assert_eq!(available(&v), available(&own) + Decimal::from(1000), "{v}");
    insta::assert_snapshot!(first, @"note: cash: 6,120.34 USD = the export's own 5,120.34 USD + a deposit of 1,000.00 USD (-c adds to or takes from the cash already there; --cash-total 1000 plans with that amount alone)");

    // No option at all is the export's cash.
    let (v, _) = plan(&[]);
    assert_eq!(available(&v), available(&own));

    // The whole cash, said as such: a withdrawal then sells.
    let (v, first) = plan(&["--cash-total", "-1000"]);
    assert_eq!(available(&v), Decimal::from(-1000), "{v}");
    assert!(
        v["trades"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["side"] == "SELL"),
        "{v}"
    );
    insta::assert_snapshot!(first, @"note: cash: -1,000.00 USD as the whole cash (--cash-total; the export's own 5,120.34 USD is not counted)");

    // Both at once is a usage error.
    let (code, _, stderr) = pbal.run(&["plan", file, "-c", "100", "--cash-total", "100"]);
    assert_eq!(code, 2, "{stderr}");
}

/// A household's accounts keep their own cash under an amount: a deposit named for one account
/// goes there on top of what each account has.
#[test]
fn a_household_amount_is_on_top_of_each_accounts_cash() {
    let pbal = Pbal::new();
    let file = pbal.write("two.csv", TWO_ACCOUNTS_CASH_BY_CURRENCY);
    let file = file.to_str().unwrap();
    let run = |cash: &[&str]| {
        let mut args = vec!["plan", file, "--all-accounts", "-f", "json"];
        args.extend_from_slice(cash);
        let (code, stdout, stderr) = pbal.run(&args);
        assert_eq!(code, 0, "{stderr}");
        json(&stdout)
    };
    let own = run(&[]);
    let on_top = run(&["-c", "600", "--cash-account", "U2"]);
    let available = |v: &serde_json::Value| -> Decimal {
        v["cash"]["available"].as_str().unwrap().parse().unwrap()
    };
    assert_eq!(available(&on_top), available(&own) + Decimal::from(600));
    for (account, cash) in on_top["cash_after_by_account"].as_object().unwrap() {
        assert!(
            !cash.as_str().unwrap().starts_with('-'),
            "{account} ends at {cash}"
        );
    }
    // A withdrawal the accounts' cash covers sells nothing.
    let withdrawal = run(&["-c", "-700"]);
    assert!(
        withdrawal["trades"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["side"] == "BUY"),
        "{withdrawal}"
    );
}

#[test]
fn a_multi_currency_plan_shows_prices_in_their_currency_and_what_each_currency_needs() {
    let pbal = Pbal::new();
    let (code, stdout, stderr) = pbal.run(&[
        "plan",
        fixture("flex/plain-two-accounts.csv").to_str().unwrap(),
        "--account",
        "U1111111",
        "-s",
        "full",
        "--as-of",
        "2026-11-25",
    ]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout);
}

#[test]
fn report_writes_a_self_contained_page_beside_the_plan() {
    let pbal = Pbal::new();
    let page = pbal.home.path().join("plan.html");
    let (code, stdout, stderr) = pbal.run(&[
        "plan",
        fixture("positions-custom.csv").to_str().unwrap(),
        "-c",
        "5000",
        "--report",
        page.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("Orders (4, sells first)"),
        "the table still prints"
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<td class=\"buy\">BUY 10 VCR</td>"), "{html}");
    assert!(!html.contains("<script") && !html.contains("https://"));
}

/// Bands trade only what is outside its band: when that leaves cash, the plan says how much
/// and which buy-only orders would invest it, in the table and in JSON.
#[test]
fn a_bands_plan_says_what_it_leaves_in_cash_and_how_to_invest_it() {
    let pbal = Pbal::new();
    // AAA far above its 25%, DDD far below; BBB and CCC below target but inside their bands.
    let file = pbal.write(
        "bands.csv",
        "Symbol,PositionValue,MarkPrice,FifoPnlUnrealized\n\
         AAA,5000,100,0\nBBB,2200,50,0\nCCC,2100,30,0\nDDD,700,20,0\n",
    );
    let file = file.to_str().unwrap();
    let (code, stdout, stderr) = pbal.run(&["plan", file, "-s", "bands"]);
    assert_eq!(code, 0, "{stderr}");
    let note = stdout
        .lines()
        .find(|l| l.starts_with("Bands trade only"))
        .unwrap_or_default();
    insta::assert_snapshot!(note, @"Bands trade only the assets outside their bands: 700.00 (7.00%) stays in cash after these orders. To invest it, a buy-only plan on the positions after them would buy 6 BBB and 13 CCC (690.00), leaving 10.00: run pbal plan -s buy-only once these orders have filled, or plan with -s full to trade every asset to its target now.");

    let (code, stdout, _) = pbal.run(&["plan", file, "-s", "bands", "-f", "json"]);
    assert_eq!(code, 0);
    let v = json(&stdout);
    let note = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "bands-leave-cash")
        .expect("the note");
    assert_eq!(note["left"], "700");
    let invest = note["invest"].as_array().unwrap();
    assert_eq!(invest.len(), 2);
    assert!(invest.iter().all(|t| t["side"] == "BUY"));

    // A full plan invests everything: no such note.
    let (_, stdout, _) = pbal.run(&["plan", file, "-s", "full"]);
    assert!(!stdout.contains("Bands trade only"), "{stdout}");
}

/// Issue 19's tie: three funds alike in price and weight, FOO 2,000 and BAR 1,000 at a loss. A
/// withdrawal of 1,000 sells one of them; the largest loss goes first (100 FOO realize -40,
/// 100 BAR only -20).
#[test]
fn a_withdrawal_among_equals_sells_the_largest_loss_first() {
    let pbal = Pbal::new();
    let file = pbal.write(
        "seed.csv",
        "Symbol,PositionValue,MarkPrice,FifoPnlUnrealized\nFOO,50000,10.00,-2000\nBAR,50000,10.00,-1000\nBUZ,50000,10.00,0\n",
    );
    let (code, stdout, stderr) = pbal.run(&[
        "plan",
        file.to_str().unwrap(),
        "-c",
        "-1000",
        "--min-trade",
        "1000",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("SELL      100 FOO"), "{stdout}");
    assert!(stdout.contains("realizes -40.00"), "{stdout}");
}
