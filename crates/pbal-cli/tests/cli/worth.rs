//! Orders worth their commission: with commissions a plan leaves out orders that cost more
//! than they bring their asset closer to its target, says so, and `--keep-costly-orders` (or
//! the config file's `keep_costly_orders`) keeps them.

use crate::common::Pbal;

/// Of 4,000: ABBV is 1.00 over its target, BND 160 under, COST 149 over (a share is 1,245),
/// cash 10 over. Selling one ABBV (100.00, commission 1.00) would fund one BND but leave ABBV
/// 99.00 under: it pays 1.00 to end 98.00 further from target.
fn near_target(pbal: &Pbal) -> (String, String) {
    let export = pbal.write(
        "positions.csv",
        "\"Symbol\",\"PositionValue\",\"MarkPrice\",\"FifoPnlUnrealized\"\n\
         \"ABBV\",\"1000.00\",\"100.00\",\"-0.02\"\n\
         \"BND\",\"500.00\",\"100.00\",\"12.00\"\n\
         \"COST\",\"2490.00\",\"1245.00\",\"300.00\"\n",
    );
    let targets = pbal.write("targets.toml", "ABBV = 24.975\nBND = 16.5\nCOST = 58.525\n");
    (export.display().to_string(), targets.display().to_string())
}

const NOTE: &str = "1 order whose commission exceeded what it did for the drift was left out \
                    (it would have paid 1.00); --keep-costly-orders keeps it.";

#[test]
fn a_full_plan_drops_a_one_share_sale_of_a_near_target_asset_and_says_so() {
    let pbal = Pbal::new();
    let (export, targets) = near_target(&pbal);
    let args = [
        "plan",
        &export,
        "-t",
        &targets,
        "-c",
        "10",
        "-s",
        "full",
        "--commission",
        "ibkr-fixed",
    ];
    let (code, stdout, stderr) = pbal.run(&args);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(NOTE), "{stdout}");
    assert!(stdout.contains("No orders: nothing to trade."), "{stdout}");
    assert!(!stdout.contains("SELL"), "{stdout}");

    let (code, json, stderr) = pbal.run(&[&args[..], &["-f", "json"]].concat());
    assert_eq!(code, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        json["notes"],
        serde_json::json!([{"kind": "costly-orders-left-out", "orders": 1, "commission": "1"}])
    );
    assert_eq!(json["trades"], serde_json::json!([]));
}

#[test]
fn keep_costly_orders_brings_the_sale_back() {
    let pbal = Pbal::new();
    let (export, targets) = near_target(&pbal);
    let args = [
        "plan",
        &export,
        "-t",
        &targets,
        "-c",
        "10",
        "-s",
        "full",
        "--commission",
        "ibkr-fixed",
    ];
    let (code, stdout, stderr) = pbal.run(&[&args[..], &["--keep-costly-orders"]].concat());
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("SELL        1 ABBV     @     100.00 = 100.00 (+ est. commission 1.00)"),
        "{stdout}"
    );
    assert!(stdout.contains("BUY         1 BND"), "{stdout}");
    assert!(!stdout.contains("left out"), "{stdout}");
    // The config file's switch means the same.
    pbal.write(".config/pbal/config.toml", "keep_costly_orders = true\n");
    let (code, from_config, stderr) = pbal.run(&args);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(from_config, stdout);
}

#[test]
fn without_commissions_nothing_is_left_out() {
    let pbal = Pbal::new();
    let (export, targets) = near_target(&pbal);
    let args = ["plan", &export, "-t", &targets, "-c", "10", "-s", "full"];
    let (code, stdout, stderr) = pbal.run(&args);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.contains("left out"), "{stdout}");
    let (_, kept, _) = pbal.run(&[&args[..], &["--keep-costly-orders"]].concat());
    assert_eq!(kept, stdout);
}
