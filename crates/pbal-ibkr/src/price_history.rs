//! Price history CSV files, read into a backtest's [`PriceTable`].
//!
//! Two layouts, told apart by the header:
//! - long: `symbol,date,price` (any column order), one price per line;
//! - wide: `date,SYM1,SYM2,…`, one date per line; an empty cell means no price that date.
//!
//! Dates are ISO (`2000-01-31`) or `Jan 1 2000` / `January 1, 2000`. Prices are exact decimals
//! read like every amount (see [`parse_amount`](crate::parse_amount)) and must be positive.
//! Lines may come in any date order.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;
use std::str::FromStr;

use pbal_core::backtest::{BacktestError, PriceTable};
use pbal_core::{Date, Decimal};

/// Why a price history could not be read. Every message names the file, and the line and
/// field where one applies.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PriceHistoryError {
    /// The file could not be read.
    #[error("cannot read {file}")]
    Io {
        /// File.
        file: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The header line is not CSV text.
    #[error("{file}:1: cannot read the header: {message}")]
    Header {
        /// File.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// The header names neither layout.
    #[error(
        "{file}:1: unknown layout: expected a header `symbol,date,price` (long) or \
         `date,SYM1,SYM2,...` (wide), got `{header}`"
    )]
    UnknownLayout {
        /// File.
        file: String,
        /// The header as read.
        header: String,
    },
    /// A line is not CSV text, or has more fields than the header.
    #[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Csv {
        /// File.
        file: String,
        /// 1-based line, when known.
        line: Option<u64>,
        /// What is wrong.
        message: String,
    },
    /// A wide header column without a symbol.
    #[error("{file}:1: column {column}: empty symbol")]
    EmptyColumn {
        /// File.
        file: String,
        /// 1-based column.
        column: usize,
    },
    /// A long-layout line without a symbol.
    #[error("{file}:{line}: symbol: empty")]
    EmptySymbol {
        /// File.
        file: String,
        /// 1-based line.
        line: u64,
    },
    /// A date that is not one.
    #[error("{file}:{line}: date: {value:?} is not a date (expected 2000-01-31 or Jan 31 2000)")]
    Date {
        /// File.
        file: String,
        /// 1-based line.
        line: u64,
        /// The text.
        value: String,
    },
    /// A price that is not a positive decimal.
    #[error("{file}:{line}: {field}: {reason}")]
    Price {
        /// File.
        file: String,
        /// 1-based line.
        line: u64,
        /// `price` (long layout) or the symbol's column (wide).
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// Two prices of one symbol on one date (long layout).
    #[error("{file}:{line}: {symbol} has a second price on {date}")]
    SecondPrice {
        /// File.
        file: String,
        /// 1-based line of the second.
        line: u64,
        /// Symbol.
        symbol: String,
        /// Date.
        date: Date,
    },
    /// A date on two lines (wide layout).
    #[error("{file}:{line}: date {date} already appears on line {first}")]
    DuplicateDate {
        /// File.
        file: String,
        /// 1-based line of the second.
        line: u64,
        /// Line of the first.
        first: u64,
        /// Date.
        date: Date,
    },
    /// A header and no prices.
    #[error("{file}: no prices")]
    NoPrices {
        /// File.
        file: String,
    },
    /// The prices do not form a price table (a symbol in two columns).
    #[error("{file}: {reason}")]
    Table {
        /// File.
        file: String,
        /// pbal-core's reason (told here, so not returned as a source too).
        reason: BacktestError,
    },
}

/// Reads a price history CSV file (its name appears in every error).
///
/// # Errors
/// [`PriceHistoryError::Io`] when the file cannot be read; then those of [`read_prices`].
pub fn read_prices_path(path: impl AsRef<Path>) -> Result<PriceTable, PriceHistoryError> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| PriceHistoryError::Io {
        file: file.clone(),
        source,
    })?;
    read_prices(bytes.as_slice(), &file)
}

/// Reads a price history from `reader`; `source` names it in errors.
///
/// ```
/// use pbal_core::date;
/// use pbal_ibkr::read_prices;
/// let text = "date,VTI,BND\n2024-01-31,240.50,72\nFeb 29 2024,245,\n";
/// let table = read_prices(text.as_bytes(), "prices.csv")?;
/// assert_eq!(table.symbols(), ["VTI", "BND"]);
/// assert_eq!(table.dates(), [date(2024, 1, 31), date(2024, 2, 29)]);
/// # Ok::<(), pbal_ibkr::PriceHistoryError>(())
/// ```
///
/// # Errors
/// [`PriceHistoryError::Io`] when `reader` fails; [`PriceHistoryError::Header`],
/// [`PriceHistoryError::UnknownLayout`] and [`PriceHistoryError::EmptyColumn`] for a header
/// that names no layout; [`PriceHistoryError::Csv`] for a line that is not CSV text (or not
/// UTF-8); [`PriceHistoryError::EmptySymbol`], [`PriceHistoryError::Date`] and
/// [`PriceHistoryError::Price`] for a malformed field; [`PriceHistoryError::SecondPrice`] and
/// [`PriceHistoryError::DuplicateDate`] for a price given twice; [`PriceHistoryError::NoPrices`]
/// for a header alone; [`PriceHistoryError::Table`] for a symbol in two columns.
pub fn read_prices(mut reader: impl Read, source: &str) -> Result<PriceTable, PriceHistoryError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| PriceHistoryError::Io {
            file: source.to_owned(),
            source: e,
        })?;
    parse(&bytes, source)
}

