//! A decimal comma is refused wherever pbal reads a number, with the text and what to write,
//! instead of being read as a thousands separator (`1500,50` was 150,050).

use crate::common::{Pbal, fixture};

fn export() -> String {
    fixture("positions-custom.csv").display().to_string()
}

/// The options: usage errors (exit 2) naming the option, the text and the fix.
#[test]
fn options_refuse_a_decimal_comma() {
    let pbal = Pbal::new();
    for (option, value, instead) in [
        ("--cash", "1500,50", "1500.50"),
        ("--reserve", "1,5", "1.5"),
        ("--commission", "flat:1,5", "1.5"),
        ("--tax-rate-short", "37,5", "37.5"),
    ] {
        let (code, stdout, stderr) = pbal.run(&["plan", &export(), option, value]);
        assert_eq!(
            (code, stdout.as_str()),
            (2, ""),
            "{option} {value}: {stderr}"
        );
        let text = value.trim_start_matches("flat:");
        assert!(
            stderr.contains(&format!("'{value}' for '{option}"))
                && stderr.contains(&format!("\"{text}\" looks like a decimal comma"))
                && stderr.contains(&format!(
                    "write {instead} if the comma is the decimal point"
                )),
            "{option} {value}: {stderr}"
        );
    }
    // Valid thousands groups still read as such.
    let (code, stdout, _) = pbal.run(&["plan", &export(), "--cash", "1,500.50"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("in 1,500.50"), "{stdout}");
    let (code, _, stderr) = pbal.run(&["plan", &export(), "--cash", "1,23,456"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("\"1,23,456\" looks like a decimal comma"),
        "{stderr}"
    );
}

#[test]
fn a_config_file_value_refuses_a_decimal_comma() {
    let pbal = Pbal::new();
    pbal.write(".config/pbal/config.toml", "reserve = \"1,5\"\n");
    let (code, stdout, stderr) = pbal.run(&["plan", &export()]);
    assert_ne!(code, 0);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("config.toml:1")
            && stderr.contains("\"1,5\" looks like a decimal comma")
            && stderr.contains("write 1.5"),
        "{stderr}"
    );
}

#[test]
fn a_targets_price_refuses_a_decimal_comma() {
    let pbal = Pbal::new();
    let targets = pbal.write(
        "t.toml",
        "FTEC = 10\nVAW = 10\nVCR = 10\nVDC = 10\nVHT = 10\nVIS = 10\nVNQ = 10\nVOX = 10\n\
         VPU = 10\nVSMAX = 5\n\n[VXUS]\nweight = 5\nprice = \"61,20\"\n",
    );
    let (code, stdout, stderr) = pbal.run(&["plan", &export(), "-t", targets.to_str().unwrap()]);
    assert_eq!((code, stdout.as_str()), (1, ""), "{stderr}");
    assert!(
        stderr.starts_with(
            "error: [HOME]/t.toml:12: VXUS: price: \"61,20\" looks like a decimal comma"
        ) && stderr.contains("write 61.20 if the comma is the decimal point"),
        "{stderr}"
    );
}

#[test]
fn an_export_field_refuses_a_decimal_comma() {
    let pbal = Pbal::new();
    let file = pbal.write(
        "eu.csv",
        "\"Symbol\",\"CurrencyPrimary\",\"FXRateToBase\",\"Quantity\",\"MarkPrice\",\"PositionValue\"\n\
         \"VTI\",\"USD\",\"0,83654\",\"10\",\"250\",\"2500\"\n",
    );
    let (code, stdout, stderr) = pbal.run(&["plan", file.to_str().unwrap(), "-c", "100"]);
    assert_eq!((code, stdout.as_str()), (1, ""));
    insta::assert_snapshot!(stderr, @r#"error: [HOME]/eu.csv:2: column "FXRateToBase": "0,83654" looks like a decimal comma; pbal reads "." as the decimal point and "," only between groups of three digits (1,234.56): write 0.83654 if the comma is the decimal point"#);
}
