//! Defaults below the command line: `PBAL_*` variables, then the config file
//! (`--config FILE`, `PBAL_CONFIG`, or `$XDG_CONFIG_HOME/pbal/config.toml`), then pbal's own.
//!
//! The layer works on the argument list: a setting that neither the command line nor clap's
//! own `env` gave is appended as if typed, after checking it with the option's own parser, so
//! a config value means exactly what the flag means and its errors name the file and line.
//!
//! ```toml
//! export = "~/Downloads/positions.csv"
//! targets = "targets.toml"        # relative to this file
//! strategy = "bands"
//! commission = "ibkr-fixed"
//! reserve = 500
//! min_trade = 100
//! bands = true
//! band_abs = "5%"
//! band_rel = "25%"
//! tax_rate_short = "37%"
//! tax_rate_long = "20%"
//! keep_costly_orders = false
//! [accounts]
//! U7654321 = "tax-deferred"
//! [gateway]
//! url = "https://localhost:5000"
//! account = "U1234567"
//! ```

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use clap::ArgMatches;
use clap::parser::ValueSource;
use toml::de::{DeTable, DeValue};

/// How a setting is written on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A path: `~/` is the home directory, relative paths start at the config file.
    Path,
    /// Any other value, checked by the option's parser.
    Text,
    /// An on/off switch (`true` adds the flag).
    Flag,
}

/// One setting: its config key and the option it fills.
#[derive(Debug)]
pub(crate) struct Key {
    /// Name in the file (`[gateway] url` is `gateway.url`).
    pub(crate) name: &'static str,
    /// The clap argument id it fills.
    arg: &'static str,
    /// Subcommands it applies to; empty: every command with that option.
    only: &'static [&'static str],
    kind: Kind,
    /// The built-in default, as shown by `pbal config`.
    pub(crate) default: &'static str,
    /// A percent (a bare number is percent): `pbal config` shows it with `%`.
    percent: bool,
}

/// Every setting the config file may hold.
pub(crate) const KEYS: &[Key] = &[
    Key {
        name: "export",
        arg: "file",
        only: &["plan"],
        kind: Kind::Path,
        default: "~/Downloads/positions-custom.csv",
        percent: false,
    },
    Key {
        name: "targets",
        arg: "targets",
        only: &[],
        kind: Kind::Path,
        default: "(equal weights)",
        percent: false,
    },
    Key {
        name: "strategy",
        arg: "strategy",
        only: &[],
        kind: Kind::Text,
        default: "buy-only",
        percent: false,
    },
    Key {
        name: "commission",
        arg: "commission",
        only: &[],
        kind: Kind::Text,
        default: "none",
        percent: false,
    },
    Key {
        name: "reserve",
        arg: "reserve",
        only: &[],
        kind: Kind::Text,
        default: "0",
        percent: false,
    },
    Key {
        name: "cash_total",
        arg: "cash_total",
        only: &[],
        kind: Kind::Text,
        default: "(the export's cash, plus --cash)",
        percent: false,
    },
    Key {
        name: "min_trade",
        arg: "min_trade",
        only: &[],
        kind: Kind::Text,
        default: "(none)",
        percent: false,
    },
    Key {
        name: "bands",
        arg: "bands",
        only: &[],
        kind: Kind::Flag,
        default: "false",
        percent: false,
    },
    Key {
        name: "band_abs",
        arg: "band_abs",
        only: &[],
        kind: Kind::Text,
        default: "5%",
        percent: true,
    },
    Key {
        name: "band_rel",
        arg: "band_rel",
        only: &[],
        kind: Kind::Text,
        default: "25%",
        percent: true,
    },
    Key {
        name: "tax_rate_short",
        arg: "tax_rate_short",
        only: &[],
        kind: Kind::Text,
        default: "0",
        percent: true,
    },
    Key {
        name: "tax_rate_long",
        arg: "tax_rate_long",
        only: &[],
        kind: Kind::Text,
        default: "0",
        percent: true,
    },
    Key {
        name: "keep_costly_orders",
        arg: "keep_costly_orders",
        only: &[],
        kind: Kind::Flag,
        default: "false",
        percent: false,
    },
    Key {
        name: "accounts",
        arg: "account_kind",
        only: &["plan", "trade"],
        kind: Kind::Text,
        default: "(every account taxable)",
        percent: false,
    },
    Key {
        name: "gateway.url",
        arg: "gateway",
        only: &[],
        kind: Kind::Text,
        default: "https://localhost:5000",
        percent: false,
    },
    Key {
        name: "gateway.account",
        arg: "account",
        only: &["trade", "status", "cancel"],
        kind: Kind::Text,
        default: "(the login's only account)",
        percent: false,
    },
];

