//! pbal-fake-gateway integration tests: a real HTTPS client (reqwest, pinned certificate)
//! against the fake, one module per reference area.
mod contracts;
mod faults;
mod orders;
mod portfolio;
mod session;
mod spec;
mod support;
