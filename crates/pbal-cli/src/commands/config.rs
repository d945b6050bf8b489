//! `pbal config`: the effective settings and where each comes from.

use std::fmt::Write as _;

use anyhow::Result;

use crate::config::{Loaded, Source, effective};
use crate::output::emit;

/// Shows the settings of `loaded` for `command` (the whole command line, whose parsers check
/// the environment's values).
pub(crate) fn run(loaded: &Loaded, command: &clap::Command) -> Result<()> {
    let mut text = String::new();
    match (&loaded.location, &loaded.file) {
        (_, Some(file)) => writeln!(text, "Config file: {}", file.path.display())?,
        (Some(location), None) => writeln!(
            text,
            "Config file: none ({} does not exist)",
            location.path.display()
        )?,
        (None, None) => writeln!(text, "Config file: none (no home directory)")?,
    }
    writeln!(
        text,
        "Flags beat environment variables, which beat the config file, which beats the defaults.\n"
    )?;
    let rows = effective(loaded.file.as_ref(), command)?;
    let width = |f: &dyn Fn(&(&crate::config::Key, String, Source)) -> usize| {
        rows.iter().map(f).max().unwrap_or(0)
    };
    let name_width = width(&|r| r.0.name.len()).max("setting".len());
    let value_width = width(&|r| r.1.chars().count()).max("value".len());
    writeln!(
        text,
        "{:name_width$}  {:value_width$}  from",
        "setting", "value"
    )?;
    for (key, value, source) in &rows {
        let from = match source {
            Source::Default => format!("default (env {})", key.env_var()),
            other => other.to_string(),
        };
        writeln!(
            text,
            "{:name_width$}  {value:value_width$}  {from}",
            key.name
        )?;
    }
    emit(&text, None)
}
