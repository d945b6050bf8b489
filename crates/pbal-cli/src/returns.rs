//! Periodic returns CSV files for `pbal backtest --returns`, compounded into price levels.
//!
//! Layout: `date,SYM1,SYM2,…`, one period per line; each cell is the return over the period
//! that ends on the line's date, in percent or as a fraction (`--returns-unit`: 1.5 is 1.5% or
//! 150%). Every symbol's level starts at 100 one period before its first return (the period
//! read from the first two dates: whole months when they fall on the same day of the month
//! or both on a month's last day, else days) and is multiplied by (1 + return) each period.
//! An empty cell before a symbol's first return means it has not started; after it, a
//! return is missing and the file is refused.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use jiff::ToSpan;
use jiff::civil::Date;
use pbal_core::backtest::PriceTable;
use rust_decimal::Decimal;

/// How the returns are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// `1.5` is 1.5%.
    Percent,
    /// `0.015` is 1.5%.
    Fraction,
}

/// Decimal places kept in each compounded level: exact enough for any history, small enough
/// never to overflow a decimal's 28 digits.
const LEVEL_PLACES: u32 = 10;

/// A line of the file: its date, its line number and each symbol's 1 + return.
type Line = (Date, (u64, Vec<Option<Decimal>>));

/// Reads a returns CSV file and compounds it into levels.
pub(crate) fn read(path: &Path, unit: Unit) -> Result<PriceTable> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&bytes, &path.display().to_string(), unit)
}

/// Parses returns CSV text; `name` is used in error messages.
pub(crate) fn parse(bytes: &[u8], name: &str, unit: Unit) -> Result<PriceTable> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| anyhow!("{name}:1: cannot read the header: {e}"))?
        .iter()
        .map(str::to_owned)
        .collect();
    if header.len() < 2 || !header[0].eq_ignore_ascii_case("date") {
        bail!(
            "{name}:1: expected a header `date,SYM1,SYM2,...` (one return per symbol and \
             period), got `{}`",
            header.join(",")
        );
    }
    let symbols: Vec<String> = header[1..].to_vec();
    if let Some(i) = symbols.iter().position(String::is_empty) {
        bail!("{name}:1: column {}: empty symbol", i + 2);
    }
    let mut by_date: BTreeMap<Date, (u64, Vec<Option<Decimal>>)> = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| match e.position() {
            Some(pos) => anyhow!("{name}:{}: {e}", pos.line()),
            None => anyhow!("{name}: {e}"),
        })?;
        let line = record.position().map_or(0, csv::Position::line);
        let text = record.get(0).unwrap_or_default();
        let date = pbal_ibkr::parse_history_date(text).ok_or_else(|| {
            anyhow!("{name}:{line}: date: `{text}` is not a date (e.g. 2000-01-31)")
        })?;
        let mut row = Vec::with_capacity(symbols.len());
        for (i, symbol) in symbols.iter().enumerate() {
            let cell = record.get(i + 1).unwrap_or_default();
            if cell.is_empty() {
                row.push(None);
                continue;
            }
            let r = growth(cell, unit).map_err(|e| anyhow!("{name}:{line}: {symbol}: {e}"))?;
            row.push(Some(r));
        }
        if let Some((first, _)) = by_date.insert(date, (line, row)) {
            bail!("{name}:{line}: date {date} already appears on line {first}");
        }
    }
    let rows: Vec<Line> = by_date.into_iter().collect();
    let (Some(first), Some(second)) = (rows.first(), rows.get(1)) else {
        bail!(
            "{name}: needs at least two periods of returns (the first two dates give the period)"
        );
    };
    let start = period_before(first.0, second.0)
        .ok_or_else(|| anyhow!("{name}: no date one period before {}", first.0))?;
    warn_if_unit_looks_wrong(name, unit, &rows);
    let n = symbols.len();
    // Levels: the start row, then one per line.
    let mut level: Vec<Option<Decimal>> = vec![None; n];
    let mut out: Vec<(Date, Vec<Option<Decimal>>)> = Vec::with_capacity(rows.len() + 1);
    out.push((start, vec![None; n]));
    for (date, (line, growths)) in &rows {
        let mut prices = vec![None; n];
        for (c, g) in growths.iter().enumerate() {
            match (level[c], g) {
                (None, None) => {}
                (None, Some(g)) => {
                    // The symbol starts: 100 on the date before, then its first return.
                    if let Some(last) = out.last_mut() {
                        last.1[c] = Some(Decimal::ONE_HUNDRED);
                    }
                    // `growth` checked that 100 × g fits.
                    level[c] = Decimal::ONE_HUNDRED.checked_mul(*g);
                }
                (Some(_), None) => bail!(
                    "{name}:{line}: {}: no return after earlier ones (returns must follow \
                     each other without gaps)",
                    symbols[c]
                ),
                (Some(l), Some(g)) => {
                    let next = l
                        .checked_mul(*g)
                        .ok_or_else(|| anyhow!("{name}:{line}: {}: level too large", symbols[c]))?;
                    level[c] = Some(next.round_dp(LEVEL_PLACES));
                }
            }
            prices[c] = level[c];
        }
        out.push((*date, prices));
    }
    PriceTable::new(symbols, out).map_err(|e| anyhow!("{name}: {e}"))
}

