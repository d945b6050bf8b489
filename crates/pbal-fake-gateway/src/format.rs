//! Number and id formatting the way the gateway writes them.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::Value;

/// A JSON number (the gateway sends floats: `100.0`, `454.44000245`).
pub(crate) fn num(value: Decimal) -> Value {
    value
        .to_f64()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// `1234.5` with 2 places → `"1,234.50"`.
pub(crate) fn grouped(value: Decimal, places: u32) -> String {
    let text = format!("{:.*}", places as usize, value.round_dp(places));
    let (sign, digits) = text
        .strip_prefix('-')
        .map_or(("", text.as_str()), |rest| ("-", rest));
    let (int, frac) = digits
        .split_once('.')
        .map_or((digits, None), |(i, f)| (i, Some(f)));
    let mut out = String::with_capacity(text.len() + int.len() / 3);
    out.push_str(sign);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if let Some(frac) = frac {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// Plain text with at least one decimal place (`"5.0"`, `"192.26"`), as order status writes.
pub(crate) fn plain(value: Decimal) -> String {
    let value = value.normalize();
    if value.scale() == 0 {
        format!("{value}.0")
    } else {
        value.to_string()
    }
}

/// A price with at least two decimal places (`"457.00"`).
pub(crate) fn price(value: Decimal) -> String {
    let value = value.normalize();
    format!("{:.*}", value.scale().max(2) as usize, value)
}

fn since_epoch() -> std::time::Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// Epoch milliseconds.
pub(crate) fn now_ms() -> u64 {
    since_epoch().as_millis() as u64
}

/// Epoch seconds.
pub(crate) fn now_s() -> u64 {
    since_epoch().as_secs()
}

/// A fresh random version-4 UUID (`RandomState` is seeded randomly per instance).
pub(crate) fn uuid() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let word = |salt: u64| {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed) ^ salt);
        hasher.write_u128(since_epoch().as_nanos());
        hasher.finish()
    };
    let (hi, lo) = (word(0x5bd1_e995), word(0x9e37_79b9));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0x0fff,
        0x8000 | (lo >> 48) & 0x3fff,
        lo & 0xffff_ffff_ffff
    )
}

/// A random lowercase hex token (session ids).
pub(crate) fn hex_token() -> String {
    uuid().replace('-', "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_inserts_commas() {
        assert_eq!(grouped(Decimal::new(123_450, 2), 2), "1,234.50");
        assert_eq!(grouped(Decimal::new(-1_234_567, 0), 0), "-1,234,567");
        assert_eq!(grouped(Decimal::new(999, 0), 2), "999.00");
    }

    #[test]
    fn plain_and_price_keep_places() {
        assert_eq!(plain(Decimal::new(5, 0)), "5.0");
        assert_eq!(plain(Decimal::new(19_226, 2)), "192.26");
        assert_eq!(price(Decimal::new(457, 0)), "457.00");
        assert_eq!(price(Decimal::new(4_571_234, 4)), "457.1234");
    }

    #[test]
    fn uuids_are_fresh_and_well_formed() {
        let (a, b) = (uuid(), uuid());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes()[14], b'4');
    }
}
