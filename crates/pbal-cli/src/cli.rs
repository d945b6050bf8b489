//! Command-line definitions. The doc comments are the user's help text.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use rust_decimal::Decimal;

use crate::decimal_arg::{parse_decimal, parse_non_negative, parse_percent};

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
    Plan(Box<PlanArgs>),
    /// Show what pbal reads from an export: holdings, lots, currencies, cash, skipped rows.
    #[command(after_help = crate::help::positions())]
    Positions(PositionsArgs),
    /// Download a Flex Query statement through IBKR's Flex Web Service.
    #[command(after_help = crate::help::fetch())]
    Fetch(FetchArgs),
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
    Backtest(crate::commands::backtest::BacktestArgs),
    /// Show the effective settings (flags aside) and where each comes from: environment,
    /// config file or built-in default.
    #[command(after_help = crate::help::config())]
    Config,
    /// Print a shell completion script to stdout.
    #[command(after_help = crate::help::completions())]
    Completions(CompletionsArgs),
    /// Print the manual page (roff) to stdout.
    #[command(after_help = crate::help::man())]
    Man(ManArgs),
}

/// Arguments of `pbal completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `pbal man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// A subcommand's page instead of pbal's (e.g. `plan` for pbal-plan(1)).
    #[arg(value_name = "SUBCOMMAND")]
    pub subcommand: Option<String>,
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

/// How to reach the Flex Web Service.
#[derive(Debug, Clone, Args)]
pub struct FlexArgs {
    /// Name of the environment variable holding the Flex Web Service token (never pass the
    /// token itself on the command line).
    #[arg(long, value_name = "VAR", default_value = "PBAL_FLEX_TOKEN")]
    pub token_env: String,
    /// Flex Web Service URL (for testing against a stand-in).
    #[arg(long, value_name = "URL", env = "PBAL_FLEX_URL", hide = true)]
    pub flex_url: Option<String>,
    /// First wait before polling for the statement, in milliseconds.
    #[arg(long, value_name = "MS", env = "PBAL_FLEX_POLL_MS", hide = true)]
    pub flex_poll_ms: Option<u64>,
}

/// Arguments of `pbal fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// The Flex Query's ID (a number shown in IBKR's Flex Queries list).
    #[arg(long, value_name = "ID")]
    pub query: String,
    /// Flex Web Service options.
    #[command(flatten)]
    pub flex: FlexArgs,
    /// Write the statement to this file instead of stdout (written whole or not at all).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Output format of `pbal positions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PositionsFormat {
    /// A table for people.
    Table,
    /// One JSON object (money and quantities as strings).
    Json,
}

/// Arguments of `pbal positions`.
#[derive(Debug, Args)]
pub struct PositionsArgs {
    /// The export to read (Flex Query CSV/XML, Activity Statement, or the original CSV).
    pub file: PathBuf,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: PositionsFormat,
    /// Write the output to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
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

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// How a plan may trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    /// Buy with new cash, most underweight first; sell only to raise a withdrawal.
    #[value(alias = "try_avoid_sell", alias = "try-avoid-sell")]
    BuyOnly,
    /// Buy and sell to reach the targets.
    #[value(alias = "hard_rebalance", alias = "hard-rebalance")]
    Full,
    /// Trade only the assets outside their tolerance band (5/25 rule by default).
    Bands,
}

/// Wash-sale guard mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WashSaleArg {
    /// Skip and flag.
    Block,
    /// Flag only.
    Warn,
    /// Ignore recent trades.
    Off,
}

/// Lot selection order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LotOrderArg {
    /// Losses first, then long-term gains, smallest gain per dollar first.
    TaxMin,
    /// Highest cost first.
    Hifo,
    /// Oldest first.
    Fifo,
}

/// Where assets outside their band go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DestinationArg {
    /// To the target weight.
    Target,
    /// To the band's edge.
    Edge,
    /// Halfway between edge and target.
    Half,
}

/// A calendar date written YYYY-MM-DD.
fn parse_date(text: &str) -> Result<jiff::civil::Date, String> {
    let trimmed = text.trim();
    trimmed.parse::<jiff::civil::Date>().map_err(|_| {
        let shape_ok = trimmed.len() == 10
            && trimmed.char_indices().all(|(i, c)| {
                if i == 4 || i == 7 {
                    c == '-'
                } else {
                    c.is_ascii_digit()
                }
            });
        if shape_ok {
            format!("{text:?} is not a day of the calendar")
        } else {
            format!("{text:?} is not a date: write YYYY-MM-DD, e.g. 2025-03-31")
        }
    })
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// One JSON object (money and quantities as strings).
    Json,
    /// The trades as CSV.
    Csv,
    /// A TWS BasketTrader CSV to import and send from Trader Workstation (no API needed).
    Basket,
}

