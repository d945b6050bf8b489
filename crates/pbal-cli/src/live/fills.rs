//! Waiting for placed orders to finish, with progress on stderr.

use std::time::Duration;

use anyhow::Result;
use pbal_ibkr::client_portal::{Fill, FillEvent, FillWait, Gateway, OrderState};
use rust_decimal::Decimal;

use super::orders::PlannedOrder;
use crate::output::warn;

/// How a placed order ended (or where it stood when pbal stopped waiting).
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) order_id: String,
    pub(crate) order: PlannedOrder,
    pub(crate) status: OrderState,
    pub(crate) filled: Decimal,
    pub(crate) average_price: Option<Decimal>,
}

impl Outcome {
    pub(crate) fn is_filled(&self) -> bool {
        self.status.is_filled()
    }
}

/// Waits (pbal-ibkr's `wait_for_fills`: status polled, the session kept alive) until every
/// order is final or `timeout` passes, with progress above a spinner.
pub(crate) async fn wait(
    gateway: &Gateway,
    account: &str,
    placed: Vec<(String, PlannedOrder)>,
    timeout: Duration,
) -> Result<Vec<Outcome>> {
    let ids: Vec<String> = placed.iter().map(|(id, _)| id.clone()).collect();
    let spinner = crate::progress::spinner(&format!("waiting for {} order(s) to fill", ids.len()));
    let mut wait = FillWait::new(timeout);
    wait.keepalive = super::KEEPALIVE;
    let fills = gateway
        .wait_for_fills(account, &ids, &wait, &mut |event| match event {
            FillEvent::Changed(fill) => {
                if let Some((_, order)) = placed.iter().find(|(id, _)| *id == fill.order_id) {
                    spinner.println(&progress(order, fill));
                }
            }
            FillEvent::KeepAliveFailed(e) => {
                warn(&format!("keeping the gateway session alive: {e}"));
            }
            _ => {}
        })
        .await?;
    let outcomes: Vec<Outcome> = placed
        .into_iter()
        .zip(fills)
        .map(|((order_id, order), fill)| Outcome {
            order_id,
            order,
            status: fill.state,
            filled: fill.filled,
            average_price: fill.average_price,
        })
        .collect();
    let open = outcomes.iter().filter(|o| !o.status.is_final()).count();
    if open > 0 {
        warn(&format!(
            "{open} order(s) not finished after {} s; they stay working at IBKR",
            timeout.as_secs()
        ));
    }
    Ok(outcomes)
}

/// One order's new status, as a line.
fn progress(order: &PlannedOrder, fill: &Fill) -> String {
    let price = fill
        .average_price
        .map(|p| format!(" @ {}", p.normalize()))
        .unwrap_or_default();
    format!(
        "  {}: {} ({} filled{price})",
        order.describe(),
        fill.state,
        fill.filled.normalize()
    )
}
