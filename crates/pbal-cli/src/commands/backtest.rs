//! `pbal backtest`: simulate rebalancing policies on a price history and compare them.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use comfy_table::{CellAlignment, ContentArrangement, Table, presets};
use pbal_core::backtest::{self, Config, ContinuousConflict, Every, Policy, PriceTable, Sizing};
use pbal_core::{Commission, PlanOptions, Strategy, Targets};
use pbal_ibkr::Market;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::cli::{CommissionArg, DestinationArg, StrategyArg, commission_parser, words};
use crate::decimal_arg::{parse_non_negative, parse_percent};
use crate::output::emit;

use crate::backtest_view::{
    Outcome, POLICY_COLUMNS, definitions, figure_rows, idle_cash, percent, short_labels, summary,
};
use crate::render::money;
use crate::targets::TargetsFile;

/// Arguments of `pbal backtest`.
#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// Price history CSV: long (`symbol,date,price`) or wide (`date,SYM1,SYM2,...`); dates
    /// like 2000-01-31 or `Jan 31 2000`. A symbol joins when its first price appears.
    #[arg(required_unless_present = "returns", conflicts_with = "returns")]
    pub prices: Option<PathBuf>,

    /// Periodic returns instead of prices: `date,SYM1,SYM2,...`, each the return over the
    /// period ending on that date (in the unit --returns-unit says), compounded into levels
    /// from 100 one period before the first date.
    #[arg(long, value_name = "FILE")]
    pub returns: Option<PathBuf>,

    /// How --returns writes a return: `percent` (1.5 is 1.5%) or `fraction` (0.015 is 1.5%).
    #[arg(long, value_enum, value_name = "UNIT", requires = "returns")]
    pub returns_unit: Option<ReturnsUnitArg>,

    /// Simulate from this date (YYYY-MM-DD; the first price date on or after it).
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub start: Option<jiff::civil::Date>,

    /// Simulate up to this date (YYYY-MM-DD; the last price date on or before it).
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub end: Option<jiff::civil::Date>,

    /// Target weights (the `pbal plan` TOML file). Default: equal weights over all symbols.
    #[arg(short, long, value_name = "FILE")]
    pub targets: Option<PathBuf>,

    /// Strategy of the plans (for policies named without one).
    #[arg(short, long, value_enum, default_value = "buy-only")]
    pub strategy: StrategyArg,

    /// When to rebalance, `[STRATEGY-]SCHEDULE[:THRESHOLD]`: monthly, quarterly, semiannually,
    /// annually, bands (when an asset is beyond ±min(5pp, 25% of its target); a bare `bands`
    /// trades only the assets outside; `bands:ABS/REL` sets the band) or never. THRESHOLD, in
    /// percentage points: on the schedule's dates, trade only when some asset's weight is
    /// more than that from its target (`quarterly:5`). Ignored with --compare.
    #[arg(short, long, value_name = "WHEN", default_value = "quarterly", value_parser = words(policy_name, SCHEDULES), hide_possible_values = true)]
    pub rebalance: String,

    /// Policies to compare, comma-separated, each like --rebalance: schedules
    /// (`quarterly,annually:5,bands`) or strategy-schedule (`full-quarterly,buy-only-annually,
    /// full-monthly:1`). `never` is always added.
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = words(policy_name, POLICIES), hide_possible_values = true)]
    pub compare: Vec<String>,

    /// Absolute band of the bands policies, in percentage points (`5` and `5%` both mean 5
    /// points; the 5/25 rule's default). A policy's own `bands:ABS/REL` wins.
    #[arg(long, value_name = "PCT", default_value = "5%", value_parser = parse_percent, allow_hyphen_values = true)]
    pub band_abs: Decimal,

    /// Relative band of the bands policies, as a percent of the target (`25` = `25%`, the
    /// 5/25 rule's default). The band is the smaller of the two.
    #[arg(long, value_name = "PCT", default_value = "25%", value_parser = parse_percent, allow_hyphen_values = true)]
    pub band_rel: Decimal,

    /// Where threshold and bands policies trade the assets outside: to the target, to the
    /// threshold's (or band's) edge, or halfway. A full threshold policy trading to the edge or
    /// halfway trades only the assets outside.
    #[arg(long, value_enum, default_value = "target")]
    pub to: DestinationArg,

    /// Cash invested on the first date.
    #[arg(long, value_name = "AMOUNT", default_value = "10000", value_parser = parse_non_negative, allow_hyphen_values = true)]
    pub initial: Decimal,

    /// Cash added at the start of every --every period.
    #[arg(long, value_name = "AMOUNT", default_value = "0", value_parser = parse_non_negative, allow_hyphen_values = true)]
    pub contribution: Decimal,

    /// How often the contribution arrives.
    #[arg(long, value_enum, default_value = "month")]
    pub every: EveryArg,

    /// Commission estimate per order: none, flat:AMOUNT, or ibkr-fixed (the schedule of
    /// --market, in the prices' currency: a price file names no market).
    #[arg(long, default_value = "none", value_parser = commission_parser(), hide_possible_values = true)]
    pub commission: CommissionArg,

    /// The market whose IBKR fixed schedule `--commission ibkr-fixed` charges (see the README's
    /// "Commissions"); the prices are taken to be in its currency.
    #[arg(long, value_enum, default_value = "us")]
    pub market: MarketArg,

    /// No order smaller than this amount.
    #[arg(long, value_name = "AMOUNT", value_parser = parse_non_negative, allow_hyphen_values = true)]
    pub min_trade: Option<Decimal>,

    /// Fractional shares. Full rebalances without costs then reach the weights exactly (as
    /// fractional backtesters do); other policies trade in steps of 0.0001 share.
    #[arg(long)]
    pub fractional: bool,

    /// Exact target weights with unrounded quantities instead of pbal's plans (for checking
    /// against other backtesters; needs full policies or never, no commission, no minimum).
    #[arg(long, conflicts_with = "fractional")]
    pub continuous: bool,

    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: BacktestFormat,

    /// Also write a self-contained HTML report with charts to this file.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,

    /// Also write each policy's value, cash and weights on every date to this CSV file
    /// (`policy,date,value,cash,SYM1,…`, weights as fractions after the date's trades).
    #[arg(long, value_name = "FILE.csv")]
    pub series: Option<PathBuf>,

    /// Write the output to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// A market with a verified IBKR fixed schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MarketArg {
    /// US exchanges: USD 0.005 a share, at least USD 1, at most 1%.
    Us,
    /// Canadian exchanges: CAD 0.01 a share, at least CAD 1, at most 0.5%.
    Canada,
    /// Euro-area exchanges: 0.05% of the value, at least EUR 3.
    Europe,
    /// The London Stock Exchange: 0.05% of the value, at least GBP 3.
    Uk,
}

