//! The command line as a whole: the `pbal` command, its subcommands and global options, the
//! original tool's usage, and the one place that dispatches to each command's module. The doc
//! comments are the user's help text.

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

use crate::commands::{backtest, completions, config, fetch, man, plan, positions};

/// pbal keeps a brokerage portfolio on its target allocation with whole-share plans:
/// as little trading, tax and attention as possible.
///
/// Without a subcommand, `pbal FILE -c CASH` runs `pbal plan` (as the original tool did).
#[derive(Debug, Parser)]
#[command(
    name = "pbal",
    version = env!("PBAL_VERSION_LINE"),
    max_term_width = 100,
    after_help = crate::help::top_level(),
)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print only errors and the command's output: no warnings or notes.
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        help_heading = "Global options"
    )]
    pub quiet: bool,
    /// Also print notes: which config file and settings are used; every warning before an error.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = "Global options")]
    pub verbose: u8,
    /// Read defaults from this TOML file instead of $XDG_CONFIG_HOME/pbal/config.toml.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "PBAL_CONFIG",
        help_heading = "Global options"
    )]
    pub config: Option<PathBuf>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the whole-share trades that move the portfolio toward its targets (dry run).
    #[command(after_help = crate::help::plan())]
    Plan(Box<crate::commands::plan::PlanArgs>),
    /// Show what pbal reads from an export: holdings, lots, currencies, cash, skipped rows.
    #[command(after_help = crate::help::positions())]
    Positions(crate::commands::positions::PositionsArgs),
    /// Download a Flex Query statement through IBKR's Flex Web Service.
    #[command(after_help = crate::help::fetch())]
    Fetch(crate::commands::fetch::FetchArgs),
    /// Place the plan's orders through the local Client Portal gateway: preview, confirm, sells
    /// first, then buys with the real cash.
    #[cfg(feature = "live")]
    #[command(after_help = crate::help::trade())]
    Trade(Box<crate::live::TradeArgs>),
    /// Show the gateway session, account, cash and open orders.
    #[cfg(feature = "live")]
    #[command(after_help = crate::help::status())]
    Status(crate::live::StatusArgs),
    /// Cancel pbal's own open orders.
    #[cfg(feature = "live")]
    #[command(after_help = crate::help::cancel())]
    Cancel(crate::live::CancelArgs),
    /// Set up the connection to the gateway (`pbal gateway trust`).
    #[cfg(feature = "live")]
    #[command(after_help = crate::help::gateway())]
    Gateway(crate::live::GatewayCommandArgs),
    /// Place the plan's orders through the local Client Portal gateway (needs the `live` build).
    #[cfg(not(feature = "live"))]
    #[command(after_help = crate::help::trade())]
    Trade(LiveStubArgs),
    /// Show the gateway session, account, cash and open orders (needs the `live` build).
    #[cfg(not(feature = "live"))]
    #[command(after_help = crate::help::status())]
    Status(LiveStubArgs),
    /// Cancel pbal's own open orders (needs the `live` build).
    #[cfg(not(feature = "live"))]
    #[command(after_help = crate::help::cancel())]
    Cancel(LiveStubArgs),
    /// Set up the connection to the gateway (needs the `live` build).
    #[cfg(not(feature = "live"))]
    #[command(after_help = crate::help::gateway())]
    Gateway(LiveStubArgs),
    /// Replay rebalancing policies on a price history and compare return, risk, trades, tax.
    #[command(after_help = crate::help::backtest())]
    Backtest(Box<crate::commands::backtest::BacktestArgs>),
    /// Show the effective settings (flags aside) and where each comes from: environment,
    /// config file or built-in default.
    #[command(after_help = crate::help::config())]
    Config,
    /// Print a shell completion script to stdout.
    #[command(after_help = crate::help::completions())]
    Completions(crate::commands::completions::CompletionsArgs),
    /// Print the manual page (roff) to stdout.
    #[command(after_help = crate::help::man())]
    Man(crate::commands::man::ManArgs),
}

/// Arguments of a live command in a build without the `live` feature: accepted and ignored, so
/// the user gets an explanation instead of a usage error.
#[cfg(not(feature = "live"))]
#[derive(Debug, Args)]
pub struct LiveStubArgs {
    /// Ignored in this build.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub rest: Vec<OsString>,
}

