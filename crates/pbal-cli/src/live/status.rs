//! `pbal status`: session, account, cash, open orders and the last rebalance.

use std::fmt::Write as _;

use anyhow::Result;
use serde_json::json;

use super::connect::connect;
use super::{StatusArgs, StatusFormat};
use crate::journal::Journal;

pub(crate) fn run(args: &StatusArgs) -> Result<()> {
    super::block_on(status(args))
}

async fn status(args: &StatusArgs) -> Result<()> {
    let conn = connect(&args.gateway).await?;
    let ledger = conn.gateway.ledger(&conn.account).await?;
    let open: Vec<_> = conn
        .gateway
        .live_orders(&conn.account)
        .await?
        .into_iter()
        .filter(|o| !o.is_done())
        .collect();
    let last = Journal::locate().and_then(|j| j.last_rebalance());
    let text = match args.format {
        StatusFormat::Json => {
            let value = json!({
                "session": "authenticated",
                "account": conn.account,
                "paper": conn.is_paper,
                "base_currency": conn.base_currency,
                "cash": ledger.iter().map(|e| json!({"currency": e.currency, "amount": e.cash.to_string()})).collect::<Vec<_>>(),
                "open_orders": open,
                "last_rebalance": last.map(|d| d.to_string()),
            });
            serde_json::to_string_pretty(&value)? + "\n"
        }
        StatusFormat::Table => {
            let mut out = format!(
                "Session: authenticated\nAccount: {}{} (base currency {})\nCash:\n",
                conn.account,
                if conn.is_paper { " (paper)" } else { "" },
                conn.base_currency.as_deref().unwrap_or("unknown")
            );
            for e in &ledger {
                let _ = writeln!(out, "  {:>5} {}", e.currency, e.cash.round_dp(2));
            }
            let _ = writeln!(out, "Open orders: {}", open.len());
            for o in &open {
                let _ = writeln!(
                    out,
                    "  {} {} {} ({}; filled {}; {})",
                    o.side,
                    o.quantity
                        .map(|q| q.normalize().to_string())
                        .unwrap_or_default(),
                    o.symbol,
                    o.status,
                    o.filled
                        .map(|q| q.normalize().to_string())
                        .unwrap_or_default(),
                    o.c_oid.as_deref().unwrap_or("no client id")
                );
            }
            let _ = writeln!(
                out,
                "Last rebalance: {}",
                last.map_or_else(|| "none recorded".to_owned(), |d| d.to_string())
            );
            out
        }
    };
    crate::output::emit(&text, None)
}
