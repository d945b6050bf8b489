//! pbal-ibkr integration tests: one binary, one module per area.
mod client_portal;
mod exports;
mod flex_web;
mod integrity;
mod library;
mod pipeline;
mod plans;
mod robustness;
