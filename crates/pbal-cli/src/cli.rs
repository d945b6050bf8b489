//! Argument types and parsers several commands share (the plan's engine options, cash,
//! commission, order type, Flex Web Service access). Each command's own arguments are in its
//! module (`commands::plan::PlanArgs`, …), the command line as a whole in `app`. The doc
//! comments are the user's help text.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use rust_decimal::Decimal;

use crate::decimal_arg::{parse_decimal, parse_non_negative, parse_percent, parse_whole};

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
    #[arg(long, value_name = "MS", env = "PBAL_FLEX_POLL_MS", hide = true, value_parser = |s: &str| parse_whole(s, 0, u64::MAX), allow_hyphen_values = true)]
    pub flex_poll_ms: Option<u64>,
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

/// `--limit-offset`: basis points, 0 to 1000.
pub(crate) fn parse_limit_offset(text: &str) -> Result<u32, String> {
    parse_whole(text, 0, 1000).map(|v| u32::try_from(v).unwrap_or(u32::MAX))
}

/// `--increment`: a power of ten, 0 to 12.
fn parse_increment(text: &str) -> Result<u8, String> {
    parse_whole(text, 0, 12).map(|v| u8::try_from(v).unwrap_or(u8::MAX))
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

/// A value parser whose values are open (`flat:1.50`, `5000`) but start from a few fixed words
/// (`none`, `ibkr-fixed`, `flat:`): shell completion offers the words, the parser `parse`
/// decides. The help text already describes the words, so they are not listed there again
/// (`hide_possible_values` on the argument).
#[derive(Clone)]
pub(crate) struct Words<T> {
    parse: fn(&str) -> Result<T, String>,
    words: &'static [&'static str],
}

impl<T: Clone + Send + Sync + 'static> clap::builder::TypedValueParser for Words<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        // clap's own handling of a plain function: the same messages as before.
        self.parse.parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            self.words
                .iter()
                .map(|w| clap::builder::PossibleValue::new(*w)),
        ))
    }
}

/// `--cash`: an amount or `available`.
pub(crate) fn cash_parser() -> Words<CashArg> {
    Words {
        parse: parse_cash,
        words: &["available"],
    }
}

/// `--commission`: none, ibkr-fixed or flat:AMOUNT.
pub(crate) fn commission_parser() -> Words<CommissionArg> {
    Words {
        parse: parse_commission,
        words: &["none", "ibkr-fixed", "flat:"],
    }
}

/// A parser with words for completion, named by `words` (backtest policies).
pub(crate) fn words<T>(
    parse: fn(&str) -> Result<T, String>,
    words: &'static [&'static str],
) -> Words<T> {
    Words { parse, words }
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
    #[arg(short, long, value_name = "N", value_parser = parse_increment, allow_hyphen_values = true)]
    pub increment: Option<u8>,

    /// Allow fractional shares (quantities in steps of 0.0001).
    #[arg(long)]
    pub fractional: bool,

    /// Commission estimate counted against the cash: none, flat:AMOUNT per order, or ibkr-fixed:
    /// IBKR's fixed rate of each asset's market (US, Canada, Europe in EUR; from the listing
    /// exchange, else the currency), shown in the order's currency; rates in the README.
    #[arg(long, default_value = "none", value_parser = commission_parser(), hide_possible_values = true)]
    pub commission: CommissionArg,

    /// Also allow orders that pay a commission without bringing their asset at least that much
    /// closer to its target (by default every order with a commission must be worth it).
    #[arg(long)]
    pub keep_costly_orders: bool,

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
    #[arg(long, value_name = "AMOUNT", value_parser = parse_non_negative, allow_hyphen_values = true)]
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
