//! What a targets file says: weights (percent or fractions), holdings to leave alone, prices of
//! symbols not yet held, IBKR contract ids, wash-sale substitutes. Reading the TOML text needs
//! the `targets-toml` feature (see `targets_toml.rs`); building one in code does not.

use std::collections::{BTreeMap, BTreeSet};

use pbal_core::Targets;
use rust_decimal::Decimal;

/// The content of a targets file. Build it with [`TargetsSpec::new`] and the setters, or read
/// one with `TargetsSpec::from_toml_str` (feature `targets-toml`).
///
/// ```
/// use pbal_core::dec;
/// use pbal_ibkr::TargetsSpec;
/// let spec = TargetsSpec::new([("VTI", dec!(60)), ("BND", dec!(40))])?
///     .exclude("TSLA")
///     .price("BND", dec!(72.10))?;
/// assert_eq!(spec.weights[0], ("VTI".to_owned(), dec!(0.6)));
/// # Ok::<(), pbal_ibkr::TargetsError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TargetsSpec {
    /// Where it was read from (`targets` when built in code); errors name it.
    pub source: String,
    /// Weights as fractions summing to 1, in the order given (symbol order from TOML).
    pub weights: Vec<(String, Decimal)>,
    /// Prices (base currency) for symbols that are not held.
    pub prices: BTreeMap<String, Decimal>,
    /// Held symbols that are not managed: neither targets nor trades.
    pub exclude: BTreeSet<String>,
    /// IBKR contract ids given for symbols (when the symbol alone is ambiguous).
    pub conids: BTreeMap<String, String>,
    /// Wash-sale substitutes: symbol → funds to buy instead while it is blocked.
    pub substitutes: BTreeMap<String, Vec<String>>,
    /// The kind of account a household holds a fund in when that costs nothing by the
    /// objective, orders or tax (`location = "tax-deferred"`; [`pbal_core::PlanOptions::location`]).
    pub locations: BTreeMap<String, pbal_core::AccountKind>,
}

/// Why a targets file or spec is not valid. Every message names the source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetsError {
    /// The text is not valid TOML.
    #[error("{source_name}:{line}: {message}")]
    Syntax {
        /// The source.
        source_name: String,
        /// 1-based line.
        line: usize,
        /// Byte range of the error in the text, when known.
        span: Option<std::ops::Range<usize>>,
        /// The TOML parser's message.
        message: String,
    },
    /// One entry is malformed.
    #[error("{source_name}:{line}: {key}: {message}")]
    Entry {
        /// The source.
        source_name: String,
        /// 1-based line of the entry (1 when not found).
        line: usize,
        /// The entry's key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// No weights at all.
    #[error("{source_name}: no target weights (expected lines like `VTI = 60`)")]
    NoWeights {
        /// The source.
        source_name: String,
    },
    /// The weights sum to neither 100 nor 1.
    #[error(
        "{source_name}: target weights sum to {sum}; they must sum to 100 (percent) or 1 (fractions){hint}"
    )]
    WeightSum {
        /// The source.
        source_name: String,
        /// Their sum.
        sum: Decimal,
        /// Empty, or what looks wrong (fractions mixed with percents).
        hint: String,
    },
    /// A symbol is both a target and excluded.
    #[error("{source_name}: {symbol} is both a target and excluded")]
    TargetAndExcluded {
        /// The source.
        source_name: String,
        /// The symbol.
        symbol: String,
    },
    /// A substitutes table is malformed.
    #[error("{source_name}: {message}")]
    Substitutes {
        /// The source.
        source_name: String,
        /// What is wrong.
        message: String,
    },
}

/// When the weights seem to mix fractions (at most 1) and percents (over 1), a hint naming one
/// of each; else empty.
fn mixed_hint(raw: &[(String, Decimal)]) -> String {
    let fraction = raw
        .iter()
        .find(|(_, w)| *w > Decimal::ZERO && *w <= Decimal::ONE);
    let percent = raw.iter().find(|(_, w)| *w > Decimal::ONE);
    match (fraction, percent) {
        (Some((f, fw)), Some((p, pw))) => format!(
            "; they seem to mix fractions and percents ({f} = {fw} reads as a fraction, {p} = \
             {pw} as a percent): write them all one way"
        ),
        _ => String::new(),
    }
}

