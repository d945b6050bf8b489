//! Interactive Brokers inputs for pbal.
pub mod flex_web;