impl Key {
    /// `PBAL_` and the name in capitals: `gateway.url` is `PBAL_GATEWAY_URL`.
    pub(crate) fn env_var(&self) -> String {
        format!("PBAL_{}", self.name.replace('.', "_").to_ascii_uppercase())
    }

    /// `value` as `pbal config` shows it: a percent with its `%` (`0.3` is 0.3%, as the
    /// option reads it), anything else as written.
    fn shown(&self, value: &str) -> String {
        let trimmed = value.trim();
        if self.percent && !trimmed.ends_with('%') {
            format!("{trimmed}%")
        } else if self.percent {
            // `37 %` and `37%` alike.
            format!("{}%", trimmed.trim_end_matches('%').trim_end())
        } else {
            value.to_owned()
        }
    }
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// An environment variable.
    Env(String),
    /// The config file, at this line.
    File { path: PathBuf, line: usize },
    /// pbal's built-in default.
    Default,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Env(var) => write!(f, "env {var}"),
            Self::File { path, line } => write!(f, "{}:{line}", path.display()),
            Self::Default => f.write_str("default"),
        }
    }
}

/// A parsed config file: values as they would be typed after the option.
#[derive(Debug, Default)]
pub(crate) struct ConfigFile {
    pub(crate) path: PathBuf,
    values: BTreeMap<&'static str, (String, usize)>,
}

/// The config file found for this run, if any.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    /// Where pbal looked (none without a home directory).
    pub(crate) location: Option<Location>,
    /// What it found there.
    pub(crate) file: Option<ConfigFile>,
}

impl Loaded {
    /// Finds and reads the config file (`explicit`: `--config` or `PBAL_CONFIG`), checking
    /// each value with the parser of the option of `command` (the whole command line) it fills.
    pub(crate) fn find(explicit: Option<&Path>, command: &clap::Command) -> Result<Self> {
        let location = location(explicit);
        let file = match &location {
            Some(l) => ConfigFile::load(l, command)?,
            None => None,
        };
        if let Some(f) = &file {
            crate::ui::note(&format!("config file {}", f.path.display()));
        }
        Ok(Self { location, file })
    }
}

/// Which config file to read: `--config`/`PBAL_CONFIG` (must exist), else the XDG one if it
/// exists.
#[derive(Debug, Clone)]
pub(crate) struct Location {
    pub(crate) path: PathBuf,
    pub(crate) explicit: bool,
}

pub(crate) fn location(explicit: Option<&Path>) -> Option<Location> {
    use etcetera::BaseStrategy as _;
    if let Some(path) = explicit {
        return Some(Location {
            path: path.to_owned(),
            explicit: true,
        });
    }
    let dir = etcetera::choose_base_strategy().ok()?.config_dir();
    Some(Location {
        path: dir.join("pbal").join("config.toml"),
        explicit: false,
    })
}

