//! `pbal plan`: output formats, the original tool's usage, errors and exit codes.

use crate::common::{Pbal, fixture};

fn readme_fixture() -> String {
    fixture("positions-custom.csv").display().to_string()
}

#[test]
fn readme_example_table() {
    let pbal = Pbal::new();
    let (code, stdout, stderr) = pbal.run(&["plan", &readme_fixture(), "--cash", "5000"]);
    assert_eq!(code, 0, "{stderr}");
    // The original tool's files have no cash balances: the amount is all the cash.
    assert_eq!(
        stderr,
        "note: cash: 5,000.00 of new cash (-c; the file has no cash balances)\n"
    );
    insta::assert_snapshot!(stdout, @r"
    | Symbol |  Price |     Value | Weight | Target | Trade |    Amount | Weight after |
    |--------|--------|-----------|--------|--------|-------|-----------|--------------|
    | FTEC   | 128.62 | 15,000.00 | 12.72% | 10.00% |       |           |       12.72% |
    | VAW    | 180.51 | 10,000.00 |  8.48% | 10.00% |       |           |        8.48% |
    | VCR    | 279.68 |  6,798.48 |  5.77% | 10.00% |   +10 |  2,796.80 |        8.14% |
    | VDC    | 192.75 |  8,000.00 |  6.79% | 10.00% |    +8 |  1,542.00 |        8.09% |
    | VHT    | 242.65 | 12,000.43 | 10.18% | 10.00% |       |           |       10.18% |
    | VIS    | 203.87 |  9,000.00 |  7.63% | 10.00% |    +2 |    407.74 |        7.98% |
    | VNQ    |  83.10 |  9,500.00 |  8.06% | 10.00% |    +3 |    249.30 |        8.27% |
    | VOX    | 105.39 |  9,500.14 |  8.06% | 10.00% |       |           |        8.06% |
    | VPU    | 140.63 | 13,000.99 | 11.03% | 10.00% |       |           |       11.03% |
    | VSMAX  |  94.73 | 20,100.44 | 17.05% | 10.00% |       |           |       17.05% |
    | (cash) |        |  5,000.00 |  4.24% |        |       | -4,995.84 |        0.00% |

    Cash: in 5,000.00, spent 4,995.84, received 0.00, commission 0.00, left 4.16
    Drift: 15.22% -> 10.98%   (half the sum of |weight - target| over assets and cash)
    Strategy buy-only: optimal over whole-share plans.

    Orders (4, sells first):
      BUY        10 VCR      @     279.68 = 2,796.80
      BUY         8 VDC      @     192.75 = 1,542.00
      BUY         2 VIS      @     203.87 = 407.74
      BUY         3 VNQ      @      83.10 = 249.30
    ");
}

#[test]
fn json_has_the_documented_shape() {
    let pbal = Pbal::new();
    let (code, stdout, stderr) = pbal.run(&[
        "plan",
        &readme_fixture(),
        "--cash",
        "5000",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(v["strategy"], "buy-only");
    assert_eq!(v["cash"]["available"], "5000.00");
    assert_eq!(v["cash"]["spent"], "4995.84");
    assert_eq!(v["cash"]["received"], "0.00");
    assert_eq!(v["cash"]["commission"], "0.00");
    assert_eq!(v["cash"]["left"], "4.16");
    let positions = v["positions"].as_array().unwrap();
    assert_eq!(positions.len(), 10);
    for key in [
        "symbol",
        "price",
        "quantity",
        "value",
        "weight",
        "target_weight",
        "trade_quantity",
        "value_after",
        "weight_after",
    ] {
        assert!(positions[0][key].is_string(), "positions[0].{key}");
    }
    let trades = v["trades"].as_array().unwrap();
    assert_eq!(trades.len(), 4);
    assert_eq!(trades[0]["symbol"], "VCR");
    assert_eq!(trades[0]["side"], "BUY");
    assert_eq!(trades[0]["quantity"], "10");
    assert_eq!(trades[0]["price"], "279.68");
    assert_eq!(trades[0]["amount"], "2796.80");
    assert!(v["drift_before"].is_string() && v["drift_after"].is_string());
}

#[test]
fn csv_lists_the_trades() {
    let pbal = Pbal::new();
    let (code, stdout, _) = pbal.run(&["plan", &readme_fixture(), "-c", "5000", "--format", "csv"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(stdout, @"
    symbol,side,quantity,price,amount,currency,amount_base,base_currency
    VCR,BUY,10,279.68,2796.80,,2796.80,
    VDC,BUY,8,192.75,1542.00,,1542.00,
    VIS,BUY,2,203.87,407.74,,407.74,
    VNQ,BUY,3,83.10,249.30,,249.30,
    ");
}

#[test]
fn the_original_command_line_still_works() {
    let pbal = Pbal::new();
    let file = readme_fixture();
    let (code, legacy, stderr) = pbal.run(&[
        &file,
        "-c",
        "5000",
        "-i",
        "2",
        "-s",
        "try_avoid_sell",
        "-f",
        "csv",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (_, modern, _) = pbal.run(&[
        "plan",
        &file,
        "--cash",
        "5000",
        "--min-trade",
        "100",
        "--format",
        "csv",
    ]);
    assert_eq!(legacy, modern);
    // -i 2 means no order under 100: the 2 VIS (407.74) stay, nothing below 100 appears.
    for line in legacy.lines().skip(1) {
        let amount: f64 = line.split(',').nth(4).unwrap().parse().unwrap();
        assert!(amount >= 100.0, "{line}");
    }
    let (code, stdout, _) = pbal.run(&[&file, "-c", "0", "-s", "hard_rebalance", "-f", "csv"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("SELL") && stdout.contains("BUY"),
        "{stdout}"
    );
}

#[test]
fn the_default_file_is_the_original_tools() {
    let pbal = Pbal::new();
    let (code, _, stderr) = pbal.run(&["-c", "100"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("[HOME]/Downloads/positions-custom.csv does not exist"),
        "{stderr}"
    );
    std::fs::create_dir(pbal.home.path().join("Downloads")).unwrap();
    std::fs::copy(
        fixture("positions-custom.csv"),
        pbal.home.path().join("Downloads/positions-custom.csv"),
    )
    .unwrap();
    let (code, stdout, stderr) = pbal.run(&["-c", "5000", "-f", "csv"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("VCR,BUY,10"), "{stdout}");
}

#[test]
fn a_withdrawal_sells_the_most_overweight() {
    let pbal = Pbal::new();
    let (code, stdout, stderr) =
        pbal.run(&["plan", &readme_fixture(), "--cash=-3000", "-f", "csv"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout, @"
    symbol,side,quantity,price,amount,currency,amount_base,base_currency
    VSMAX,SELL,32,94.73,3031.36,,3031.36,
    ");
}

#[test]
fn targets_file_with_an_unheld_symbol_and_an_exclusion() {
    let pbal = Pbal::new();
    let targets = pbal.write(
        "targets.toml",
        "VSMAX = 50\nVHT = 25\nexclude = [\"FTEC\", \"VAW\", \"VCR\", \"VDC\", \"VIS\", \"VNQ\", \"VOX\", \"VPU\"]\n[VXUS]\nweight = 25\nprice = 61.20\n",
    );
    let (code, stdout, stderr) = pbal.run(&[
        "plan",
        &readme_fixture(),
        "-c",
        "10000",
        "-t",
        targets.to_str().unwrap(),
        "-f",
        "csv",
    ]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout, @"
    symbol,side,quantity,price,amount,currency,amount_base,base_currency
    VSMAX,BUY,2,94.73,189.46,,189.46,
    VXUS,BUY,160,61.20,9792.00,,9792.00,
    ");
}

#[test]
fn bad_inputs_exit_1_with_file_line_and_field() {
    let pbal = Pbal::new();
    let bad = pbal.write(
        "bad.csv",
        "Symbol,PositionValue,MarkPrice,FifoPnlUnrealized\nAAA,100,10,0\nBBB,100,abc,0\n",
    );
    let (code, stdout, stderr) = pbal.run(&["plan", bad.to_str().unwrap(), "-c", "100"]);
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    assert!(stderr.contains("bad.csv:3"), "{stderr}");
    assert!(stderr.contains("MarkPrice"), "{stderr}");

    let zero = pbal.write("zero.csv", "Symbol,PositionValue,MarkPrice\nAAA,100,0\n");
    let (code, _, stderr) = pbal.run(&["plan", zero.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("zero.csv:2") && stderr.contains("MarkPrice"),
        "{stderr}"
    );

    let targets = pbal.write("t.toml", "FTEC = 60\nVAW = 30\n");
    let (code, _, stderr) = pbal.run(&["plan", &readme_fixture(), "-t", targets.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("sum to 90"), "{stderr}");

    let (code, _, stderr) = pbal.run(&["plan", &readme_fixture(), "--cash=-1000000"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr, @"
    note: cash: -1,000,000.00: a withdrawal to raise by selling (-c; the file has no cash balances)
    error: cannot plan [FIXTURES]/positions-custom.csv: cannot raise 1,000,000.00: selling everything allowed raises at most 112,302.39
    ");
}

#[test]
fn usage_errors_exit_2() {
    let pbal = Pbal::new();
    for args in [
        &["plan", "x.csv", "--cash", "NaN"][..],
        &["plan", "x.csv", "--strategy", "yolo"],
        &["plan", "x.csv", "--commission", "flat:-1"],
        &["plan", "x.csv", "--min-trade", "5", "-i", "2"],
        &["plan", "x.csv", "--time-limit", "0"],
        &["plan", "x.csv", "--time-limit", "soon"],
    ] {
        let (code, _, stderr) = pbal.run(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
    }
    let (code, stdout, _) = pbal.run(&["--help"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("plan"));
}

#[test]
fn output_file_is_written_whole() {
    let pbal = Pbal::new();
    let out = pbal.home.path().join("plan.json");
    let (code, stdout, _) = pbal.run(&[
        "plan",
        &readme_fixture(),
        "-c",
        "5000",
        "-f",
        "json",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert_eq!(stdout, "");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(v["cash"]["spent"], "4995.84");
    let leftovers: Vec<_> = std::fs::read_dir(pbal.home.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn commissions_count_against_the_cash() {
    let pbal = Pbal::new();
    let (code, stdout, _) = pbal.run(&[
        "plan",
        &readme_fixture(),
        "-c",
        "5000",
        "--commission",
        "ibkr-fixed",
        "-f",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let num = |k: &str| v["cash"][k].as_str().unwrap().parse::<f64>().unwrap();
    assert!(num("commission") >= 1.0);
    assert!(num("spent") + num("commission") <= 5000.0);
    assert!((num("left") - (5000.0 - num("spent") - num("commission"))).abs() < 1e-9);
}

/// Parses a basket back: (action, quantity, symbol, order type, limit) per order row.
fn parse_basket(text: &str) -> Vec<(String, String, String, String, Option<String>)> {
    let mut header: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for line in text.lines() {
        let fields: Vec<String> = line.split(',').map(str::to_owned).collect();
        if fields[0] == "Action" {
            header = fields;
            continue;
        }
        let get = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .map(|i| fields[i].clone())
        };
        rows.push((
            get("Action").unwrap(),
            get("Quantity").unwrap(),
            get("Symbol").unwrap(),
            get("OrderType").unwrap(),
            get("LmtPrice"),
        ));
        assert!(get("BasketTag").unwrap().starts_with("pbal-"));
        assert_eq!(get("TimeInForce").unwrap(), "DAY");
    }
    rows
}

#[test]
fn basket_round_trips_to_the_plan() {
    let pbal = Pbal::new();
    let file = readme_fixture();
    for (extra, order_type) in [
        (&[][..], "MKT"),
        (&["--order-type", "lmt", "--limit-offset", "20"][..], "LMT"),
    ] {
        let mut args = vec!["plan", file.as_str(), "-c", "0", "-s", "full", "-f"];
        // The order type is the basket's alone (on a JSON plan it is a usage error).
        let (_, json, _) = pbal.run(&[&args[..], &["json"]].concat());
        args.push("basket");
        let (code, basket, stderr) = pbal.run(&[&args[..], extra].concat());
        assert_eq!(code, 0, "{stderr}");
        assert!(stderr.contains("currency unknown, assumed USD"), "{stderr}");
        let plan: serde_json::Value = serde_json::from_str(&json).unwrap();
        let trades = plan["trades"].as_array().unwrap();
        let rows = parse_basket(&basket);
        assert_eq!(rows.len(), trades.len());
        let first_buy = rows.iter().position(|r| r.0 == "BUY").unwrap();
        assert!(
            rows[first_buy..].iter().all(|r| r.0 == "BUY"),
            "sells come first"
        );
        for (row, trade) in rows.iter().zip(trades) {
            assert_eq!(row.0, trade["side"].as_str().unwrap());
            assert_eq!(row.1, trade["quantity"].as_str().unwrap());
            assert_eq!(row.2, trade["symbol"].as_str().unwrap());
            assert_eq!(row.3, order_type);
            assert_eq!(row.4.is_some(), order_type == "LMT");
        }
    }
}

#[test]
fn bands_trade_only_what_is_outside() {
    let pbal = Pbal::new();
    let file = readme_fixture();
    // 5/25 on ten 10% targets: ±2.5 pp. FTEC (13.3%), VSMAX (17.8%), VCR (6.0%) and VDC (7.1%)
    // are outside; the other six stay untouched.
    let (code, stdout, stderr) = pbal.run(&["plan", &file, "-s", "bands", "-f", "csv"]);
    assert_eq!(code, 0, "{stderr}");
    let symbols: Vec<&str> = stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(symbols, ["FTEC", "VSMAX", "VCR", "VDC"], "{stdout}");
    // Wide bands: nothing outside, nothing to do, exit 0.
    let (code, stdout, _) = pbal.run(&[
        "plan",
        &file,
        "-s",
        "bands",
        "--band-abs",
        "10%",
        "--band-rel",
        "100%",
    ]);
    assert_eq!(code, 0);
    assert!(stdout.contains("No asset is outside its band"), "{stdout}");
}

#[cfg(not(feature = "live"))]
#[test]
fn live_commands_explain_how_to_get_them() {
    let pbal = Pbal::new();
    for command in ["trade", "status", "cancel"] {
        let (code, stdout, stderr) = pbal.run(&[command, "--yes", "--account", "DU1"]);
        assert_eq!(code, 1, "{command}");
        assert_eq!(stdout, "");
        assert!(stderr.contains("--features live"), "{stderr}");
    }
}

/// `--commission ibkr-fixed` charges each order its market's fixed rate (US per share, Canada
/// per share, Europe 0.05% with a EUR 3 minimum), shown in the order's currency; the UK line has
/// no verified rate and says so.
/// A market without a verified schedule (a Swiss line) is named in one warning, and its
/// orders carry no commission rather than a guessed one.
#[test]
fn ibkr_fixed_warns_for_a_market_without_a_verified_rate() {
    let pbal = Pbal::new();
    let (stdout, stderr) = full_ibkr_fixed_plan_with(
        &pbal,
        r#""GBP","1.17","STK","ETF","VUSA","VANGUARD S&P 500 UCITS","12340007","LSE""#,
        r#""CHF","1.05","STK","ETF","VUSA","VANGUARD S&P 500 UCITS","12340007","EBS""#,
        &["--cash-total", "3000"],
    );
    assert_eq!(
        stderr.trim(),
        "note: cash: 3,000.00 EUR as the whole cash (--cash-total; the export's own 3,000.00 EUR \
         is not counted)\nwarning: VUSA has no IBKR fixed commission here: IBKR's fixed rate for Switzerland is \
         not verified; its orders are estimated without commission"
    );
    assert_eq!(commission_of(&stdout, "VUSA"), "0.00");
}

/// The multi-currency fixture with `from` replaced by `to`, planned `-s full --commission
/// ibkr-fixed -f json` with its targets: (stdout, stderr) of a successful run.
fn full_ibkr_fixed_plan_with(
    pbal: &Pbal,
    from: &str,
    to: &str,
    extra: &[&str],
) -> (String, String) {
    let export = std::fs::read_to_string(fixture("flex/multi-currency.csv"))
        .unwrap()
        .replace(from, to);
    assert!(export.contains(to));
    let file = pbal.write("edited.csv", &export).display().to_string();
    let targets = fixture("targets-multi-currency.toml").display().to_string();
    let mut args = vec![
        "plan",
        file.as_str(),
        "-s",
        "full",
        "-t",
        targets.as_str(),
        "--commission",
        "ibkr-fixed",
        "-f",
        "json",
    ];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = pbal.run(&args);
    assert_eq!(code, 0, "{stderr}");
    (stdout, stderr)
}

/// The JSON commission of the plan's order in `symbol` (which must be traded).
fn commission_of(stdout: &str, symbol: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(stdout).unwrap();
    v["trades"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["symbol"] == symbol)
        .unwrap_or_else(|| panic!("{symbol} is traded"))["commission"]
        .clone()
}

#[test]
fn ibkr_fixed_follows_each_market() {
    let pbal = Pbal::new();
    let file = fixture("flex/multi-currency.csv").display().to_string();
    let targets = fixture("targets-multi-currency.toml").display().to_string();
    let args = [
        "plan",
        file.as_str(),
        "-s",
        "full",
        "-t",
        targets.as_str(),
        "--commission",
        "ibkr-fixed",
        "--as-of",
        "2026-11-20",
        "--cash-total",
        "3000",
    ];
    let (code, stdout, stderr) = pbal.run(&args);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("ibkr_fixed_multi_currency_stdout", stdout);
    insta::assert_snapshot!("ibkr_fixed_multi_currency_stderr", stderr);
    // The JSON's commission per order is in the order's currency, as IBKR charges it, with
    // the base-currency amount the cash line counts beside it.
    let mut json_args = args.to_vec();
    json_args.extend(["-f", "json"]);
    let (code, stdout, stderr) = pbal.run(&json_args);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let commission = |symbol: &str| {
        let t = v["trades"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["symbol"] == symbol)
            .unwrap();
        (
            t["commission"].as_str().unwrap().to_owned(),
            t["commission_base"].as_str().unwrap().to_owned(),
        )
    };
    let both = |local: &str, base: &str| (local.to_owned(), base.to_owned());
    assert_eq!(commission("VTI"), both("1.00", "0.92")); // USD 1 minimum at 0.92
    assert_eq!(commission("VWCE"), both("3.00", "3.00")); // EUR 3 minimum, base
    assert_eq!(commission("XEQT"), both("1.53", "1.0404")); // CAD 0.01 × 153 at 0.68
    assert_eq!(commission("VUSA"), both("3.00", "3.51")); // GBP 3 minimum at 1.17
    // Each currency's needs count its commissions: CAD buys 4,773.60 + 1.53 with no CAD cash.
    let cad = &v["currencies"]["CAD"];
    assert_eq!(cad["commissions"], "1.53");
    assert_eq!(cad["after_orders"], "-4775.13");
    assert_eq!(cad["convert"]["amount"], "4775.13");
    // USD spares 2,208.80 after its own orders: the rest of CAD's need comes from EUR, so that
    // no conversion takes its source below zero.
    let sources = cad["convert"]["from"].as_array().unwrap();
    let field = |i: usize, key: &str| sources[i][key].as_str().unwrap().to_owned();
    assert_eq!(
        (field(0, "currency"), field(0, "from_amount")),
        ("USD".to_owned(), "2208.80".to_owned())
    );
    assert_eq!(field(1, "currency"), "EUR");
    let parts: rust_decimal::Decimal = (0..2)
        .map(|i| field(i, "amount").parse::<rust_decimal::Decimal>().unwrap())
        .sum();
    assert_eq!(parts.to_string(), "4775.13");
    assert_eq!(cad["convert"]["uncovered"], "0.00");
    assert_eq!(v["currencies"]["EUR"]["convert"], serde_json::Value::Null);
    let base_commissions: rust_decimal::Decimal = v["trades"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            t["commission_base"]
                .as_str()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    assert_eq!(base_commissions.to_string(), v["cash"]["commission"]);
}

/// A full plan on an export whose EUNL was sold at a loss 17 days ago: EUNL can be neither
/// bought nor usefully sold, so the plan balances the rest instead of selling VTI into cash.
#[test]
fn a_wash_sale_block_does_not_sell_into_cash() {
    let pbal = Pbal::new();
    let file = fixture("flex/activity-statement.csv").display().to_string();
    let (code, stdout, stderr) = pbal.run(&["plan", &file, "-s", "full", "--as-of", "2026-11-20"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.contains("SELL"), "{stdout}");
    assert!(
        stdout.contains("EUNL was sold at a loss on 2026-11-03: buying it before 2026-12-04")
            && stdout.contains("(1.62% instead of 50.00%)"),
        "{stdout}"
    );
}

/// An exchange outside the README's list gets no estimate and a warning naming it, even when
/// its currency has a schedule elsewhere (Helsinki trades in EUR, not on Xetra's terms).
#[test]
fn ibkr_fixed_warns_for_an_exchange_outside_the_list() {
    let pbal = Pbal::new();
    let (stdout, stderr) =
        full_ibkr_fixed_plan_with(&pbal, r#""12340002","IBIS2""#, r#""12340002","HEX""#, &[]);
    assert!(
        stderr.contains(
            "VWCE has no IBKR fixed commission here: no IBKR fixed rate is known for its market \
             (HEX, EUR)"
        ),
        "{stderr}"
    );
    assert_eq!(commission_of(&stdout, "VWCE"), "0.00");
}

/// A limit-order basket can fill at its limits: the plan is sized so that the orders fit the
/// cash even then, and says by how much it held back.
#[test]
fn a_limit_basket_fits_the_cash_at_its_limit_prices() {
    let pbal = Pbal::new();
    let (code, stdout, stderr) = pbal.run(&[
        "plan",
        &readme_fixture(),
        "-c",
        "5000",
        "-f",
        "basket",
        "--order-type",
        "lmt",
        "--limit-offset",
        "50",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let mut rows = csv::Reader::from_reader(stdout.as_bytes());
    let headers = rows.headers().unwrap().clone();
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (quantity, limit, action) = (at("Quantity"), at("LmtPrice"), at("Action"));
    let mut at_limits = rust_decimal::Decimal::ZERO;
    for row in rows.records() {
        let row = row.unwrap();
        assert_eq!(&row[action], "BUY");
        let q: rust_decimal::Decimal = row[quantity].parse().unwrap();
        let p: rust_decimal::Decimal = row[limit].parse().unwrap();
        at_limits += q * p;
    }
    assert!(at_limits > rust_decimal::Decimal::ZERO);
    assert!(
        at_limits <= rust_decimal::Decimal::from(5000),
        "the orders cost {at_limits} at their limits"
    );
    assert!(stderr.contains("planned with 20.90 less cash"), "{stderr}");
    // Market orders are planned with all the cash, as before.
    let (code, stdout, _) = pbal.run(&["plan", &readme_fixture(), "-c", "5000", "-f", "basket"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("BUY,8,VDC"), "{stdout}");
}
