//! pbal-cli integration tests: the real binary, hermetic environment, inline snapshots.

mod backtest;
mod common;
mod config;
mod decimal_comma;
mod errors;
mod fetch;
mod figures;
mod household;
mod ibkr;
mod library;
#[cfg(feature = "live")]
mod live;
mod modules;
mod options;
mod output_files;
mod plan;
mod readers;
mod shell;
mod targets_typos;
mod trust;
mod wording;
mod worth;
