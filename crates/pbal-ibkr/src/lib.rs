#![doc = include_str!("../README.md")]
#![warn(clippy::missing_errors_doc)]

mod activity;
mod amount;
mod audit;
pub mod basket;
mod columns;
mod commission;
#[cfg(any(feature = "client-portal", feature = "flex-web"))]
mod crypto;
mod currency_flows;
mod error;
mod excluded;
mod flex_csv;
mod flex_xml;
mod household;
mod household_plan;
mod managed;
mod plan_cash;
mod planning;
mod price_history;
mod rows;
mod skip;
mod statement;
mod targets;
#[cfg(feature = "targets-toml")]
mod targets_toml;
mod text;
mod trailers;
mod values;

#[cfg(feature = "client-portal")]
pub mod client_portal;
#[cfg(feature = "flex-web")]
pub mod flex_web;

use std::io::Read;
use std::path::Path;

pub use amount::{AmountError, parse_amount};
pub use audit::audit_currencies;
pub use commission::{Market, NoSchedule, ibkr_fixed_commission};
pub use currency_flows::{Conversion, Conversions, CurrencyFlow, CurrencyFlows, OrderFigures};
pub use error::Error;
pub use excluded::Excluded;
/// The pbal-core this crate plans with (`Statement::to_holdings` returns its `Portfolio`).
pub use pbal_core;
/// ISO 4217 minor units (from pbal-core, where [`pbal_core::Money`] rounds with them).
pub use pbal_core::currency_decimals;
/// The decimal and date types of this crate's values (pbal-core's re-exports).
pub use pbal_core::{Date, Decimal};
pub use statement::{
    AccountSelection, CashBalance, ExportKind, Holdings, Instrument, LotRow, PastTradeRow,
    Position, Skipped, Statement,
};

pub use household_plan::{HouseholdCash, HouseholdOrders, ShareBasis, SharedCash};
pub use managed::{Managed, Note};
pub use plan_cash::{CashInstruction, PlanCash};
pub use planning::{
    LostLoss, NoCommission, PlanRequest, PreparedPlan, StatementPlan, WashSaleCheck,
    commission_per_market, substitute_blocked_buys,
};
pub use price_history::{PriceHistoryError, parse_history_date, read_prices, read_prices_path};
pub use skip::SkipReason;
pub use targets::{TargetsError, TargetsSpec};

use rows::Collector;

/// Reads an export from a file (the file name appears in every error).
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; then those of [`read_bytes`].
pub fn read_path(path: impl AsRef<Path>) -> Result<Statement, Error> {
    let path = path.as_ref();
    let name = path.display().to_string();
    // std's error: the path is in `Error::Io` already (fs-err would name it a second time).
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: name.clone(),
        source,
    })?;
    read_bytes(&bytes, &name)
}

/// Reads an export from `reader` (stdin, a network stream, …); `source` names it in errors.
///
/// # Errors
/// [`Error::Io`] when `reader` fails; then those of [`read_bytes`].
pub fn read(mut reader: impl Read, source: &str) -> Result<Statement, Error> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(|e| Error::Io {
        path: source.to_owned(),
        source: e,
    })?;
    read_bytes(&bytes, source)
}

/// Reads an export from memory; `source` names it in errors.
///
/// # Errors
/// [`Error::NotUtf8`] for bytes that are not UTF-8 text (nor UTF-16 with a byte-order mark);
/// [`Error::UnknownLayout`] for an empty file or one that is not an export pbal knows;
/// [`Error::NoPositions`] when there is neither an Open Positions section nor cash;
/// [`Error::Structure`] for a broken file (a wrong separator, NUL bytes, truncated XML, data
/// before its header, …); [`Error::UnclosedQuote`] for a quote never closed; [`Error::Parse`]
/// for a malformed field and [`Error::AmbiguousDate`] for a slash date that may be day/month or
/// month/day; [`Error::Duplicate`] for a position listed twice; [`Error::LotsMismatch`] when a
/// position's LOT rows do not add up to its SUMMARY row.
pub fn read_bytes(bytes: &[u8], source: &str) -> Result<Statement, Error> {
    let text = text::decode(bytes, source)?;
    let text: &str = &text;
    text::check_separator(text, source)?;
    let mut collector = Collector::new(source);
    let start = text.trim_start();
    if start.is_empty() {
        return Err(Error::UnknownLayout {
            file: source.to_owned(),
            detail: "the file is empty".into(),
        });
    }
    if start.starts_with('<') {
        flex_xml::read(text, &mut collector)?;
    } else if is_activity_statement(start) {
        collector.kind = ExportKind::ActivityStatement;
        activity::read(text, &mut collector)?;
    } else {
        flex_csv::read(text, &mut collector)?;
    }
    finish(collector)
}

/// An Activity Statement line is `Section,RowType,…` with a known row type.
fn is_activity_statement(text: &str) -> bool {
    let first_line = text.lines().next().unwrap_or("");
    let mut fields = first_line.split(',').map(|f| f.trim().trim_matches('"'));
    let _section = fields.next();
    fields
        .next()
        .is_some_and(|row_type| activity::ROW_TYPES.contains(&row_type))
}

fn finish(mut c: Collector) -> Result<Statement, Error> {
    // An account with cash and nothing bought yet has no Open Positions rows (IBKR then
    // leaves the section out): that is a portfolio of cash, not an error.
    if !c.saw_positions_section && c.cash.is_empty() {
        // A header that nearly names positions: say what it lacks, not that it is absent.
        if let Some((line, message)) = c.near_positions_header.take() {
            return Err(Error::Structure {
                file: c.file.clone(),
                line,
                message,
            });
        }
        return Err(Error::NoPositions {
            file: c.file.clone(),
            detail: "add the Open Positions section to the Flex Query".to_owned(),
        });
    }
    let positions = c.positions()?;
    // The base currency: given, else the one currency whose rows carry a rate of 1.
    if c.base_currency.is_none() {
        let mut at_par: Vec<&str> = positions
            .iter()
            .filter(|p| p.fx_rate_to_base == Some(Decimal::ONE))
            .filter_map(|p| p.currency.as_deref())
            .collect();
        at_par.sort_unstable();
        at_par.dedup();
        let other_rates = positions
            .iter()
            .any(|p| p.fx_rate_to_base.is_some_and(|r| r != Decimal::ONE));
        let only_currency = |c: &str| positions.iter().all(|p| p.currency.as_deref() == Some(c));
        if at_par.len() == 1 && (other_rates || only_currency(at_par[0])) {
            c.base_currency = Some(at_par[0].to_owned());
        }
    }
    let mut positions = positions;
    if let Some(base) = &c.base_currency {
        for p in positions
            .iter_mut()
            .filter(|p| p.fx_rate_to_base.is_none() && p.currency.as_ref() == Some(base))
        {
            p.fx_rate_to_base = Some(Decimal::ONE);
            // Rounded as a value converted with a rate on the row is (one meaning per number).
            p.value_base = Some(p.value.round_dp(4));
        }
    }
    Ok(Statement {
        base_currency: c.base_currency,
        accounts: c.accounts,
        account_aliases: c.account_aliases,
        positions,
        cash: c.cash,
        trades: c.trades,
        skipped: c.skipped,
        source: c.file,
        kind: c.kind,
        report_date: c.report_date,
    })
}
