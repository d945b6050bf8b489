//! `pbal plan`: read positions, make the plan, show it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use clap::{Args, ValueEnum};
use pbal_core::{Money, PlanOptions, Portfolio, Strategy};
use pbal_ibkr::{AccountSelection, PlanRequest, WashSaleCheck};
use rust_decimal::Decimal;

use crate::cli::{
    CashArg, DestinationArg, EngineArgs, FlexArgs, LotOrderArg, OrderTypeArg, StrategyArg,
    WashSaleArg, cash_parser, parse_limit_offset,
};
use crate::decimal_arg::parse_decimal;
use crate::output::{emit, warn};
use crate::render::PlanReport;
use crate::targets::TargetsFile;
use pbal_ibkr::basket::{self, OrderType};

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

/// Arguments of `pbal plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Positions export: an IBKR Flex Query (CSV or XML) or Activity Statement, or the original
    /// tool's CSV (Symbol,PositionValue,MarkPrice,FifoPnlUnrealized); `-` reads it from stdin.
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

    /// Money moving in (a deposit) or, negative, out (a withdrawal), on top of the export's
    /// cash; `available`: the export's cash alone. Without it: the export's cash when it has
    /// cash balances (a Cash Report), else none (the original tool's 4-column files, where the
    /// amount is all the cash). `pbal trade` follows the same rule with the account's cash.
    #[arg(short, long, value_parser = cash_parser(), hide_possible_values = true, allow_hyphen_values = true)]
    pub cash: Option<CashArg>,

    /// Plan with this amount as the whole cash (negative: a withdrawal to raise), the export's
    /// cash balances not counted.
    #[arg(long, value_name = "AMOUNT", value_parser = parse_decimal, allow_hyphen_values = true, conflicts_with = "cash")]
    pub cash_total: Option<Decimal>,

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
    #[arg(long, value_name = "BPS", default_value = "10", value_parser = parse_limit_offset, allow_hyphen_values = true)]
    pub limit_offset: u32,

    /// Write the output to this file instead of stdout (`-`): a regular file whole or not at
    /// all, keeping its mode; a symlink's target; a FIFO or device directly.
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
    /// negative, comes out of). Default: the plan puts a deposit where its orders need it and
    /// says so, and takes a withdrawal out of taxable accounts only.
    #[arg(long, value_name = "ID", requires = "all_accounts")]
    pub cash_account: Option<String>,

    /// With `--all-accounts`: let cash move between the household's taxable accounts where
    /// the orders need it (a transfer line before the orders; never into or out of a
    /// tax-deferred or tax-free account). Off by default: each account pays its own orders.
    #[arg(long, requires = "all_accounts")]
    pub allow_transfers: bool,

    /// How accounts are taxed, for `--all-accounts`: `ID=KIND,...` with KIND `taxable`
    /// (default), `tax-deferred` or `tax-free` (config: an `[accounts]` table). A sale in a
    /// tax-advantaged account realizes nothing taxable, so it is preferred among equal plans.
    #[arg(long, value_name = "ID=KIND,...", value_parser = parse_account_kinds)]
    pub account_kind: Option<AccountKinds>,

    /// Search budget in seconds (e.g. 0.5). Past it the best plan found is printed with how far
    /// from the best possible it can be. Counted as work, not clock time: the same input gives
    /// the same plan on every machine. The default is the library's work limit (2 million
    /// units): more proved no seeded plan faster than the original tool's loop.
    #[arg(long, value_name = "SECONDS", default_value = DEFAULT_TIME_LIMIT, value_parser = parse_time_limit, allow_hyphen_values = true)]
    pub time_limit: std::time::Duration,
}

/// Account kinds by account id.
#[derive(Debug, Clone, Default)]
pub struct AccountKinds(pub BTreeMap<String, pbal_core::AccountKind>);

pub(crate) fn parse_account_kinds(text: &str) -> Result<AccountKinds, String> {
    let mut kinds = BTreeMap::new();
    for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let Some((id, kind)) = item.split_once('=') else {
            return Err(format!(
                "`{item}`: expected ID=KIND (taxable, tax-deferred, tax-free)"
            ));
        };
        let kind: pbal_core::AccountKind = kind.trim().parse()?;
        if kinds.insert(id.trim().to_owned(), kind).is_some() {
            return Err(format!("account {} is given twice", id.trim()));
        }
    }
    Ok(AccountKinds(kinds))
}

