//! pbal-ibkr integration tests: one binary, one module per area.
mod amounts;
#[cfg(feature = "client-portal")]
mod client_portal;
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
#[cfg(feature = "client-portal")]
mod sequence;
mod targets;
mod whole;
