//! `pbal positions`: show what pbal read from an export, and what it skipped.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};
use comfy_table::{CellAlignment, ContentArrangement, Table, presets};

use crate::output::emit;

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
    /// The export to read (Flex Query CSV/XML, Activity Statement, or the original CSV); `-`
    /// reads it from stdin.
    pub file: PathBuf,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: PositionsFormat,
    /// Write the output to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub(crate) fn run(args: &PositionsArgs) -> Result<()> {
    let (_, statement) = crate::input::read_export(&args.file)?;
    let text = match args.format {
        PositionsFormat::Json => {
            let mut s = serde_json::to_string_pretty(&statement)?;
            s.push('\n');
            s
        }
        PositionsFormat::Table => table(&statement),
    };
    emit(&text, args.output.as_deref())
}

/// One column of the positions table: its header, alignment and a cell per position.
struct Column {
    header: String,
    right: bool,
    cells: Vec<String>,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A price as the plan groups money (`1,101.53`), but exact: a mark of 0.8125 is not shown as
/// 0.81 in a listing of what the file says.
fn price(d: rust_decimal::Decimal) -> String {
    let text = crate::render::money(d);
    let (sign, digits) = text.split_at(usize::from(text.starts_with('-')));
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let mut grouped = String::with_capacity(text.len() + whole.len() / 3);
    grouped.push_str(sign);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if !fraction.is_empty() {
        grouped.push('.');
        grouped.push_str(fraction);
    }
    grouped
}

/// A position's value in the base currency: the file's, else its value at the rate another
/// position in its currency gives (as `pbal plan` converts it); `None` without a rate.
fn value_in_base(
    statement: &pbal_ibkr::Statement,
    p: &pbal_ibkr::Position,
) -> Option<rust_decimal::Decimal> {
    p.value_base.or_else(|| {
        let currency = p.currency.as_deref()?;
        let rate = statement
            .positions
            .iter()
            .filter(|o| o.currency.as_deref() == Some(currency))
            .find_map(|o| o.fx_rate_to_base)?;
        p.value.checked_mul(rate)
    })
}

fn table(statement: &pbal_ibkr::Statement) -> String {
    use pbal_core::Money;
    let mut out = String::new();
    // Only what the file says: the original tool's CSV names neither.
    if let Some(base) = &statement.base_currency {
        let _ = writeln!(out, "Base currency: {base}");
    }
    if !statement.accounts.is_empty() {
        let _ = writeln!(out, "Accounts: {}", statement.accounts.join(", "));
    }
    if !out.is_empty() {
        out.push('\n');
    }
    let positions = &statement.positions;
    let base = statement.base_currency.as_deref();
    if positions.is_empty() {
        let _ = writeln!(out, "No positions in {}.", statement.source);
    } else {
        out.push_str(&positions_table(statement));
    }
    if !statement.cash.is_empty() {
        out.push_str("\nCash:\n");
        for c in &statement.cash {
            let account = c
                .account
                .as_deref()
                .map(|a| format!("{a} "))
                .unwrap_or_default();
            let currency = match (c.currency.as_str(), base) {
                ("BASE", Some(base)) => format!("{base} (base summary)"),
                ("BASE", None) => "base-currency summary".to_owned(),
                (code, _) => code.to_owned(),
            };
            let _ = writeln!(out, "  {account}{currency} {}", Money::new(c.amount));
        }
    }
    if !statement.skipped.is_empty() {
        let _ = write!(
            out,
            "\nSkipped {}:\n",
            plural(statement.skipped.len(), "row", "rows")
        );
        for s in &statement.skipped {
            let _ = writeln!(out, "  line {}: {}", s.line, s.reason);
        }
    }
    out
}

/// The positions as a table without empty columns, and a note for values without a rate.
fn positions_table(statement: &pbal_ibkr::Statement) -> String {
    use pbal_core::Money;
    let positions = &statement.positions;
    let column = |header: &str, right, cell: &dyn Fn(&pbal_ibkr::Position) -> String| Column {
        header: header.to_owned(),
        right,
        cells: positions.iter().map(cell).collect(),
    };
    let money =
        |d: Option<rust_decimal::Decimal>| d.map(|d| Money::new(d).to_string()).unwrap_or_default();
    let base = statement.base_currency.as_deref();
    let value_base_header = format!("Value {}", base.unwrap_or("base"));
    let mut columns = [
        column("Account", false, &|p| p.account.clone().unwrap_or_default()),
        column("Symbol", false, &|p| p.symbol.clone()),
        column("Class", false, &|p| {
            p.asset_class.clone().unwrap_or_default()
        }),
        column("Currency", false, &|p| {
            p.currency.clone().unwrap_or_default()
        }),
        column("Quantity", true, &|p| p.quantity.normalize().to_string()),
        column("Price", true, &|p| price(p.price)),
        column("Value", true, &|p| Money::new(p.value).to_string()),
        column(&value_base_header, true, &|p| {
            money(value_in_base(statement, p))
        }),
        column("Unrealized", true, &|p| money(p.unrealized_pnl)),
        column("Lots", true, &|p| {
            if p.lots.is_empty() {
                String::new()
            } else {
                p.lots.len().to_string()
            }
        }),
    ];
    // A value in base shown for some positions and not others: "?" and why, under the table.
    let mut without_rate: Vec<&str> = Vec::new();
    if let Some(values) = columns.iter_mut().find(|c| c.header == value_base_header)
        && values.cells.iter().any(|cell| !cell.is_empty())
    {
        for (cell, p) in values.cells.iter_mut().zip(positions) {
            if cell.is_empty() {
                cell.push('?');
                let currency = p.currency.as_deref().unwrap_or("its currency");
                if !without_rate.contains(&currency) {
                    without_rate.push(currency);
                }
            }
        }
    }
    // No empty columns: the original tool's files have no account, class or currency.
    let shown: Vec<&Column> = columns
        .iter()
        .filter(|c| c.cells.iter().any(|cell| !cell.is_empty()))
        .collect();
    let mut t = Table::new();
    t.load_style(presets::ASCII_MARKDOWN)
        .force_no_tty()
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(shown.iter().map(|c| c.header.clone()));
    for row in 0..positions.len() {
        t.add_row(shown.iter().map(|c| c.cells[row].clone()));
    }
    for (index, c) in shown.iter().enumerate() {
        if c.right
            && let Some(column) = t.column_mut(index)
        {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut out = format!(
        "{} read:\n{t}\n",
        plural(positions.len(), "position", "positions")
    );
    if !without_rate.is_empty() {
        let _ = writeln!(
            out,
            "? {value_base_header} unknown: no rate from {} to the base currency{} in the file \
             (`pbal plan` needs one)",
            crate::ui::and_list(
                &without_rate
                    .iter()
                    .map(|c| (*c).to_owned())
                    .collect::<Vec<_>>()
            ),
            base.map(|b| format!(" {b}")).unwrap_or_default()
        );
    }
    out
}
