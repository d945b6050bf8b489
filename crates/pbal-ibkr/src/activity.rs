//! The Activity Statement CSV (Statements › Activity › Download CSV): every line is
//! `Section,RowType,fields…`, with headers that may restart mid-section.

use std::collections::BTreeMap;

use csv::StringRecord;

use crate::columns::Column;
use crate::rows::{Collector, Records, Row, short_row};
use crate::values;
use crate::{Error, SkipReason};

/// The last day of a statement's period: `"July 25, 2023"` or `"January 1, 2023 - December
/// 31, 2023"` (None when it reads otherwise: the date only informs a warning).
fn period_end(period: &str) -> Option<jiff::civil::Date> {
    let last = period.rsplit(" - ").next()?.trim();
    jiff::civil::Date::strptime("%B %d, %Y", last).ok()
}

/// Whether a section is one a statement ends with: IBKR closes every Activity Statement with
/// its Codes and Notes/Legal Notes, after every section pbal reads. A file that ends elsewhere
/// is cut short.
fn closing(section: &str) -> bool {
    section == "Codes" || section.starts_with("Notes")
}

/// The sections whose rows carry money: a row of them with fields missing is an error.
const MONEY_SECTIONS: &[&str] = &[
    "Base Currency Exchange Rate",
    "Cash Report",
    "Open Positions",
    "Long Open Positions",
    "Short Open Positions",
    "Trades",
];

/// Row types of an Activity Statement line.
pub(crate) const ROW_TYPES: &[&str] = &["Header", "Headers", "Data", "Total", "SubTotal", "Notes"];

/// Columns of the Activity Statement's own sections (Account Information, exchange rates, Cash
/// Report, the Open Positions totals), read by their exact header; its position and trade
/// rows go through [`Column`] like every layout's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Header {
    Account,
    Currency,
    CurrencySummary,
    SettingName,
    SettingValue,
    Rate,
    Total,
    Value,
}

impl Header {
    /// The header as IBKR writes it (compared without case).
    const fn header(self) -> &'static str {
        match self {
            Self::Account => "Account",
            Self::Currency => "Currency",
            Self::CurrencySummary => "Currency Summary",
            Self::SettingName => "Field Name",
            Self::SettingValue => "Field Value",
            Self::Rate => "Rate",
            Self::Total => "Total",
            Self::Value => "Value",
        }
    }
}

