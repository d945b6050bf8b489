//! Waiting for placed orders to finish, with progress on stderr.

use std::time::Duration;

use anyhow::Result;
use pbal_ibkr::client_portal::{Gateway, OrderState};
use rust_decimal::Decimal;
use tokio::time::Instant;

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

/// Polls each order's status until all are final or `timeout` passes.
pub(crate) async fn wait(
    gateway: &Gateway,
    account: &str,
    placed: Vec<(String, PlannedOrder)>,
    timeout: Duration,
) -> Result<Vec<Outcome>> {
    let mut outcomes: Vec<Outcome> = placed
        .into_iter()
        .map(|(order_id, order)| Outcome {
            order_id,
            order,
            status: OrderState::Submitted,
            filled: Decimal::ZERO,
            average_price: None,
        })
        .collect();
    let deadline = Instant::now() + timeout;
    let poll = Duration::from_secs(1);
    let spinner =
        crate::progress::spinner(&format!("waiting for {} order(s) to fill", outcomes.len()));
    // The session idles out after about five minutes: tickle when the wait starts and then
    // every minute.
    let mut next_tickle = Instant::now();
    loop {
        if Instant::now() >= next_tickle {
            if let Err(e) = gateway.tickle().await {
                warn(&format!("keeping the gateway session alive: {e}"));
            }
            next_tickle = Instant::now() + super::KEEPALIVE;
        }
        for outcome in outcomes.iter_mut().filter(|o| !o.status.is_final()) {
            let before = (outcome.status.clone(), outcome.filled);
            match gateway.order_status(&outcome.order_id).await {
                Ok(status) => {
                    outcome.status = status.status;
                    outcome.filled = status.filled.unwrap_or(outcome.filled);
                    outcome.average_price = status.average_price.or(outcome.average_price);
                }
                // Status answers 503 for orders of earlier sessions: the live-orders list knows.
                Err(_) => {
                    if let Some(live) = gateway
                        .live_orders(account)
                        .await?
                        .into_iter()
                        .find(|o| o.order_id == outcome.order_id)
                    {
                        outcome.status = live.status;
                        outcome.filled = live.filled.unwrap_or(outcome.filled);
                        outcome.average_price = live.average_price.or(outcome.average_price);
                    }
                }
            }
            if (outcome.status.clone(), outcome.filled) != before {
                spinner.println(&progress(outcome));
            }
        }
        let open = outcomes.iter().filter(|o| !o.status.is_final()).count();
        if open == 0 {
            return Ok(outcomes);
        }
        if Instant::now() >= deadline {
            warn(&format!(
                "{open} order(s) not finished after {} s; they stay working at IBKR",
                timeout.as_secs()
            ));
            return Ok(outcomes);
        }
        tokio::time::sleep(poll).await;
    }
}

/// One order's new status, as a line.
fn progress(outcome: &Outcome) -> String {
    let price = outcome
        .average_price
        .map(|p| format!(" @ {}", p.normalize()))
        .unwrap_or_default();
    format!(
        "  {}: {} ({} filled{price})",
        outcome.order.describe(),
        outcome.status,
        outcome.filled.normalize()
    )
}