/// Order type for baskets and live orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OrderTypeArg {
    /// Market orders.
    Mkt,
    /// Limit orders, `--limit-offset` basis points through the plan's price.
    Lmt,
}

/// Cash to plan with: an amount, or `available` (the file's ending cash).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CashArg {
    /// This amount (negative: a withdrawal to raise).
    Amount(Decimal),
    /// The cash balance in the export (Cash Report), minus the reserve.
    Available,
}

pub(crate) fn parse_cash(text: &str) -> Result<CashArg, String> {
    if text.eq_ignore_ascii_case("available") {
        return Ok(CashArg::Available);
    }
    parse_decimal(text).map(CashArg::Amount)
}

/// Commission estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommissionArg(pub pbal_core::Commission);

pub(crate) fn parse_commission(text: &str) -> Result<CommissionArg, String> {
    use pbal_core::Commission;
    match text {
        "none" => Ok(CommissionArg(Commission::None)),
        "ibkr-fixed" => Ok(CommissionArg(Commission::IbkrFixed)),
        _ => match text.strip_prefix("flat:") {
            Some(amount) => parse_non_negative(amount).map(|a| CommissionArg(Commission::Flat(a))),
            None => Err(format!(
                "{text:?}: expected none, ibkr-fixed or flat:AMOUNT (e.g. flat:1.50)"
            )),
        },
    }
}

/// Arguments of `pbal plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Positions export: an IBKR Flex Query (CSV or XML) or Activity Statement, or the original
    /// tool's CSV (Symbol,PositionValue,MarkPrice,FifoPnlUnrealized).
    /// [default: ~/Downloads/positions-custom.csv]
    #[arg(conflicts_with = "flex_query")]
    pub file: Option<PathBuf>,

    /// Download the positions with this Flex Query through the Flex Web Service instead of
    /// reading a file (token in `--token-env`, default PBAL_FLEX_TOKEN).
    #[arg(long, value_name = "ID")]
    pub flex_query: Option<String>,

    /// Flex Web Service options.
    #[command(flatten)]
    pub flex: FlexArgs,

    /// Cash to invest (negative: an amount to withdraw), or `available` for the export's cash.
    /// Without it: the export's available cash when it has a Cash Report (pbal says so), else
    /// 0 (the original tool's 4-column files). `pbal trade` follows the same rule with the
    /// account's cash.
    #[arg(short, long, value_parser = parse_cash, allow_hyphen_values = true)]
    pub cash: Option<CashArg>,

    /// How the plan may trade.
    #[command(flatten)]
    pub engine: EngineArgs,

    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: Format,

    /// Order type in a basket (`--format basket`).
    #[arg(long, value_enum, default_value = "mkt")]
    pub order_type: OrderTypeArg,

    /// For limit orders: basis points above the price for buys, below it for sells.
    #[arg(long, value_name = "BPS", default_value = "10", value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub limit_offset: u32,

    /// Write the output to this file instead of stdout (written whole or not at all).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also write a picture of the plan: one self-contained HTML page (weights before, after
    /// and target per asset, the orders, the cash flow and the drift), readable on a phone.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Plan only this account of a multi-account export.
    #[arg(long, value_name = "ID", conflicts_with = "all_accounts")]
    pub account: Option<String>,

    /// Plan all accounts of the export together, as one household.
    #[arg(long)]
    pub all_accounts: bool,

    /// With `--all-accounts` and an amount in `--cash`: the account the amount goes to (or,
    /// negative, comes out of). Default: new cash is split by each account's share of the
    /// household's value, and a withdrawal comes out of the accounts whose sales raise it.
    #[arg(long, value_name = "ID", requires = "all_accounts")]
    pub cash_account: Option<String>,

    /// Search budget in seconds (e.g. 0.5). Past it the best plan found is printed with how far
    /// from the best possible it can be. Counted as work, not clock time: the same input gives
    /// the same plan on every machine.
    #[arg(long, value_name = "SECONDS", default_value = "1", value_parser = parse_time_limit)]
    pub time_limit: std::time::Duration,
}

fn parse_time_limit(text: &str) -> Result<std::time::Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
        .map(std::time::Duration::from_secs_f64)
        .ok_or_else(|| format!("{text:?}: expected seconds, more than 0 and at most 86400"))
}