/// `--time-limit`'s default: the library's work limit (see the test below).
const DEFAULT_TIME_LIMIT: &str = "0.4";

fn parse_time_limit(text: &str) -> Result<std::time::Duration, String> {
    if text.trim().starts_with('-') {
        return Err(format!("{text:?} must not be negative"));
    }
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
        .map(std::time::Duration::from_secs_f64)
        .ok_or_else(|| format!("{text:?}: expected seconds, more than 0 and at most 86400"))
}

/// The original tool's default input.
const DEFAULT_FILE: &str = "Downloads/positions-custom.csv";

pub(crate) fn run(args: &PlanArgs) -> Result<()> {
    let (file, statement) = if let Some(query) = &args.flex_query {
        let bytes = super::fetch::fetch(query, &args.flex)?;
        let name = PathBuf::from(format!("flex query {query}"));
        let statement = pbal_ibkr::read_bytes(&bytes, &name.display().to_string())?;
        (name, statement)
    } else {
        crate::input::read_export(&positions_file(args.file.as_deref())?)?
    };
    warn_as_of(args.engine.as_of, &statement);
    let targets_file = args
        .engine
        .targets
        .as_deref()
        .map(TargetsFile::read)
        .transpose()?;
    let request = request(args, targets_file.as_ref())?;
    let prepared = prepare(&statement, &request, targets_file.as_ref(), "the export's")?;
    if let (Some(journal), Some(today)) = (crate::journal::Journal::locate(), request.options.as_of)
        && let Some(warning) = crate::journal::recent_rebalance_warning(&journal, today)
    {
        warn(&warning);
    }
    let spinner = crate::progress::spinner(&format!(
        "planning {}",
        crate::ui::count(prepared.portfolio.holdings().len(), "asset", "assets")
    ));
    let limit_basket = matches!(
        (args.format, args.order_type),
        (Format::Basket, OrderTypeArg::Lmt)
    );
    let planned = if limit_basket {
        prepared.plan_limit_orders(args.limit_offset)
    } else {
        prepared.plan().map(|p| (p, Decimal::ZERO))
    };
    drop(spinner);
    let what = file.display().to_string();
    let (planned, held_back) = planned
        .map_err(|e| explain(e, &statement, &request, targets_file.as_ref(), Some(&what)))?;
    if !held_back.is_zero() {
        crate::ui::tell(&format!(
            "the limit orders may fill up to {} basis points through the plan's prices: \
             planned with {} less cash so that they fit the cash even at their limits{}",
            args.limit_offset,
            Money::new(held_back),
            if planned.household.is_some() {
                " (each account's own)"
            } else {
                ""
            }
        ));
    }
    tell_lost_losses(&planned.lost_losses);
    let pbal_ibkr::StatementPlan {
        plan,
        household,
        cash: plan_cash,
        holdings,
        ..
    } = planned;
    if matches!(plan.optimality, pbal_core::Optimality::BestEffort { .. }) {
        warn(&format!(
            "the search stopped before proving this plan optimal: the best possible plan is at \
             most {} percentage points closer to the targets (raise --time-limit to search longer)",
            plan.distance_gap().normalize()
        ));
    }
    if let Some(orders) = &household {
        tell_shared(orders);
        tell_transfers(orders);
    }
    // The export's cash per currency; an amount given on the command line is base currency.
    let cash_by_currency = plan_cash.by_currency(holdings.base_currency.as_deref());
    let report = PlanReport {
        plan: &plan,
        base_currency: holdings.base_currency.as_deref(),
        instruments: &holdings.instruments,
        household: household.as_ref(),
        cash_by_currency: Some(&cash_by_currency),
    };
    if let Some(path) = &args.report {
        let page = crate::report_plan::render(&report, &file.display().to_string());
        crate::output::write_file(path, page.as_bytes())?;
    }
    if let (Format::Json, None) = (args.format, args.output.as_deref()) {
        return crate::output::emit_json(&report.json());
    }
    let text = match args.format {
        Format::Table => report.table(),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&report.json())?;
            s.push('\n');
            s
        }
        Format::Csv => report.csv(),
        Format::Basket => {
            let order_type = match args.order_type {
                OrderTypeArg::Mkt => OrderType::Market,
                OrderTypeArg::Lmt => OrderType::Limit {
                    bps: args.limit_offset,
                },
            };
            // A household plan's orders go into the accounts its split gave them.
            let (text, warnings) = match &household {
                Some(orders) => basket::render_by_account(
                    &plan,
                    &orders.split,
                    &holdings.instruments,
                    holdings.base_currency.as_deref(),
                    order_type,
                ),
                None => basket::render(
                    &plan,
                    &holdings.instruments,
                    holdings.base_currency.as_deref(),
                    order_type,
                ),
            };
            for w in &warnings {
                warn(&w.to_string());
            }
            text
        }
    };
    match (args.format, args.output.as_deref()) {
        (Format::Table, None) => crate::output::emit_table(&text),
        (_, output) => emit(&text, output),
    }
}