fn parse(bytes: &[u8], name: &str) -> Result<PriceTable, PriceHistoryError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| PriceHistoryError::Header {
            file: name.to_owned(),
            message: e.to_string(),
        })?
        .iter()
        .map(str::to_owned)
        .collect();
    let lower: Vec<String> = header.iter().map(|h| h.to_ascii_lowercase()).collect();
    let find = |col: &str| lower.iter().position(|h| h == col);
    let (rows, symbols) = match (find("symbol"), find("date"), find("price")) {
        (Some(s), Some(d), Some(p)) if header.len() == 3 => long(&mut reader, name, s, d, p)?,
        (_, Some(0), _) if header.len() >= 2 => wide(&mut reader, name, &header)?,
        _ => {
            return Err(PriceHistoryError::UnknownLayout {
                file: name.to_owned(),
                header: header.join(","),
            });
        }
    };
    PriceTable::new(symbols, rows).map_err(|reason| PriceHistoryError::Table {
        file: name.to_owned(),
        reason,
    })
}

type Rows = Vec<(Date, Vec<Option<Decimal>>)>;

fn long(
    reader: &mut csv::Reader<&[u8]>,
    name: &str,
    s: usize,
    d: usize,
    p: usize,
) -> Result<(Rows, Vec<String>), PriceHistoryError> {
    let file = || name.to_owned();
    let mut symbols: Vec<String> = Vec::new();
    let mut column: HashMap<String, usize> = HashMap::new();
    let mut by_date: BTreeMap<Date, Vec<Option<Decimal>>> = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(name, &e))?;
        let line = line_of(&record);
        let field = |i: usize| record.get(i).unwrap_or_default();
        let symbol = field(s);
        if symbol.is_empty() {
            return Err(PriceHistoryError::EmptySymbol { file: file(), line });
        }
        let date = parse_history_date(field(d)).ok_or_else(|| PriceHistoryError::Date {
            file: file(),
            line,
            value: field(d).to_owned(),
        })?;
        let price = parse_price(field(p)).map_err(|reason| PriceHistoryError::Price {
            file: file(),
            line,
            field: "price".to_owned(),
            reason,
        })?;
        let c = *column.entry(symbol.to_owned()).or_insert_with(|| {
            symbols.push(symbol.to_owned());
            symbols.len() - 1
        });
        let row = by_date.entry(date).or_default();
        if row.len() <= c {
            row.resize(c + 1, None);
        }
        if row[c].replace(price).is_some() {
            return Err(PriceHistoryError::SecondPrice {
                file: file(),
                line,
                symbol: symbol.to_owned(),
                date,
            });
        }
    }
    if by_date.is_empty() {
        return Err(PriceHistoryError::NoPrices { file: file() });
    }
    let n = symbols.len();
    let rows = by_date
        .into_iter()
        .map(|(date, mut row)| {
            row.resize(n, None);
            (date, row)
        })
        .collect();
    Ok((rows, symbols))
}

fn wide(
    reader: &mut csv::Reader<&[u8]>,
    name: &str,
    header: &[String],
) -> Result<(Rows, Vec<String>), PriceHistoryError> {
    let file = || name.to_owned();
    let symbols: Vec<String> = header[1..].to_vec();
    if let Some(i) = symbols.iter().position(String::is_empty) {
        return Err(PriceHistoryError::EmptyColumn {
            file: file(),
            column: i + 2,
        });
    }
    let mut by_date: BTreeMap<Date, (u64, Vec<Option<Decimal>>)> = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(name, &e))?;
        let line = line_of(&record);
        let text = record.get(0).unwrap_or_default();
        let date = parse_history_date(text).ok_or_else(|| PriceHistoryError::Date {
            file: file(),
            line,
            value: text.to_owned(),
        })?;
        let mut row = Vec::with_capacity(symbols.len());
        for (i, symbol) in symbols.iter().enumerate() {
            let cell = record.get(i + 1).unwrap_or_default();
            if cell.is_empty() {
                row.push(None);
                continue;
            }
            let price = parse_price(cell).map_err(|reason| PriceHistoryError::Price {
                file: file(),
                line,
                field: symbol.clone(),
                reason,
            })?;
            row.push(Some(price));
        }
        if let Some((first, _)) = by_date.insert(date, (line, row)) {
            return Err(PriceHistoryError::DuplicateDate {
                file: file(),
                line,
                first,
                date,
            });
        }
    }
    if by_date.is_empty() {
        return Err(PriceHistoryError::NoPrices { file: file() });
    }
    let rows = by_date.into_iter().map(|(d, (_, row))| (d, row)).collect();
    Ok((rows, symbols))
}

