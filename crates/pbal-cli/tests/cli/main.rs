//! pbal-cli integration tests: the real binary, hermetic environment, inline snapshots.

mod common;
mod fetch;
#[cfg(feature = "live")]
mod live;
mod ibkr;
mod plan;
