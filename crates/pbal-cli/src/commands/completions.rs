//! `pbal completions SHELL` and `pbal man`: generated from the command definitions.

use anyhow::{Result, bail};
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::output::emit_bytes;

pub(crate) fn completions(args: &CompletionsArgs) -> Result<()> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "pbal", &mut out);
    emit_bytes(&out, None)
}

pub(crate) fn man(args: &ManArgs) -> Result<()> {
    let mut command = Cli::command();
    command.build();
    let page = match &args.subcommand {
        None => command,
        Some(name) => {
            let Some(sub) = command.find_subcommand(name) else {
                let names: Vec<&str> = command
                    .get_subcommands()
                    .map(clap::Command::get_name)
                    .filter(|n| *n != "help")
                    .collect();
                bail!(
                    "no subcommand {name:?}; the subcommands are {}",
                    names.join(", ")
                );
            };
            // Built, its display name is the full command: pbal-plan(1).
            sub.clone().version(env!("PBAL_VERSION_LINE"))
        }
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(page).render(&mut out)?;
    emit_bytes(&out, None)
}
