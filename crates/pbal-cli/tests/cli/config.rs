//! The config file and `PBAL_*` variables: precedence, `pbal config`, errors.

use crate::common::{Pbal, fixture};

fn export() -> String {
    fixture("positions-custom.csv").display().to_string()
}

/// The plan's strategy as `--format json` reports it.
fn strategy(pbal: &Pbal, env: &[(&str, &str)], extra: &[&str]) -> String {
    let file = export();
    let mut args = vec!["plan", file.as_str(), "-c", "5000", "-f", "json"];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = pbal.run_with_env(env, &args);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    v["strategy"].as_str().unwrap().to_owned()
}

#[test]
fn flags_beat_env_beat_config_beat_defaults() {
    let pbal = Pbal::new();
    assert_eq!(strategy(&pbal, &[], &[]), "buy-only");
    pbal.write(".config/pbal/config.toml", "strategy = \"full\"\n");
    assert_eq!(strategy(&pbal, &[], &[]), "full");
    let env = [("PBAL_STRATEGY", "bands")];
    assert_eq!(strategy(&pbal, &env, &[]), "bands");
    assert_eq!(strategy(&pbal, &env, &["-s", "buy-only"]), "buy-only");
    assert_eq!(strategy(&pbal, &[], &["--strategy=buy-only"]), "buy-only");
}

