//! Options and inputs that would be silently ignored or misread: options without effect,
//! negative numbers, a suspicious `--as-of`, targets files that mix fractions and percents.

use crate::common::{Pbal, fixture};

fn export() -> String {
    fixture("positions-custom.csv").display().to_string()
}

/// An option the run would ignore is a usage error naming what it needs, not a silent no-op.
#[test]
fn an_option_without_effect_says_what_it_needs() {
    let pbal = Pbal::new();
    let file = export();
    let two = fixture("flex/plain-two-accounts.csv").display().to_string();
    let mut seen = String::new();
    for args in [
        vec![file.as_str(), "-c", "100", "--order-type", "lmt"],
        vec![&file, "-c", "100", "-f", "basket", "--limit-offset", "50"],
        vec![&file, "-c", "100", "--limit-offset", "50"],
        vec![&file, "-c", "100", "--to", "edge"],
        vec![&file, "-c", "100", "--bands", "--to", "edge"],
        vec![&file, "-c", "100", "--band-abs", "3"],
        vec![&file, "-c", "100", "-s", "full", "--band-rel", "10"],
        vec![
            &file,
            "-c",
            "100",
            "--substitutes",
            "s.toml",
            "--wash-sale",
            "off",
        ],
        vec![&file, "-c", "100", "--token-env", "MY_TOKEN"],
        vec![
            &two,
            "--all-accounts",
            "--cash",
            "available",
            "--cash-account",
            "U2222222",
        ],
        vec![&two, "--all-accounts", "--cash-account", "U2222222"],
    ] {
        let mut full = vec!["plan"];
        full.extend(args);
        let (code, stdout, stderr) = pbal.run(&full);
        assert_eq!((code, stdout.as_str()), (2, ""), "{full:?}: {stderr}");
        seen.push_str(&stderr);
    }
    insta::assert_snapshot!(seen, @"
    error: --order-type needs --format basket (pbal plan writes orders only as a TWS basket)
    error: --limit-offset needs limit orders (--order-type lmt)
    error: --limit-offset needs --format basket --order-type lmt
    error: --to needs --strategy bands
    error: --to needs --strategy bands
    error: --band-abs needs bands (--strategy bands, or --bands)
    error: --band-rel needs bands (--strategy bands, or --bands)
    error: --substitutes needs the wash-sale guard that blocks buys (--wash-sale block)
    error: --token-env needs --flex-query ID
    error: --cash-account needs an amount in --cash or --cash-total (without one each account keeps its own cash)
    error: --cash-account needs an amount in --cash or --cash-total (without one each account keeps its own cash)
    ");
    // With what they need, they work.
    for args in [
        vec![
            file.as_str(),
            "-c",
            "100",
            "-f",
            "basket",
            "--order-type",
            "lmt",
            "--limit-offset",
            "50",
        ],
        vec![
            &file,
            "-c",
            "100",
            "-s",
            "bands",
            "--to",
            "edge",
            "--band-abs",
            "3",
        ],
        vec![&file, "-c", "100", "--bands", "--band-rel", "10"],
        vec![
            &two,
            "--all-accounts",
            "--cash",
            "100",
            "--cash-account",
            "U2222222",
        ],
    ] {
        let mut full = vec!["plan"];
        full.extend(args);
        let (code, _, stderr) = pbal.run(&full);
        assert_eq!(code, 0, "{full:?}: {stderr}");
    }
}

/// A setting from the config file or a PBAL_* variable that this run does not use is no
/// error (it is a default for other runs): `-v` says it is unused.
#[test]
fn an_unused_setting_from_config_or_env_is_only_a_note() {
    let pbal = Pbal::new();
    let file = export();
    pbal.write("c.toml", "band_abs = 3\n");
    let (code, _, stderr) = pbal.run(&["--config", "c.toml", "plan", &file, "-c", "100", "-q"]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    let (code, _, stderr) = pbal.run(&["--config", "c.toml", "plan", &file, "-c", "100", "-v"]);
    assert_eq!(code, 0, "{stderr}");
    let notes: String = stderr
        .lines()
        .filter(|l| l.contains("band"))
        .flat_map(|l| [l, "\n"])
        .collect();
    insta::assert_snapshot!(notes, @"
    note: band_abs = 3 (c.toml:1)
    note: --band-abs from the config file or environment is not used here: it needs bands (--strategy bands, or --bands)
    ");
    let (code, _, stderr) = pbal.run_with_env(
        &[("PBAL_BAND_REL", "10")],
        &["plan", &file, "-c", "100", "-v"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("--band-rel from the config file or environment is not used"),
        "{stderr}"
    );
}

/// A negative number where none makes sense says so (not clap's tip to write `-- -5`, which
/// would make -5 the file).
#[test]
fn a_negative_number_is_refused_as_negative() {
    let pbal = Pbal::new();
    let file = export();
    let mut seen = String::new();
    for (option, value) in [
        ("--limit-offset", "-5"),
        ("--time-limit", "-1"),
        ("--max-realized-gain", "-5"),
        ("--increment", "-1"),
        ("--min-trade", "-1"),
        ("--reserve", "-1"),
        ("--band-abs", "-1"),
        ("--tax-rate-short", "-1"),
    ] {
        let (code, stdout, stderr) = pbal.run(&["plan", &file, "-c", "100", option, value]);
        assert_eq!((code, stdout.as_str()), (2, ""), "{option}: {stderr}");
        let first = stderr.lines().next().unwrap_or_default();
        seen.push_str(first);
        seen.push('\n');
    }
    for (option, value) in [
        ("--initial", "-1"),
        ("--contribution", "-1"),
        ("--min-trade", "-1"),
    ] {
        let (code, _, stderr) = pbal.run(&["backtest", "prices.csv", option, value]);
        assert_eq!(code, 2, "{option}: {stderr}");
        seen.push_str(stderr.lines().next().unwrap_or_default());
        seen.push('\n');
    }
    insta::assert_snapshot!(seen, @r#"
    error: invalid value '-5' for '--limit-offset <BPS>': "-5" must not be negative
    error: invalid value '-1' for '--time-limit <SECONDS>': "-1" must not be negative
    error: invalid value '-5' for '--max-realized-gain <AMOUNT>': "-5" must not be negative
    error: invalid value '-1' for '--increment <N>': "-1" must not be negative
    error: invalid value '-1' for '--min-trade <AMOUNT>': "-1" must not be negative
    error: invalid value '-1' for '--reserve <AMOUNT>': "-1" must not be negative
    error: invalid value '-1' for '--band-abs <PCT>': "-1" must not be negative
    error: invalid value '-1' for '--tax-rate-short <PCT>': "-1" must not be negative
    error: invalid value '-1' for '--initial <AMOUNT>': "-1" must not be negative
    error: invalid value '-1' for '--contribution <AMOUNT>': "-1" must not be negative
    error: invalid value '-1' for '--min-trade <AMOUNT>': "-1" must not be negative
    "#);
}

/// Weights that sum to neither 1 nor 100 because fractions and percents are mixed say so.
#[test]
fn mixed_fractions_and_percents_get_a_hint() {
    let pbal = Pbal::new();
    let targets = pbal.write("t.toml", "FTEC = 0.5\nVAW = 50\n");
    let (code, _, stderr) = pbal.run(&[
        "plan",
        &export(),
        "-c",
        "100",
        "-t",
        targets.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr, @"error: [HOME]/t.toml: target weights sum to 50.5; they must sum to 100 (percent) or 1 (fractions); they seem to mix fractions and percents (FTEC = 0.5 reads as a fraction, VAW = 50 as a percent): write them all one way");
    // Without the mix, no hint.
    let targets = pbal.write("t2.toml", "FTEC = 60\nVAW = 30\n");
    let (code, _, stderr) = pbal.run(&[
        "plan",
        &export(),
        "-c",
        "100",
        "-t",
        targets.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(!stderr.contains("mix"), "{stderr}");
}

/// A 0% target for a symbol not held needs no price: there is nothing to do (said once).
#[test]
fn a_zero_target_not_held_is_ignored_with_a_warning() {
    let pbal = Pbal::new();
    let targets = pbal.write(
        "t.toml",
        "FTEC = 50\nVAW = 50\nZZZZ = 0\nYYYY = 0\nexclude = [\"VCR\", \"VDC\", \"VHT\", \"VIS\", \"VNQ\", \"VOX\", \"VPU\", \"VSMAX\"]\n",
    );
    let t = targets.to_str().unwrap();
    let (code, stdout, stderr) = pbal.run(&["plan", &export(), "-c", "1000", "-t", t, "-f", "csv"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.contains("ZZZZ"), "{stdout}");
    insta::assert_snapshot!(stderr, @"
    note: cash: 1,000.00 of new cash (-c; the file has no cash balances)
    warning: YYYY and ZZZZ have 0% targets and are not held: nothing to do, they are ignored
    ");
    // A weight above 0 still needs its price.
    let targets = pbal.write("t2.toml", "FTEC = 50\nVAW = 40\nZZZZ = 10\n");
    let (code, _, stderr) = pbal.run(&[
        "plan",
        &export(),
        "-c",
        "1000",
        "-t",
        targets.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("ZZZZ has a target but is not held; give its price"),
        "{stderr}"
    );
}

/// `--as-of` in the future, or before the export's report date, is told with what it moves.
#[test]
fn a_suspicious_as_of_is_told() {
    let pbal = Pbal::new();
    let mut seen = String::new();
    for (file, day) in [
        ("flex/activity-statement.csv", "2030-01-01"),
        ("flex/activity-statement.csv", "2026-11-01"),
        ("flex/flex-statement.xml", "2026-11-01"),
        ("flex/header-trailer.csv", "2026-11-01"),
    ] {
        let file = fixture(file).display().to_string();
        let (code, _, stderr) = pbal.run(&["plan", &file, "-s", "full", "--as-of", day]);
        assert_eq!(code, 0, "{stderr}");
        seen.extend(
            stderr
                .lines()
                .filter(|l| l.contains("--as-of"))
                .map(|l| format!("{l}\n")),
        );
    }
    insta::assert_snapshot!(seen, @"
    warning: --as-of 2030-01-01 is in the future: holding periods (short- or long-term lots, and so the tax estimate) and the 30-day wash-sale windows are counted to that day
    warning: --as-of 2026-11-01 is before the export's report date 2026-11-20: holding periods (short- or long-term lots, and so the tax estimate) and the 30-day wash-sale windows are counted to that day, not to the day of its positions
    warning: --as-of 2026-11-01 is before the export's report date 2026-11-20: holding periods (short- or long-term lots, and so the tax estimate) and the 30-day wash-sale windows are counted to that day, not to the day of its positions
    warning: --as-of 2026-11-01 is before the export's report date 2026-11-20: holding periods (short- or long-term lots, and so the tax estimate) and the 30-day wash-sale windows are counted to that day, not to the day of its positions
    ");
    // On or after the report date, and not in the future: nothing to say.
    let file = fixture("flex/activity-statement.csv").display().to_string();
    let (_, _, stderr) = pbal.run(&["plan", &file, "--as-of", "2026-11-20"]);
    assert!(!stderr.contains("--as-of"), "{stderr}");
}

/// An Activity Statement without its exchange rates cannot get FXRateToBase (that is a Flex
/// Query column): the hint says what works for that kind of export.
#[test]
fn a_missing_rate_hint_fits_the_kind_of_export() {
    let pbal = Pbal::new();
    let text = std::fs::read_to_string(fixture("flex/activity-statement.csv")).unwrap();
    let cut: String = text
        .lines()
        .filter(|l| {
            !l.starts_with("Base Currency Exchange Rate") && !l.starts_with("Open Positions,Total")
        })
        .flat_map(|l| [l, "\n"])
        .collect();
    let file = pbal.write("activity.csv", &cut);
    let (code, _, stderr) = pbal.run(&["plan", file.to_str().unwrap(), "-c", "0"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr, @"error: [HOME]/activity.csv: no rate from USD to the base currency EUR (download the Activity Statement again whole, with its Base Currency Exchange Rate section and the Open Positions totals in the base currency, or use a Flex Query with FXRateToBase in Open Positions)");
    let flex = pbal.write(
        "flex.csv",
        "Symbol,Quantity,MarkPrice,CurrencyPrimary\nA,1,10,USD\nB,1,10,EUR\n",
    );
    let (code, _, stderr) = pbal.run(&["plan", flex.to_str().unwrap(), "-c", "0"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr, @"error: [HOME]/flex.csv: positions in EUR, USD and no way to convert them to one base currency (the export names none) (add FXRateToBase to the Flex Query's Open Positions section, or the Cash Report / Account Information)");
}

/// `pbal trade` shares the engine's options and the order type's: the same checks, before
/// anything reaches the gateway.
#[cfg(feature = "live")]
#[test]
fn trade_refuses_options_without_effect_and_negative_numbers() {
    let pbal = Pbal::new();
    let mut seen = String::new();
    for args in [
        &["trade", "--limit-offset", "5"][..],
        &["trade", "--order-type", "mkt", "--to", "half"],
        &["trade", "--fill-timeout", "-1"],
        &["trade", "--request-timeout", "-1"],
        &["trade", "--max-order", "-1"],
    ] {
        let (code, _, stderr) = pbal.run(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        seen.push_str(stderr.lines().next().unwrap_or_default());
        seen.push('\n');
    }
    insta::assert_snapshot!(seen, @r#"
    error: --limit-offset needs limit orders (--order-type lmt)
    error: --to needs --strategy bands
    error: invalid value '-1' for '--fill-timeout <SECONDS>': "-1" must not be negative
    error: invalid value '-1' for '--request-timeout <SECONDS>': "-1" must not be negative
    error: invalid value '-1' for '--max-order <AMOUNT>': "-1" must not be negative
    "#);
}
