//! The shell conventions: completions, man page, version, help with examples, mistyped
//! subcommands, -q/-v.

use crate::common::{Pbal, fixture};

/// Every subcommand path, for the help snapshots.
const SUBCOMMANDS: &[&str] = &[
    "plan",
    "positions",
    "fetch",
    "trade",
    "status",
    "cancel",
    "gateway",
    "backtest",
    "config",
    "completions",
    "man",
];

#[test]
fn completions_are_generated_for_every_shell() {
    let pbal = Pbal::new();
    for (shell, marker) in [
        ("bash", "complete -F _pbal"),
        ("zsh", "#compdef pbal"),
        ("fish", "complete -c pbal"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[pbal]"),
    ] {
        let (code, stdout, stderr) = pbal.run(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {stderr}");
        assert!(stdout.contains(marker), "{shell}: no {marker:?}");
        // The subcommands and plan's options are offered.
        for word in ["plan", "backtest", "completions", "commission"] {
            assert!(stdout.contains(word), "{shell}: no {word}");
        }
    }
    let (code, _, stderr) = pbal.run(&["completions", "tcsh"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("possible values: bash, elvish, fish, powershell, zsh"),
        "{stderr}"
    );
}

/// The `case` branch of a bash completion script for `option` (the first: plan's, as
/// subcommands come in order).
fn bash_branch<'a>(script: &'a str, option: &str) -> &'a str {
    let start = script
        .find(&format!("                {option})\n"))
        .unwrap_or_else(|| panic!("no {option}"));
    let branch = &script[start..];
    &branch[..branch.find(";;").unwrap_or(branch.len())]
}

#[test]
fn only_paths_complete_to_file_names() {
    let pbal = Pbal::new();
    let (code, script, stderr) = pbal.run(&["completions", "bash"]);
    assert_eq!(code, 0, "{stderr}");
    let words = |option| {
        let branch = bash_branch(&script, option);
        if branch.contains("compgen -f") {
            "files".to_owned()
        } else if let Some((_, rest)) = branch.split_once("compgen -W \"") {
            rest.split('"').next().unwrap_or_default().to_owned()
        } else {
            "nothing".to_owned()
        }
    };
    let offered: Vec<String> = [
        "--commission",
        "--cash",
        "--strategy",
        "--reserve",
        "--min-trade",
        "--band-abs",
        "--tax-rate-short",
        "--as-of",
        "--time-limit",
        "--rebalance",
        "--compare",
        "--account",
        "--targets",
        "--config",
    ]
    .iter()
    .map(|o| format!("{o}: {}", words(o)))
    .collect();
    insta::assert_snapshot!(offered.join("\n"), @"
    --commission: none ibkr-fixed flat:
    --cash: available
    --strategy: buy-only full bands
    --reserve: nothing
    --min-trade: nothing
    --band-abs: nothing
    --tax-rate-short: nothing
    --as-of: nothing
    --time-limit: nothing
    --rebalance: monthly quarterly semiannually annually bands never
    --compare: monthly quarterly semiannually annually bands never full-monthly full-quarterly full-semiannually full-annually full-bands buy-only-monthly buy-only-quarterly buy-only-semiannually buy-only-annually buy-only-bands
    --account: nothing
    --targets: files
    --config: files
    ");
}

#[test]
fn the_man_page_is_roff_with_every_subcommand() {
    let pbal = Pbal::new();
    let (code, page, stderr) = pbal.run(&["man"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(page.contains(".TH pbal 1"), "{page}");
    for name in ["plan", "backtest", "config", "completions"] {
        assert!(page.contains(&format!("pbal\\-{name}")), "no {name}");
    }
    // The sections a man page has, in their usual order, and no clap "EXTRA".
    let sections: Vec<&str> = page.lines().filter(|l| l.starts_with(".SH")).collect();
    insta::assert_snapshot!(sections.join("\n"), @r#"
    .SH NAME
    .SH SYNOPSIS
    .SH DESCRIPTION
    .SH OPTIONS
    .SH "GLOBAL OPTIONS"
    .SH SUBCOMMANDS
    .SH EXAMPLES
    .SH "EXIT STATUS"
    .SH ENVIRONMENT
    .SH FILES
    .SH VERSION
    "#);
    for word in [
        "PBAL_RESERVE",
        "PBAL_CONFIG",
        "PBAL_DATA_DIR",
        "NO_COLOR",
        "XDG_CONFIG_HOME",
        "config.toml",
        "journal.jsonl",
        "a plan failed pbal\\*(Aqs own audit",
    ] {
        assert!(page.contains(word), "no {word}");
    }
    let (code, _, stderr) = pbal.run(&["man", "help"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr, @"error: `help` has no page of its own: `pbal help plan` is `pbal plan --help`, and pbal(1) is `pbal man`");
    let (code, page, _) = pbal.run(&["man", "plan"]);
    assert_eq!(code, 0);
    assert!(page.contains(".TH pbal-plan 1"), "{page}");
    assert!(page.contains("\\-\\-commission"));
    let sections: Vec<&str> = page.lines().filter(|l| l.starts_with(".SH")).collect();
    insta::assert_snapshot!(sections.join("\n"), @r#"
    .SH NAME
    .SH SYNOPSIS
    .SH DESCRIPTION
    .SH OPTIONS
    .SH "GLOBAL OPTIONS"
    .SH EXAMPLES
    .SH "SEE ALSO"
    .SH VERSION
    "#);
    let (code, _, stderr) = pbal.run(&["man", "plna"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr, @r#"error: no subcommand "plna"; the subcommands are plan, positions, fetch, trade, status, cancel, gateway, backtest, config, completions, man"#);
}

#[test]
fn a_mistyped_subcommand_gets_a_suggestion_and_exit_2() {
    let pbal = Pbal::new();
    let (code, stdout, stderr) = pbal.run(&["pln", "-c", "5000"]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    insta::assert_snapshot!(stderr, @r#"
    error: unrecognized subcommand `pln` (and no such file)

      did you mean `plan`?

      tip: to plan a file named "pln", write `pbal plan pln`

    Usage: pbal [OPTIONS] <COMMAND>

    For more information, try '--help'.
    "#);
    let (code, _, stderr) = pbal.run(&["-v", "completion", "bash"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean `completions`?"), "{stderr}");
    // Two letters swapped count as one mistake, like a letter missing.
    for args in [&["paln", "-c", "100"][..], &["plna"]] {
        let (code, _, stderr) = pbal.run(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains("did you mean `plan`?"), "{stderr}");
    }
    // A file of that name is planned, as the original tool did.
    std::fs::copy(
        fixture("positions-custom.csv"),
        pbal.home.path().join("pln"),
    )
    .unwrap();
    let (code, stdout, stderr) = pbal.run(&["pln", "-c", "5000", "-f", "csv"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("symbol,side,quantity"), "{stdout}");
    std::fs::copy(
        fixture("positions-custom.csv"),
        pbal.home.path().join("paln"),
    )
    .unwrap();
    let (code, stdout, stderr) = pbal.run(&["paln", "-c", "5000", "-f", "csv"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("symbol,side,quantity"), "{stdout}");
}

#[test]
fn the_original_form_works_after_global_flags() {
    let pbal = Pbal::new();
    let file = fixture("positions-custom.csv").display().to_string();
    let (code, stdout, stderr) = pbal.run(&["-q", &file, "-c", "5000", "-f", "csv"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("VCR,BUY,10,279.68,2796.80"), "{stdout}");
    // A path that does not exist is a missing file, not a subcommand.
    let (code, _, stderr) = pbal.run(&["missing/pos.csv", "-c", "5000"]);
    assert_eq!(code, 1, "{stderr}");
}

#[test]
fn version_names_the_commit_and_the_live_feature() {
    let pbal = Pbal::new();
    let (code, stdout, _) = pbal.run(&["-V"]);
    assert_eq!(code, 0);
    let line = stdout.trim_end();
    let (head, rest) = line.split_once(" (commit ").expect(line);
    assert_eq!(head, concat!("pbal ", env!("CARGO_PKG_VERSION")));
    let (commit, live) = rest.split_once(", ").expect(line);
    assert!(
        commit == "unknown" || (commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{line}"
    );
    if cfg!(feature = "live") {
        assert_eq!(live, "with live trading)");
    } else {
        assert_eq!(live, "without live trading: build with --features live)");
    }
    let (_, long, _) = pbal.run(&["--version"]);
    assert_eq!(long, stdout);
}

#[cfg(not(feature = "live"))]
#[test]
fn gateway_explains_the_live_build_like_trade() {
    let pbal = Pbal::new();
    let (code, _, gateway) = pbal.run(&["gateway", "trust"]);
    assert_eq!(code, 1);
    let (_, _, trade) = pbal.run(&["trade", "--dry-run"]);
    assert_eq!(gateway, trade);
    assert!(gateway.contains("--features live"), "{gateway}");
}

#[test]
fn help_lists_exit_codes_and_every_subcommand_ends_with_examples() {
    let pbal = Pbal::new();
    let (code, top, _) = pbal.run(&["--help"]);
    assert_eq!(code, 0);
    assert!(top.contains("Exit codes:\n  0  success"), "{top}");
    let suffix = if cfg!(feature = "live") { "_live" } else { "" };
    insta::assert_snapshot!(format!("help{suffix}"), top);
    for name in SUBCOMMANDS {
        let (code, help, stderr) = pbal.run(&[name, "--help"]);
        assert_eq!(code, 0, "{name}: {stderr}");
        let examples = help.split("Examples:\n").nth(1).expect(name);
        let count = examples
            .lines()
            .filter(|l| l.starts_with("  pbal "))
            .count()
            + examples
                .lines()
                .filter(|l| l.starts_with("  source <(pbal"))
                .count();
        assert!((2..=4).contains(&count), "{name}: {count} examples");
        // Only the live commands differ between the builds.
        let live_only = ["trade", "status", "cancel", "gateway"].contains(name);
        let snapshot = format!("help_{name}{}", if live_only { suffix } else { "" });
        insta::assert_snapshot!(snapshot, help);
    }
    if cfg!(feature = "live") {
        let (code, help, _) = pbal.run(&["gateway", "trust", "--help"]);
        assert_eq!(code, 0);
        assert!(help.contains("Examples:\n"), "{help}");
        insta::assert_snapshot!("help_gateway_trust_live", help);
    }
}

#[test]
fn quiet_hides_warnings_and_verbose_shows_notes() {
    let pbal = Pbal::new();
    let file = fixture("positions-custom.csv").display().to_string();
    let targets = pbal.write(
        "t.toml",
        "FTEC = 60\nVAW = 40\nexclude = [\"AAA\", \"BBB\"]\n",
    );
    let targets = targets.to_str().unwrap();
    let (code, _, stderr) = pbal.run(&["plan", &file, "-t", targets, "-f", "csv"]);
    assert_eq!(code, 0, "{stderr}");
    // One line per kind of warning, not one per symbol.
    insta::assert_snapshot!(stderr, @"
    note: cash: none (the file has no cash balances; -c AMOUNT plans with new cash)
    warning: VCR, VDC, VHT, VIS, VNQ, VOX, VPU and VSMAX are held but have no target in [HOME]/t.toml: their targets are 0% (add them to `exclude` to leave them alone)
    warning: AAA and BBB are excluded but not held
    ");
    let (code, _, stderr) = pbal.run(&["-q", "plan", &file, "-t", targets, "-f", "csv"]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    pbal.write(".config/pbal/config.toml", "strategy = \"full\"\n");
    let (code, _, stderr) = pbal.run(&["plan", &file, "-v", "-f", "csv"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stderr, @"
    note: config file [HOME]/.config/pbal/config.toml
    note: strategy = full ([HOME]/.config/pbal/config.toml:1)
    note: cash: none (the file has no cash balances; -c AMOUNT plans with new cash)
    ");
    let (code, _, stderr) = pbal.run(&["plan", &file, "-q", "-v"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}

#[test]
fn a_warning_is_not_repeated_before_the_error() {
    let pbal = Pbal::new();
    let file = fixture("positions-custom.csv").display().to_string();
    // VCR is held but has no target, and the target vcr is not held: one error says it all.
    let targets = pbal.write("t.toml", "FTEC = 50\nvcr = 50\nexclude = [\"VAW\", \"VDC\", \"VHT\", \"VIS\", \"VNQ\", \"VOX\", \"VPU\", \"VSMAX\"]\n");
    let (code, _, stderr) = pbal.run(&["plan", &file, "-t", targets.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(!stderr.contains("warning"), "{stderr}");
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error")).count(),
        1,
        "{stderr}"
    );
    // A warning the error does not repeat is still printed, before it.
    let targets = pbal.write("t2.toml", "FTEC = 50\nAAA = 50\nexclude = [\"ZZZ\"]\n");
    let (code, _, stderr) = pbal.run(&["plan", &file, "-q", "-t", targets.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(!stderr.contains("warning"), "{stderr}");
    let (code, _, stderr) = pbal.run(&["plan", &file, "-t", targets.to_str().unwrap()]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr, @r"
    warning: VAW, VCR, VDC, VHT, VIS, VNQ, VOX, VPU and VSMAX are held but have no target in [HOME]/t2.toml: their targets are 0% (add them to `exclude` to leave them alone)
    warning: ZZZ is excluded but not held
    error: [HOME]/t2.toml: AAA has a target but is not held; give its price:
      [AAA]
      weight = ...
      price = ...
    ");
}

#[test]
fn no_colour_when_piped() {
    let pbal = Pbal::new();
    let (_, _, stderr) = pbal.run(&["plan", "nowhere.csv"]);
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}
