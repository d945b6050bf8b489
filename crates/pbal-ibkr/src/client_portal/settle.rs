//! Waiting for the ledger to show what fills did to the cash: the gateway's portfolio
//! endpoints are cached and lag fills, so the cache is cleared before each read, a bounded
//! number of times. One step of a live rebalance (the sells' proceeds before the buys, the
//! converted currency before buying in it).

use std::time::Duration;

use super::client::Gateway;
use super::error::GatewayError;
use super::types::LedgerEntry;

impl Gateway {
    /// Reads `account`'s ledger (clearing the portfolio cache first) until `ready` accepts it,
    /// at most `reads` times, `pause` apart. Returns the last ledger read and whether `ready`
    /// accepted it.
    ///
    /// ```no_run
    /// # async fn example(gateway: &pbal_ibkr::client_portal::Gateway) -> Result<(), pbal_ibkr::client_portal::GatewayError> {
    /// use std::time::Duration;
    /// use pbal_core::Decimal;
    /// // Wait (15 s at most) until the ledger shows at least EUR 500.
    /// let enough = |ledger: &[pbal_ibkr::client_portal::LedgerEntry]| {
    ///     ledger.iter().any(|e| e.currency == "EUR" && e.cash >= Decimal::from(500))
    /// };
    /// let (ledger, arrived) = gateway
    ///     .wait_for_ledger("DU1234567", 15, Duration::from_secs(1), &mut |l| enough(l))
    ///     .await?;
    /// # let _ = (ledger, arrived);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// Transport and session errors.
    pub async fn wait_for_ledger(
        &self,
        account: &str,
        reads: u32,
        pause: Duration,
        ready: &mut dyn FnMut(&[LedgerEntry]) -> bool,
    ) -> Result<(Vec<LedgerEntry>, bool), GatewayError> {
        let mut ledger = Vec::new();
        for attempt in 0..reads.max(1) {
            if attempt > 0 {
                tokio::time::sleep(pause).await;
            }
            self.invalidate_portfolio(account).await?;
            ledger = self.ledger(account).await?;
            if ready(&ledger) {
                return Ok((ledger, true));
            }
        }
        Ok((ledger, false))
    }
}
