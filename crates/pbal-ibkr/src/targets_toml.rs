//! Reads a targets file's TOML text into a [`TargetsSpec`]:
//!
//! ```toml
//! VTI = 60            # percent (all weights sum to 100) or fractions (sum to 1)
//! BND = "40%"
//! exclude = ["TSLA"]  # held, but not managed: neither targets nor trades
//! [VXUS]              # not held yet: give its price
//! weight = 0
//! price = 61.20
//! location = "taxable" # optional: the kind of account a household holds it in, at no cost
//! conid = 43645865    # optional: the IBKR contract, when the symbol alone is ambiguous
//! [substitutes]       # optional: what to buy while a wash-sale window blocks a fund
//! VTI = ["ITOT"]
//! ```

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::targets::{TargetsError, TargetsSpec};

impl TargetsSpec {
    /// Reads a targets file's text; `source` names it in errors (a path, usually). The weights
    /// come in symbol order (TOML tables are unordered).
    ///
    /// # Errors
    /// [`TargetsError::Syntax`] for text that is not TOML; [`TargetsError::Entry`] for a
    /// malformed entry (an unknown key, a missing, negative or non-numeric weight, a price not
    /// positive, a bad conid, `exclude` or `[substitutes]`); [`TargetsError::NoWeights`] and
    /// [`TargetsError::WeightSum`] as [`TargetsSpec::new`]; [`TargetsError::TargetAndExcluded`]
    /// for a symbol both a target and excluded.
    ///
    /// ```
    /// use pbal_core::dec;
    /// let spec = pbal_ibkr::TargetsSpec::from_toml_str("VTI = 60\nBND = \"40%\"\n", "t.toml")?;
    /// assert_eq!(spec.weights[0], ("BND".to_owned(), dec!(0.4))); // symbol order
    /// # Ok::<(), pbal_ibkr::TargetsError>(())
    /// ```
    pub fn from_toml_str(text: &str, source: &str) -> Result<Self, TargetsError> {
        let table = parse_table(text, source)?;
        let mut raw = Vec::new();
        let mut prices = BTreeMap::new();
        let mut conids = BTreeMap::new();
        let mut locations = BTreeMap::new();
        let mut exclude = std::collections::BTreeSet::new();
        let mut substitutes = BTreeMap::new();
        for (key, value) in &table {
            let at = |message: String| TargetsError::Entry {
                source_name: source.to_owned(),
                line: line_of(text, key),
                key: key.clone(),
                message,
            };
            if key == "substitutes" {
                substitutes = substitutes_table(value).map_err(at)?;
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
                    exclude.insert(symbol.trim().to_owned());
                }
                continue;
            }
            let (weight, price) = match value {
                toml::Value::Table(t) => {
                    for k in t.keys() {
                        if !matches!(k.as_str(), "weight" | "price" | "conid" | "location") {
                            return Err(at(format!(
                                "unknown key {k:?} (expected weight, price, conid, location)"
                            )));
                        }
                    }
                    if let Some(location) = t.get("location") {
                        let kind = location
                            .as_str()
                            .and_then(|name| {
                                [
                                    pbal_core::AccountKind::Taxable,
                                    pbal_core::AccountKind::TaxDeferred,
                                    pbal_core::AccountKind::TaxFree,
                                ]
                                .into_iter()
                                .find(|kind| kind.name() == name.trim())
                            })
                            .ok_or_else(|| {
                                at(format!(
                                    "location: expected \"taxable\", \"tax-deferred\" or \
                                     \"tax-free\", got {location}"
                                ))
                            })?;
                        locations.insert(key.trim().to_owned(), kind);
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
                        conids.insert(key.trim().to_owned(), conid);
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
                prices.insert(key.clone(), price);
            }
            raw.push((key.trim().to_owned(), weight));
        }
        let spec = Self {
            prices,
            exclude,
            conids,
            substitutes,
            locations,
            ..Self::with_source(source, raw)?
        };
        spec.check_exclusions()?;
        Ok(spec)
    }

    /// Reads a substitutes file's text: `VTI = ["ITOT"]` lines, or a `[substitutes]` table.
    ///
    /// # Errors
    /// [`TargetsError::Syntax`] for text that is not TOML, [`TargetsError::Substitutes`] for
    /// an entry that is not a list of symbols.
    pub fn substitutes_from_toml_str(
        text: &str,
        source: &str,
    ) -> Result<BTreeMap<String, Vec<String>>, TargetsError> {
        let table = parse_table(text, source)?;
        let value = table
            .get("substitutes")
            .cloned()
            .unwrap_or(toml::Value::Table(table));
        substitutes_table(&value).map_err(|message| TargetsError::Substitutes {
            source_name: source.to_owned(),
            message,
        })
    }
}

fn parse_table(text: &str, source: &str) -> Result<toml::Table, TargetsError> {
    text.parse().map_err(|e: toml::de::Error| {
        let span = e.span();
        let start = span.as_ref().map_or(0, |s| s.start);
        TargetsError::Syntax {
            source_name: source.to_owned(),
            line: text.get(..start).unwrap_or(text).matches('\n').count() + 1,
            span,
            message: e.message().trim().to_owned(),
        }
    })
}

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

/// A number given as an integer, a float, or a string like "12.5" or "12.5%".
fn number(value: &toml::Value, allow_percent_sign: bool) -> Result<Decimal, String> {
    match value {
        toml::Value::Integer(i) => Ok(Decimal::from(*i)),
        toml::Value::Float(f) if f.is_finite() => {
            crate::parse_amount(&f.to_string()).map_err(|e| e.to_string())
        }
        toml::Value::Float(f) => Err(format!("{f} is not a finite number")),
        toml::Value::String(s) => {
            let s = s.trim();
            let s = if allow_percent_sign {
                s.strip_suffix('%').unwrap_or(s)
            } else {
                s
            };
            crate::parse_amount(s).map_err(|e| e.to_string())
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
