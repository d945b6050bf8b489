//! Sliding-window rate limits and the penalty box (reference §5).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::setup::Limits;

/// Request times per window, plus the end of the current penalty.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    global: VecDeque<Instant>,
    endpoints: HashMap<String, VecDeque<Instant>>,
    penalty_until: Option<Instant>,
}

/// Records a request in `window` if fewer than `max` fell in the last `per`.
fn admit(window: &mut VecDeque<Instant>, now: Instant, max: u32, per: Duration) -> bool {
    while window
        .front()
        .is_some_and(|&t| now.duration_since(t) >= per)
    {
        window.pop_front();
    }
    if window.len() >= max as usize {
        return false;
    }
    window.push_back(now);
    true
}

impl Limiter {
    /// Whether a request to `api_path` (`None` outside the API) may go through.
    pub(crate) fn allow(&mut self, limits: &Limits, api_path: Option<&str>, now: Instant) -> bool {
        if self.penalty_until.is_some_and(|until| now < until) {
            return false;
        }
        if let Some(max) = limits.global_per_sec
            && !admit(&mut self.global, now, max, Duration::from_secs(1))
        {
            self.penalty_until = Some(now + limits.penalty);
            return false;
        }
        let Some(path) = api_path else { return true };
        limits
            .endpoints
            .iter()
            .filter(|limit| limit.path == path)
            .all(|limit| {
                let window = self.endpoints.entry(limit.path.clone()).or_default();
                admit(window, now, limit.max, limit.per)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_limit_opens_the_penalty_box() {
        let limits = Limits {
            global_per_sec: Some(2),
            penalty: Duration::from_secs(3),
            endpoints: Vec::new(),
        };
        let mut limiter = Limiter::default();
        let t0 = Instant::now();
        assert!(limiter.allow(&limits, Some("/tickle"), t0));
        assert!(limiter.allow(&limits, Some("/tickle"), t0));
        assert!(!limiter.allow(&limits, Some("/tickle"), t0));
        // The window has moved on, but the penalty box still holds.
        assert!(!limiter.allow(&limits, Some("/x"), t0 + Duration::from_secs(2)));
        assert!(limiter.allow(&limits, Some("/x"), t0 + Duration::from_secs(4)));
    }

    #[test]
    fn endpoint_limit_is_per_path() {
        let mut limits = Limits::off();
        limits.endpoints.push(crate::setup::EndpointLimit {
            path: "/tickle".to_owned(),
            max: 1,
            per: Duration::from_secs(1),
        });
        let mut limiter = Limiter::default();
        let t0 = Instant::now();
        assert!(limiter.allow(&limits, Some("/tickle"), t0));
        assert!(!limiter.allow(&limits, Some("/tickle"), t0));
        assert!(limiter.allow(&limits, Some("/other"), t0));
        assert!(limiter.allow(&limits, Some("/tickle"), t0 + Duration::from_secs(1)));
    }
}
