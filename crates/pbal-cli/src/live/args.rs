//! Arguments of the live commands.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use rust_decimal::Decimal;

use crate::cli::{CashArg, EngineArgs, OrderTypeArg, cash_parser, parse_limit_offset};
use crate::decimal_arg::{parse_non_negative, parse_whole};

/// How to reach the Client Portal gateway.
#[derive(Debug, Clone, Args)]
pub struct GatewayArgs {
    /// The gateway's address; `/v1/api` is added when the URL has no path.
    #[arg(
        long,
        value_name = "URL",
        env = "PBAL_GATEWAY_URL",
        default_value = "https://localhost:5000"
    )]
    pub gateway: String,
    /// Trust only this certificate (PEM), e.g. the one `pbal gateway trust` would save.
    #[arg(
        long,
        value_name = "PEM",
        env = "PBAL_GATEWAY_CERT",
        conflicts_with = "insecure_localhost"
    )]
    pub gateway_cert: Option<PathBuf>,
    /// Accept the gateway's self-signed certificate unchecked (only for localhost; no proxy,
    /// no redirects).
    #[arg(long)]
    pub insecure_localhost: bool,
    /// The account to use (required when the login has several).
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// Seconds to wait for one answer from the gateway. An order whose answer does not come in
    /// time is looked for by its client order id on the next run, never re-sent blindly. The
    /// first check of the session waits this long at most (25 s at most): a gateway nobody has
    /// logged in to holds API calls open.
    #[arg(long, value_name = "SECONDS", default_value = "15", value_parser = |s: &str| parse_whole(s, 1, 600), allow_hyphen_values = true)]
    pub request_timeout: u64,
    /// When another session (TWS, IBKR Mobile, the web portal) uses this username, take the
    /// brokerage session from it (`compete: true` on IBKR's session restart). That
    /// DISCONNECTS the other login. Without it pbal never competes: it stops and says so.
    #[arg(long)]
    pub take_over_session: bool,
}

/// Arguments of `pbal trade`.
#[derive(Debug, Args)]
pub struct TradeArgs {
    /// Gateway connection.
    #[command(flatten)]
    pub gateway: GatewayArgs,

    /// Read positions from this export instead of the gateway (cash still comes from the
    /// gateway's ledger).
    #[arg(long, value_name = "FILE")]
    pub positions: Option<PathBuf>,

    /// Trade every account of the login as one household: one plan (as `pbal plan
    /// --all-accounts`), one confirmation, then account by account, each with its own cash
    /// and its own orders (sells first). Each account's cash is its ledger's: a deposit must
    /// be made before the run; a withdrawal (negative `--cash`) is raised and left as cash.
    #[arg(long, conflicts_with_all = ["positions", "cash_total", "queue_for_open", "convert_currency"])]
    pub all_accounts: bool,

    /// With `--all-accounts` and a withdrawal (a negative `--cash`): the account it comes out
    /// of. Default: taken out of the taxable accounts by what each has after its orders, as
    /// `pbal plan --all-accounts` does. pbal leaves the money as cash; the transfer is yours.
    #[arg(long, value_name = "ID", requires = "all_accounts")]
    pub cash_account: Option<String>,

    /// How accounts are taxed, for `--all-accounts`: `ID=KIND,...` with KIND `taxable`
    /// (default), `tax-deferred` or `tax-free` (config: an `[accounts]` table).
    #[arg(long, value_name = "ID=KIND,...", value_parser = crate::commands::plan::parse_account_kinds)]
    pub account_kind: Option<crate::commands::plan::AccountKinds>,

    /// Money moving in (a deposit) or, negative, out (a withdrawal), on top of the ledger's
    /// cash; `available`: the ledger's cash alone.
    #[arg(short, long, default_value = "available", value_parser = cash_parser(), hide_possible_values = true, allow_hyphen_values = true)]
    pub cash: CashArg,

    /// Plan with this amount as the whole cash (negative: a withdrawal to raise), the ledger's
    /// cash not counted; the buys still never spend more than the ledger shows.
    #[arg(long, value_name = "AMOUNT", value_parser = crate::decimal_arg::parse_decimal, allow_hyphen_values = true, conflicts_with = "cash")]
    pub cash_total: Option<rust_decimal::Decimal>,

    /// How the plan may trade.
    #[command(flatten)]
    pub engine: EngineArgs,

    /// Market or limit orders.
    #[arg(long, value_enum, default_value = "mkt")]
    pub order_type: OrderTypeArg,

