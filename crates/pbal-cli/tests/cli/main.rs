//! pbal-cli integration tests: the real binary, hermetic environment, inline snapshots.

mod backtest;
mod common;
mod fetch;
mod ibkr;
#[cfg(feature = "live")]
mod live;
mod plan;
mod readers;
