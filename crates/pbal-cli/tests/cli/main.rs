//! pbal-cli integration tests: the real binary, hermetic environment, inline snapshots.

mod backtest;
mod common;
mod config;
mod errors;
mod fetch;
mod household;
mod ibkr;
mod library;
#[cfg(feature = "live")]
mod live;
mod modules;
mod options;
mod plan;
mod readers;
mod shell;
mod trust;
mod worth;
