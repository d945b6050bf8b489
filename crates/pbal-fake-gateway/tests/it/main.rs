//! pbal-fake-gateway integration tests: a real HTTPS client (reqwest, pinned certificate)
//! against the fake, one module per reference area; and pbal-ibkr's Client Portal client
//! against it (`pbal_ibkr_*`: here, not in pbal-ibkr, so the published pbal-ibkr's tests need
//! no unpublished crate).
mod contracts;
mod faults;
mod orders;
mod pbal_ibkr_client;
mod pbal_ibkr_example;
mod pbal_ibkr_sequence;
mod portfolio;
mod session;
mod spec;
mod support;
