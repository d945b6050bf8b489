//! Property tests of the allocation engine against oracles.
mod backtest;
mod bands;
mod oracle;
mod seed;
mod tax;
mod wash_sale;