/// What shapes a plan (shared by the commands that make one).
#[derive(Debug, Args)]
pub struct EngineArgs {
    /// Which trades are allowed (`try_avoid_sell` and `hard_rebalance` also work).
    #[arg(short, long, value_enum, default_value = "buy-only")]
    pub strategy: StrategyArg,

    /// Target weights (TOML: `SYMBOL = weight` in percent or fractions; `exclude = [..]`).
    /// Default: equal weights over the held symbols.
    #[arg(short, long, value_name = "FILE")]
    pub targets: Option<PathBuf>,

    /// No order smaller than this amount.
    #[arg(long, value_name = "AMOUNT", value_parser = parse_non_negative, allow_hyphen_values = true, conflicts_with = "increment")]
    pub min_trade: Option<Decimal>,

    /// The original tool's minimum trade: orders of at least 10^N (e.g. 2 → 100).
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=12))]
    pub increment: Option<u8>,

    /// Allow fractional shares (quantities in steps of 0.0001).
    #[arg(long)]
    pub fractional: bool,

    /// Commission estimate counted against the cash: none, flat:AMOUNT per order, or ibkr-fixed:
    /// IBKR's fixed rate of each asset's market (US, Canada, Europe in EUR; from the listing
    /// exchange, else the currency), shown in the order's currency; rates in the README.
    #[arg(long, default_value = "none", value_parser = parse_commission)]
    pub commission: CommissionArg,

    /// Cash to keep uninvested.
    #[arg(long, value_name = "AMOUNT", default_value = "0", value_parser = parse_non_negative, allow_hyphen_values = true)]
    pub reserve: Decimal,

    /// Only trade when some asset is outside its tolerance band (implied by `--strategy bands`).
    #[arg(long)]
    pub bands: bool,

    /// Absolute band: how far a weight may drift, in percentage points (`5` and `5%` both mean
    /// 5 points; the 5/25 rule's default).
    #[arg(long, value_name = "PCT", default_value = "5%", value_parser = parse_percent, allow_hyphen_values = true)]
    pub band_abs: Decimal,

    /// Relative band: how far a weight may drift, as a percent of its target (`25` and `25%`
    /// both mean 25%; the 5/25 rule's default). The band is the smaller of the two.
    #[arg(long, value_name = "PCT", default_value = "25%", value_parser = parse_percent, allow_hyphen_values = true)]
    pub band_rel: Decimal,

    /// With `--strategy bands`: trade assets outside their band to the target, the band's edge,
    /// or halfway.
    #[arg(long, value_enum, default_value = "target")]
    pub to: DestinationArg,

    /// Which tax lots a sale closes: tax-min (losses first, then long-term gains, smallest gain
    /// per dollar first), hifo (highest cost first) or fifo.
    #[arg(long, value_enum, default_value = "tax-min")]
    pub lot_order: LotOrderArg,

    /// Sales may realize at most this net gain (0: no net gain, losses may offset gains).
    #[arg(long, value_name = "AMOUNT", value_parser = parse_decimal, allow_hyphen_values = true)]
    pub max_realized_gain: Option<Decimal>,

    /// Tax rate on net short-term gains, for the estimate, in percent (`37` and `37%` both mean
    /// 37%; `0.5` means 0.5%).
    #[arg(long, value_name = "PCT", default_value = "0", value_parser = parse_percent, allow_hyphen_values = true)]
    pub tax_rate_short: Decimal,

    /// Tax rate on net long-term gains, for the estimate, in percent (`20` = `20%`).
    #[arg(long, value_name = "PCT", default_value = "0", value_parser = parse_percent, allow_hyphen_values = true)]
    pub tax_rate_long: Decimal,

    /// US wash-sale guard, with the export's Trades section: `block` skips buys of a symbol sold
    /// at a loss in the last 30 days (the cash goes elsewhere) and flags loss sales within 30
    /// days of a buy; `warn` only flags; `off` ignores trades.
    #[arg(long, value_enum, default_value = "block")]
    pub wash_sale: WashSaleArg,

    /// Funds to buy instead of one the wash-sale guard blocks (TOML: `VTI = ["ITOT", "SCHB"]`;
    /// a `[substitutes]` table in the targets file works too). Each needs a price: held, or
    /// `[ITOT] weight = 0, price = …` in the targets file.
    #[arg(long, value_name = "FILE")]
    pub substitutes: Option<PathBuf>,

    /// The plan's date (YYYY-MM-DD), for short- vs long-term lots. Default: today.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<jiff::civil::Date>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

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
        assert_eq!(edit_distance("kitten", "sitting"), 3);
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
