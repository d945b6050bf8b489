//! One module per subcommand; `dispatch` is the only place that matches on them.

mod plan;
mod positions;

use anyhow::Result;

use crate::cli::{Cli, Command};

pub(crate) fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Plan(args) => plan::run(&args),
        Command::Positions(args) => positions::run(&args),
    }
}