impl MarketArg {
    fn market(self) -> Market {
        match self {
            Self::Us => Market::UnitedStates,
            Self::Canada => Market::Canada,
            Self::Europe => Market::Europe,
            Self::Uk => Market::UnitedKingdom,
        }
    }
}

/// How `--returns` writes a return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReturnsUnitArg {
    /// 1.5 is 1.5%.
    Percent,
    /// 0.015 is 1.5%.
    Fraction,
}

/// A date written YYYY-MM-DD.
fn parse_day(text: &str) -> Result<jiff::civil::Date, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a date: write YYYY-MM-DD, e.g. 1926-01-01"))
}

/// How often contributions arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EveryArg {
    /// Every month.
    Month,
    /// Every quarter.
    Quarter,
    /// Every year.
    Year,
}

/// Output format of `pbal backtest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BacktestFormat {
    /// A table for people.
    Table,
    /// One JSON object (money as strings, ratios as numbers).
    Json,
}

pub(crate) fn run(args: &BacktestArgs) -> Result<()> {
    if args.market != MarketArg::Us && args.commission.0 != Commission::IbkrFixed {
        return Err(crate::error::UsageError(
            "--market chooses the schedule of --commission ibkr-fixed; add that option".into(),
        )
        .into());
    }
    let policies = policies(args)?;
    check_continuous(args, &policies)?;
    let (path, prices) = read_history(args)?;
    let prices = window(prices, args.start, args.end)
        .with_context(|| format!("cannot backtest {}", path.display()))?;
    let mut config = config(args, &prices)?;
    // `--fractional` means exact weights whenever continuous sizing can simulate them.
    if args.fractional && config.continuous_applies(&policies) {
        config.sizing = Sizing::Continuous;
    }
    let spinner = crate::progress::spinner(&format!(
        "backtesting {} of prices",
        crate::ui::count(prices.dates().len(), "date", "dates")
    ));
    let runs = backtest::compare(&prices, &config, &policies)
        .with_context(|| format!("cannot backtest {}", path.display()))?;
    drop(spinner);
    let outcome = Outcome {
        source: path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        prices,
        config,
        runs,
    };
    // The table says it below the figures; other outputs on stderr.
    if args.format != BacktestFormat::Table
        && let Some((policy, share)) = idle_cash(&outcome)
    {
        crate::ui::warn(&idle_cash_warning(&policy, share));
    }
    if let Some(path) = &args.report {
        emit(&crate::report_html::render(&outcome), Some(path))?;
    }
    if let Some(path) = &args.series {
        emit(&series_csv(&outcome), Some(path))?;
    }
    let text = match args.format {
        BacktestFormat::Table => table(&outcome),
        BacktestFormat::Json => {
            let mut s = serde_json::to_string_pretty(&json_value(&outcome))?;
            s.push('\n');
            s
        }
    };
    emit(&text, args.output.as_deref())
}

