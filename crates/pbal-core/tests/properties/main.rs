//! Property tests of the allocation engine against oracles.
mod backtest;
mod bands;
mod household;
mod household_exact;
mod oracle;
mod proof;
mod replan;
mod robustness;
mod seed;
mod serde_checks;
mod tax;
mod transfers;
mod wash_sale;
mod worth;
