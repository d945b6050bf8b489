//! One module per subcommand; `dispatch` is the only place that matches on them.

pub(crate) mod backtest;
mod completions;
mod config;
mod fetch;
pub(crate) mod plan;
mod positions;

use anyhow::Result;

use crate::cli::{Cli, Command};

pub(crate) fn dispatch(cli: Cli, config: &crate::config::Loaded) -> Result<()> {
    match cli.command {
        Command::Plan(args) => plan::run(&args),
        Command::Positions(args) => positions::run(&args),
        Command::Fetch(args) => fetch::run(&args),
        #[cfg(feature = "live")]
        Command::Trade(args) => crate::live::trade(&args),
        #[cfg(feature = "live")]
        Command::Status(args) => crate::live::status(&args),
        #[cfg(feature = "live")]
        Command::Cancel(args) => crate::live::cancel(&args),
        #[cfg(feature = "live")]
        Command::Gateway(args) => crate::live::gateway(&args),
        #[cfg(not(feature = "live"))]
        Command::Trade(_) | Command::Status(_) | Command::Cancel(_) | Command::Gateway(_) => {
            anyhow::bail!(
                "this pbal was built without live trading. Live orders need the `live` feature:\n  \
             cargo install --path crates/pbal-cli --features live\n\
             Without it, `pbal plan --format basket -o plan.csv` writes the plan for TWS's BasketTrader."
            )
        }
        Command::Backtest(args) => backtest::run(&args),
        Command::Config => config::run(config),
        Command::Completions(args) => completions::completions(&args),
        Command::Man(args) => completions::man(&args),
    }
}
