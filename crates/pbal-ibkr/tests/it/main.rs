//! pbal-ibkr integration tests: one binary, one module per area.
mod exports;
mod flex_web;
mod robustness;
