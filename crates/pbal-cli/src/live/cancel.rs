//! `pbal cancel`: cancels pbal's own working orders (client order id `pbal-…`), nobody else's.

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::{Result, bail};
use pbal_ibkr::client_portal::{GatewayError, LiveOrder};
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
        .live_orders_complete(&conn.account)
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
    // Each order on its own: one IBKR no longer knows (it filled or was cancelled since the
    // list above) says so and the rest are still cancelled.
    let mut asked = Vec::new();
    let mut report = String::new();
    for o in &mine {
        match conn.gateway.cancel(&conn.account, &o.order_id).await {
            Ok(()) => {
                if let Some(j) = &journal {
                    j.append("cancel", json!({"c_oid": o.c_oid, "order_id": o.order_id}))?;
                }
                asked.push(o);
            }
            Err(e @ GatewayError::Api { .. }) => {
                writeln!(report, "  {}: IBKR did not cancel it: {e}", describe(o))?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    // Cancelling is acknowledged at once but happens later: poll until IBKR confirms.
    let mut live = Vec::new();
    for attempt in 0..30 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        live = conn.gateway.live_orders(&conn.account).await?;
        let open = |id: &str| live.iter().any(|l| l.order_id == id && !l.is_done());
        if !asked.iter().any(|m| open(&m.order_id)) {
            break;
        }
    }
    let mut cancelled = 0;
    let mut still_open = 0;
    for o in &mine {
        let now = live.iter().find(|l| l.order_id == o.order_id);
        let asked_for = asked.iter().any(|a| a.order_id == o.order_id);
        match now {
            Some(l) if !l.is_done() => {
                still_open += 1;
                if asked_for {
                    writeln!(report, "  {}: still {} at IBKR", describe(o), l.status)?;
                }
            }
            Some(l) if l.status.is_filled() => {
                writeln!(report, "  {}: filled, not cancelled", describe(o))?;
            }
            Some(l) => {
                cancelled += usize::from(asked_for);
                if asked_for {
                    writeln!(report, "  {}: {}", describe(o), l.status)?;
                } else {
                    writeln!(report, "  {}: already {}", describe(o), l.status)?;
                }
            }
            None if asked_for => {
                cancelled += 1;
                writeln!(report, "  {}: cancelled", describe(o))?;
            }
            None => writeln!(report, "  {}: no longer listed by IBKR", describe(o))?,
        }
        if let (Some(j), Some(l)) = (&journal, now)
            && l.is_done()
        {
            j.append(
                "cancel_result",
                json!({"c_oid": o.c_oid, "order_id": o.order_id, "status": l.status}),
            )?;
        }
    }
    let all = crate::ui::count(mine.len(), "order", "orders");
    if cancelled == mine.len() {
        write!(report, "Cancelled {all}.")?;
    } else {
        write!(report, "Cancelled {cancelled} of {all}.")?;
    }
    emit(&format!("{report}\n"), None)?;
    if still_open > 0 {
        bail!(
            "{} still open at IBKR; check `pbal status`",
            crate::ui::count(still_open, "order is", "orders are")
        );
    }
    Ok(())
}

fn describe(o: &LiveOrder) -> String {
    format!(
        "{} {} {} ({})",
        o.side,
        o.quantity
            .map(|q| q.normalize().to_string())
            .unwrap_or_default(),
        o.symbol,
        o.c_oid.as_deref().unwrap_or_default()
    )
}
