//! `pbal positions`: show what pbal read from an export, and what it skipped.

use std::fmt::Write as _;

use anyhow::Result;
use comfy_table::{CellAlignment, ContentArrangement, Table, presets};
use serde_json::Value;

use crate::cli::{PositionsArgs, PositionsFormat};
use crate::output::emit;

pub(crate) fn run(args: &PositionsArgs) -> Result<()> {
    let statement = pbal_ibkr::read_path(&args.file)?;
    let value = serde_json::to_value(&statement)?;
    let text = match args.format {
        PositionsFormat::Json => {
            let mut s = serde_json::to_string_pretty(&value)?;
            s.push('\n');
            s
        }
        PositionsFormat::Table => table(&value),
    };
    emit(&text, args.output.as_deref())
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn table(statement: &Value) -> String {
    let mut out = String::new();
    let base = text(&statement["base_currency"]);
    let accounts: Vec<String> = statement["accounts"]
        .as_array()
        .map(|a| a.iter().map(text).collect())
        .unwrap_or_default();
    let _ = write!(
        out,
        "Base currency: {}\nAccounts: {}\n\n",
        if base.is_empty() { "unknown" } else { &base },
        if accounts.is_empty() {
            "-".to_owned()
        } else {
            accounts.join(", ")
        }
    );
    let mut t = Table::new();
    t.load_style(presets::ASCII_MARKDOWN)
        .force_no_tty()
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header([
            "Account",
            "Symbol",
            "Class",
            "Ccy",
            "Quantity",
            "Price",
            "Value",
            "Value (base)",
            "Unrealized",
            "Lots",
        ]);
    let positions = statement["positions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for p in &positions {
        t.add_row([
            text(&p["account"]),
            text(&p["symbol"]),
            text(&p["asset_class"]),
            text(&p["currency"]),
            text(&p["quantity"]),
            text(&p["price"]),
            text(&p["value"]),
            text(&p["value_base"]),
            text(&p["unrealized_pnl"]),
            p["lots"].as_array().map_or(0, Vec::len).to_string(),
        ]);
    }
    for index in 4..10 {
        if let Some(column) = t.column_mut(index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    let _ = writeln!(out, "{t}");
    if let Some(cash) = statement["cash"].as_array().filter(|c| !c.is_empty()) {
        out.push_str("\nCash:\n");
        for c in cash {
            let account = text(&c["account"]);
            let _ = writeln!(
                out,
                "  {}{} {}",
                if account.is_empty() {
                    String::new()
                } else {
                    format!("{account} ")
                },
                text(&c["currency"]),
                text(&c["amount"])
            );
        }
    }
    if let Some(skipped) = statement["skipped"].as_array().filter(|s| !s.is_empty()) {
        let _ = write!(out, "\nSkipped {} rows:\n", skipped.len());
        for s in skipped {
            let _ = writeln!(out, "  line {}: {}", text(&s["line"]), text(&s["reason"]));
        }
    }
    out
}
