//! A quick hasher for the maps that index an export's own rows by their text (symbols,
//! accounts): std's SipHash resists crafted keys a file pbal reads for its own user need not,
//! and cost a tenth of grouping 5,000 positions.

use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a over the bytes, with a final mix so that the high bits hashbrown looks at first
/// depend on every byte.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        // MurmurHash3's 64-bit finalizer.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// A `HashMap` with [`Fnv`].
pub(crate) type FnvMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<Fnv>>;

/// An empty [`FnvMap`] with room for `capacity` entries.
pub(crate) fn fnv_map<K, V>(capacity: usize) -> FnvMap<K, V> {
    FnvMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_it_holds() {
        let keys: Vec<String> = (0..5000).map(|i| format!("S{i:05}")).collect();
        let mut map = FnvMap::default();
        for (i, k) in keys.iter().enumerate() {
            map.insert((k.as_str(), "", "USD"), i);
        }
        assert_eq!(map.len(), keys.len());
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(map.get(&(k.as_str(), "", "USD")), Some(&i));
        }
        assert_eq!(map.get(&("S", "00001", "USD")), None);
    }
}
