//! Why an export could not be read. Every message names the file, and the line and column or
//! field where one applies.

/// A reading error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The bytes are not UTF-8 text.
    #[error("{file}:{line}: not UTF-8 text (export the statement again as CSV or XML)")]
    NotUtf8 {
        /// File.
        file: String,
        /// 1-based line of the first bad byte.
        line: u64,
    },
    /// The file is not a layout pbal knows.
    #[error(
        "{file}: not an IBKR export pbal can read ({detail}). Expected a Flex Query (CSV or XML) \
         or an Activity Statement CSV"
    )]
    UnknownLayout {
        /// File.
        file: String,
        /// What was seen.
        detail: String,
    },
    /// The file has no open positions section.
    #[error("{file}: no open positions found ({detail})")]
    NoPositions {
        /// File.
        file: String,
        /// What was seen instead.
        detail: String,
    },
    /// A field is malformed.
    #[error("{file}:{line}: column \"{field}\": {message}")]
    Parse {
        /// File.
        file: String,
        /// 1-based line.
        line: u64,
        /// Column or attribute name.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A slash date whose day and month cannot be told apart.
    #[error(
        "{file}:{line}: column \"{field}\": date {value:?} is ambiguous (day/month or month/day); \
         set the Flex Query's date format to yyyyMMdd or yyyy-MM-dd"
    )]
    AmbiguousDate {
        /// File.
        file: String,
        /// 1-based line.
        line: u64,
        /// Column.
        field: String,
        /// The value.
        value: String,
    },
    /// The file's structure is broken (truncated XML, data without a header, …).
    #[error("{file}:{line}: {message}")]
    Structure {
        /// File.
        file: String,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// Several currencies and no way to know the base currency or the rates.
    #[error(
        "{file}: positions in {currencies} and no way to convert them to one base currency \
         (add FXRateToBase to the Open Positions section, or the Cash Report / Account Information)"
    )]
    NoBaseCurrency {
        /// File.
        file: String,
        /// The currencies seen.
        currencies: String,
    },
    /// Several accounts and none chosen ([`crate::AccountSelection::Single`]).
    #[error(
        "{file}: {} accounts in the file ({}) and none selected",
        accounts.len(),
        accounts.join(", ")
    )]
    MultipleAccounts {
        /// File.
        file: String,
        /// The accounts.
        accounts: Vec<String>,
    },
    /// The chosen account is not in the file.
    #[error("{file}: account {account} is not in the file (it has: {})", accounts.join(", "))]
    UnknownAccount {
        /// File.
        file: String,
        /// The account asked for.
        account: String,
        /// The accounts present.
        accounts: Vec<String>,
    },
    /// No cash balance in the file.
    #[error("{file}: no ending cash in the file (add the Cash Report section to the Flex Query)")]
    NoCash {
        /// File.
        file: String,
    },
    /// Two summary rows for the same position.
    #[error("{file}:{line}: {symbol} appears twice in account {account} (first on line {first})")]
    Duplicate {
        /// File.
        file: String,
        /// Line of the second row.
        line: u64,
        /// Line of the first.
        first: u64,
        /// Symbol.
        symbol: String,
        /// Account (or "-").
        account: String,
    },
    /// The positions do not form a valid portfolio.
    #[error("{file}: {source}")]
    Portfolio {
        /// File.
        file: String,
        /// Cause.
        source: pbal_core::Error,
    },
}