/// The prices file, or the returns file compounded into levels, and its path.
fn read_history(args: &BacktestArgs) -> Result<(PathBuf, PriceTable)> {
    if let Some(path) = &args.returns {
        let unit = match args.returns_unit {
            Some(ReturnsUnitArg::Percent) => crate::returns::Unit::Percent,
            Some(ReturnsUnitArg::Fraction) => crate::returns::Unit::Fraction,
            None => {
                return Err(crate::error::UsageError(
                    "--returns needs --returns-unit percent or fraction (is 1.5 a return of \
                     1.5% or of 150%?)"
                        .into(),
                )
                .into());
            }
        };
        return Ok((path.clone(), crate::returns::read(path, unit)?));
    }
    let path = args.prices.clone().unwrap_or_default();
    let prices = pbal_ibkr::read_prices_path(&path)?;
    Ok((path, prices))
}

/// The dates from `start` to `end` (both included) of `prices`.
fn window(
    prices: PriceTable,
    start: Option<jiff::civil::Date>,
    end: Option<jiff::civil::Date>,
) -> Result<PriceTable> {
    if start.is_none() && end.is_none() {
        return Ok(prices);
    }
    let inside = |d: jiff::civil::Date| start.is_none_or(|s| d >= s) && end.is_none_or(|e| d <= e);
    let rows: Vec<_> = prices
        .dates()
        .iter()
        .enumerate()
        .filter(|&(_, &d)| inside(d))
        .map(|(r, &d)| (d, prices.row(r).to_vec()))
        .collect();
    if rows.is_empty() {
        let show =
            |d: Option<jiff::civil::Date>| d.map_or_else(|| "…".to_owned(), |d| d.to_string());
        anyhow::bail!(
            "no price dates from {} to {} (the file has {} to {})",
            show(start),
            show(end),
            prices.dates()[0],
            prices.dates()[prices.dates().len() - 1]
        );
    }
    Ok(PriceTable::new(prices.symbols().to_vec(), rows)?)
}

