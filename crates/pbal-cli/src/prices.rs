//! Price history CSV files for `pbal backtest`.
//!
//! Two layouts, told apart by the header:
//! - long: `symbol,date,price` (any column order), one price per line;
//! - wide: `date,SYM1,SYM2,…`, one date per line; an empty cell means no price that date.
//!
//! Dates are ISO (`2000-01-31`) or `Jan 1 2000` / `January 1, 2000`. Prices are exact decimals
//! and must be positive. Lines may come in any date order.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, Result, anyhow, bail};
use jiff::civil::Date;
use pbal_core::backtest::PriceTable;
use rust_decimal::Decimal;

/// Reads and validates a price CSV file.
pub(crate) fn read(path: &Path) -> Result<PriceTable> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&bytes, &path.display().to_string())
}

/// Parses price CSV text; `name` is used in error messages.
pub(crate) fn parse(bytes: &[u8], name: &str) -> Result<PriceTable> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| anyhow!("{name}:1: cannot read the header: {e}"))?
        .iter()
        .map(str::to_owned)
        .collect();
    let lower: Vec<String> = header.iter().map(|h| h.to_ascii_lowercase()).collect();
    let find = |col: &str| lower.iter().position(|h| h == col);
    let (rows, symbols) = match (find("symbol"), find("date"), find("price")) {
        (Some(s), Some(d), Some(p)) if header.len() == 3 => long(&mut reader, name, s, d, p)?,
        (_, Some(0), _) if header.len() >= 2 => wide(&mut reader, name, &header)?,
        _ => bail!(
            "{name}:1: unknown layout: expected a header `symbol,date,price` (long) or \
             `date,SYM1,SYM2,...` (wide), got `{}`",
            header.join(",")
        ),
    };
    let table = PriceTable::new(symbols, rows).map_err(|e| anyhow!("{name}: {e}"))?;
    Ok(table)
}

type Rows = Vec<(Date, Vec<Option<Decimal>>)>;

fn long(
    reader: &mut csv::Reader<&[u8]>,
    name: &str,
    s: usize,
    d: usize,
    p: usize,
) -> Result<(Rows, Vec<String>)> {
    let mut symbols: Vec<String> = Vec::new();
    let mut column: HashMap<String, usize> = HashMap::new();
    let mut by_date: BTreeMap<Date, Vec<Option<Decimal>>> = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(name, &e))?;
        let line = line_of(&record);
        let field = |i: usize| record.get(i).unwrap_or_default();
        let symbol = field(s);
        if symbol.is_empty() {
            bail!("{name}:{line}: symbol: empty");
        }
        let date = parse_date(field(d)).map_err(|e| anyhow!("{name}:{line}: date: {e}"))?;
        let price = parse_price(field(p)).map_err(|e| anyhow!("{name}:{line}: price: {e}"))?;
        let c = *column.entry(symbol.to_owned()).or_insert_with(|| {
            symbols.push(symbol.to_owned());
            symbols.len() - 1
        });
        let row = by_date.entry(date).or_default();
        if row.len() <= c {
            row.resize(c + 1, None);
        }
        if row[c].replace(price).is_some() {
            bail!("{name}:{line}: {symbol} has a second price on {date}");
        }
    }
    if by_date.is_empty() {
        bail!("{name}: no prices");
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
) -> Result<(Rows, Vec<String>)> {
    let symbols: Vec<String> = header[1..].to_vec();
    if let Some(i) = symbols.iter().position(String::is_empty) {
        bail!("{name}:1: column {}: empty symbol", i + 2);
    }
    let mut by_date: BTreeMap<Date, (u64, Vec<Option<Decimal>>)> = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(name, &e))?;
        let line = line_of(&record);
        let date = parse_date(record.get(0).unwrap_or_default())
            .map_err(|e| anyhow!("{name}:{line}: date: {e}"))?;
        let mut row = Vec::with_capacity(symbols.len());
        for (i, symbol) in symbols.iter().enumerate() {
            let cell = record.get(i + 1).unwrap_or_default();
            if cell.is_empty() {
                row.push(None);
                continue;
            }
            let price = parse_price(cell).map_err(|e| anyhow!("{name}:{line}: {symbol}: {e}"))?;
            row.push(Some(price));
        }
        if let Some((first, _)) = by_date.insert(date, (line, row)) {
            bail!("{name}:{line}: date {date} already appears on line {first}");
        }
    }
    if by_date.is_empty() {
        bail!("{name}: no prices");
    }
    let rows = by_date.into_iter().map(|(d, (_, row))| (d, row)).collect();
    Ok((rows, symbols))
}

fn line_of(record: &csv::StringRecord) -> u64 {
    record.position().map_or(0, csv::Position::line)
}

fn csv_error(name: &str, e: &csv::Error) -> anyhow::Error {
    match e.position() {
        Some(pos) => anyhow!("{name}:{}: {e}", pos.line()),
        None => anyhow!("{name}: {e}"),
    }
}

/// `2000-01-31`, `Jan 1 2000`, `January 1, 2000` or `1 Jan 2000`.
pub(crate) fn parse_date(text: &str) -> Result<Date, String> {
    if let Ok(date) = Date::from_str(text) {
        return Ok(date);
    }
    let cleaned = text.replace(',', " ");
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    for format in ["%b %d %Y", "%B %d %Y", "%d %b %Y", "%d %B %Y"] {
        if let Ok(date) = Date::strptime(format, &cleaned) {
            return Ok(date);
        }
    }
    Err(format!(
        "{text:?} is not a date (expected 2000-01-31 or Jan 31 2000)"
    ))
}

fn parse_price(text: &str) -> Result<Decimal, String> {
    // The one rule for amounts: thousands groups read, a decimal comma refused with the fix.
    let price = pbal_ibkr::parse_amount(text).map_err(|e| e.to_string())?;
    if price <= Decimal::ZERO {
        return Err(format!("must be positive, got {text}"));
    }
    Ok(price)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use pbal_core::dec;

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
        assert_eq!(parse_date("2000-01-31"), Ok(date(2000, 1, 31)));
        assert_eq!(parse_date("Jan 1 2000"), Ok(date(2000, 1, 1)));
        assert_eq!(parse_date("January 15, 2004"), Ok(date(2004, 1, 15)));
        assert_eq!(parse_date("3 Mar 2010"), Ok(date(2010, 3, 3)));
        assert!(parse_date("2000-02-30").is_err());
        assert!(parse_date("yesterday").is_err());
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
            err("date,A\n2000-01-01,1\nJan 1 2000,2\n"),
            "p.csv:3: date 2000-01-01 already appears on line 2"
        );
        assert_eq!(
            err("date,A\n2000-13-01,1\n"),
            "p.csv:2: date: \"2000-13-01\" is not a date (expected 2000-01-31 or Jan 31 2000)"
        );
        assert!(err("date,A\n2000-01-01,1,2\n").starts_with("p.csv:2: "));
        assert!(err("ticker,when\n").starts_with("p.csv:1: unknown layout"));
        assert_eq!(err("date,A\n"), "p.csv: no prices");
        assert!(parse(b"date,A\n2000-01-01,\xff\n", "p.csv").is_err());
    }
}
