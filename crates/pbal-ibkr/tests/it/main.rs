//! pbal-ibkr integration tests: one binary, one module per area.
mod amounts;
mod currency_flows;
mod error_chain;
mod exports;
#[cfg(feature = "flex-web")]
mod flex_web;
mod household;
mod integrity;
mod library;
mod pipeline;
mod plan_cash;
mod plans;
mod robustness;
mod targets;
mod whole;
