//! Why a row of an export was not used.

use serde::{Serialize, Serializer};

/// Why a row was not used. Displays as a sentence (and serializes as that sentence).
///
/// ```
/// let statement = pbal_ibkr::read_bytes(
///     b"Symbol,Quantity,MarkPrice\nVTI,10,250\n,5,20\n",
///     "positions.csv",
/// )?;
/// let skipped = &statement.skipped[0];
/// assert_eq!(skipped.line, 3);
/// assert!(matches!(skipped.reason, pbal_ibkr::SkipReason::NoSymbol));
/// assert_eq!(skipped.reason.to_string(), "position row without a symbol");
/// # Ok::<(), pbal_ibkr::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// A message row (`MSG`) of a Flex Query, with its text.
    Message(String),
    /// A section pbal does not read (it reads Open Positions, Cash Report and Trades): its
    /// code, or its first column names.
    Section(String),
    /// A Cash Report row whose currency is not an ISO code or the base summary.
    NotACurrency(String),
    /// A position row without a symbol.
    NoSymbol,
    /// A position row whose level of detail is neither SUMMARY nor LOT (`None`: blank while
    /// other rows of the position have one).
    LevelOfDetail(Option<String>),
    /// An Activity Statement exchange rate that is not a positive number.
    ExchangeRate {
        /// The currency.
        currency: String,
        /// The rate as written.
        rate: String,
    },
    /// An Activity Statement forex balance: counted as cash, not a position.
    ForexBalance,
    /// An Activity Statement open-position row of another kind than SUMMARY or LOT
    /// (`None`: without a kind).
    OpenPositionKind(Option<String>),
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Message(text) => write!(f, "message: {text}"),
            Self::Section(name) => write!(
                f,
                "section {name} not used (pbal reads Open Positions, Cash Report, Trades)"
            ),
            Self::NotACurrency(currency) => {
                write!(f, "cash in {currency:?}: not a currency code")
            }
            Self::NoSymbol => f.write_str("position row without a symbol"),
            Self::LevelOfDetail(level) => {
                write!(f, "level of detail {level:?} is neither SUMMARY nor LOT")
            }
            Self::ExchangeRate { currency, rate } => {
                write!(f, "exchange rate {rate:?} for {currency} not used")
            }
            Self::ForexBalance => f.write_str("forex balance: counted as cash, not a position"),
            Self::OpenPositionKind(kind) => {
                write!(f, "open position row of kind {kind:?} not used")
            }
        }
    }
}

/// As its sentence: `pbal positions --format json` shows the reason in words.
impl Serialize for SkipReason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}
