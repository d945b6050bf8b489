//! pbal-cli integration tests: the real binary, hermetic environment, inline snapshots.

mod common;
mod fetch;
mod ibkr;
#[cfg(feature = "live")]
mod live;
mod plan;
