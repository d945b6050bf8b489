//! Positions left out of a plan, and why: structured, so a program can group them (one line
//! for all shorts), with the sentence a person reads as `Display`.

use std::fmt;

/// A position [`Statement::to_holdings`](crate::Statement::to_holdings) left out of the plan.
///
/// ```
/// use pbal_ibkr::{AccountSelection, Excluded, read_bytes};
/// let export = "Symbol,Quantity,MarkPrice,AssetClass\nVTI,10,250,STK\nXYZ,-5,20,STK\n";
/// let statement = read_bytes(export.as_bytes(), "export.csv").unwrap();
/// let holdings = statement
///     .to_holdings(&AccountSelection::Single, &Default::default())
///     .unwrap();
/// assert!(matches!(&holdings.excluded[..], [Excluded::Short { symbol, .. }] if symbol == "XYZ"));
/// assert_eq!(holdings.excluded[0].to_string(), "XYZ: short position, left out of the plan");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Excluded {
    /// Not a stock or fund (an option, future, forex pair, …); naming it in the targets
    /// includes it.
    NotStockOrFund {
        /// Symbol.
        symbol: String,
        /// Asset class code as the export gives it (OPT, FUT, CASH, …).
        asset_class: String,
    },
    /// A short position (negative quantity).
    Short {
        /// Symbol.
        symbol: String,
        /// Asset class code, when the export gives one.
        asset_class: Option<String>,
    },
}

impl Excluded {
    /// The symbol left out.
    pub fn symbol(&self) -> &str {
        match self {
            Self::NotStockOrFund { symbol, .. } | Self::Short { symbol, .. } => symbol,
        }
    }

    /// Its asset class, when the export gives one.
    pub fn asset_class(&self) -> Option<&str> {
        match self {
            Self::NotStockOrFund { asset_class, .. } => Some(asset_class),
            Self::Short { asset_class, .. } => asset_class.as_deref(),
        }
    }
}

impl fmt::Display for Excluded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotStockOrFund {
                symbol,
                asset_class,
            } => write!(
                f,
                "{symbol} ({asset_class}): not a stock or fund, left out of the plan (name it \
                 in the targets to include it)"
            ),
            Self::Short { symbol, .. } => {
                write!(f, "{symbol}: short position, left out of the plan")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Excluded;

    #[test]
    fn each_reason_reads_as_a_sentence_with_its_symbol_and_class() {
        let option = Excluded::NotStockOrFund {
            symbol: "VTI 261218C00260000".into(),
            asset_class: "OPT".into(),
        };
        assert_eq!(
            option.to_string(),
            "VTI 261218C00260000 (OPT): not a stock or fund, left out of the plan (name it in \
             the targets to include it)"
        );
        assert_eq!(option.symbol(), "VTI 261218C00260000");
        assert_eq!(option.asset_class(), Some("OPT"));
        let short = Excluded::Short {
            symbol: "XYZ".into(),
            asset_class: None,
        };
        assert_eq!(
            short.to_string(),
            "XYZ: short position, left out of the plan"
        );
        assert_eq!((short.symbol(), short.asset_class()), ("XYZ", None));
    }
}