/// The library's request from the command line: every input `pbal plan` plans with.
fn request(args: &PlanArgs, targets_file: Option<&TargetsFile>) -> Result<PlanRequest> {
    let mut options = options(&args.engine);
    options.node_limit = PlanOptions::work_for(args.time_limit);
    options.allow_transfers = args.allow_transfers;
    let mut request = engine_request(&args.engine, options, targets_file)?
        .with_selection(selection(args.account.as_ref(), args.all_accounts));
    request.cash = crate::cash::instruction(args.cash, args.cash_total);
    request.cash_account.clone_from(&args.cash_account);
    if let Some(kinds) = &args.account_kind {
        request.account_kinds.clone_from(&kinds.0);
    }
    Ok(request)
}

/// The request's engine part, shared by `plan` and `trade`: the options, the targets, the
/// wash-sale check and the substitutes.
pub(crate) fn engine_request(
    engine: &EngineArgs,
    options: PlanOptions,
    targets_file: Option<&TargetsFile>,
) -> Result<PlanRequest> {
    let mut request =
        PlanRequest::new()
            .with_options(options)
            .with_wash_sale(match engine.wash_sale {
                WashSaleArg::Block => WashSaleCheck::Block,
                WashSaleArg::Warn => WashSaleCheck::Warn,
                WashSaleArg::Off => WashSaleCheck::Off,
            });
    request.targets = targets_file.map(|t| t.spec.clone());
    if let Some(path) = &engine.substitutes {
        for (blocked, list) in crate::targets::read_substitutes(path)? {
            request = request.with_substitutes(blocked, list);
        }
    }
    Ok(request)
}

/// Prepares the plan, telling what was left out, the cash (`where_from`: "the export's",
/// "the account's"), assets without a commission estimate and wash-sale substitutes.
pub(crate) fn prepare<'a>(
    statement: &'a pbal_ibkr::Statement,
    request: &PlanRequest,
    targets_file: Option<&TargetsFile>,
    where_from: &str,
) -> Result<pbal_ibkr::PreparedPlan<'a>> {
    let prepared = match statement.prepare_plan(request) {
        Ok(prepared) => prepared,
        Err(e) => {
            // What was left out is still worth saying when the portfolio cannot be made.
            if let Ok(holdings) =
                statement.holdings_for(&request.selection, request.targets.as_ref())
            {
                tell_excluded(&holdings.excluded);
                if let Some(file) = targets_file {
                    tell_notes(&holdings.notes(request.targets.as_ref()), file);
                }
            }
            return Err(explain(e, statement, request, targets_file, None));
        }
    };
    tell_excluded(&prepared.holdings.excluded);
    if let Some(file) = targets_file {
        tell_notes(&prepared.notes, file);
    }
    crate::ui::tell(&crate::cash::line(
        &prepared.cash,
        prepared.holdings.base_currency.as_deref(),
        where_from,
    ));
    crate::commission::tell_no_commission(&prepared.no_commission);
    tell_substitutions(&prepared.substitutions);
    Ok(prepared)
}

