//! Pacing requests below IBKR's limits, so the gateway never answers 429 (a 10-15 minute
//! penalty box for the whole machine): a global sliding window plus per-endpoint spacing.
//! The budget is per machine, not per process, so the state can be kept in a file that the
//! next run (`pbal status` right after `pbal trade`) starts from.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
    const ALL: [Self; 4] = [
        Self::LiveOrders,
        Self::PortfolioAccounts,
        Self::Tickle,
        Self::Snapshot,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::LiveOrders => "live_orders",
            Self::PortfolioAccounts => "portfolio_accounts",
            Self::Tickle => "tickle",
            Self::Snapshot => "snapshot",
        }
    }

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
#[non_exhaustive]
pub struct PacingConfig {
    /// Requests allowed in any one-second window, all endpoints together.
    pub per_second: usize,
    /// Margin added to every per-endpoint spacing (clocks differ).
    pub margin: Duration,
    /// Where the recent requests are remembered between runs (best effort; none: in memory).
    pub state_file: Option<PathBuf>,
}

impl Default for PacingConfig {
    fn default() -> Self {
        // The gateway allows 10/s; one below leaves room for the clocks' disagreement. The
        // margin covers a request that reaches a busy gateway late while the next one is on
        // time (100 ms gave 429s under load).
        Self {
            per_second: 9,
            margin: Duration::from_millis(300),
            state_file: None,
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
        let state = config
            .state_file
            .as_ref()
            .map(|path| State::load(path))
            .unwrap_or_default();
        Self {
            config,
            state: Mutex::new(state),
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
                if let Some(path) = &self.config.state_file {
                    state.save(path);
                }
                return;
            }
            tokio::time::sleep_until(ready_at).await;
        }
    }

    /// Counts a spaced endpoint's request from when its answer arrived: the gateway received
    /// it somewhere between sending and answering, and on a busy machine that can be long after
    /// it was sent, so spacing from the send time alone can land the next request early (429).
    pub(crate) async fn answered(&self, endpoint: Option<Limited>) {
        let Some(e) = endpoint else { return };
        let mut state = self.state.lock().await;
        state.last.insert(e, Instant::now());
        if let Some(path) = &self.config.state_file {
            state.save(path);
        }
    }
}

/// Milliseconds since the epoch ↔ the monotonic clock, for the state file.
fn to_wall(instant: Instant) -> u64 {
    let ago = Instant::now().saturating_duration_since(instant);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(now.saturating_sub(ago).as_millis()).unwrap_or(0)
}

fn from_wall(millis: u64) -> Option<Instant> {
    let then = UNIX_EPOCH + Duration::from_millis(millis);
    let ago = SystemTime::now().duration_since(then).ok()?;
    // Older entries no longer limit anything.
    (ago < Duration::from_secs(120)).then(|| Instant::now().checked_sub(ago))?
}

impl State {
    fn load(path: &std::path::Path) -> Self {
        let Ok(text) = std::fs::read_to_string(path) else {
            return Self::default();
        };
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
            return Self::default();
        };
        let mut state = Self::default();
        let mut recent: Vec<Instant> = value["recent"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_u64)
            .filter_map(from_wall)
            .collect();
        recent.sort();
        state.recent = recent.into();
        for limited in Limited::ALL {
            if let Some(at) = value["last"][limited.name()].as_u64().and_then(from_wall) {
                state.last.insert(limited, at);
            }
        }
        state
    }

    fn save(&self, path: &std::path::Path) {
        let last: serde_json::Map<String, serde_json::Value> = self
            .last
            .iter()
            .map(|(k, v)| (k.name().to_owned(), to_wall(*v).into()))
            .collect();
        let value = serde_json::json!({
            "recent": self.recent.iter().map(|t| to_wall(*t)).collect::<Vec<_>>(),
            "last": last,
        });
        // Best effort: losing this file only costs the next run some caution.
        let tmp = path.with_extension("tmp");
        if std::fs::write(&tmp, value.to_string()).is_ok() {
            let _ = std::fs::rename(&tmp, path);
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

#[cfg(test)]
mod persistence {
    use super::*;

    #[tokio::test]
    async fn a_second_run_starts_from_the_first_runs_requests() {
        let dir = std::env::temp_dir().join(format!("pbal-pacing-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = PacingConfig {
            state_file: Some(dir.join("pacing.json")),
            ..PacingConfig::default()
        };
        let first = Pacer::new(config.clone());
        first.wait(Some(Limited::LiveOrders)).await;
        let second = Pacer::new(config);
        let state = second.state.lock().await;
        assert!(state.last.contains_key(&Limited::LiveOrders));
        assert_eq!(state.recent.len(), 1);
        drop(state);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