fn line_of(record: &csv::StringRecord) -> u64 {
    record.position().map_or(0, csv::Position::line)
}

fn csv_error(name: &str, e: &csv::Error) -> PriceHistoryError {
    PriceHistoryError::Csv {
        file: name.to_owned(),
        line: e.position().map(csv::Position::line),
        message: e.to_string(),
    }
}

/// A price or return history's date: `2000-01-31`, `Jan 1 2000`, `January 1, 2000` or
/// `1 Jan 2000`.
pub fn parse_history_date(text: &str) -> Option<Date> {
    if let Ok(date) = Date::from_str(text) {
        return Some(date);
    }
    let cleaned = text.replace(',', " ");
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    ["%b %d %Y", "%B %d %Y", "%d %b %Y", "%d %B %Y"]
        .into_iter()
        .find_map(|format| Date::strptime(format, &cleaned).ok())
}

fn parse_price(text: &str) -> Result<Decimal, String> {
    // The one rule for amounts: thousands groups read, a decimal comma refused with the fix.
    let price = crate::parse_amount(text).map_err(|e| e.to_string())?;
    if price <= Decimal::ZERO {
        return Err(format!("must be positive, got {text}"));
    }
    Ok(price)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pbal_core::{date, dec};

    #[test]
    fn prices_follow_the_amount_rule() {
        assert_eq!(parse_price("1,234.5"), Ok(dec!(1234.5)));
        assert!(
            parse_price("61,20")
                .unwrap_err()
                .contains("looks like a decimal comma")
        );
        assert_eq!(
            parse_price("abc"),
            Err("\"abc\" is not a decimal number".to_owned())
        );
    }

    #[test]
    fn dates_in_both_styles() {
        assert_eq!(parse_history_date("2000-01-31"), Some(date(2000, 1, 31)));
        assert_eq!(parse_history_date("Jan 1 2000"), Some(date(2000, 1, 1)));
        assert_eq!(
            parse_history_date("January 15, 2004"),
            Some(date(2004, 1, 15))
        );
        assert_eq!(parse_history_date("3 Mar 2010"), Some(date(2010, 3, 3)));
        assert!(parse_history_date("2000-02-30").is_none());
        assert!(parse_history_date("yesterday").is_none());
    }

    #[test]
    fn long_layout_with_a_late_symbol() {
        let text = "symbol,date,price\nA,Jan 1 2000,10\nA,Feb 1 2000,11.5\nB,Feb 1 2000,3\n";
        let t = parse(text.as_bytes(), "p.csv").unwrap();
        assert_eq!(t.symbols(), ["A", "B"]);
        assert_eq!(t.dates(), [date(2000, 1, 1), date(2000, 2, 1)]);
        assert_eq!(t.row(0), [Some(dec!(10)), None]);
        assert_eq!(t.row(1), [Some(dec!(11.5)), Some(dec!(3))]);
    }

    #[test]
    fn wide_layout_in_any_order() {
        let text = "Date,A,B\n2000-02-01,11,3\n2000-01-01,10,\n";
        let t = parse(text.as_bytes(), "p.csv").unwrap();
        assert_eq!(t.row(0), [Some(dec!(10)), None]);
        assert_eq!(t.row(1), [Some(dec!(11)), Some(dec!(3))]);
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let err = |text: &str| parse(text.as_bytes(), "p.csv").unwrap_err().to_string();
        assert_eq!(
            err("symbol,date,price\nA,2000-01-01,10\nA,2000-01-01,11\n"),
            "p.csv:3: A has a second price on 2000-01-01"
        );
        assert_eq!(
            err("symbol,date,price\nA,2000-01-01,-1\n"),
            "p.csv:2: price: must be positive, got -1"
        );
        assert_eq!(
            err("symbol,date,price\nA,2000-01-01,NaN\n"),
            "p.csv:2: price: \"NaN\" is not a decimal number"
        );
        assert_eq!(
            err("symbol,date,price\n,2000-01-01,1\n"),
            "p.csv:2: symbol: empty"
        );
        assert_eq!(
            err("date,A\n2000-01-01,1\nJan 1 2000,2\n"),
            "p.csv:3: date 2000-01-01 already appears on line 2"
        );
        assert_eq!(
            err("date,A\n2000-13-01,1\n"),
            "p.csv:2: date: \"2000-13-01\" is not a date (expected 2000-01-31 or Jan 31 2000)"
        );
        assert_eq!(
            err("date,A\n2000-01-01,x\n"),
            "p.csv:2: A: \"x\" is not a decimal number"
        );
        assert_eq!(err("date,A,\n"), "p.csv:1: column 3: empty symbol");
        assert_eq!(
            err("date,A,A\n2000-01-01,1,2\n"),
            "p.csv: A: appears more than once in the price table"
        );
        assert!(err("date,A\n2000-01-01,1,2\n").starts_with("p.csv:2: "));
        assert!(err("ticker,when\n").starts_with("p.csv:1: unknown layout"));
        assert_eq!(err("date,A\n"), "p.csv: no prices");
        assert!(parse(b"date,A\n2000-01-01,\xff\n", "p.csv").is_err());
    }
}