#[test]
fn another_file_with_config_or_pbal_config() {
    let pbal = Pbal::new();
    pbal.write(".config/pbal/config.toml", "strategy = \"full\"\n");
    let other = pbal.write("other.toml", "strategy = \"bands\"\n");
    let other = other.to_str().unwrap();
    assert_eq!(strategy(&pbal, &[], &["--config", other]), "bands");
    assert_eq!(strategy(&pbal, &[("PBAL_CONFIG", other)], &[]), "bands");
    let (code, _, stderr) = pbal.run(&["--config", "missing.toml", "config"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr, @"error: cannot read missing.toml: no such file");
}

#[test]
fn the_config_supplies_the_export_targets_and_engine_settings() {
    let pbal = Pbal::new();
    pbal.write("t/targets.toml", "FTEC = 50\nVAW = 50\nexclude = [\"VCR\", \"VDC\", \"VHT\", \"VIS\", \"VNQ\", \"VOX\", \"VPU\", \"VSMAX\"]\n");
    pbal.write(
        ".config/pbal/config.toml",
        &format!(
            "export = {:?}\ntargets = \"../../t/targets.toml\"\nmin_trade = 1000\ncommission = \"flat:1\"\n",
            export()
        ),
    );
    let (code, stdout, stderr) = pbal.run(&["plan", "-c", "5000", "-f", "csv"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout, @"
    symbol,side,quantity,price,amount,currency,amount_base,base_currency
    VAW,BUY,27,180.51,4873.77,,4873.77,
    ");
    // A flag that excludes the configured one wins without a conflict: -i 2 is a minimum of 100.
    let (code, stdout, stderr) = pbal.run(&["plan", "-c", "5000", "-i", "2", "-f", "csv"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("VAW,BUY"), "{stdout}");
    // The original form with a file given still reads the other settings.
    let (code, stdout, stderr) = pbal.run(&[&export(), "-c", "5000", "-f", "csv"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("VAW,BUY,27"), "{stdout}");
}

#[test]
fn pbal_config_shows_each_setting_and_its_source() {
    let pbal = Pbal::new();
    pbal.write(
        ".config/pbal/config.toml",
        "# quarterly defaults\nstrategy = \"bands\"\nreserve = 500\ntax-rate-short = \"37%\"\n\n[gateway]\naccount = \"U1234567\"\n",
    );
    let (code, stdout, stderr) = pbal.run_with_env(&[("PBAL_RESERVE", "250")], &["config"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout, @"
    Config file: [HOME]/.config/pbal/config.toml
    Flags beat environment variables, which beat the config file, which beats the defaults.

    setting             value                             from
    export              ~/Downloads/positions-custom.csv  default (env PBAL_EXPORT)
    targets             (equal weights)                   default (env PBAL_TARGETS)
    strategy            bands                             [HOME]/.config/pbal/config.toml:2
    commission          none                              default (env PBAL_COMMISSION)
    reserve             250                               env PBAL_RESERVE
    cash_total          (the export's cash, plus --cash)  default (env PBAL_CASH_TOTAL)
    min_trade           (none)                            default (env PBAL_MIN_TRADE)
    bands               false                             default (env PBAL_BANDS)
    band_abs            5%                                default (env PBAL_BAND_ABS)
    band_rel            25%                               default (env PBAL_BAND_REL)
    tax_rate_short      37%                               [HOME]/.config/pbal/config.toml:4
    tax_rate_long       0%                                default (env PBAL_TAX_RATE_LONG)
    keep_costly_orders  false                             default (env PBAL_KEEP_COSTLY_ORDERS)
    accounts            (every account taxable)           default (env PBAL_ACCOUNTS)
    gateway.url         https://localhost:5000            default (env PBAL_GATEWAY_URL)
    gateway.account     U1234567                          [HOME]/.config/pbal/config.toml:7
    ");
    // A percent shows its `%` however it was written: a bare number is percent.
    pbal.write(
        ".config/pbal/config.toml",
        "tax_rate_short = 0.3\nband_abs = 4\nband_rel = \"20 %\"\n",
    );
    let (code, stdout, stderr) = pbal.run_with_env(&[("PBAL_TAX_RATE_LONG", "15")], &["config"]);
    assert_eq!(code, 0, "{stderr}");
    let percents: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("band_") || l.starts_with("tax_rate"))
        .collect();
    insta::assert_snapshot!(percents.join("\n"), @"
    band_abs            4%                                [HOME]/.config/pbal/config.toml:2
    band_rel            20%                               [HOME]/.config/pbal/config.toml:3
    tax_rate_short      0.3%                              [HOME]/.config/pbal/config.toml:1
    tax_rate_long       15%                               env PBAL_TAX_RATE_LONG
    ");
    let (_, stdout, _) = pbal.run(&["config", "--config", "none.toml"]);
    assert_eq!(stdout, "");
}

#[test]
fn a_bad_config_names_the_file_line_and_key() {
    let pbal = Pbal::new();
    let cases = [
        (
            "strategy = \"full\"\nreserve = \"lots\"\n",
            "[HOME]/.config/pbal/config.toml:2: `reserve`: \"lots\" is not a decimal number",
        ),
        (
            "commision = \"none\"\n",
            "[HOME]/.config/pbal/config.toml:1: unknown key `commision`; the keys are export, targets, strategy, commission, reserve, cash_total, min_trade, bands, band_abs, band_rel, tax_rate_short, tax_rate_long, keep_costly_orders, accounts, gateway.url, gateway.account",
        ),
        (
            "strategy = \"full\"\nstrategy = \"bands\"\n",
            "[HOME]/.config/pbal/config.toml:2: duplicate key `strategy` (first set on line 1): each key may appear once",
        ),
        (
            "tax_rate_short = 120\n",
            "[HOME]/.config/pbal/config.toml:1: `tax_rate_short`: \"120\" is more than 100%",
        ),
        (
            "bands = \"yes\"\n",
            "[HOME]/.config/pbal/config.toml:1: `bands`: expected true or false, got string",
        ),
        (
            "reserve = \n",
            "[HOME]/.config/pbal/config.toml:1: `reserve` has no value: write reserve = 500",
        ),
        (
            "[gateway]\naccount = U1\n",
            "[HOME]/.config/pbal/config.toml:2: `account`: U1 needs quotes (text in TOML is quoted); write e.g. account = \"U1234567\"",
        ),
    ];
    for (text, expected) in cases {
        pbal.write(".config/pbal/config.toml", text);
        let (code, stdout, stderr) = pbal.run(&["plan", &export(), "-c", "1"]);
        assert_eq!((code, stdout.as_str()), (1, ""), "{text}");
        assert_eq!(stderr.trim_end(), format!("error: {expected}"), "{text}");
        // `pbal config` fails on the same file with the same message.
        let (code, stdout, config) = pbal.run(&["config"]);
        assert_eq!((code, stdout.as_str(), config), (1, "", stderr), "{text}");
    }
    // A bad value in the environment names the variable.
    pbal.write(".config/pbal/config.toml", "");
    let (code, _, stderr) = pbal.run_with_env(&[("PBAL_STRATEGY", "fast")], &["plan", &export()]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr, @r"
    error: PBAL_STRATEGY: invalid value 'fast'
      [possible values: buy-only, full, bands]
    ");
    // `pbal config` checks the variables as a plan would, with the same message.
    for (var, value) in [
        ("PBAL_STRATEGY", "fast"),
        ("PBAL_RESERVE", "abc"),
        ("PBAL_BANDS", "maybe"),
        ("PBAL_TAX_RATE_SHORT", "120"),
    ] {
        let (plan_code, _, plan) = pbal.run_with_env(&[(var, value)], &["plan", &export()]);
        let (code, stdout, stderr) = pbal.run_with_env(&[(var, value)], &["config"]);
        assert_eq!((code, stdout.as_str()), (1, ""), "{var}");
        assert_eq!((plan_code, plan), (1, stderr.clone()), "{var}");
        assert!(stderr.starts_with(&format!("error: {var}: ")), "{stderr}");
    }
    // Completions and the man page never read it.
    pbal.write(".config/pbal/config.toml", "nonsense");
    let (code, _, _) = pbal.run(&["completions", "bash"]);
    assert_eq!(code, 0);
}

/// The `[gateway]` settings reach the live commands; clap's own `PBAL_GATEWAY_URL` still beats
/// the file.
#[cfg(feature = "live")]
#[test]
fn gateway_settings_come_from_the_config() {
    use pbal_fake_gateway::{FakeGateway, Setup};
    let pbal = Pbal::new();
    let gateway = FakeGateway::start(Setup::ten_etfs());
    let cert = pbal.write("gateway.pem", &gateway.cert_pem());
    pbal.write(
        ".config/pbal/config.toml",
        &format!(
            "[gateway]\nurl = {:?}\naccount = \"DU1234567\"\n",
            gateway.url()
        ),
    );
    let status = |env: &[(&str, &str)]| {
        let out = pbal
            .cmd()
            .env("PBAL_DATA_DIR", pbal.home.path().join("data"))
            .envs(env.iter().copied())
            .args([
                "status",
                "-f",
                "json",
                "--gateway-cert",
                cert.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, stdout, stderr) = status(&[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("DU1234567"), "{stdout}");
    // Nothing listens on port 9 of loopback: the variable was used, not the file.
    let (code, _, stderr) = status(&[("PBAL_GATEWAY_URL", "https://127.0.0.1:9")]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("127.0.0.1:9"), "{stderr}");
}

/// `cash_total` in the config file is the whole cash unless `-c` moves money on the command
/// line, which wins without a conflict.
#[test]
fn the_config_cash_total_yields_to_a_typed_amount() {
    let pbal = Pbal::new();
    let file = fixture("flex/flex-statement.xml").display().to_string();
    pbal.write(".config/pbal/config.toml", "cash_total = 1000\n");
    let available = |extra: &[&str]| {
        let mut args = vec!["plan", file.as_str(), "-f", "json"];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = pbal.run(&args);
        assert_eq!(code, 0, "{stderr}");
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        (v["cash"]["available"].as_str().unwrap().to_owned(), stderr)
    };
    let (cash, stderr) = available(&[]);
    assert_eq!(cash, "1000.00");
    assert!(
        stderr.contains("as the whole cash (--cash-total"),
        "{stderr}"
    );
    let (cash, stderr) = available(&["-c", "100"]);
    assert!(cash.starts_with("5220.33"), "{cash}");
    assert!(stderr.contains("+ a deposit of 100.00 USD"), "{stderr}");
}

/// The config file's bands reach `pbal backtest`: they give the bands policies their widths,
/// and where no policy uses them `-v` says so.
#[test]
fn backtest_honours_the_configured_bands() {
    let pbal = Pbal::new();
    let prices = fixture("prices/stocks.csv").display().to_string();
    let json = |extra: &[&str]| {
        let mut args = vec!["backtest", prices.as_str(), "-r", "bands", "-f", "json"];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = pbal.run(&args);
        assert_eq!(code, 0, "{stderr}");
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        v["policies"][0].clone()
    };
    let default = json(&[]);
    let typed = json(&["--band-abs", "2", "--band-rel", "10", "--to", "edge"]);
    assert_ne!(default, typed);
    pbal.write(
        ".config/pbal/config.toml",
        "band_abs = \"2%\"\nband_rel = 10\nbands = true\n",
    );
    assert_eq!(json(&["--to", "edge"]), typed);
    // A calendar policy has no bands: the configured ones are noted, not used.
    let (code, _, stderr) = pbal.run(&["-v", "backtest", &prices, "-r", "annually"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("--band-abs from the config file or environment is not used here"),
        "{stderr}"
    );
    // A setting backtest has no option for is noted too.
    assert!(
        stderr.contains(
            "note: bands ([HOME]/.config/pbal/config.toml:3) is not used by pbal backtest, which \
             has no such option"
        ),
        "{stderr}"
    );
    // Typed, the same option is a usage error.
    let (code, _, stderr) = pbal.run(&["backtest", &prices, "-r", "annually", "--to", "half"]);
    assert_eq!(code, 2);
    insta::assert_snapshot!(stderr, @"error: --to needs a threshold policy (full-quarterly:5…) or a bands policy");
}
