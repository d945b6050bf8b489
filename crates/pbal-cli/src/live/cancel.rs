//! `pbal cancel`: cancels pbal's own working orders (client order id `pbal-…`), nobody else's.

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::{Result, bail};
use serde_json::json;

use super::CancelArgs;
use super::connect::connect;
use super::orders::C_OID_PREFIX;
use crate::journal::Journal;
use crate::output::emit;

pub(crate) fn run(args: &CancelArgs) -> Result<()> {
    super::block_on(cancel(args))
}

async fn cancel(args: &CancelArgs) -> Result<()> {
    let conn = connect(&args.gateway).await?;
    let mine: Vec<_> = conn
        .gateway
        .live_orders(&conn.account)
        .await?
        .into_iter()
        .filter(|o| !o.is_done())
        .filter(|o| {
            o.c_oid
                .as_deref()
                .is_some_and(|c| c.starts_with(C_OID_PREFIX))
        })
        .collect();
    if mine.is_empty() {
        return emit("No open pbal orders.\n", None);
    }
    let mut listed = String::new();
    for o in &mine {
        writeln!(
            listed,
            "  {} {} {} ({}, {})",
            o.side,
            o.quantity
                .map(|q| q.normalize().to_string())
                .unwrap_or_default(),
            o.symbol,
            o.status,
            o.c_oid.as_deref().unwrap_or_default()
        )?;
    }
    emit(&listed, None)?;
    if !args.yes {
        super::confirm(
            &if mine.len() == 1 {
                "Cancel this order? Type yes: ".to_owned()
            } else {
                format!("Cancel these {} orders? Type yes: ", mine.len())
            },
            "yes",
            "cancelled",
        )?;
    }
    let journal = Journal::locate();
    for o in &mine {
        conn.gateway.cancel(&conn.account, &o.order_id).await?;
        if let Some(j) = &journal {
            j.append("cancel", json!({"c_oid": o.c_oid, "order_id": o.order_id}))?;
        }
    }
    // Cancelling is acknowledged at once but happens later: poll until IBKR confirms.
    for _ in 0..30 {
        let live = conn.gateway.live_orders(&conn.account).await?;
        let still: Vec<_> = mine
            .iter()
            .filter(|m| {
                live.iter()
                    .any(|o| o.order_id == m.order_id && !o.is_done())
            })
            .collect();
        if still.is_empty() {
            let cancelled = crate::ui::count(mine.len(), "order", "orders");
            return emit(&format!("Cancelled {cancelled}.\n"), None);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    bail!("IBKR acknowledged the cancellations but some orders are still open; check `pbal status`")
}
