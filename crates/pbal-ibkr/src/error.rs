//! Why an export could not be read. Every message names the file, and the line and column or
//! field where one applies.

/// A reading error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read {path}")]
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
        "{file}: {} ({})",
        no_rate(currencies, base.as_deref()),
        rate_hint(*kind)
    )]
    NoBaseCurrency {
        /// File.
        file: String,
        /// The currencies without a rate to the base currency.
        currencies: String,
        /// The base currency, when the export names it.
        base: Option<String>,
        /// The kind of export: what can add the rates depends on it.
        kind: crate::ExportKind,
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
    /// Several accounts of the file share the alias used to name one.
    #[error("{file}: several accounts have the alias {alias} ({}): name one by its id", accounts.join(", "))]
    AmbiguousAlias {
        /// File.
        file: String,
        /// The alias.
        alias: String,
        /// The accounts that have it.
        accounts: Vec<String>,
    },
    /// No cash balance in the file.
    #[error("{file}: no ending cash in the file (add the Cash Report section to the Flex Query)")]
    NoCash {
        /// File.
        file: String,
    },
    /// A quoted field never closed: the rest of the file would be one field.
    #[error(
        "{file}:{line}:{column}: this quote is never closed (the file is cut short, or a quote \
         is missing)"
    )]
    UnclosedQuote {
        /// File.
        file: String,
        /// 1-based line of the opening quote.
        line: u64,
        /// 1-based column (in characters) of the opening quote.
        column: u64,
    },
    /// Two rows for the same position where one is expected.
    #[error(
        "{file}:{line}: {symbol}{} appears twice (first on line {first}); {hint}",
        account.as_ref().map(|a| format!(" in account {a}")).unwrap_or_default()
    )]
    Duplicate {
        /// File.
        file: String,
        /// Line of the second row.
        line: u64,
        /// Line of the first.
        first: u64,
        /// Symbol.
        symbol: String,
        /// Account, when the file names one.
        account: Option<String>,
        /// How a position may be listed.
        hint: String,
    },
    /// A position's LOT rows do not add up to its SUMMARY row.
    #[error(
        "{file}:{line}: {position}: the SUMMARY row holds {quantity} but its LOT rows (lines \
         {}) hold {lot_total}; a lot row is missing or extra",
        lot_lines.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
    )]
    LotsMismatch {
        /// File.
        file: String,
        /// Line of the SUMMARY row.
        line: u64,
        /// The symbol, and its account when the file names one (`VTI in account U1`).
        position: String,
        /// The SUMMARY row's quantity.
        quantity: rust_decimal::Decimal,
        /// The sum of the LOT rows' quantities.
        lot_total: rust_decimal::Decimal,
        /// Lines of the LOT rows.
        lot_lines: Vec<u64>,
    },
    /// The positions do not form a valid portfolio.
    #[error("{file}: the positions do not form a valid portfolio")]
    Portfolio {
        /// File.
        file: String,
        /// Cause.
        source: pbal_core::Error,
    },
    /// No holdings to give equal weights to, and no targets.
    #[error("no holdings and no targets")]
    NothingHeld {
        /// Cause.
        source: pbal_core::Error,
    },
    /// A target is neither held nor priced.
    #[error(
        "{file}: {symbol} has a target but is neither held nor priced{}",
        held_as.as_ref().map(|h| format!(" ({h} is held: symbols are case-sensitive)")).unwrap_or_default()
    )]
    UnpricedTarget {
        /// The targets' source.
        file: String,
        /// The symbol.
        symbol: String,
        /// The held symbol it matches but for case.
        held_as: Option<String>,
    },
    /// The target weights are not valid targets.
    #[error("{file}: the target weights are not valid targets")]
    TargetWeights {
        /// The targets' source.
        file: String,
        /// Cause.
        source: pbal_core::Error,
    },
    /// The targets spec is not valid.
    #[error(transparent)]
    Targets(#[from] crate::TargetsError),
    /// A substitute for a fund the wash-sale guard blocks has no price: neither held nor
    /// priced in the targets.
    #[error("{substitute}, a substitute for {blocked}, is neither held nor priced")]
    UnpricedSubstitute {
        /// The substitute.
        substitute: String,
        /// The fund it stands in for.
        blocked: String,
    },
    /// A household account for the deposit or withdrawal was named, but the plan is for one
    /// account.
    #[error("an account for the new cash needs a household plan of several accounts")]
    CashAccountWithoutHousehold,
    /// No plan was found whose limit orders fit the cash at their limit prices.
    #[error(
        "no plan found whose limit orders fit the cash at their limit prices ({excess} more \
         than the plan's prices)"
    )]
    LimitOrdersDoNotFit {
        /// What the orders at their limits cost beyond the plan's prices.
        excess: rust_decimal::Decimal,
    },
    /// pbal-core refused the work (e.g. amounts too large to split over accounts, or a split
    /// that failed its audit).
    #[error(transparent)]
    Plan(#[from] pbal_core::Error),
}

/// Where the missing rates come from in this kind of export: an Activity Statement's
/// sections are fixed, a Flex Query's columns are chosen.
fn rate_hint(kind: crate::ExportKind) -> &'static str {
    match kind {
        crate::ExportKind::ActivityStatement => {
            "download the Activity Statement again whole, with its Base Currency Exchange Rate \
             section and the Open Positions totals in the base currency, or use a Flex Query \
             with FXRateToBase in Open Positions"
        }
        crate::ExportKind::FlexQuery => {
            "add FXRateToBase to the Flex Query's Open Positions section, or the Cash Report / \
             Account Information"
        }
        crate::ExportKind::Gateway => "the gateway's ledger gave no exchange rate for them",
    }
}

fn no_rate(currencies: &str, base: Option<&str>) -> String {
    match base {
        Some(base) => format!("no rate from {currencies} to the base currency {base}"),
        None => format!(
            "positions in {currencies} and no way to convert them to one base currency (the \
             export names none)"
        ),
    }
}
