//! `pbal man [SUBCOMMAND]`: the manual page, generated from the command definitions, with the
//! sections a man page has and `--help` does not: EXAMPLES, EXIT STATUS, ENVIRONMENT, FILES.

use std::fmt::Write as _;

use anyhow::{Result, bail};
use clap::Args;

use crate::output::emit_bytes;

/// Arguments of `pbal man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// A subcommand's page instead of pbal's (e.g. `plan` for pbal-plan(1)).
    #[arg(value_name = "SUBCOMMAND")]
    pub subcommand: Option<String>,
}

/// The manual page of `command` (the whole `pbal` command line), or of one subcommand.
pub(crate) fn man(args: &ManArgs, command: clap::Command) -> Result<()> {
    // `help` is no page of its own: `pbal help plan` is `pbal plan --help`.
    let mut command = command.disable_help_subcommand(true);
    command.build();
    let (page, sections) = match &args.subcommand {
        None => {
            let sections = [examples("pbal"), exit_status(), environment(), files()].concat();
            (command, sections)
        }
        Some(name) => {
            if name == "help" {
                bail!(
                    "`help` has no page of its own: `pbal help plan` is `pbal plan --help`, and pbal(1) is `pbal man`"
                );
            }
            let Some(sub) = command.find_subcommand(name) else {
                let names: Vec<&str> = command
                    .get_subcommands()
                    .map(clap::Command::get_name)
                    .collect();
                bail!(
                    "no subcommand {name:?}; the subcommands are {}",
                    names.join(", ")
                );
            };
            let sections = examples(sub.get_name()) + SEE_ALSO;
            // Built, its display name is the full command: pbal-plan(1).
            (sub.clone().version(env!("PBAL_VERSION_LINE")), sections)
        }
    };
    // The examples are in their own section, not clap's EXTRA.
    let page = page.after_help(None::<&str>).after_long_help(None::<&str>);
    let mut out = Vec::new();
    clap_mangen::Man::new(page).render(&mut out)?;
    let mut text = String::from_utf8(out)?;
    // Before VERSION, where man pages keep them.
    let at = text.find("\n.SH VERSION").map_or(text.len(), |i| i + 1);
    text.insert_str(at, &sections);
    emit_bytes(text.as_bytes(), None)
}

const SEE_ALSO: &str = ".SH \"SEE ALSO\"\n\\fBpbal\\fR(1): exit status, environment and files\n";

/// `.SH EXAMPLES`: each command line, and what it does.
fn examples(name: &str) -> String {
    let list = crate::help::examples_of(name);
    if list.is_empty() {
        return String::new();
    }
    let mut out = String::from(".SH EXAMPLES\n");
    for (comment, command) in list {
        let _ = write!(out, ".TP\n\\fB{}\\fR\n{}\n", text(command), text(comment));
    }
    out
}

/// `.SH "EXIT STATUS"`: the table of `pbal --help`.
fn exit_status() -> String {
    let mut out = String::from(".SH \"EXIT STATUS\"\n");
    for (code, meaning) in crate::help::EXIT_CODES {
        let _ = write!(out, ".TP\n\\fB{code}\\fR\n{}\n", text(meaning));
    }
    out
}

/// `.SH ENVIRONMENT`: the settings' `PBAL_*` variables and the others pbal reads.
fn environment() -> String {
    let mut out = String::from(".SH ENVIRONMENT\n");
    let mut item = |name: &str, meaning: &str| {
        let _ = write!(out, ".TP\n\\fB{}\\fR\n{}\n", text(name), text(meaning));
    };
    item(
        "PBAL_CONFIG",
        "The config file to read instead of the default one (as --config).",
    );
    for key in crate::config::KEYS {
        item(
            &key.env_var(),
            &format!(
                "The setting `{}` (see FILES): a flag beats it, it beats the config file.",
                key.name
            ),
        );
    }
    item(
        "PBAL_FLEX_TOKEN",
        "The Flex Web Service token (pbal fetch, pbal plan --flex-query); --token-env names \
         another variable. Never printed or logged.",
    );
    item(
        "PBAL_GATEWAY_CERT",
        "The gateway's pinned certificate (live build), instead of gateway.pem in the data \
         directory.",
    );
    item(
        "PBAL_DATA_DIR",
        "The data directory instead of $XDG_DATA_HOME/pbal (see FILES).",
    );
    item(
        "XDG_CONFIG_HOME",
        "Where the config file is looked for: $XDG_CONFIG_HOME/pbal/config.toml (default \
         ~/.config).",
    );
    item(
        "XDG_DATA_HOME",
        "Where the data directory is: $XDG_DATA_HOME/pbal (default ~/.local/share).",
    );
    item(
        "NO_COLOR",
        "Set (to anything): no colour, even on a terminal. Pipes and files never get colour.",
    );
    out
}

/// `.SH FILES`: the config file and the data directory.
fn files() -> String {
    let mut out = String::from(".SH FILES\n");
    for (path, meaning) in [
        (
            "$XDG_CONFIG_HOME/pbal/config.toml",
            "Defaults repeated every run (~/.config/pbal/config.toml; --config or PBAL_CONFIG \
             for another): export, targets, strategy, commission, reserve, min_trade, bands, \
             band_abs, band_rel, tax_rate_short, tax_rate_long, and [gateway] url and account. \
             pbal config shows the effective settings and where each comes from.",
        ),
        (
            "$XDG_DATA_HOME/pbal/journal.jsonl",
            "The journal (PBAL_DATA_DIR for another directory): plans, orders, replies, fills \
             and rebalances of pbal trade, one JSON object a line; no credentials.",
        ),
        (
            "$XDG_DATA_HOME/pbal/gateway.pem",
            "The gateway's certificate pinned by pbal gateway trust.",
        ),
    ] {
        let _ = write!(out, ".TP\n\\fI{}\\fR\n{}\n", text(path), text(meaning));
    }
    out
}

/// `plain` as roff text: backslashes, hyphens and apostrophes escaped (the page's preamble
/// defines `\*(Aq`), a leading dot or quote made literal.
fn text(plain: &str) -> String {
    let escaped = plain
        .replace('\\', "\\e")
        .replace('-', "\\-")
        .replace('\'', "\\*(Aq");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roff_text_is_escaped() {
        assert_eq!(text("pbal's -c 5"), "pbal\\*(Aqs \\-c 5");
        assert_eq!(text(".hidden \\x"), "\\&.hidden \\ex");
    }
}