fn strategy(arg: StrategyArg) -> Strategy {
    match arg {
        StrategyArg::BuyOnly => Strategy::BuyOnly,
        StrategyArg::Full => Strategy::Full,
        StrategyArg::Bands => Strategy::Bands,
    }
}

/// A policy name checked while parsing, so a mistyped one is a usage error (exit 2).
/// `--rebalance`'s words, for shell completion.
const SCHEDULES: &[&str] = &[
    "monthly",
    "quarterly",
    "semiannually",
    "annually",
    "bands",
    "never",
];

/// `--compare`'s words: a schedule, or a strategy and a schedule.
const POLICIES: &[&str] = &[
    "monthly",
    "quarterly",
    "semiannually",
    "annually",
    "bands",
    "never",
    "full-monthly",
    "full-quarterly",
    "full-semiannually",
    "full-annually",
    "full-bands",
    "buy-only-monthly",
    "buy-only-quarterly",
    "buy-only-semiannually",
    "buy-only-annually",
    "buy-only-bands",
];

fn policy_name(text: &str) -> Result<String, String> {
    Policy::parse(text, Strategy::BuyOnly)
        .map(|_| text.to_owned())
        .map_err(|e| e.to_string())
}

/// `--continuous` only simulates exact weights (pbal-core's `continuous_conflict` says when):
/// checked before any work, naming the options (exit 2).
fn check_continuous(args: &BacktestArgs, policies: &[Policy]) -> Result<()> {
    if !args.continuous {
        return Ok(());
    }
    let options = plan_options(args);
    for (&policy, name) in policies.iter().zip(policy_names(args)) {
        let Some(conflict) = backtest::continuous_conflict(&options, args.contribution, policy)
        else {
            continue;
        };
        let message = match conflict {
            ContinuousConflict::Commission => {
                "--continuous cannot be used with --commission (exact weights have no costs)"
                    .to_owned()
            }
            ContinuousConflict::MinTrade => "--continuous cannot be used with --min-trade".into(),
            ContinuousConflict::NotFull(_) => format!(
                "--continuous needs full rebalancing: use `-s full` or name full policies in \
                 --compare (e.g. full-quarterly), not {}",
                written(args, name)
            ),
            ContinuousConflict::BandsWithContributions => {
                "--continuous with bands cannot be used with --contribution".into()
            }
            ContinuousConflict::ThresholdWithContributions => format!(
                "--continuous with a threshold policy ({}) cannot be used with --contribution",
                named(args, name)
            ),
            ContinuousConflict::NotToTarget => format!(
                "--continuous trades to the target: it cannot be used with --to {} ({})",
                destination_name(args.to),
                named(args, name)
            ),
            other => format!("--continuous: {other}"),
        };
        return Err(crate::error::UsageError(message).into());
    }
    Ok(())
}

/// How the user named the policy `name` (one of [`policy_names`]), for errors: the option
/// that set its strategy (`-s buy-only`), or the name itself when it has one
/// (`buy-only-quarterly in --compare`).
fn written(args: &BacktestArgs, name: &str) -> String {
    use clap::ValueEnum as _;
    let has_strategy =
        Policy::parse(name, Strategy::BuyOnly).ok() == Policy::parse(name, Strategy::Full).ok();
    let option = if args.compare.is_empty() {
        "-r"
    } else {
        "--compare"
    };
    if has_strategy {
        return format!("`{option} {name}`");
    }
    let strategy = args
        .strategy
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_owned());
    if args.compare.is_empty() {
        format!("`-s {strategy}`")
    } else {
        format!("`{name}` in --compare with `-s {strategy}`")
    }
}

/// The policy `name` (one of [`policy_names`]) with the option that gave it: `-r quarterly:5`
/// or `quarterly:5` in --compare.
fn named(args: &BacktestArgs, name: &str) -> String {
    if args.compare.is_empty() {
        format!("`-r {name}`")
    } else {
        format!("`{name}` in --compare")
    }
}