/// Runs the command `cli` names with the settings `loaded`.
/// `given`: which options were typed, which came from the config file or environment.
pub(crate) fn dispatch(
    cli: Cli,
    loaded: &crate::config::Loaded,
    given: &crate::applies::Given,
) -> Result<()> {
    match cli.command {
        Command::Plan(args) => {
            crate::applies::plan(&args, given)?;
            plan::run(&args)
        }
        Command::Positions(args) => positions::run(&args),
        Command::Fetch(args) => fetch::run(&args),
        #[cfg(feature = "live")]
        Command::Trade(args) => {
            crate::applies::trade(&args, given)?;
            crate::live::trade(&args)
        }
        #[cfg(feature = "live")]
        Command::Status(args) => crate::live::status(&args),
        #[cfg(feature = "live")]
        Command::Cancel(args) => crate::live::cancel(&args),
        #[cfg(feature = "live")]
        Command::Gateway(args) => crate::live::gateway(&args),
        #[cfg(not(feature = "live"))]
        Command::Trade(_) | Command::Status(_) | Command::Cancel(_) | Command::Gateway(_) => {
            anyhow::bail!(
                "this pbal was built without live trading. Live orders need the `live` feature:\n  \
             cargo install --path crates/pbal-cli --features live\n\
             Without it, `pbal plan --format basket -o plan.csv` writes the plan for TWS's BasketTrader."
            )
        }
        Command::Backtest(args) => {
            crate::applies::backtest(&args, given)?;
            let command = <Cli as clap::CommandFactory>::command();
            for (key, source) in
                crate::config::without_option(loaded.file.as_ref(), &command, "backtest")
            {
                crate::ui::note(&format!(
                    "{key} ({source}) is not used by pbal backtest, which has no such option"
                ));
            }
            backtest::run(&args)
        }
        Command::Config => config::run(loaded, &<Cli as clap::CommandFactory>::command()),
        Command::Completions(args) => {
            completions::completions(&args, <Cli as clap::CommandFactory>::command())
        }
        Command::Man(args) => man::man(&args, <Cli as clap::CommandFactory>::command()),
    }
}

/// Rewrites the original tool's usage (`pbal FILE -c 5000 -s try_avoid_sell`) to `pbal plan …`.
/// A first word that is not a file but looks like a mistyped subcommand is a usage error with
/// a suggestion instead (a plan of a missing file would only confuse).
pub(crate) fn legacy_args(mut args: Vec<OsString>) -> Result<Vec<OsString>, clap::Error> {
    let Some(at) = first_word(&args) else {
        return Ok(args);
    };
    let Some(word) = args[at].to_str() else {
        args.insert(at, OsString::from("plan"));
        return Ok(args);
    };
    if matches!(word, "-h" | "--help" | "-V" | "--version") {
        return Ok(args);
    }
    let mut command = <Cli as clap::CommandFactory>::command();
    let names: Vec<String> = command
        .get_subcommands()
        .flat_map(|c| std::iter::once(c.get_name()).chain(c.get_all_aliases()))
        .chain(std::iter::once("help"))
        .map(str::to_owned)
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    if names.contains(&word) {
        return Ok(args);
    }
    if !word.starts_with('-')
        && !std::path::Path::new(word).exists()
        && let Some(name) = suggestion(word, &names)
    {
        return Err(command.error(
            clap::error::ErrorKind::InvalidSubcommand,
            format!(
                "unrecognized subcommand `{word}` (and no such file)\n\n  \
                 did you mean `{name}`?\n\n  \
                 tip: to plan a file named {word:?}, write `pbal plan {word}`"
            ),
        ));
    }
    args.insert(at, OsString::from("plan"));
    Ok(args)
}

