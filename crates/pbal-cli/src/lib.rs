//! The `pbal` command line: parses arguments, wires pbal-core and pbal-ibkr, renders output.
//!
//! Exit codes: 0 success, 1 bad input or runtime error, 2 usage error, 3 `pbal trade` placed
//! orders but not all of them filled (summary on stdout).

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
            #[cfg(feature = "live")]
            if e.downcast_ref::<live::Incomplete>().is_some() {
                return ExitCode::from(live::EXIT_INCOMPLETE);
            }
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
