//! Target weights.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::Error;

/// How far the weights may sum from exactly 1.
const SUM_TOLERANCE: Decimal = Decimal::from_parts(1, 0, 0, false, 9);

/// Target weights per symbol, as fractions summing to 1. Deserializing goes through
/// [`Targets::new`], so serialized targets are checked like built ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TargetsData")]
pub struct Targets {
    weights: BTreeMap<String, Decimal>,
}

/// Targets as serialized, before [`Targets::new`] checks them.
#[derive(Deserialize)]
struct TargetsData {
    weights: BTreeMap<String, Decimal>,
}

impl TryFrom<TargetsData> for Targets {
    type Error = Error;

    fn try_from(data: TargetsData) -> Result<Self, Error> {
        Self::new(data.weights)
    }
}

impl Targets {
    /// Weights as fractions; they must be non-negative and sum to 1 within 1e-9.
    ///
    /// # Errors
    /// [`Error::EmptySymbol`], [`Error::NegativeWeight`], [`Error::DuplicateSymbol`],
    /// [`Error::NoAssets`] or [`Error::WeightsDoNotSumToOne`]; [`Error::Overflow`] when the
    /// weights' sum does not fit a [`Decimal`].
    ///
    /// ```
    /// use pbal_core::Targets;
    /// use pbal_core::dec;
    /// let t = Targets::new([("VTI", dec!(0.6)), ("BND", dec!(0.4))])?;
    /// assert_eq!(t.weight("VTI"), dec!(0.6));
    /// assert!(Targets::new([("VTI", dec!(0.6))]).is_err());
    /// # Ok::<(), pbal_core::Error>(())
    /// ```
    pub fn new<S: Into<String>>(
        weights: impl IntoIterator<Item = (S, Decimal)>,
    ) -> Result<Self, Error> {
        // Symbols in increasing order (a portfolio's, thousands of them) are kept in a list
        // and the map built from it in one pass; the first symbol out of order moves them
        // into the map, which then finds duplicates as it grows.
        let mut in_order: Vec<(String, Decimal)> = Vec::new();
        let mut map: Option<BTreeMap<String, Decimal>> = None;
        let mut sum = Decimal::ZERO;
        for (symbol, weight) in weights {
            let symbol = symbol.into();
            if symbol.trim().is_empty() {
                return Err(Error::EmptySymbol);
            }
            if weight < Decimal::ZERO {
                return Err(Error::NegativeWeight { symbol, weight });
            }
            sum = sum.checked_add(weight).ok_or(Error::Overflow {
                what: "sum of target weights",
            })?;
            let map = match &mut map {
                Some(map) => map,
                None if in_order.last().is_none_or(|(last, _)| *last < symbol) => {
                    in_order.push((symbol, weight));
                    continue;
                }
                None => map.insert(std::mem::take(&mut in_order).into_iter().collect()),
            };
            if map.insert(symbol.clone(), weight).is_some() {
                return Err(Error::DuplicateSymbol { symbol });
            }
        }
        let map = map.unwrap_or_else(|| in_order.into_iter().collect());
        if map.is_empty() {
            return Err(Error::NoAssets);
        }
        if (sum - Decimal::ONE).abs() > SUM_TOLERANCE {
            return Err(Error::WeightsDoNotSumToOne { sum });
        }
        Ok(Self { weights: map })
    }

    /// What written weights summing to `sum` are in: `Some(100)` for percent, `Some(1)` for
    /// fractions (each within the tolerance [`Targets::new`] allows), `None` for neither.
    /// Dividing each weight by the scale gives the fractions `Targets::new` takes.
    ///
    /// ```
    /// use pbal_core::{Targets, dec};
    /// assert_eq!(Targets::scale_of(dec!(100)), Some(dec!(100)));
    /// assert_eq!(Targets::scale_of(dec!(0.9999999999)), Some(dec!(1)));
    /// assert_eq!(Targets::scale_of(dec!(90)), None);
    /// ```
    pub fn scale_of(sum: Decimal) -> Option<Decimal> {
        // Checked: a sum near `Decimal::MIN` is neither, not a panic.
        let off_by = |scale: Decimal| sum.checked_sub(scale).map(|d| d.abs());
        if off_by(Decimal::ONE_HUNDRED).is_some_and(|d| d <= SUM_TOLERANCE * Decimal::ONE_HUNDRED) {
            Some(Decimal::ONE_HUNDRED)
        } else if off_by(Decimal::ONE).is_some_and(|d| d <= SUM_TOLERANCE) {
            Some(Decimal::ONE)
        } else {
            None
        }
    }

    /// Equal weights over `symbols` (the original tool's default: every held symbol alike).
    ///
    /// # Errors
    /// [`Error::NoAssets`] for no symbols, [`Error::EmptySymbol`] for an empty one and
    /// [`Error::DuplicateSymbol`] for one given twice.
    ///
    /// ```
    /// use pbal_core::Targets;
    /// let t = Targets::equal(["A", "B", "C"])?;
    /// assert_eq!(t.weight("A") + t.weight("B") + t.weight("C"), pbal_core::Decimal::ONE);
    /// # Ok::<(), pbal_core::Error>(())
    /// ```
    pub fn equal<S: Into<String>>(symbols: impl IntoIterator<Item = S>) -> Result<Self, Error> {
        let symbols: Vec<String> = symbols.into_iter().map(Into::into).collect();
        if symbols.is_empty() {
            return Err(Error::NoAssets);
        }
        let n = Decimal::from(symbols.len());
        let each = Decimal::ONE / n;
        // The last weight takes the rounding remainder so the sum is exactly 1.
        let last = Decimal::ONE - each * (n - Decimal::ONE);
        let count = symbols.len();
        Self::new(
            symbols
                .into_iter()
                .enumerate()
                .map(|(i, s)| (s, if i + 1 == count { last } else { each })),
        )
    }

    /// The weight of `symbol` (zero when it has no target).
    pub fn weight(&self, symbol: &str) -> Decimal {
        self.weights.get(symbol).copied().unwrap_or(Decimal::ZERO)
    }

    /// Symbols and weights in symbol order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Decimal)> {
        self.weights.iter().map(|(s, w)| (s.as_str(), *w))
    }

    /// Whether `symbol` has a target (possibly zero).
    pub fn contains(&self, symbol: &str) -> bool {
        self.weights.contains_key(symbol)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the order, the weights are the map's, and the duplicate named is the first
        /// symbol seen twice (as inserting one by one finds it).
        #[test]
        fn new_matches_inserting_one_by_one(symbols in proptest::collection::vec(0u8..12, 1..12)) {
            let n = Decimal::from(symbols.len());
            let each = Decimal::ONE / n;
            let last = Decimal::ONE - each * (n - Decimal::ONE);
            let weights: Vec<(String, Decimal)> = symbols
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("S{s:02}"), if i + 1 == symbols.len() { last } else { each }))
                .collect();
            let mut oracle = BTreeMap::new();
            let mut duplicate = None;
            for (s, w) in &weights {
                if oracle.insert(s.clone(), *w).is_some() {
                    duplicate = Some(s.clone());
                    break;
                }
            }
            match (Targets::new(weights.clone()), duplicate) {
                (Err(Error::DuplicateSymbol { symbol }), Some(d)) => prop_assert_eq!(symbol, d),
                (Ok(t), None) => prop_assert_eq!(t.weights, oracle),
                (other, d) => prop_assert!(false, "{other:?} with duplicate {d:?}"),
            }
        }
    }
}
