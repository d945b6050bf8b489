//! Waiting for placed orders to finish: the status of each polled until every one is final or
//! the wait ends, the session kept alive meanwhile. One step of a live rebalance (sells, their
//! fills, the proceeds, the buys) that a caller drives, with progress through a callback.

use std::time::Duration;

use rust_decimal::Decimal;
use tokio::time::Instant;

use super::client::Gateway;
use super::error::GatewayError;
use super::types::OrderState;

/// Where a placed order stood when the wait ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Fill {
    /// IBKR's order id.
    pub order_id: String,
    /// Its state.
    pub state: OrderState,
    /// Quantity filled so far.
    pub filled: Decimal,
    /// Average fill price, once known.
    pub average_price: Option<Decimal>,
}

impl Fill {
    /// Completely filled.
    #[must_use]
    pub fn is_filled(&self) -> bool {
        self.state.is_filled()
    }
}

/// How long and how often to look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FillWait {
    /// Stop waiting after this long; orders still working stay at IBKR.
    pub timeout: Duration,
    /// Pause between rounds of status requests.
    pub poll: Duration,
    /// Tickle the session this often (it idles out after about five minutes).
    pub keepalive: Duration,
}

impl FillWait {
    /// A wait of at most `timeout`, looking every second, tickling every minute.
    #[must_use]
    pub fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            poll: Duration::from_secs(1),
            keepalive: Duration::from_secs(60),
        }
    }
}

/// What happens during a wait, for the caller to show or record.
#[derive(Debug)]
#[non_exhaustive]
pub enum FillEvent<'a> {
    /// An order's state or filled quantity changed.
    Changed(&'a Fill),
    /// Keeping the session alive failed (the wait goes on).
    KeepAliveFailed(&'a GatewayError),
}

impl Gateway {
    /// Polls `order_ids` (orders of `account`) until every one is filled, cancelled or
    /// inactive, or `wait.timeout` passes; returns where each stood, in the order given.
    /// Order status answers 503 for orders of earlier sessions: those are looked up among the
    /// account's live orders instead.
    ///
    /// ```no_run
    /// # async fn example(gateway: &pbal_ibkr::client_portal::Gateway) -> Result<(), pbal_ibkr::client_portal::GatewayError> {
    /// use std::time::Duration;
    /// use pbal_ibkr::client_portal::{FillEvent, FillWait};
    /// let ids = vec!["1234567890".to_owned()];
    /// let fills = gateway
    ///     .wait_for_fills("DU1234567", &ids, &FillWait::new(Duration::from_secs(300)), &mut |event| {
    ///         if let FillEvent::Changed(fill) = event {
    ///             println!("order {}: {} ({} filled)", fill.order_id, fill.state, fill.filled);
    ///         }
    ///     })
    ///     .await?;
    /// let all_filled = fills.iter().all(|f| f.is_filled());
    /// # let _ = all_filled;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// Transport and session errors of the live-orders fallback.
    pub async fn wait_for_fills(
        &self,
        account: &str,
        order_ids: &[String],
        wait: &FillWait,
        on_event: &mut dyn FnMut(FillEvent<'_>),
    ) -> Result<Vec<Fill>, GatewayError> {
        let mut fills: Vec<Fill> = order_ids
            .iter()
            .map(|order_id| Fill {
                order_id: order_id.clone(),
                state: OrderState::Submitted,
                filled: Decimal::ZERO,
                average_price: None,
            })
            .collect();
        let deadline = Instant::now() + wait.timeout;
        let mut next_tickle = Instant::now();
        loop {
            if Instant::now() >= next_tickle {
                if let Err(e) = self.tickle().await {
                    on_event(FillEvent::KeepAliveFailed(&e));
                }
                next_tickle = Instant::now() + wait.keepalive;
            }
            for fill in fills.iter_mut().filter(|f| !f.state.is_final()) {
                let before = (fill.state.clone(), fill.filled);
                match self.order_status(&fill.order_id).await {
                    Ok(status) => {
                        fill.state = status.status;
                        fill.filled = status.filled.unwrap_or(fill.filled);
                        fill.average_price = status.average_price.or(fill.average_price);
                    }
                    Err(_) => {
                        if let Some(live) = self
                            .live_orders(account)
                            .await?
                            .into_iter()
                            .find(|o| o.order_id == fill.order_id)
                        {
                            fill.state = live.status;
                            fill.filled = live.filled.unwrap_or(fill.filled);
                            fill.average_price = live.average_price.or(fill.average_price);
                        }
                    }
                }
                if (fill.state.clone(), fill.filled) != before {
                    on_event(FillEvent::Changed(fill));
                }
            }
            if fills.iter().all(|f| f.state.is_final()) || Instant::now() >= deadline {
                return Ok(fills);
            }
            tokio::time::sleep(wait.poll).await;
        }
    }
}