/// The library's error told with the command line's words: which option named an unknown
/// account, how to price a substitute or a target, what to change for a limit basket.
/// `planned`: the export, when the error comes from making the plan ("cannot plan FILE").
pub(crate) fn explain(
    error: pbal_ibkr::Error,
    statement: &pbal_ibkr::Statement,
    request: &PlanRequest,
    targets_file: Option<&TargetsFile>,
    planned: Option<&str>,
) -> anyhow::Error {
    use pbal_ibkr::Error as E;
    let accounts = || statement.accounts.join(", ");
    match error {
        E::UnknownAccount { account, .. }
            if request.cash_account.as_deref() == Some(account.as_str()) =>
        {
            anyhow!(
                "--cash-account {account}: not an account of the export (it has {})",
                accounts()
            )
        }
        E::UnknownAccount { account, .. } if request.account_kinds.contains_key(&account) => {
            anyhow!(
                "--account-kind {account}: not an account of the export (it has {})",
                accounts()
            )
        }
        E::CashAccountWithoutHousehold => crate::error::UsageError(
            "--cash-account needs a household plan of several accounts (--all-accounts)".into(),
        )
        .into(),
        E::LimitOrdersDoNotFit { excess } => {
            let e = anyhow!(
                "no plan found whose limit orders fit the cash at their limit prices ({} more \
                 than the plan's prices); lower --limit-offset or use market orders",
                Money::new(excess)
            );
            match planned {
                Some(what) => e.context(format!("cannot plan {what}")),
                None => e,
            }
        }
        e @ E::UnpricedSubstitute { .. } => unpriced_substitute(e),
        E::Plan(e) => match planned {
            Some(what) => anyhow::Error::new(e).context(format!("cannot plan {what}")),
            None => anyhow::Error::new(e),
        },
        other => {
            let held = statement
                .holdings_for(&request.selection, request.targets.as_ref())
                .map(|h| h.portfolio)
                .ok();
            explain_managed(other, &statement.source, held.as_ref(), targets_file)
        }
    }
}

/// A substitute without a price, with how to give it one.
fn unpriced_substitute(error: pbal_ibkr::Error) -> anyhow::Error {
    match error {
        pbal_ibkr::Error::UnpricedSubstitute {
            substitute,
            blocked,
        } => anyhow!(
            "{substitute}, a substitute for {blocked}, is neither held nor priced: add it to the \
             targets file as\n  [{substitute}]\n  weight = 0\n  price = ..."
        ),
        other => anyhow::Error::new(other),
    }
}

/// IRA buys that lose a taxable loss for good, one warning each.
pub(crate) fn tell_lost_losses(lost: &[pbal_ibkr::LostLoss]) {
    for l in lost {
        warn(&format!(
            "{} ({}) buys {} within 30 days after its loss sale on {} in a taxable account: a \
             wash sale whose loss is lost for good, not deferred (IRS Rev. Rul. 2008-5); \
             --wash-sale block keeps such buys out of the plan",
            l.account,
            l.kind.name(),
            l.symbol,
            l.loss_sale
        ));
    }
}

/// Blocked buys moved to substitutes, one warning each.
fn tell_substitutions(moved: &[pbal_core::Substitution]) {
    for m in moved {
        warn(&format!(
            "{} was sold at a loss on {} (wash-sale window): its buys go to {} instead ({:.2}% of the portfolio)",
            m.blocked,
            m.loss_sale,
            m.substitute,
            m.weight_moved * Decimal::ONE_HUNDRED
        ));
    }
}

/// `--as-of` decides which lots are long-term and which trades fall in a wash-sale window: a
/// day in the future or before the export's positions is most likely a slip, so it is told.
pub(crate) fn warn_as_of(as_of: Option<jiff::civil::Date>, statement: &pbal_ibkr::Statement) {
    let Some(as_of) = as_of else { return };
    let affects = "holding periods (short- or long-term lots, and so the tax estimate) and the \
                   30-day wash-sale windows are counted to that day";
    if as_of > crate::clock::today() {
        warn(&format!("--as-of {as_of} is in the future: {affects}"));
    } else if let Some(report) = statement.report_date
        && as_of < report
    {
        warn(&format!(
            "--as-of {as_of} is before the export's report date {report}: {affects}, not to the \
             day of its positions"
        ));
    }
}

/// The transfers a plan needs before its orders (`--allow-transfers`): on stderr too, so that
/// a basket, CSV or JSON user sees them (the orders overdraw their accounts without them).
fn tell_transfers(orders: &pbal_ibkr::HouseholdOrders) {
    if orders.transfers.is_empty() {
        return;
    }
    let listed: Vec<String> = orders
        .transfers
        .iter()
        .map(|t| format!("{} from {} to {}", Money::new(t.amount), t.from, t.to))
        .collect();
    crate::ui::tell(&format!(
        "move {} before placing the orders (--allow-transfers: the orders need it)",
        listed.join(", ")
    ));
}

