//! The `pbal` command line: parses arguments, wires pbal-core and pbal-ibkr, renders output.
//!
//! Exit codes: see `help::EXIT_CODES` (0 success, 1 bad input or runtime error, 2 usage error,
//! 3 `pbal trade` placed orders but not all of them filled, 4 a plan failed its audit: a bug in
//! pbal, nothing written or placed).

mod app;
mod applies;
mod backtest_view;
mod cash;
mod cli;
mod clock;
mod commands;
mod commission;
mod config;
mod decimal_arg;
mod error;
mod help;
mod input;
mod journal;
#[cfg(feature = "live")]
mod live;
mod output;
mod progress;
mod render;
mod render_json;
mod render_table;
mod report_html;
mod report_plan;
mod returns;
mod targets;
mod toml_diag;
mod ui;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

pub use app::Cli;

/// Runs pbal with the process's arguments.
pub fn main() -> ExitCode {
    run(std::env::args_os())
}

/// Runs pbal with `args` (the first is the program name).
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args = match app::legacy_args(args.into_iter().collect()) {
        Ok(args) => args,
        Err(e) => return clap_exit(&e),
    };
    let matches = match Cli::command().try_get_matches_from(&args) {
        Ok(matches) => matches,
        Err(e) => return clap_exit(&e),
    };
    ui::set_verbosity(if matches.get_flag("quiet") {
        ui::Verbosity::Quiet
    } else if matches.get_count("verbose") > 0 {
        ui::Verbosity::Verbose
    } else {
        ui::Verbosity::Normal
    });
    // The generated outputs do not depend on settings, so a broken config cannot block them.
    let needs_config = !matches!(matches.subcommand_name(), Some("completions" | "man"));
    let layered = if needs_config {
        let command = Cli::command();
        let explicit = matches.get_one::<PathBuf>("config").map(PathBuf::as_path);
        config::Loaded::find(explicit, &command).and_then(|loaded| {
            let args = config::layer(args, &matches, loaded.file.as_ref(), &command)?;
            Ok((loaded, args))
        })
    } else {
        Ok((config::Loaded::default(), args))
    };
    let (loaded, args) = match layered {
        Ok(layered) => layered,
        Err(e) => return fail(&e),
    };
    let (cli, given) = match Cli::command().try_get_matches_from(&args).and_then(|m| {
        Ok((
            Cli::from_arg_matches(&m)?,
            applies::Given::new(&matches, &m),
        ))
    }) {
        Ok(parsed) => parsed,
        Err(e) => return clap_exit(&e),
    };
    match app::dispatch(cli, &loaded, &given) {
        Ok(()) => {
            ui::flush();
            ExitCode::SUCCESS
        }
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// Prints clap's own message: help and version on stdout (exit 0), usage errors on stderr
/// (exit 2).
fn clap_exit(e: &clap::Error) -> ExitCode {
    let rendered = e.render().ansi().to_string();
    if e.use_stderr() {
        ui::clap_error(&rendered);
    } else {
        // A closed pipe (`pbal --help | head`) is not an error.
        let _ = output::emit_styled(&rendered);
    }
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
}

/// Prints the error (and its causes) and exits 1, or 2 for a usage error.
fn fail(e: &anyhow::Error) -> ExitCode {
    let message = error::render(e);
    ui::flush_before_error(&message);
    ui::error(&message);
    ExitCode::from(exit_code(e))
}

/// The exit code of a failed command (`error::exit_code`), or `pbal trade`'s own for orders
/// placed but not all filled (decided here, so `error` needs nothing from `live`).
fn exit_code(e: &anyhow::Error) -> u8 {
    #[cfg(feature = "live")]
    if e.downcast_ref::<live::Incomplete>().is_some() {
        return error::EXIT_INCOMPLETE;
    }
    error::exit_code(e)
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
