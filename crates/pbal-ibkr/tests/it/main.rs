//! pbal-ibkr integration tests: one binary, one module per area.
