//! Pacing requests below IBKR's limits, so the gateway never answers 429 (a 10-15 minute
//! penalty box for the whole machine): a global sliding window plus per-endpoint spacing.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Endpoints with their own limit (CPAPI v1, reference §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Limited {
    /// `/iserver/account/orders`: 1 per 5 s.
    LiveOrders,
    /// `/portfolio/accounts`, `/portfolio/subaccounts`: 1 per 5 s.
    PortfolioAccounts,
    /// `/tickle`: 1 per s.
    Tickle,
    /// `/iserver/marketdata/snapshot`: 10 per s.
    Snapshot,
}

impl Limited {
    fn spacing(self) -> Duration {
        match self {
            Self::LiveOrders | Self::PortfolioAccounts => Duration::from_secs(5),
            Self::Tickle => Duration::from_secs(1),
            Self::Snapshot => Duration::from_millis(100),
        }
    }
}

/// The limits, scaled (tests of the pacing itself use a paused clock, not a smaller scale).
#[derive(Debug, Clone)]
pub struct PacingConfig {
    /// Requests allowed in any one-second window, all endpoints together.
    pub per_second: usize,
    /// Margin added to every per-endpoint spacing (clocks differ).
    pub margin: Duration,
}

impl Default for PacingConfig {
    fn default() -> Self {
        // The gateway allows 10/s; one below leaves room for the clocks' disagreement.
        Self {
            per_second: 9,
            margin: Duration::from_millis(100),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Pacer {
    config: PacingConfig,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    recent: VecDeque<Instant>,
    last: HashMap<Limited, Instant>,
}

impl Pacer {
    pub(crate) fn new(config: PacingConfig) -> Self {
        Self {
            config,
            state: Mutex::new(State::default()),
        }
    }

    /// Waits until one more request to `endpoint` keeps every limit, then counts it.
    pub(crate) async fn wait(&self, endpoint: Option<Limited>) {
        let window = Duration::from_secs(1);
        // One request at a time through the pacer keeps the accounting exact.
        let mut state = self.state.lock().await;
        loop {
            let now = Instant::now();
            while state.recent.front().is_some_and(|t| now - *t >= window) {
                state.recent.pop_front();
            }
            let mut ready_at = now;
            if state.recent.len() >= self.config.per_second.max(1)
                && let Some(oldest) = state.recent.front()
            {
                ready_at = ready_at.max(*oldest + window);
            }
            if let Some(e) = endpoint
                && let Some(last) = state.last.get(&e)
            {
                ready_at = ready_at.max(*last + e.spacing() + self.config.margin);
            }
            if ready_at <= now {
                state.recent.push_back(now);
                if let Some(e) = endpoint {
                    state.last.insert(e, now);
                }
                return;
            }
            tokio::time::sleep_until(ready_at).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn global_window_and_endpoint_spacing() {
        let pacer = Pacer::new(PacingConfig::default());
        let start = Instant::now();
        for _ in 0..9 {
            pacer.wait(None).await;
        }
        assert_eq!(Instant::now() - start, Duration::ZERO);
        pacer.wait(None).await;
        assert_eq!(Instant::now() - start, Duration::from_secs(1));

        let start = Instant::now();
        pacer.wait(Some(Limited::LiveOrders)).await;
        pacer.wait(Some(Limited::LiveOrders)).await;
        assert!(Instant::now() - start >= Duration::from_secs(5));
        // Other endpoints are not held up by that spacing.
        let before = Instant::now();
        pacer.wait(Some(Limited::Snapshot)).await;
        assert_eq!(Instant::now(), before);
    }
}
