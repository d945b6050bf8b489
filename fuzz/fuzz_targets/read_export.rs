//! Any bytes: the reader returns a statement or an error, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pbal_ibkr::{AccountSelection, read_bytes};

fuzz_target!(|data: &[u8]| {
    if let Ok(statement) = read_bytes(data, "fuzz") {
        let include = std::collections::BTreeSet::new();
        let _ = statement.to_holdings(&AccountSelection::All, &include);
        let _ = statement.cash_in_base(&AccountSelection::All);
    }
});
