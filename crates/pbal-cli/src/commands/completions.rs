//! `pbal completions SHELL`: generated from the command definitions.

use anyhow::Result;
use clap::Args;

use crate::output::emit_bytes;

/// Arguments of `pbal completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The completion script of `command` (the whole `pbal` command line).
pub(crate) fn completions(args: &CompletionsArgs, command: clap::Command) -> Result<()> {
    let mut command = no_file_completion(command);
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "pbal", &mut out);
    emit_bytes(&out, None)
}

/// `command` with every value that is not a path completing to nothing rather than to file
/// names (`--reserve`, `--tax-rate-short`, `--account`); options with words (`--commission`,
/// `--strategy`) offer those, paths (`PathBuf`, hinted by clap) stay files.
fn no_file_completion(command: clap::Command) -> clap::Command {
    command
        .mut_args(|arg| {
            let open_text = arg.get_action().takes_values()
                && arg.get_value_hint() == clap::ValueHint::Unknown
                && arg.get_value_parser().possible_values().is_none();
            if open_text {
                arg.value_hint(clap::ValueHint::Other)
            } else {
                arg
            }
        })
        .mut_subcommands(no_file_completion)
}