    /// For limit orders: basis points above the price for buys, below it for sells.
    #[arg(long, value_name = "BPS", default_value = "10", value_parser = parse_limit_offset, allow_hyphen_values = true)]
    pub limit_offset: u32,

    /// Refuse to place any order worth more than this (base currency).
    #[arg(long, value_name = "AMOUNT", value_parser = parse_non_negative, allow_hyphen_values = true)]
    pub max_order: Option<Decimal>,

    /// Place without asking for the account id first.
    #[arg(long)]
    pub yes: bool,

    /// Show the plan and IBKR's preview of every order, then stop: nothing is placed.
    #[arg(long)]
    pub dry_run: bool,

    /// Also answer "yes" to IBKR questions with this message id (repeatable).
    ///
    /// Confirmed by default, because they are informational: o10151 (a market order), o10153
    /// (IBKR may cap the price to keep the market orderly), o403 (the order will likely fill
    /// at once), p12 (IBKR's price-management algorithm). Never confirmed unless named here:
    /// o163, o383 and o451, the account's own Precautionary Settings (price percentage, size
    /// and total value limits); the run stops with the order unplaced and IBKR's text. o354
    /// (no market data) is never confirmed for a market order, even when named. A currency
    /// conversion (sized in cash) also gets "yes" to o10223 and o10164, IBKR's cash-quantity
    /// notices. Any other question, and one without a message id, stops the run.
    #[arg(long, value_name = "ID")]
    pub allow_question: Vec<String>,

    /// Start from an empty question allow-list instead of the default one.
    #[arg(long)]
    pub no_default_questions: bool,

    /// When the market is closed (IBKR shows only the previous close), place the orders that
    /// need no re-planning for the open anyway: the sells (the buys wait for their proceeds
    /// and a run after the open), or the buys of a buy-only plan. Without it pbal stops before
    /// placing anything and says when the market opens. A halted contract always stops.
    #[arg(long)]
    pub queue_for_open: bool,

    /// When a buy would take a currency balance below zero (IBKR would lend it at interest, or
    /// refuse it in a cash account), convert the missing amount (plus up to 1%) from the base
    /// currency first: a currency conversion order on IBKR's CASH pair (e.g. EUR.USD), shown
    /// with the plan and previewed, placed before the buys (after the sells, whose proceeds it
    /// may use), its fill awaited and the ledger read again. Without it pbal stops before
    /// placing anything.
    #[arg(long)]
    pub convert_currency: bool,

    /// How long to wait for orders to fill, in seconds. Orders still working then stay at
    /// IBKR; pbal prints what filled, what is working and what was not placed, and exits with
    /// code 3 (also when an order is refused after others were placed).
    #[arg(long, value_name = "SECONDS", default_value = "300", value_parser = |s: &str| parse_whole(s, 0, u64::MAX), allow_hyphen_values = true)]
    pub fill_timeout: u64,
}

/// Output format of `pbal status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    /// Text for people.
    Table,
    /// One JSON object.
    Json,
}

/// Arguments of `pbal status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Gateway connection.
    #[command(flatten)]
    pub gateway: GatewayArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: StatusFormat,
}

/// Arguments of `pbal cancel`.
#[derive(Debug, Args)]
pub struct CancelArgs {
    /// Gateway connection.
    #[command(flatten)]
    pub gateway: GatewayArgs,
    /// Cancel without asking.
    #[arg(long)]
    pub yes: bool,
}

/// `pbal gateway …`.
#[derive(Debug, Args)]
pub struct GatewayCommandArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: GatewayCommand,
}

/// Gateway set-up commands.
#[derive(Debug, clap::Subcommand)]
pub enum GatewayCommand {
    /// Show the local gateway's certificate fingerprint and save the certificate, so later
    /// runs trust exactly that certificate.
    #[command(after_help = crate::help::gateway())]
    Trust(TrustArgs),
}

/// Arguments of `pbal gateway trust`.
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// The gateway's address (must be this machine).
    #[arg(
        long,
        value_name = "URL",
        env = "PBAL_GATEWAY_URL",
        default_value = "https://localhost:5000"
    )]
    pub gateway: String,
    /// Where to save the certificate. Default: `gateway.pem` in pbal's data directory, which
    /// the live commands use when `--gateway-cert` is not given.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Save without asking.
    #[arg(long)]
    pub yes: bool,
}
