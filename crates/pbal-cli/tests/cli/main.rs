//! pbal-cli integration tests: the real binary, hermetic environment, inline snapshots.

mod backtest;
mod common;
mod fetch;
mod ibkr;
mod plan;