/// Where the new cash goes (or comes from), when pbal chose it.
fn tell_shared(orders: &pbal_ibkr::HouseholdOrders) {
    if let Some(shared) = &orders.shared {
        let listed: Vec<String> = shared
            .parts
            .iter()
            .map(|(a, c)| {
                format!(
                    "{} {} {a}",
                    Money::new(c.abs()),
                    if *c < Decimal::ZERO { "from" } else { "into" }
                )
            })
            .collect();
        let verb = if shared.amount < Decimal::ZERO {
            "withdraw"
        } else {
            "deposit"
        };
        crate::ui::tell(&format!(
            "{verb} {} (the plan chose the account{}; name one with --cash-account ID)",
            listed.join(" and "),
            if listed.len() > 1 { "s" } else { "" },
        ));
    }
}

fn positions_file(given: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = given {
        return Ok(path.to_owned());
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let default = home.map(|h| h.join(DEFAULT_FILE));
    match default {
        Some(path) if path.exists() => Ok(path),
        Some(path) => bail!(
            "no positions file given, and the default {} does not exist.\n\
             Pass the file: `pbal plan FILE` (an IBKR Flex Query or Activity Statement export, \
             or the original CSV with Symbol,PositionValue,MarkPrice,FifoPnlUnrealized).",
            path.display()
        ),
        None => bail!("no positions file given (and HOME is not set): pass `pbal plan FILE`"),
    }
}

pub(crate) fn selection(account: Option<&String>, all: bool) -> AccountSelection {
    match (account, all) {
        (Some(id), _) => AccountSelection::Only(id.clone()),
        (None, true) => AccountSelection::All,
        (None, false) => AccountSelection::Single,
    }
}

/// What the plan leaves out, one line per reason (all shorts together, not one line each).
fn tell_excluded(excluded: &[pbal_ibkr::Excluded]) {
    for left_out in excluded {
        match left_out {
            pbal_ibkr::Excluded::Short { symbol, .. } => {
                crate::ui::warn_grouped("short", "", symbol, |_, symbols| match symbols {
                    [one] => format!("{one}: short position, left out of the plan"),
                    _ => format!(
                        "{}: short positions, left out of the plan",
                        crate::ui::and_list(symbols)
                    ),
                });
            }
            pbal_ibkr::Excluded::NotStockOrFund {
                symbol,
                asset_class,
            } => {
                let item = format!("{symbol} ({asset_class})");
                crate::ui::warn_grouped("not a stock or fund", "", &item, |_, items| match items {
                    [one] => format!(
                        "{one}: not a stock or fund, left out of the plan (name it in the \
                             targets to include it)"
                    ),
                    _ => format!(
                        "{}: not stocks or funds, left out of the plan (name them in the \
                             targets to include them)",
                        crate::ui::and_list(items)
                    ),
                });
            }
            other => warn(&other.to_string()),
        }
    }
}

/// What the targets file leaves implicit, grouped (one line for all symbols without a target).
fn tell_notes(notes: &[pbal_ibkr::Note], file: &TargetsFile) {
    let file_name = file.path.display().to_string();
    for note in notes {
        match note {
            pbal_ibkr::Note::NoTarget { symbol } => {
                crate::ui::warn_grouped("no target", &file_name, symbol, |file, symbols| {
                    match symbols {
                        [one] => format!(
                            "{one} is held but has no target in {file}: its target is 0% (add it to `exclude` to leave it alone)"
                        ),
                        _ => format!(
                            "{} are held but have no target in {file}: their targets are 0% (add them to `exclude` to leave them alone)",
                            crate::ui::and_list(symbols)
                        ),
                    }
                });
            }
            pbal_ibkr::Note::ExcludedNotHeld { symbol } => {
                crate::ui::warn_grouped("excluded, not held", "", symbol, |_, symbols| {
                    let verb = if symbols.len() == 1 { "is" } else { "are" };
                    format!(
                        "{} {verb} excluded but not held",
                        crate::ui::and_list(symbols)
                    )
                });
            }
            pbal_ibkr::Note::ZeroTargetNotHeld { symbol } => {
                crate::ui::warn_grouped("zero target, not held", "", symbol, |_, symbols| {
                    let (verb, their) = if symbols.len() == 1 {
                        ("has a 0% target and is", "it is")
                    } else {
                        ("have 0% targets and are", "they are")
                    };
                    format!(
                        "{} {verb} not held: nothing to do, {their} ignored",
                        crate::ui::and_list(symbols)
                    )
                });
            }
            other => warn(&other.to_string()),
        }
    }
}

/// The managed portfolio's errors with the CLI's hints (`held`: the holdings, for "did you
/// mean").
fn explain_managed(
    error: pbal_ibkr::Error,
    source: &str,
    held: Option<&Portfolio>,
    targets_file: Option<&TargetsFile>,
) -> anyhow::Error {
    match error {
        // pbal-core's cause ("the portfolio is empty") would say it a second time.
        pbal_ibkr::Error::NothingHeld { .. } => anyhow!(
            "{source}: the export holds no positions: give a targets file with a price for \
             each fund to buy (`[VTI]`, `weight = 60`, `price = 250.50`)"
        ),
        pbal_ibkr::Error::UnpricedTarget {
            file,
            symbol,
            held_as: Some(upper),
        } => anyhow!(
            "{file}: {symbol} has a target but is not held, and {upper} is: symbols are \
             case-sensitive, write {upper}"
        ),
        pbal_ibkr::Error::UnpricedTarget { file, symbol, .. } => {
            let spec = targets_file.map(|t| &t.spec);
            let near = held.zip(spec).and_then(|(held, spec)| {
                let symbols = held.holdings().iter().map(|h| h.symbol.as_str());
                crate::targets::held_near(&symbol, symbols, spec)
            });
            match near {
                Some(near) => anyhow!(
                    "{file}: {symbol} has a target but is not held; did you mean {near}? \
                     ({near} is held and has no target)"
                ),
                None => anyhow!(
                    "{file}: {symbol} has a target but is not held; give its price:\n  [{symbol}]\n  weight = ...\n  price = ..."
                ),
            }
        }
        pbal_ibkr::Error::Portfolio { source, .. } => anyhow::Error::new(source),
        pbal_ibkr::Error::TargetWeights { file, source } => {
            anyhow::Error::new(source).context(file)
        }
        other => anyhow::Error::new(other),
    }
}

pub(crate) fn options(args: &EngineArgs) -> PlanOptions {
    let min_trade = match (args.min_trade, args.increment) {
        (Some(m), _) => m,
        (None, Some(n)) => Decimal::from(10u64.pow(u32::from(n))),
        (None, None) => Decimal::ZERO,
    };
    // Field by field: `PlanOptions` is non-exhaustive, so no struct literal here.
    let mut options = PlanOptions::default();
    options.strategy = match args.strategy {
        StrategyArg::BuyOnly => Strategy::BuyOnly,
        StrategyArg::Full => Strategy::Full,
        StrategyArg::Bands => Strategy::Bands,
    };
    options.bands = (args.bands || args.strategy == StrategyArg::Bands).then_some(
        pbal_core::Bands::new(args.band_abs, args.band_rel).with_destination(match args.to {
            DestinationArg::Target => pbal_core::Destination::Target,
            DestinationArg::Edge => pbal_core::Destination::Edge,
            DestinationArg::Half => pbal_core::Destination::Half,
        }),
    );
    options.min_trade = min_trade;
    options.quantity_step = if args.fractional {
        Decimal::new(1, 4)
    } else {
        Decimal::ONE
    };
    options.commission = args.commission.0;
    options.keep_costly_orders = args.keep_costly_orders;
    options.lot_order = match args.lot_order {
        LotOrderArg::TaxMin => pbal_core::LotOrder::TaxMin,
        LotOrderArg::Hifo => pbal_core::LotOrder::Hifo,
        LotOrderArg::Fifo => pbal_core::LotOrder::Fifo,
    };
    options.as_of = Some(args.as_of.unwrap_or_else(crate::clock::today));
    options.max_realized_gain = args.max_realized_gain;
    options.tax_rate_short = args.tax_rate_short;
    options.tax_rate_long = args.tax_rate_long;
    options.reserve = args.reserve;
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_time_limit_is_the_library_work_limit() {
        let limit = parse_time_limit(DEFAULT_TIME_LIMIT).expect("a valid default");
        assert_eq!(PlanOptions::work_for(limit), PlanOptions::new().node_limit);
    }
}
