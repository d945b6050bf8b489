//! Plan an IBKR export: read it, take its holdings and ending cash, and print the orders that
//! bring every position to an equal weight.
//!
//! `cargo run -p pbal-ibkr --example plan_from_export [FILE]`; without FILE it reads the
//! package's `tests/fixtures/flex/header-trailer.csv` (a Flex Query CSV with a Cash Report).

// An example's output is its point.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use pbal_core::{Commission, PlanOptions, Targets};
use pbal_ibkr::{AccountSelection, read_path};

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let file = std::env::args_os().nth(1).map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/flex/header-trailer.csv"),
        PathBuf::from,
    );
    let statement = read_path(&file)?;

    // Several accounts are planned together as one household here; `AccountSelection::Only(id)`
    // plans one of them.
    let selection = if statement.accounts.len() > 1 {
        AccountSelection::All
    } else {
        AccountSelection::Single
    };
    // Options, futures and shorts are left out unless named here.
    let holdings = statement.to_holdings(&selection, &BTreeSet::new())?;
    for reason in &holdings.excluded {
        println!("left out: {reason}");
    }
    let cash = statement.cash_in_base(&selection)?;
    let currency = holdings.base_currency.as_deref().unwrap_or("(base)");

    let symbols = holdings
        .portfolio
        .holdings()
        .iter()
        .map(|h| h.symbol.clone());
    let targets = Targets::equal(symbols)?;
    let options = PlanOptions::new().with_commission(Commission::IbkrFixed);
    let plan = pbal_core::plan(&holdings.portfolio, &targets, cash, &options)?;

    println!("{}: {cash} {currency} to invest", file.display());
    for trade in &plan.trades {
        println!("  {trade}  ({} {currency})", trade.amount);
    }
    println!(
        "left {} {currency} after {} commission; drift {:.2}% -> {:.2}%",
        plan.cash.left,
        plan.cash.commission,
        plan.drift_before * pbal_core::dec!(100),
        plan.drift_after * pbal_core::dec!(100),
    );
    Ok(())
}