/// 1 + the return written in `cell`.
fn growth(cell: &str, unit: Unit) -> Result<Decimal, String> {
    let trimmed = cell.trim();
    let number = trimmed.strip_suffix('%').unwrap_or(trimmed).trim_end();
    if number.len() != trimmed.len() && unit == Unit::Fraction {
        return Err(format!(
            "{cell:?} has a % sign but --returns-unit is fraction"
        ));
    }
    let r = pbal_ibkr::parse_amount(number).map_err(|e| e.to_string())?;
    let fraction = match unit {
        Unit::Percent => r / Decimal::ONE_HUNDRED,
        Unit::Fraction => r,
    };
    let g = Decimal::ONE
        .checked_add(fraction)
        .filter(|g| g.checked_mul(Decimal::ONE_HUNDRED).is_some())
        .ok_or_else(|| format!("a return of {cell} is too large"))?;
    if g <= Decimal::ZERO {
        return Err(format!(
            "a return of {cell} loses everything (it must be above -100%)"
        ));
    }
    Ok(g)
}

/// The date one period before `first`, the period being the distance to `second`.
fn period_before(first: Date, second: Date) -> Option<Date> {
    let month_end = |d: Date| d == d.last_of_month();
    let months =
        i32::from(second.year() - first.year()) * 12 + i32::from(second.month() - first.month());
    if months > 0 && (first.day() == second.day() || month_end(first) && month_end(second)) {
        let back = first.checked_sub(months.months()).ok()?;
        return Some(if month_end(first) {
            back.last_of_month()
        } else {
            back
        });
    }
    let days = first.until(second).ok()?.get_days();
    first.checked_sub(days.days()).ok()
}

/// Percent returns all under 1% in size are likely fractions, and fractions above 100% likely
/// percents: say so (the results would be absurd, not wrong-looking).
fn warn_if_unit_looks_wrong(name: &str, unit: Unit, rows: &[Line]) {
    let largest = rows
        .iter()
        .flat_map(|(_, (_, g))| g.iter().flatten())
        .map(|g| (*g - Decimal::ONE).abs())
        .max()
        .unwrap_or_default();
    match unit {
        Unit::Percent if largest < Decimal::new(1, 2) => crate::ui::warn(&format!(
            "{name}: every return is under 1% in size; if they are fractions (0.01 = 1%), use \
             --returns-unit fraction"
        )),
        Unit::Fraction if largest > Decimal::ONE => crate::ui::warn(&format!(
            "{name}: a return is above 100% in size; if they are percents (1 = 1%), use \
             --returns-unit percent"
        )),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use pbal_core::dec;

    #[test]
    fn compounds_from_100_one_period_before() {
        let text = "date,A,B\n2000-01-31,10,\n2000-02-29,-50,5\n2000-03-31,100,5\n";
        let table = parse(text.as_bytes(), "r.csv", Unit::Percent).unwrap();
        assert_eq!(
            table.dates(),
            [
                date(1999, 12, 31),
                date(2000, 1, 31),
                date(2000, 2, 29),
                date(2000, 3, 31)
            ]
        );
        let column = |c| (0..4).map(|r| table.price(r, c)).collect::<Vec<_>>();
        assert_eq!(
            column(0),
            [
                Some(dec!(100)),
                Some(dec!(110)),
                Some(dec!(55)),
                Some(dec!(110))
            ]
        );
        // B starts at 100 on the date before its first return.
        assert_eq!(
            column(1),
            [None, Some(dec!(100)), Some(dec!(105)), Some(dec!(110.25))]
        );
        let fraction = "date,A\n2000-01-01,0.1\n2000-02-01,-0.5\n";
        let table = parse(fraction.as_bytes(), "r.csv", Unit::Fraction).unwrap();
        assert_eq!(table.dates()[0], date(1999, 12, 1));
        assert_eq!(table.price(2, 0), Some(dec!(55)));
    }

    #[test]
    fn periods_in_months_or_days() {
        assert_eq!(
            period_before(date(2000, 3, 15), date(2000, 6, 15)),
            Some(date(1999, 12, 15))
        );
        assert_eq!(
            period_before(date(2000, 1, 3), date(2000, 1, 10)),
            Some(date(1999, 12, 27))
        );
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let err = |text: &str, unit| {
            parse(text.as_bytes(), "r.csv", unit)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err("date,A\n2000-01-01,-100\n2000-02-01,1\n", Unit::Percent),
            "r.csv:2: A: a return of -100 loses everything (it must be above -100%)"
        );
        assert_eq!(
            err(
                "date,A\n2000-01-01,1\n2000-02-01,\n2000-03-01,1\n",
                Unit::Percent
            ),
            "r.csv:3: A: no return after earlier ones (returns must follow each other without gaps)"
        );
        assert_eq!(
            err("date,A\n2000-01-01,1%\n2000-02-01,1\n", Unit::Fraction),
            "r.csv:2: A: \"1%\" has a % sign but --returns-unit is fraction"
        );
        assert!(err("date,A\n2000-01-01,1\n", Unit::Percent).contains("at least two periods"));
        let huge = "date,A\n2000-01-01,79228162514264337593543950335\n2000-02-01,1\n";
        assert_eq!(
            err(huge, Unit::Fraction),
            "r.csv:2: A: a return of 79228162514264337593543950335 is too large"
        );
        assert!(err("when,A\n", Unit::Percent).starts_with("r.csv:1: expected a header"));
    }
}