/// Index of the first argument after the global options (`-q`, `-v`, `--config FILE`).
fn first_word(args: &[OsString]) -> Option<usize> {
    let mut i = 1;
    while let Some(arg) = args.get(i) {
        let text = arg.to_str().unwrap_or_default();
        let is_count = text.len() > 1
            && text.starts_with('-')
            && !text.starts_with("--")
            && text[1..].chars().all(|c| c == 'v' || c == 'q');
        if is_count || matches!(text, "--quiet" | "--verbose") || text.starts_with("--config=") {
            i += 1;
        } else if text == "--config" {
            i += 2;
        } else {
            return Some(i);
        }
    }
    None
}

/// The subcommand `word` most likely misspells: a prefix of it, or at most two edits away
/// (one for short words). Words that look like paths are never subcommands.
fn suggestion<'a>(word: &str, names: &[&'a str]) -> Option<&'a str> {
    if word.contains(['.', '/', '\\']) {
        return None;
    }
    let word = word.to_ascii_lowercase();
    let limit = if word.chars().count() <= 4 { 1 } else { 2 };
    names
        .iter()
        .map(|name| (edit_distance(&word, name), *name))
        .filter(|(d, name)| *d <= limit || (word.len() >= 3 && name.starts_with(&word)))
        .min_by_key(|(d, _)| *d)
        .map(|(_, name)| name)
}

/// Edits between `a` and `b`, a swap of two neighbouring letters (`paln`) counting as one
/// (optimal string alignment: clap's own suggestions use plain Levenshtein, which counts two).
fn edit_distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{CashArg, StrategyArg};
    use clap::CommandFactory;
    use rust_decimal::Decimal;

    #[test]
    fn clap_definition_is_valid() {
        Cli::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Cli {
        let args = legacy_args(args.iter().map(OsString::from).collect()).unwrap();
        Cli::try_parse_from(args).unwrap()
    }

    #[test]
    fn the_original_usage_still_works() {
        let Command::Plan(p) = parse(&[
            "pbal",
            "pos.csv",
            "-c",
            "5000",
            "-i",
            "2",
            "-s",
            "try_avoid_sell",
        ])
        .command
        else {
            panic!("not plan")
        };
        assert_eq!(p.file, Some(PathBuf::from("pos.csv")));
        assert_eq!(p.cash, Some(CashArg::Amount(Decimal::from(5000))));
        assert_eq!(p.engine.increment, Some(2));
        assert_eq!(p.engine.strategy, StrategyArg::BuyOnly);
        let Command::Plan(p) = parse(&["pbal", "-c", "-10000", "-s", "hard_rebalance"]).command
        else {
            panic!("not plan")
        };
        assert_eq!(p.cash, Some(CashArg::Amount(Decimal::from(-10000))));
        assert_eq!(p.engine.strategy, StrategyArg::Full);
        let Command::Plan(p) = parse(&["pbal", "-q", "pos.csv", "-c", "1"]).command else {
            panic!("not plan")
        };
        assert_eq!(p.file, Some(PathBuf::from("pos.csv")));
    }

    #[test]
    fn mistyped_subcommands_get_a_suggestion() {
        let names = ["plan", "positions", "backtest", "completions", "config"];
        assert_eq!(suggestion("pln", &names), Some("plan"));
        assert_eq!(suggestion("PLAN", &names), Some("plan"));
        assert_eq!(suggestion("postions", &names), Some("positions"));
        assert_eq!(suggestion("complet", &names), Some("completions"));
        assert_eq!(suggestion("backtets", &names), Some("backtest"));
        assert_eq!(suggestion("pos.csv", &names), None);
        assert_eq!(suggestion("holdings", &names), None);
        assert_eq!(suggestion("paln", &names), Some("plan"));
        assert_eq!(suggestion("plna", &names), Some("plan"));
        assert_eq!(suggestion("cnofig", &names), Some("config"));
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("paln", "plan"), 1);
    }

    #[test]
    fn every_example_in_the_help_parses() {
        for example in crate::help::all_examples() {
            let line = example
                .trim_start_matches("source <(")
                .trim_end_matches(')');
            let line = line.split(['>', '|']).next().unwrap_or(line);
            let args: Vec<OsString> = line.split_whitespace().map(OsString::from).collect();
            let args = legacy_args(args).unwrap_or_else(|e| panic!("{example}: {e}"));
            if let Err(e) = Cli::try_parse_from(args) {
                panic!("{example}: {e}");
            }
        }
    }
}
