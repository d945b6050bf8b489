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

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use rust_decimal::Decimal;

use crate::decimal_arg::parse_decimal;

/// A substitutes table: `SYMBOL = ["SUB1", "SUB2"]`.
fn substitutes_table(value: &toml::Value) -> Result<BTreeMap<String, Vec<String>>, String> {
    let table = value
        .as_table()
        .ok_or("expected a table like `VTI = [\"ITOT\"]`")?;
    let mut out = BTreeMap::new();
    for (symbol, list) in table {
        let list = list
            .as_array()
            .ok_or_else(|| format!("{symbol}: expected a list of symbols"))?;
        let names = list
            .iter()
            .map(|v| {
                v.as_str()
                    .map(|s| s.trim().to_owned())
                    .ok_or_else(|| format!("{symbol}: expected symbols, got {v}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.insert(symbol.trim().to_owned(), names);
    }
    Ok(out)
}

/// Reads a substitutes file (`--substitutes`): `VTI = ["ITOT"]` lines, or a `[substitutes]`
/// table.
pub(crate) fn read_substitutes(path: &Path) -> Result<BTreeMap<String, Vec<String>>> {
    let text = fs_read(path)?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| crate::toml_diag::parse_error(path, &text, &e))?;
    let value = table
        .get("substitutes")
        .cloned()
        .unwrap_or(toml::Value::Table(table));
    substitutes_table(&value).map_err(|m| anyhow!("{}: {m}", path.display()))
}

/// How far the weights may sum from 1 or 100.
const TOLERANCE: Decimal = Decimal::from_parts(1, 0, 0, false, 9);

/// A parsed targets file.
#[derive(Debug, Clone, Default)]
pub(crate) struct TargetsFile {
    pub(crate) path: PathBuf,
    /// Weights as fractions summing to 1, in file order.
    pub(crate) weights: Vec<(String, Decimal)>,
    /// Prices for symbols that are not held.
    pub(crate) prices: BTreeMap<String, Decimal>,
    /// Held symbols that are not managed.
    pub(crate) exclude: BTreeSet<String>,
    /// IBKR contract ids given for symbols (override the gateway's symbol search).
    pub(crate) conids: BTreeMap<String, String>,
    /// Wash-sale substitutes: symbol → funds to buy instead while it is blocked.
    pub(crate) substitutes: BTreeMap<String, Vec<String>>,
}

impl TargetsFile {
    pub(crate) fn read(path: &Path) -> Result<Self> {
        let text = fs_read(path)?;
        Self::parse(&text, path)
    }

    pub(crate) fn parse(text: &str, path: &Path) -> Result<Self> {
        let name = path.display();
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| crate::toml_diag::parse_error(path, text, &e))?;
        let mut out = Self {
            path: path.to_owned(),
            ..Self::default()
        };
        let mut raw = Vec::new();
        for (key, value) in &table {
            let at = |msg: String| anyhow!("{name}:{}: {key}: {msg}", line_of(text, key));
            if key == "substitutes" {
                out.substitutes = substitutes_table(value).map_err(at)?;
                continue;
            }
            if key == "exclude" {
                let list = value
                    .as_array()
                    .ok_or_else(|| at("expected a list of symbols".into()))?;
                for item in list {
                    let symbol = item
                        .as_str()
                        .ok_or_else(|| at(format!("expected a symbol, got {item}")))?;
                    out.exclude.insert(symbol.trim().to_owned());
                }
                continue;
            }
            let (weight, price) = match value {
                toml::Value::Table(t) => {
                    for k in t.keys() {
                        if !matches!(k.as_str(), "weight" | "price" | "conid") {
                            return Err(at(format!(
                                "unknown key {k:?} (expected weight, price, conid)"
                            )));
                        }
                    }
                    if let Some(conid) = t.get("conid") {
                        let conid = match conid {
                            toml::Value::Integer(n) if *n > 0 => n.to_string(),
                            toml::Value::String(s) if s.trim().parse::<u64>().is_ok() => {
                                s.trim().to_owned()
                            }
                            other => {
                                return Err(at(format!("conid: expected a number, got {other}")));
                            }
                        };
                        out.conids.insert(key.trim().to_owned(), conid);
                    }
                    let weight = t.get("weight").ok_or_else(|| at("missing weight".into()))?;
                    (weight, t.get("price"))
                }
                other => (other, None),
            };
            let weight = number(weight, true).map_err(|m| at(format!("weight: {m}")))?;
            if weight < Decimal::ZERO {
                return Err(at(format!("weight must not be negative, got {weight}")));
            }
            if let Some(price) = price {
                let price = number(price, false).map_err(|m| at(format!("price: {m}")))?;
                if price <= Decimal::ZERO {
                    return Err(at(format!("price must be positive, got {price}")));
                }
                out.prices.insert(key.clone(), price);
            }
            raw.push((key.trim().to_owned(), weight));
        }
        if raw.is_empty() {
            bail!("{name}: no target weights (expected lines like `VTI = 60`)");
        }
        let sum: Decimal = raw.iter().map(|(_, w)| *w).sum();
        let scale = if (sum - Decimal::ONE_HUNDRED).abs() <= TOLERANCE * Decimal::ONE_HUNDRED {
            Decimal::ONE_HUNDRED
        } else if (sum - Decimal::ONE).abs() <= TOLERANCE {
            Decimal::ONE
        } else {
            bail!(
                "{name}: target weights sum to {sum}; they must sum to 100 (percent) or 1 (fractions)"
            );
        };
        for symbol in &out.exclude {
            if raw.iter().any(|(s, _)| s == symbol) {
                bail!("{name}: {symbol} is both a target and excluded");
            }
        }
        out.weights = raw.into_iter().map(|(s, w)| (s, w / scale)).collect();
        Ok(out)
    }

    /// The weights as pbal-core targets.
    pub(crate) fn targets(&self) -> Result<pbal_core::Targets> {
        pbal_core::Targets::new(self.weights.iter().cloned())
            .with_context(|| format!("{}", self.path.display()))
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

/// A number given as an integer, a float, or a string like "12.5" or "12.5%".
fn number(value: &toml::Value, allow_percent_sign: bool) -> Result<Decimal, String> {
    match value {
        toml::Value::Integer(i) => Ok(Decimal::from(*i)),
        toml::Value::Float(f) if f.is_finite() => parse_decimal(&f.to_string()),
        toml::Value::Float(f) => Err(format!("{f} is not a finite number")),
        toml::Value::String(s) => {
            let s = s.trim();
            let s = if allow_percent_sign {
                s.strip_suffix('%').unwrap_or(s)
            } else {
                s
            };
            parse_decimal(s)
        }
        other => Err(format!("expected a number, got {other}")),
    }
}

/// The 1-based line where `key` is defined (best effort; 1 if not found).
fn line_of(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            let l = l
                .trim_start()
                .trim_start_matches('[')
                .trim_start_matches('"');
            l.strip_prefix(key).is_some_and(|rest| {
                rest.trim_start_matches('"')
                    .trim_start()
                    .starts_with(['=', ']'])
            })
        })
        .map_or(1, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn parse(text: &str) -> Result<TargetsFile> {
        TargetsFile::parse(text, Path::new("targets.toml"))
    }

    #[test]
    fn percent_and_fractions() {
        let t = parse("A = 60\nB = \"40%\"\n").unwrap();
        assert_eq!(
            t.weights,
            vec![("A".into(), dec!(0.6)), ("B".into(), dec!(0.4))]
        );
        let t = parse("A = 0.25\nB = 0.75\n").unwrap();
        assert_eq!(t.weights[1].1, dec!(0.75));
    }

    #[test]
    fn prices_and_excludes() {
        let t = parse("exclude = [\"X\"]\nA = 100\n[N]\nweight = 0\nprice = 61.2\n").unwrap();
        assert!(t.exclude.contains("X"));
        assert_eq!(t.prices["N"], dec!(61.2));
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
