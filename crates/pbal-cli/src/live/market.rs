//! Market hours, halts and stale prices: what the snapshots say about the contracts a plan
//! trades, and when the (US) market opens next.

use std::collections::BTreeMap;

use jiff::civil::Weekday;
use jiff::{Timestamp, ToSpan as _, tz::TimeZone};
use pbal_core::Trade;
use pbal_ibkr::client_portal::MarketState;

/// The traded symbols whose market is not open: (closed, halted).
pub(crate) fn blocked(
    trades: &[Trade],
    states: &BTreeMap<String, MarketState>,
) -> (Vec<String>, Vec<String>) {
    let mut closed = Vec::new();
    let mut halted = Vec::new();
    for trade in trades {
        match states.get(&trade.symbol) {
            Some(MarketState::Closed) => closed.push(trade.symbol.clone()),
            Some(MarketState::Halted) => halted.push(trade.symbol.clone()),
            // Open, unknown, or a state pbal-ibkr may add later: not blocked.
            _ => {}
        }
    }
    closed.dedup();
    halted.dedup();
    (closed, halted)
}

/// What is wrong, and when the market opens.
pub(crate) fn explain(closed: &[String], halted: &[String], now: Timestamp) -> String {
    let mut parts = Vec::new();
    if !halted.is_empty() {
        parts.push(format!(
            "trading in {} is halted (IBKR's last price carries H)",
            halted.join(", ")
        ));
    }
    if !closed.is_empty() {
        parts.push(format!(
            "the market for {} is closed: IBKR shows only the previous close, and an order \
             now would wait for the next open, where the sells could not pay for the buys \
             before they are planned. {}",
            closed.join(", "),
            next_open(now).map_or_else(
                || "It opens at the exchange's next regular session".to_owned(),
                |open| format!(
                    "US exchanges open next at {open} (exchange holidays not counted; other \
                     exchanges at their next regular session)"
                )
            )
        ));
    }
    parts.join("; ")
}

/// The next US regular-session open (09:30 New York, Monday to Friday) after `now`.
fn next_open(now: Timestamp) -> Option<String> {
    let tz = TimeZone::get("America/New_York").ok()?;
    let here = now.to_zoned_datetime(tz.clone());
    let mut day = here.date();
    for _ in 0..8 {
        let weekend = matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday);
        let open = day.at(9, 30, 0, 0).to_zoned_datetime(tz.clone()).ok()?;
        if !weekend && open.timestamp() > now {
            return Some(open.strftime("%a %Y-%m-%d %H:%M %Z").to_string());
        }
        day = day.checked_add(1.day()).ok()?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_open_skips_weekends_and_past_opens() {
        // Friday 2026-11-27 16:00 New York (21:00 UTC) → Monday 09:30.
        let friday: Timestamp = "2026-11-27T21:00:00Z".parse().unwrap();
        if let Some(open) = next_open(friday) {
            assert!(open.starts_with("Mon 2026-11-30 09:30"), "{open}");
        }
        // Tuesday 08:00 New York (13:00 UTC) → the same day.
        let tuesday: Timestamp = "2026-12-01T13:00:00Z".parse().unwrap();
        if let Some(open) = next_open(tuesday) {
            assert!(open.starts_with("Tue 2026-12-01 09:30"), "{open}");
        }
    }
}