impl ConfigFile {
    /// Reads the file at `location`; a missing default file is no file.
    pub(crate) fn load(location: &Location, command: &clap::Command) -> Result<Option<Self>> {
        let path = &location.path;
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !location.explicit => {
                return Ok(None);
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        Self::parse(&text, path, command).map(Some)
    }

    pub(crate) fn parse(text: &str, path: &Path, command: &clap::Command) -> Result<Self> {
        let table = DeTable::parse(text)
            .map_err(|e| crate::toml_diag::parse_error(path, text, &e, &example))?
            .into_inner();
        let mut out = Self {
            path: path.to_owned(),
            values: BTreeMap::new(),
        };
        out.read_table(text, &table, "", command)?;
        Ok(out)
    }

    fn read_table(
        &mut self,
        text: &str,
        table: &DeTable<'_>,
        prefix: &str,
        command: &clap::Command,
    ) -> Result<()> {
        for (key, value) in table {
            let line = crate::toml_diag::line_at(text, key.span().start);
            let at = |message: String| anyhow!("{}:{line}: {message}", self.path.display());
            let name = format!("{prefix}{}", key.get_ref().replace('-', "_"));
            if prefix.is_empty() && name == "gateway" {
                let DeValue::Table(inner) = value.get_ref() else {
                    return Err(at("`gateway` must be a table: [gateway] url = \"…\"".into()));
                };
                self.read_table(text, inner, "gateway.", command)?;
                continue;
            }
            if prefix.is_empty() && name == "accounts" {
                // `[accounts]` ID = "KIND": the value `--account-kind` takes.
                let DeValue::Table(inner) = value.get_ref() else {
                    return Err(at(
                        "`accounts` must be a table: [accounts] U1234567 = \"tax-deferred\"".into(),
                    ));
                };
                let mut items = Vec::new();
                for (id, kind) in inner {
                    let DeValue::String(kind) = kind.get_ref() else {
                        return Err(at(format!(
                            "`accounts.{}`: expected \"taxable\", \"tax-deferred\" or \"tax-free\"",
                            id.get_ref()
                        )));
                    };
                    items.push(format!("{}={kind}", id.get_ref()));
                }
                let typed = items.join(",");
                let spec = KEYS.iter().find(|k| k.name == "accounts").expect("listed");
                validate(spec, &typed, command).map_err(at)?;
                self.values.insert(spec.name, (typed, line));
                continue;
            }
            let Some(spec) = KEYS.iter().find(|k| k.name == name) else {
                let known: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
                return Err(at(format!(
                    "unknown key `{name}`; the keys are {}",
                    known.join(", ")
                )));
            };
            let line = crate::toml_diag::line_at(text, value.span().start);
            let at =
                |message: String| anyhow!("{}:{line}: `{name}`: {message}", self.path.display());
            let typed = match (spec.kind, value.get_ref()) {
                (Kind::Flag, DeValue::Boolean(b)) => b.to_string(),
                (Kind::Flag, other) => {
                    return Err(at(format!(
                        "expected true or false, got {}",
                        other.type_str()
                    )));
                }
                (_, DeValue::String(s)) => s.to_string(),
                (Kind::Text, DeValue::Integer(i)) if i.radix() == 10 => i.as_str().to_owned(),
                // The text as written, so `0.1` stays exactly 0.1 (no float on the way).
                (Kind::Text, DeValue::Float(f)) => f.as_str().to_owned(),
                (_, other) => {
                    return Err(at(format!("expected a string, got {}", other.type_str())));
                }
            };
            let typed = if spec.kind == Kind::Path {
                self.resolve(&typed).display().to_string()
            } else {
                typed
            };
            validate(spec, &typed, command).map_err(at)?;
            self.values.insert(spec.name, (typed, line));
        }
        Ok(())
    }

    /// `~/x` in the home directory; a relative path next to the config file.
    fn resolve(&self, text: &str) -> PathBuf {
        if let Some(rest) = text.strip_prefix("~/")
            && let Some(home) = std::env::var_os("HOME")
        {
            return PathBuf::from(home).join(rest);
        }
        let path = PathBuf::from(text);
        match self.path.parent() {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path,
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<(&str, usize)> {
        self.values.get(name).map(|(v, l)| (v.as_str(), *l))
    }
}

/// A line that sets the setting `name` (a key of the file, or one of `[gateway]`), for errors.
fn example(name: &str) -> String {
    let value = match name {
        "export" => "\"~/Downloads/positions.csv\"",
        "targets" => "\"targets.toml\"",
        "strategy" => "\"full\"",
        "commission" => "\"ibkr-fixed\"",
        "reserve" => "500",
        "cash_total" => "5000",
        "min_trade" => "100",
        "bands" | "keep_costly_orders" => "true",
        "band_abs" | "band-abs" => "\"5%\"",
        "band_rel" | "band-rel" => "\"25%\"",
        "tax_rate_short" | "tax-rate-short" => "\"37%\"",
        "tax_rate_long" | "tax-rate-long" => "\"20%\"",
        "url" => "\"https://localhost:5000\"",
        "account" => "\"U1234567\"",
        _ => "\"…\"",
    };
    format!("{name} = {value}")
}

/// Checks `value` with the parser of the first command option `key` fills (none in a build
/// without that command), so a bad value fails when the file is read.
fn validate(key: &Key, value: &str, command: &clap::Command) -> Result<(), String> {
    if key.kind != Kind::Text {
        return Ok(());
    }
    let Some(arg) = all_commands(command)
        .filter(|c| applies(key, c.get_name()))
        .find_map(|c| c.get_arguments().find(|a| a.get_id() == key.arg))
    else {
        return Ok(());
    };
    let probe = clap::Command::new("pbal")
        .no_binary_name(true)
        .color(clap::ColorChoice::Never)
        .arg(
            clap::Arg::new("value")
                .long("value")
                .allow_hyphen_values(true)
                .value_parser(arg.get_value_parser().clone()),
        );
    match probe.try_get_matches_from([format!("--value={value}")]) {
        Ok(_) => Ok(()),
        Err(e) => Err(match std::error::Error::source(&e) {
            Some(inner) => inner.to_string(),
            None => clap_message(&e),
        }),
    }
}

/// A clap error's first paragraph without its `error: ` prefix or the probe's option name.
fn clap_message(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let first = text.split("\n\n").next().unwrap_or_default();
    first
        .trim_start_matches("error: ")
        .replace(" for '--value <value>'", "")
        .trim()
        .to_owned()
}

fn all_commands(command: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    command
        .get_subcommands()
        .flat_map(|c| std::iter::once(c).chain(c.get_subcommands()))
}

fn applies(key: &Key, command: &str) -> bool {
    key.only.is_empty() || key.only.contains(&command)
}

/// The settings as `pbal config` shows them: value and source of every key, env over file.
/// A variable's value is checked with its option's parser (`command`: the whole command
/// line), so `pbal config` fails on what would fail a plan, with the same message.
pub(crate) fn effective(
    file: Option<&ConfigFile>,
    command: &clap::Command,
) -> Result<Vec<(&'static Key, String, Source)>> {
    KEYS.iter()
        .map(|key| {
            if let Some(value) = checked_env(key, command)? {
                return Ok((key, key.shown(&value), Source::Env(key.env_var())));
            }
            if let Some(file) = file
                && let Some((value, line)) = file.get(key.name)
            {
                let source = Source::File {
                    path: file.path.clone(),
                    line,
                };
                return Ok((key, key.shown(value), source));
            }
            Ok((key, key.shown(key.default), Source::Default))
        })
        .collect()
}

fn env_value(key: &Key) -> Option<String> {
    std::env::var(key.env_var()).ok().filter(|v| !v.is_empty())
}

/// The variable of `key`, if set, checked like a typed value: `PBAL_RESERVE: "abc" is not a
/// decimal number`.
fn checked_env(key: &Key, command: &clap::Command) -> Result<Option<String>> {
    let Some(value) = env_value(key) else {
        return Ok(None);
    };
    let checked = match key.kind {
        Kind::Flag => is_true(&value).map(drop),
        Kind::Text | Kind::Path => validate(key, &value, command),
    };
    checked.map_err(|m| anyhow!("{}: {m}", key.env_var()))?;
    Ok(Some(value))
}

/// The arguments with every setting the command takes but was not given filled from the
/// environment or `file`; each filled setting is noted for `-v`.
pub(crate) fn layer(
    mut args: Vec<OsString>,
    matches: &ArgMatches,
    file: Option<&ConfigFile>,
    command: &clap::Command,
) -> Result<Vec<OsString>> {
    let mut command = command.clone();
    command.build();
    let mut leaf = &command;
    let mut leaf_matches = matches;
    while let Some((name, sub)) = leaf_matches.subcommand() {
        let Some(next) = leaf.find_subcommand(name) else {
            break;
        };
        leaf = next;
        leaf_matches = sub;
    }
    let given = |id: &str| {
        matches!(
            leaf_matches.value_source(id),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        )
    };
    let mut options = Vec::new();
    let mut positionals = Vec::new();
    for key in KEYS.iter().filter(|k| applies(k, leaf.get_name())) {
        let Some(arg) = leaf.get_arguments().find(|a| a.get_id() == key.arg) else {
            continue;
        };
        if given(key.arg)
            || leaf
                .get_arg_conflicts_with(arg)
                .iter()
                .any(|c| given(c.get_id().as_str()))
        {
            continue;
        }
        // clap reads an option's own variable (PBAL_GATEWAY_URL); the others are read here.
        let from_env = if arg.get_env().is_none() {
            checked_env(key, &command)?
        } else {
            None
        };
        let (value, source) = match (from_env, file.and_then(|f| f.get(key.name))) {
            (Some(value), _) => (value, Source::Env(key.env_var())),
            (None, Some((value, line))) => (
                value.to_owned(),
                Source::File {
                    path: file.map(|f| f.path.clone()).unwrap_or_default(),
                    line,
                },
            ),
            (None, None) => continue,
        };
        crate::ui::note(&format!("{} = {value} ({source})", key.name));
        match (key.kind, arg.get_long()) {
            (Kind::Flag, Some(long)) => {
                if is_true(&value).map_err(|m| anyhow!("{source}: `{}`: {m}", key.name))? {
                    options.push(OsString::from(format!("--{long}")));
                }
            }
            (_, Some(long)) => options.push(OsString::from(format!("--{long}={value}"))),
            (_, None) => positionals.push(OsString::from(value)),
        }
    }
    // Options go before a `--` the user wrote; positionals after it (or after a new one).
    if let Some(at) = args.iter().position(|a| a == "--") {
        args.splice(at..at, options);
    } else {
        args.extend(options);
        if !positionals.is_empty() {
            args.push(OsString::from("--"));
        }
    }
    args.extend(positionals);
    Ok(args)
}

/// The settings of the environment or `file` that the subcommand `name` of `command` has no
/// option for, with where each came from (`pbal backtest` notes them, so none is dropped
/// without a word).
pub(crate) fn without_option(
    file: Option<&ConfigFile>,
    command: &clap::Command,
    name: &str,
) -> Vec<(&'static str, Source)> {
    let Some(sub) = command.find_subcommand(name) else {
        return Vec::new();
    };
    KEYS.iter()
        .filter(|k| applies(k, name) && !sub.get_arguments().any(|a| a.get_id() == k.arg))
        .filter_map(|k| {
            if env_value(k).is_some() {
                return Some((k.name, Source::Env(k.env_var())));
            }
            let (_, line) = file?.get(k.name)?;
            let path = file.map(|f| f.path.clone()).unwrap_or_default();
            Some((k.name, Source::File { path, line }))
        })
        .collect()
}

fn is_true(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" | "" => Ok(false),
        _ => Err(format!("{value:?}: expected true or false")),
    }
}

/// Fails on a key whose option nothing checks (a typo in `KEYS`).
#[cfg(test)]
mod tests {
    use super::*;

    fn cli() -> clap::Command {
        <crate::app::Cli as clap::CommandFactory>::command()
    }

    #[test]
    fn every_key_fills_an_option_with_the_documented_default() {
        let command = <crate::app::Cli as clap::CommandFactory>::command();
        for key in KEYS {
            let args: Vec<&clap::Arg> = all_commands(&command)
                .filter(|c| applies(key, c.get_name()))
                .filter_map(|c| c.get_arguments().find(|a| a.get_id() == key.arg))
                .collect();
            // The gateway keys fill options of the live build only.
            if !key.name.starts_with("gateway.") || cfg!(feature = "live") {
                assert!(!args.is_empty(), "{}: no option {}", key.name, key.arg);
            }
            for arg in args {
                if let [default] = arg.get_default_values() {
                    assert_eq!(default.to_str(), Some(key.default), "{}", key.name);
                }
            }
        }
    }

    #[test]
    fn values_are_read_as_written() {
        let text = "reserve = 0.1\nmin_trade = 100\nstrategy = \"bands\"\nbands = true\n";
        let file = ConfigFile::parse(text, Path::new("/c/config.toml"), &cli()).unwrap();
        assert_eq!(file.get("reserve"), Some(("0.1", 1)));
        assert_eq!(file.get("min_trade"), Some(("100", 2)));
        assert_eq!(file.get("bands"), Some(("true", 4)));
    }

    #[test]
    fn errors_name_the_file_line_and_key() {
        let err = |text: &str| {
            ConfigFile::parse(text, Path::new("/c/config.toml"), &cli())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err("reserve = 10\nstrategy = \"fast\"\n"),
            "/c/config.toml:2: `strategy`: invalid value 'fast'\n  [possible values: buy-only, full, bands]"
        );
        assert_eq!(
            err("\n\nreserve = \"lots\"\n"),
            "/c/config.toml:3: `reserve`: \"lots\" is not a decimal number"
        );
        assert!(err("stratgy = \"full\"\n").starts_with("/c/config.toml:1: unknown key `stratgy`"));
        assert_eq!(
            err("[gateway]\nurl = true\n"),
            "/c/config.toml:2: `gateway.url`: expected a string, got boolean"
        );
        assert_eq!(
            err("reserve = 1\nreserve = 2\n"),
            "/c/config.toml:2: duplicate key `reserve` (first set on line 1): each key may appear once"
        );
    }

    #[test]
    fn paths_are_relative_to_the_file() {
        let file = ConfigFile::parse(
            "targets = \"t.toml\"\n",
            Path::new("/c/config.toml"),
            &cli(),
        )
        .unwrap();
        assert_eq!(file.get("targets"), Some(("/c/t.toml", 1)));
    }
}
