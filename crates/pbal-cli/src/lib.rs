//! The `pbal` command line: parses arguments, wires pbal-core and pbal-ibkr, renders output.
//!
//! Exit codes: 0 success, 1 bad input or runtime error, 2 usage error, 4 a plan failed its
//! audit (a bug in pbal: nothing was written or placed).

mod basket;
mod cli;
mod commands;
mod decimal_arg;
mod journal;
#[cfg(feature = "live")]
mod live;
mod output;
mod prices;
mod render;
mod report_html;
mod targets;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

pub use cli::Cli;

/// Exit code for bad input or a runtime error.
const EXIT_ERROR: u8 = 1;
/// Exit code for a plan that failed its audit: a bug in pbal, never the user's input.
const EXIT_AUDIT: u8 = 4;

/// Runs pbal with the process's arguments.
pub fn main() -> ExitCode {
    run(std::env::args_os())
}

/// Runs pbal with `args` (the first is the program name).
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args = cli::legacy_args(args.into_iter().collect());
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    match commands::dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "error: {e:#}");
            if is_audit_failure(&e) {
                let _ = writeln!(
                    stderr,
                    "Please report this with the command and (anonymised) input: \
                     https://github.com/pbal-dev/pbal/issues"
                );
                return ExitCode::from(EXIT_AUDIT);
            }
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn is_audit_failure(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<pbal_core::Error>()
            .is_some_and(|e| matches!(e, pbal_core::Error::Audit(_)))
            || c.downcast_ref::<pbal_core::AuditFailure>().is_some()
    })
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