pub(crate) fn read(text: &str, c: &mut Collector) -> Result<(), Error> {
    let mut records = Records::new(text);
    // By section: the line of its last header row and the names in it.
    let mut headers: BTreeMap<String, (u64, Vec<String>)> = BTreeMap::new();
    // The section of the last row, and how many rows followed its last header.
    let mut last_section: Option<(String, u64)> = None;
    // The last row's line, and whether it has a row type (a row cut before it has none).
    let mut last_row = (0, true);
    let mut record = StringRecord::new();
    let mut known_sections = 0usize;
    // The last Open Positions Total row (currency, value): a non-base currency's Total is
    // followed by the same total in the base currency, labelled with the base code.
    let mut last_total: Option<(String, rust_decimal::Decimal)> = None;
    while let Some(line) = records.next(&mut record, &c.file)? {
        let section = record.get(0).unwrap_or("").trim().to_owned();
        let row_type = record.get(1).unwrap_or("").trim();
        let body: Vec<&str> = record.iter().skip(2).collect();
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        last_row = (line, ROW_TYPES.contains(&row_type));
        let header_row = row_type == "Header" || row_type == "Headers";
        match &mut last_section {
            Some((name, rows)) if *name == section => *rows += u64::from(!header_row),
            _ => last_section = Some((section.clone(), u64::from(!header_row))),
        }
        if header_row {
            headers.insert(
                section.clone(),
                (line, body.iter().map(|s| (*s).to_owned()).collect()),
            );
            if let Some((_, rows)) = &mut last_section {
                *rows = 0;
            }
            continue;
        }
        if row_type == "Total" && section.ends_with("Open Positions") {
            if let Some((_, header)) = headers.get(&section) {
                let named = |field: Header| {
                    header
                        .iter()
                        .position(|h| h.eq_ignore_ascii_case(field.header()))
                        .and_then(|i| body.get(i).copied())
                };
                let currency = named(Header::Currency).unwrap_or("").trim().to_owned();
                let value = named(Header::Value).and_then(|v| values::decimal(v).ok().flatten());
                if let (Some((previous, previous_value)), Some(value)) = (&last_total, value)
                    && previous != &currency
                    && currency.len() == 3
                    && !previous_value.is_zero()
                {
                    c.base_currency.get_or_insert_with(|| currency.clone());
                    c.fx_rates.entry(previous.clone()).or_insert_with(|| {
                        value
                            .checked_div(*previous_value)
                            .unwrap_or(rust_decimal::Decimal::ONE)
                            .round_dp(10)
                    });
                    last_total = None;
                    continue;
                }
                last_total = value.map(|v| (currency, v));
            }
            continue;
        }
        if row_type != "Data" {
            last_total = None;
            continue;
        }
        last_total = None;
        let Some((header_line, header)) = headers.get(&section) else {
            return Err(Error::Structure {
                file: c.file.clone(),
                line,
                message: format!("{section}: data before its header row"),
            });
        };
        if MONEY_SECTIONS.contains(&section.as_str())
            && let Some(e) = short_row(&c.file, line, *header_line, header, body.len())
        {
            return Err(e);
        }
        let named = |field: Header| -> Option<&str> {
            header
                .iter()
                .position(|h| h.eq_ignore_ascii_case(field.header()))
                .and_then(|i| body.get(i).copied())
        };
        match section.as_str() {
            "Account Information" => {
                known_sections += 1;
                match (named(Header::SettingName), named(Header::SettingValue)) {
                    (Some("Base Currency"), Some(v)) => c.base_currency = Some(v.trim().to_owned()),
                    (Some("Account"), Some(v)) => c.note_account(v),
                    _ => {}
                }
            }
            "Base Currency Exchange Rate" => {
                known_sections += 1;
                if let (Some(currency), Some(rate)) = (named(Header::Currency), named(Header::Rate))
                {
                    match values::decimal(rate) {
                        Ok(Some(r)) if r > rust_decimal::Decimal::ZERO => {
                            c.fx_rates.insert(currency.trim().to_owned(), r);
                        }
                        // A rate written in another locale is refused, not skipped.
                        Err(message) if message.contains("decimal comma") => {
                            return Err(Error::Parse {
                                file: c.file.clone(),
                                line,
                                field: Header::Rate.header().to_owned(),
                                message,
                            });
                        }
                        _ => c.skip(
                            line,
                            SkipReason::ExchangeRate {
                                currency: currency.to_owned(),
                                rate: rate.to_owned(),
                            },
                        ),
                    }
                }
            }
            "Cash Report" => {
                known_sections += 1;
                if named(Header::CurrencySummary).map(str::trim) == Some("Ending Cash") {
                    let mut row = Row::new(line);
                    row.insert(Column::Currency, named(Header::Currency).unwrap_or(""));
                    row.insert(Column::EndingCash, named(Header::Total).unwrap_or(""));
                    if let Some(account) = named(Header::Account) {
                        row.insert(Column::Account, account);
                    }
                    c.cash_row(&row)?;
                }
            }
            "Open Positions" | "Long Open Positions" | "Short Open Positions" => {
                known_sections += 1;
                let row = row_of(header, &body, line);
                let class = row.get(Column::AssetClass).unwrap_or("");
                match row
                    .get(Column::LevelOfDetail)
                    .map(str::to_ascii_uppercase)
                    .as_deref()
                {
                    Some("SUMMARY" | "LOT") if class.eq_ignore_ascii_case("Forex") => {
                        c.skip(line, SkipReason::ForexBalance);
                    }
                    Some("SUMMARY" | "LOT") => c.position_row(row),
                    other => c.skip(line, SkipReason::OpenPositionKind(other.map(str::to_owned))),
                }
            }
            "Trades" => {
                known_sections += 1;
                let row = row_of(header, &body, line);
                if row
                    .get(Column::LevelOfDetail)
                    .is_none_or(|l| l.eq_ignore_ascii_case("Order"))
                {
                    c.trade_row(&row)?;
                }
            }
            "Statement" => {
                known_sections += 1;
                if let (Some("Period"), Some(period)) =
                    (named(Header::SettingName), named(Header::SettingValue))
                {
                    c.report_date = period_end(period);
                }
            }
            "Net Asset Value" | "Change in NAV" => known_sections += 1,
            _ => {}
        }
    }
    if known_sections == 0 {
        return Err(Error::UnknownLayout {
            file: c.file.clone(),
            detail:
                "an Activity Statement without the English section names; download it in English"
                    .into(),
        });
    }
    if !last_row.1 {
        return Err(Error::Structure {
            file: c.file.clone(),
            line: last_row.0,
            message: "the last line is not a whole Section,RowType,… row: the file is cut short; \
                      download the statement again"
                .to_owned(),
        });
    }
    if let Some((section, rows)) = last_section
        && !closing(&section)
    {
        let last = text.lines().count() as u64;
        let message = match headers.get(&section) {
            Some((header, _)) if rows == 0 => format!(
                "the file ends right after the {section} header (line {header}): the section \
                 has a header and no rows, and the statement's closing sections (Codes, \
                 Notes/Legal Notes) are missing, so the file is cut short; download the \
                 statement again"
            ),
            _ => format!(
                "the file ends inside the {section} section, without the closing sections an \
                 Activity Statement ends with (Codes, Notes/Legal Notes): the file is cut \
                 short; download the statement again"
            ),
        };
        return Err(Error::Structure {
            file: c.file.clone(),
            line: last,
            message,
        });
    }
    Ok(())
}

fn row_of(header: &[String], body: &[&str], line: u64) -> Row {
    let mut row = Row::new(line);
    for (name, value) in header.iter().zip(body) {
        if let Some(column) = Column::from_header(name) {
            row.insert(column, value);
        }
    }
    row
}

#[cfg(test)]
mod period_tests {
    use super::period_end;

    #[test]
    fn a_period_ends_on_its_last_day() {
        let day = |s: &str| s.parse::<jiff::civil::Date>().ok();
        assert_eq!(period_end("July 25, 2023"), day("2023-07-25"));
        assert_eq!(
            period_end("January 1, 2023 - December 31, 2023"),
            day("2023-12-31")
        );
        assert_eq!(period_end("last month"), None);
    }
}
