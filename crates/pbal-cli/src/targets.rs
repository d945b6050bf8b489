//! The targets file (TOML): `SYMBOL = weight` (percent or fractions), optional prices for
//! symbols not yet held, and holdings to leave alone.
//!
//! ```toml
//! VTI = 60            # percent (all weights sum to 100) or fractions (sum to 1)
//! BND = "40%"
//! exclude = ["TSLA"]  # held, but not managed: neither targets nor trades
//! [VXUS]              # not held yet: give its price
//! weight = 0
//! price = 61.20
//! conid = 43645865    # optional: the IBKR contract, when the symbol alone is ambiguous
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use pbal_ibkr::{TargetsError, TargetsSpec};

/// Reads a substitutes file (`--substitutes`): `VTI = ["ITOT"]` lines, or a `[substitutes]`
/// table.
pub(crate) fn read_substitutes(path: &Path) -> Result<BTreeMap<String, Vec<String>>> {
    let text = fs_read(path)?;
    TargetsSpec::substitutes_from_toml_str(&text, &path.display().to_string()).map_err(|e| {
        diagnose(path, &text, e, &|key| {
            format!("{key} = [\"ITOT\", \"SCHB\"]")
        })
    })
}

/// The held symbol a target that is not held most likely misspells: the one held symbol one
/// edit away (`VSMX` for `VSMAX`, a swap of two letters counting as one) that has no target
/// of its own and is not excluded. `None` when there is no such symbol, or several.
pub(crate) fn held_near<'a>(
    symbol: &str,
    held: impl IntoIterator<Item = &'a str>,
    spec: &TargetsSpec,
) -> Option<&'a str> {
    let targeted = |s: &str| spec.weights.iter().any(|(t, _)| t == s) || spec.exclude.contains(s);
    let wanted = symbol.to_uppercase();
    let mut near = held
        .into_iter()
        .filter(|h| !targeted(h) && strsim::osa_distance(&wanted, &h.to_uppercase()) == 1);
    let first = near.next()?;
    near.next().is_none().then_some(first)
}

/// A parsed targets file: pbal-ibkr's spec, and the file it came from.
#[derive(Debug, Clone)]
pub(crate) struct TargetsFile {
    pub(crate) path: PathBuf,
    pub(crate) spec: TargetsSpec,
}

impl TargetsFile {
    pub(crate) fn read(path: &Path) -> Result<Self> {
        let text = fs_read(path)?;
        Self::parse(&text, path)
    }

    pub(crate) fn parse(text: &str, path: &Path) -> Result<Self> {
        let spec = TargetsSpec::from_toml_str(text, &path.display().to_string())
            .map_err(|e| diagnose(path, text, e, &example))?;
        Ok(Self {
            path: path.to_owned(),
            spec,
        })
    }

    /// The weights as pbal-core targets.
    pub(crate) fn targets(&self) -> Result<pbal_core::Targets> {
        self.spec
            .targets()
            .with_context(|| format!("{}", self.path.display()))
    }
}

/// The library's error, a TOML syntax error told the way every pbal TOML error is.
/// `example` is a line that sets a key right.
fn diagnose(
    path: &Path,
    text: &str,
    e: TargetsError,
    example: &dyn Fn(&str) -> String,
) -> anyhow::Error {
    match e {
        TargetsError::Syntax { span, message, .. } => {
            crate::toml_diag::error_at(path, text, span, &message, example)
        }
        other => anyhow!("{other}"),
    }
}

/// A line that sets `key` in a targets file, for errors.
fn example(key: &str) -> String {
    match key {
        "exclude" => "exclude = [\"VXUS\"]".to_owned(),
        "weight" => "weight = 20".to_owned(),
        "price" => "price = 101.50".to_owned(),
        "conid" => "conid = 265598".to_owned(),
        "location" => "location = \"tax-deferred\"".to_owned(),
        // A symbol: its weight in percent.
        symbol => format!("{symbol} = 20"),
    }
}

fn fs_read(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = String::from_utf8_lossy(valid).matches('\n').count() + 1;
        anyhow!("{}:{line}: not valid UTF-8", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pbal_core::dec;

    fn parse(text: &str) -> Result<TargetsFile> {
        TargetsFile::parse(text, Path::new("targets.toml"))
    }

    #[test]
    fn a_near_held_symbol_is_suggested_only_when_it_is_the_one() {
        let spec = TargetsSpec::new([("VSMX", dec!(50)), ("VTI", dec!(50))])
            .unwrap()
            .exclude("VTX");
        let near = |held: &[&'static str]| held_near("VSMX", held.iter().copied(), &spec);
        assert_eq!(near(&["VSMAX", "BND"]), Some("VSMAX"));
        assert_eq!(near(&["VSMA"]), Some("VSMA"));
        // Two candidates: no guess.
        assert_eq!(near(&["VSMAX", "VSMY"]), None);
        // Two edits, or a held symbol with a target or excluded: not a typo of it.
        assert_eq!(near(&["VXUS"]), None);
        assert_eq!(held_near("VTV", ["VTI"], &spec), None);
        assert_eq!(held_near("VTY", ["VTX"], &spec), None);
    }

    #[test]
    fn percent_and_fractions() {
        let t = parse("A = 60\nB = \"40%\"\n").unwrap();
        assert_eq!(
            t.spec.weights,
            vec![("A".into(), dec!(0.6)), ("B".into(), dec!(0.4))]
        );
        let t = parse("A = 0.25\nB = 0.75\n").unwrap();
        assert_eq!(t.spec.weights[1].1, dec!(0.75));
    }

    #[test]
    fn prices_and_excludes() {
        let t = parse("exclude = [\"X\"]\nA = 100\n[N]\nweight = 0\nprice = 61.2\n").unwrap();
        assert!(t.spec.exclude.contains("X"));
        assert_eq!(t.spec.prices["N"], dec!(61.2));
    }

    #[test]
    fn clear_errors_with_lines() {
        let e = parse("A = 60\nB = 30\n").unwrap_err().to_string();
        assert!(e.contains("sum to 90"), "{e}");
        let e = parse("A = 60\nB = -40\n").unwrap_err().to_string();
        assert!(
            e.contains("targets.toml:2: B: weight must not be negative"),
            "{e}"
        );
        let e = parse("A = 60\nB = nan\n").unwrap_err().to_string();
        assert!(e.contains(":2:"), "{e}");
        let e = parse("A = 100\n[N]\nweight = 0\nprice = 0\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("targets.toml:2: N: price must be positive"),
            "{e}"
        );
        let e = parse("A = [1]\n").unwrap_err().to_string();
        assert!(e.contains("expected a number"), "{e}");
    }
}