/// The policies as named: `--compare`'s, or `--rebalance`.
fn policy_names(args: &BacktestArgs) -> Vec<&str> {
    if args.compare.is_empty() {
        vec![args.rebalance.as_str()]
    } else {
        args.compare.iter().map(String::as_str).collect()
    }
}

fn destination_name(to: DestinationArg) -> &'static str {
    match to {
        DestinationArg::Target => "target",
        DestinationArg::Edge => "edge",
        DestinationArg::Half => "half",
    }
}

pub(crate) fn policies(args: &BacktestArgs) -> Result<Vec<Policy>> {
    let default = strategy(args.strategy);
    policy_names(args)
        .into_iter()
        .map(|n| Policy::parse(n, default).map_err(anyhow::Error::from))
        .collect()
}

/// The options of every plan of the backtest (the strategy comes from each policy).
fn plan_options(args: &BacktestArgs) -> PlanOptions {
    let commission = match (args.commission.0, args.market.market().ibkr_fixed()) {
        (Commission::IbkrFixed, Some(schedule)) => Commission::Schedule(schedule),
        (commission, _) => commission,
    };
    PlanOptions::new()
        .with_min_trade(args.min_trade.unwrap_or_default())
        .with_quantity_step(if args.fractional {
            Decimal::new(1, 4)
        } else {
            Decimal::ONE
        })
        .with_commission(commission)
        .with_bands(
            pbal_core::Bands::new(args.band_abs, args.band_rel).with_destination(match args.to {
                DestinationArg::Target => pbal_core::Destination::Target,
                DestinationArg::Edge => pbal_core::Destination::Edge,
                DestinationArg::Half => pbal_core::Destination::Half,
            }),
        )
}

fn config(args: &BacktestArgs, prices: &PriceTable) -> Result<Config> {
    let targets = match &args.targets {
        Some(path) => TargetsFile::read(path)?.targets()?,
        None => Targets::equal(prices.symbols().iter().cloned())?,
    };
    Ok(Config::new(targets, args.initial)
        .with_contribution(args.contribution)
        .with_every(match args.every {
            EveryArg::Month => Every::Month,
            EveryArg::Quarter => Every::Quarter,
            EveryArg::Year => Every::Year,
        })
        .with_options(plan_options(args))
        .with_sizing(if args.continuous {
            Sizing::Continuous
        } else {
            Sizing::Plan
        }))
}

