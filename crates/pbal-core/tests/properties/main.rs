//! Property tests of the allocation engine against oracles.
mod oracle;
mod seed;
