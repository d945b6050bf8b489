//! pbal-ibkr integration tests: one binary, one module per area.
mod flex_web;