fn table(o: &Outcome) -> String {
    let symbols = o.prices.symbols();
    let rows: Vec<Vec<(String, String)>> = o
        .runs
        .iter()
        .map(|r| figure_rows(&r.figures, symbols))
        .collect();
    let mut table = Table::new();
    table
        .load_style(presets::ASCII_MARKDOWN)
        .force_no_tty()
        .set_content_arrangement(ContentArrangement::Disabled);
    let columns = if o.runs.len() > POLICY_COLUMNS {
        let mut header = vec!["Policy".to_owned()];
        header.extend(short_labels(symbols));
        table.set_header(header);
        for (run, figures) in o.runs.iter().zip(&rows) {
            let mut row = vec![run.policy.to_string()];
            row.extend(figures.iter().map(|(_, value)| value.clone()));
            table.add_row(row);
        }
        rows[0].len()
    } else {
        let mut header = vec!["Policy".to_owned()];
        header.extend(o.runs.iter().map(|r| r.policy.to_string()));
        table.set_header(header);
        for (i, (label, _)) in rows[0].iter().enumerate() {
            let mut row = vec![label.clone()];
            row.extend(rows.iter().map(|r| r[i].1.clone()));
            table.add_row(row);
        }
        o.runs.len()
    };
    for index in 1..=columns {
        if let Some(column) = table.column_mut(index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", summary(o));
    let _ = writeln!(out, "{table}\n");
    for line in definitions(o) {
        let _ = writeln!(out, "{line}");
    }
    if let Some((policy, share)) = idle_cash(o) {
        let _ = writeln!(out, "{}", idle_cash_warning(&policy, share));
    }
    out
}

/// Whole shares of index-level prices leave cash idle: say how much, and what to do.
fn idle_cash_warning(policy: &str, share: f64) -> String {
    format!(
        "Whole shares left {} of the value in cash after trading, on average ({policy}), \
         which moves the results: with index-level prices, use --fractional (or a larger \
         --initial).",
        percent(share)
    )
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// Every policy's value, cash and weights on every date, one row per policy and date.
fn series_csv(o: &Outcome) -> String {
    let mut s = String::from("policy,date,value,cash");
    for symbol in o.prices.symbols() {
        let _ = write!(s, ",{}", csv_field(symbol));
    }
    s.push('\n');
    for run in &o.runs {
        let name = run.policy.to_string();
        for p in &run.points {
            let _ = write!(
                s,
                "{name},{},{},{}",
                p.date,
                p.value.round_dp(6).normalize(),
                p.cash.round_dp(6).normalize()
            );
            for w in &p.weights {
                let _ = write!(s, ",{}", (w * 1e10).round() / 1e10);
            }
            s.push('\n');
        }
    }
    s
}

/// A ratio for JSON: a number rounded to 10 decimals (stable across platforms' last bits),
/// or null when undefined.
fn ratio(x: f64) -> Value {
    let rounded = (x * 1e10).round() / 1e10;
    serde_json::Number::from_f64(rounded).map_or(Value::Null, Value::Number)
}

fn json_value(o: &Outcome) -> Value {
    let dates = o.prices.dates();
    let policies: Vec<Value> = o
        .runs
        .iter()
        .map(|r| {
            let f = &r.figures;
            json!({
                "name": r.policy.to_string(),
                "final_value": money(f.final_value),
                "contributed": money(f.contributed),
                "cagr": ratio(f.cagr),
                "volatility": ratio(f.volatility),
                "max_drawdown": ratio(f.max_drawdown),
                "sharpe": ratio(f.sharpe),
                "max_drift": ratio(f.max_drift),
                "mean_drift": ratio(f.mean_drift),
                "trades": f.trades,
                "turnover": ratio(f.turnover),
                "commission": money(f.commission),
                "realized_gain_short": money(f.realized_gain_short.round_dp(2)),
                "realized_gain_long": money(f.realized_gain_long.round_dp(2)),
                "mean_cash": money(f.mean_cash.round_dp(2)),
                "rebalances": f.rebalances,
                "mean_cash_share": ratio(f.mean_cash_share),
                "cash_share_after_trades": ratio(f.cash_share_after_trades),
                "mean_weights": o
                    .prices
                    .symbols()
                    .iter()
                    .zip(&f.mean_weights)
                    .map(|(s, w)| (s.clone(), ratio(*w)))
                    .collect::<serde_json::Map<String, Value>>(),
                "year_returns": f
                    .year_returns
                    .iter()
                    .map(|y| json!({"year": y.year, "return": ratio(y.rate), "partial": y.partial}))
                    .collect::<Vec<Value>>(),
            })
        })
        .collect();
    json!({
        "prices": o.source,
        "start": dates[0].to_string(),
        "end": dates[dates.len() - 1].to_string(),
        "dates": dates.len(),
        "symbols": o.prices.symbols(),
        "policies": policies,
        "definitions": {
            "rebalances": "dates on which the policy traded, the first purchase not counted",
            "turnover": backtest::TURNOVER_DEFINITION.trim_start_matches("turnover: "),
            "mean_weights": "each symbol's weight after each date's trades, averaged over all dates",
            "year_returns": "time-weighted, from the year's first price date to the next year's first (partial: the data covers only part of the year)",
        },
    })
}
