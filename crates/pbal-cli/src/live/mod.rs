//! The live commands (cargo feature `live`): `pbal trade`, `pbal status`, `pbal cancel`,
//! through the local Client Portal gateway.

mod args;
mod cancel;
mod connect;
mod contracts;
mod convert;
mod currency;
mod fills;
mod household;
mod market;
mod observer;
mod orders;
mod preview;
mod status;
mod summary;
mod trade;
mod trust;

pub(crate) use args::{
    CancelArgs, GatewayArgs, GatewayCommand, GatewayCommandArgs, StatusArgs, StatusFormat,
    TradeArgs,
};

use anyhow::{Context, Result};

pub(crate) use cancel::run as cancel;
pub(crate) use status::run as status;
pub(crate) use summary::Incomplete;

/// `pbal trade`: one account, or with `--all-accounts` the login's household.
pub(crate) fn trade(args: &TradeArgs) -> Result<()> {
    if args.all_accounts {
        household::run(args)
    } else {
        trade::run(args)
    }
}
pub(crate) use trust::run as gateway;

/// Asks on stderr and reads one line of stdin; unless it is `expected`, stops with
/// "not confirmed: nothing was {undone}".
fn confirm(prompt: &str, expected: &str, undone: &str) -> Result<()> {
    use std::io::BufRead as _;
    crate::ui::flush();
    crate::ui::prompt(prompt)?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    if line.trim() != expected {
        anyhow::bail!("not confirmed: nothing was {undone}");
    }
    Ok(())
}

/// [`confirm`], keeping the gateway session alive (`/tickle` every minute) while the user
/// reads the plan: the session idles out after about five minutes.
async fn confirm_keeping_alive(
    gateway: &pbal_ibkr::client_portal::Gateway,
    prompt: String,
    expected: String,
    undone: &'static str,
) -> Result<()> {
    let mut answer = tokio::task::spawn_blocking(move || confirm(&prompt, &expected, undone));
    loop {
        match tokio::time::timeout(KEEPALIVE, &mut answer).await {
            Ok(joined) => return joined.context("the confirmation prompt failed")?,
            Err(_) => {
                if let Err(e) = gateway.tickle().await {
                    crate::output::warn(&format!("keeping the gateway session alive: {e}"));
                }
            }
        }
    }
}

/// How often a waiting run tickles the gateway (IBKR's advice: about every 60 s).
// Seconds, not `from_mins`: that is const only since Rust 1.91 and pbal-cli builds on 1.88.
const KEEPALIVE: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs an async command on a single-threaded runtime (a few sequential requests).
fn block_on<T>(future: impl Future<Output = Result<T>>) -> Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(future)
}