impl TargetsSpec {
    /// Weights in percent (summing to 100) or fractions (summing to 1), within
    /// [`Targets::scale_of`]'s tolerance; none negative.
    ///
    /// # Errors
    /// [`TargetsError::NoWeights`] for no weights, [`TargetsError::Entry`] for a negative one,
    /// and [`TargetsError::WeightSum`] when they sum to neither 100 nor 1.
    pub fn new<S: Into<String>>(
        weights: impl IntoIterator<Item = (S, Decimal)>,
    ) -> Result<Self, TargetsError> {
        let weights = weights.into_iter().map(|(s, w)| (s.into(), w)).collect();
        Self::with_source("targets", weights)
    }

    /// Checks and scales `raw` weights for a spec read from `source`.
    pub(crate) fn with_source(
        source: &str,
        raw: Vec<(String, Decimal)>,
    ) -> Result<Self, TargetsError> {
        if raw.is_empty() {
            return Err(TargetsError::NoWeights {
                source_name: source.to_owned(),
            });
        }
        for (symbol, weight) in &raw {
            if *weight < Decimal::ZERO {
                return Err(TargetsError::Entry {
                    source_name: source.to_owned(),
                    line: 1,
                    key: symbol.clone(),
                    message: format!("weight must not be negative, got {weight}"),
                });
            }
        }
        let sum = raw
            .iter()
            .try_fold(Decimal::ZERO, |acc, (_, w)| acc.checked_add(*w));
        let scale = sum
            .and_then(Targets::scale_of)
            .ok_or_else(|| TargetsError::WeightSum {
                source_name: source.to_owned(),
                sum: sum.unwrap_or(Decimal::MAX),
                hint: mixed_hint(&raw),
            })?;
        Ok(Self {
            source: source.to_owned(),
            weights: raw.into_iter().map(|(s, w)| (s, w / scale)).collect(),
            ..Self::default()
        })
    }

    /// Leaves a held symbol alone: neither a target nor traded.
    #[must_use]
    pub fn exclude(mut self, symbol: impl Into<String>) -> Self {
        self.exclude.insert(symbol.into());
        self
    }

    /// The price of a target not yet held (base currency; must be positive).
    ///
    /// # Errors
    /// [`TargetsError::Entry`] for a price that is zero or negative.
    pub fn price(
        mut self,
        symbol: impl Into<String>,
        price: Decimal,
    ) -> Result<Self, TargetsError> {
        let symbol = symbol.into();
        if price <= Decimal::ZERO {
            return Err(TargetsError::Entry {
                source_name: self.source.clone(),
                line: 1,
                key: symbol,
                message: format!("price must be positive, got {price}"),
            });
        }
        self.prices.insert(symbol, price);
        Ok(self)
    }

    /// Funds to buy instead of `symbol` while a wash-sale window blocks its buys.
    #[must_use]
    pub fn substitutes<S: Into<String>>(
        mut self,
        symbol: impl Into<String>,
        instead: impl IntoIterator<Item = S>,
    ) -> Self {
        self.substitutes
            .insert(symbol.into(), instead.into_iter().map(Into::into).collect());
        self
    }

    /// Whether `symbol` has a weight (possibly zero).
    pub fn has_target(&self, symbol: &str) -> bool {
        self.weights.iter().any(|(s, _)| s == symbol)
    }

    /// The weights as pbal-core targets.
    ///
    /// # Errors
    /// What [`Targets::new`] refuses, e.g. [`pbal_core::Error::DuplicateSymbol`] for a symbol
    /// given twice or [`pbal_core::Error::EmptySymbol`] for an empty one.
    pub fn targets(&self) -> Result<Targets, pbal_core::Error> {
        Targets::new(self.weights.iter().cloned())
    }

    /// An error unless the targets and the exclusions are apart.
    pub(crate) fn check_exclusions(&self) -> Result<(), TargetsError> {
        match self.exclude.iter().find(|s| self.has_target(s)) {
            Some(symbol) => Err(TargetsError::TargetAndExcluded {
                source_name: self.source.clone(),
                symbol: symbol.clone(),
            }),
            None => Ok(()),
        }
    }
}
