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
    /// The export to read (Flex Query CSV/XML, Activity Statement, or the original CSV).
    pub file: PathBuf,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: PositionsFormat,
    /// Write the output to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub(crate) fn run(args: &PositionsArgs) -> Result<()> {
    let statement = pbal_ibkr::read_path(&args.file)?;
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

fn table(statement: &pbal_ibkr::Statement) -> String {
    use pbal_core::Money;
    let mut out = String::new();
    let _ = write!(
        out,
        "Base currency: {}\nAccounts: {}\n\n",
        statement.base_currency.as_deref().unwrap_or("unknown"),
        if statement.accounts.is_empty() {
            "-".to_owned()
        } else {
            statement.accounts.join(", ")
        }
    );
    let positions = &statement.positions;
    let column = |header: &str, right, cell: &dyn Fn(&pbal_ibkr::Position) -> String| Column {
        header: header.to_owned(),
        right,
        cells: positions.iter().map(cell).collect(),
    };
    let money =
        |d: Option<rust_decimal::Decimal>| d.map(|d| Money::new(d).to_string()).unwrap_or_default();
    let base = statement.base_currency.as_deref().unwrap_or("base");
    let value_base_header = format!("Value {base}");
    let columns = [
        column("Account", false, &|p| p.account.clone().unwrap_or_default()),
        column("Symbol", false, &|p| p.symbol.clone()),
        column("Class", false, &|p| {
            p.asset_class.clone().unwrap_or_default()
        }),
        column("Currency", false, &|p| {
            p.currency.clone().unwrap_or_default()
        }),
        column("Quantity", true, &|p| p.quantity.normalize().to_string()),
        column("Price", true, &|p| crate::render::money(p.price)),
        column("Value", true, &|p| Money::new(p.value).to_string()),
        column(&value_base_header, true, &|p| money(p.value_base)),
        column("Unrealized", true, &|p| money(p.unrealized_pnl)),
        column("Lots", true, &|p| {
            if p.lots.is_empty() {
                String::new()
            } else {
                p.lots.len().to_string()
            }
        }),
    ];
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
    let _ = writeln!(
        out,
        "{} read:\n{t}",
        plural(positions.len(), "position", "positions")
    );
    if !statement.cash.is_empty() {
        out.push_str("\nCash:\n");
        for c in &statement.cash {
            let account = c
                .account
                .as_deref()
                .map(|a| format!("{a} "))
                .unwrap_or_default();
            let currency = if c.currency == "BASE" {
                format!("{base} (base summary)")
            } else {
                c.currency.clone()
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
