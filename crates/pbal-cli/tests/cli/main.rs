//! pbal-cli integration tests: the real binary, hermetic environment, inline snapshots.

mod common;
mod plan;
