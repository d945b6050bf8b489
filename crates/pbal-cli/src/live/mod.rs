//! The live commands (cargo feature `live`): `pbal trade`, `pbal status`, `pbal cancel`,
//! through the local Client Portal gateway.

mod args;
mod cancel;
mod connect;
mod fills;
mod orders;
mod status;
mod trade;
mod trust;

pub(crate) use args::{
    CancelArgs, GatewayArgs, GatewayCommand, GatewayCommandArgs, StatusArgs, StatusFormat,
    TradeArgs,
};

use anyhow::{Context, Result};

pub(crate) use cancel::run as cancel;
pub(crate) use status::run as status;
pub(crate) use trade::run as trade;
pub(crate) use trust::run as gateway;

/// Runs an async command on a single-threaded runtime (a few sequential requests).
fn block_on<T>(future: impl Future<Output = Result<T>>) -> Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(future)
}
