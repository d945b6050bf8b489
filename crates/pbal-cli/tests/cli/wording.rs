//! Plan lines that say only what is so: no tax estimate without a rate, the lots advice only
//! with lots, prices grouped in order lines as in the tables, one naming of the file.

use crate::common::{Pbal, fixture};

fn export() -> String {
    fixture("positions-custom.csv").display().to_string()
}

#[test]
fn without_a_tax_rate_the_tax_is_not_estimated() {
    let pbal = Pbal::new();
    let (code, stdout, stderr) = pbal.run(&["plan", &export(), "-c", "-3000"]);
    assert_eq!(code, 0, "{stderr}");
    let realized = stdout.lines().find(|l| l.starts_with("Realized")).unwrap();
    assert!(
        realized.ends_with("; tax not estimated: no --tax-rate-short or --tax-rate-long given"),
        "{realized}"
    );
    assert!(!realized.contains("estimated tax"), "{realized}");
    let (code, stdout, _) = pbal.run(&["plan", &export(), "-c", "-3000", "--tax-rate-short", "30"]);
    assert_eq!(code, 0);
    let realized = stdout.lines().find(|l| l.starts_with("Realized")).unwrap();
    assert!(realized.contains(", estimated tax "), "{realized}");
}

#[test]
fn the_lots_advice_comes_only_with_lots() {
    let pbal = Pbal::new();
    // The original tool's CSV has no lots.
    let (code, stdout, _) = pbal.run(&["plan", &export(), "-c", "-3000"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("SELL"), "{stdout}");
    assert!(!stdout.contains("lot opened"), "{stdout}");
    assert!(!stdout.contains("Sales list the lots"), "{stdout}");
    // A Flex export at lot level lists them, and the advice follows.
    let lots = fixture("flex/plain-two-accounts.csv").display().to_string();
    let (code, stdout, stderr) = pbal.run(&["plan", &lots, "--account", "U1111111", "-c", "-3000"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("         lot opened "), "{stdout}");
    assert!(stdout.contains("Sales list the lots to close;"), "{stdout}");
}

#[test]
fn order_lines_group_thousands_like_the_tables() {
    let pbal = Pbal::new();
    let file = pbal.write(
        "big.csv",
        "Symbol,Quantity,MarkPrice,PositionValue\nBIG,10,1101.53,11015.30\nSMALL,100,12.5,1250\n",
    );
    let (code, stdout, stderr) = pbal.run(&["plan", file.to_str().unwrap(), "-c", "5000"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("| 1,101.53 |"), "{stdout}");
    let order = stdout
        .lines()
        .find(|l| l.contains("BUY") && l.contains("BIG"));
    if let Some(order) = order {
        assert!(order.contains("@   1,101.53 = "), "{order}");
    }
    let (_, stdout, _) = pbal.run(&["plan", file.to_str().unwrap(), "-c", "-5000", "-s", "full"]);
    let sale = stdout
        .lines()
        .find(|l| l.contains("SELL") && l.contains("BIG"))
        .unwrap();
    assert!(sale.contains("@   1,101.53 = "), "{sale}");
}

#[test]
fn an_export_without_positions_is_named_once() {
    let pbal = Pbal::new();
    let file = pbal.write(
        "cash.csv",
        "\"ClientAccountID\",\"CurrencyPrimary\",\"LevelOfDetail\",\"EndingCash\"\n\
         \"U1\",\"BASE_SUMMARY\",\"BaseCurrency\",\"100\"\n",
    );
    let (code, stdout, stderr) = pbal.run(&["plan", file.to_str().unwrap()]);
    assert_eq!((code, stdout.as_str()), (1, ""));
    insta::assert_snapshot!(stderr, @"error: [HOME]/cash.csv: the export holds no positions: give a targets file with a price for each fund to buy (`[VTI]`, `weight = 60`, `price = 250.50`)");
}
