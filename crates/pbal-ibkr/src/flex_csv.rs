//! Flex Query CSV in all three shapes: plain (header rows only, sections back to back),
//! with header/trailer records (BOF/BOA/BOS/EOS/EOA/EOF), and with section code and line
//! descriptor (`"HEADER","POST",…` / `"DATA","POST",…`).

use csv::StringRecord;

use crate::columns::Column;
use crate::rows::{Collector, Records, Row, SectionKind, classify, short_row};
use crate::trailers::Trailers;
use crate::{Error, SkipReason};

/// The section being read.
struct Section {
    kind: SectionKind,
    columns: Vec<Option<Column>>,
    /// The header's names as written, to name the columns a short row lacks.
    names: Vec<String>,
    /// The line of the header row.
    line: u64,
    /// The data rows read under this header.
    rows: u64,
    /// Is it the account-information section (its currency is the base currency)?
    account_info: bool,
}

/// Whether a field reads as a number (`f64`'s grammar, spaces around it allowed). What can
/// only fail is told from its first character, and a plain `123.45` needs no parse: every
/// data row passes here, 5,000 of them in a large export.
fn numeric(field: &str) -> bool {
    let t = crate::values::trim(field);
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    match body.as_bytes() {
        [first, rest @ ..] if first.is_ascii_digit() => {
            // Digits with at most one point.
            let mut points = 0;
            let plain = rest.iter().all(|&b| {
                points += usize::from(b == b'.');
                b.is_ascii_digit() || (b == b'.' && points == 1)
            });
            plain || t.parse::<f64>().is_ok()
        }
        // Besides digits, f64 starts only with a point, `inf`/`infinity` or `nan`.
        [b'.' | b'i' | b'I' | b'n' | b'N', ..] => t.parse::<f64>().is_ok(),
        _ => false,
    }
}

/// `text.lines().count()`, counted a block of bytes at a time rather than a line at a time.
fn line_count(text: &str) -> usize {
    let newlines = text.bytes().filter(|&b| b == b'\n').count();
    newlines + usize::from(!text.is_empty() && !text.ends_with('\n'))
}

/// Whether a record is a header row: at least two known column names and no numbers.
fn looks_like_header(fields: &[&str]) -> bool {
    // Data rows nearly always hold a number, so that test comes first: it is the cheap one.
    let numeric = fields.iter().any(|f| numeric(f));
    !numeric
        && fields
            .iter()
            .filter(|f| Column::from_header(f).is_some())
            .count()
            >= 2
}

/// Why a row of names is not a positions header: which needed columns are missing, the rule,
/// and which columns were found.
fn unknown_header(fields: &[&str]) -> String {
    let known: Vec<Column> = fields
        .iter()
        .filter_map(|f| Column::from_header(f))
        .collect();
    let mut missing = Vec::new();
    if !known.contains(&Column::Symbol) {
        missing.push("Symbol".to_owned());
    }
    // Any two of these give the third (`classify`'s rule): one present leaves a choice.
    let amounts = [Column::Quantity, Column::Price, Column::Value];
    let absent: Vec<&str> = amounts
        .iter()
        .filter(|c| !known.contains(c))
        .map(|c| c.ibkr_name())
        .collect();
    match absent[..] {
        [a, b] if missing.is_empty() => missing.push(format!("{a} or {b}")),
        [a, b] => missing.push(format!("either {a} or {b}")),
        [..] if absent.len() == amounts.len() => {
            missing.extend(absent.iter().map(|c| (*c).to_owned()));
        }
        _ => {}
    }
    let missing = match &missing[..] {
        [rest @ .., last] if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => missing.concat(),
    };
    let found: Vec<&str> = fields
        .iter()
        .map(|f| f.trim())
        .filter(|f| !f.is_empty())
        .collect();
    format!(
        "the header lacks {}: pbal needs Symbol and two of Quantity, MarkPrice and \
         PositionValue; found {} (the original tool's header is \
         Symbol,PositionValue,MarkPrice,FifoPnlUnrealized)",
        missing,
        found.join(", ")
    )
}

/// Whether a header the reader does not use looks like a positions header with a column
/// missing: two of Symbol, Quantity, MarkPrice and PositionValue.
fn near_positions(columns: &[Option<Column>]) -> bool {
    let needed = [
        Column::Symbol,
        Column::Quantity,
        Column::Price,
        Column::Value,
    ];
    needed
        .iter()
        .filter(|c| columns.contains(&Some(**c)))
        .count()
        >= 2
}

fn kind_of_code(code: &str) -> Option<SectionKind> {
    match code {
        "POST" => Some(SectionKind::Positions),
        "CRTT" => Some(SectionKind::Cash),
        "TRNT" => Some(SectionKind::Trades),
        _ => None,
    }
}

pub(crate) fn read(text: &str, c: &mut Collector) -> Result<(), Error> {
    let mut records = Records::new(text);
    let mut section: Option<Section> = None;
    let mut code: Option<String> = None;
    let mut trailers = Trailers::default();
    let mut record = StringRecord::new();
    while let Some(line) = records.next(&mut record, &c.file)? {
        let fields: Vec<&str> = record.iter().collect();
        if fields.iter().all(|f| crate::values::trim(f).is_empty()) {
            continue;
        }
        let (descriptor, body): (Option<&str>, &[&str]) = match fields[0] {
            "MSG" => {
                c.skip(line, SkipReason::Message(fields[1..].join(" ")));
                continue;
            }
            "BOF" => {
                trailers.bof(line, &c.file)?;
                // BOF,account,query,type,fromDate,toDate,whenGenerated,…: the toDate.
                c.report_date = fields
                    .get(5)
                    .and_then(|d| crate::values::date(d).ok().flatten());
                continue;
            }
            "EOA" => {
                trailers.eoa(line, &c.file)?;
                continue;
            }
            "EOF" => {
                trailers.eof(line, &c.file)?;
                continue;
            }
            "BOA" => {
                let account = fields.get(1).copied().unwrap_or("");
                trailers.boa(line, account, &c.file)?;
                c.note_account(account);
                continue;
            }
            "BOS" => {
                let section_code = fields.get(1).copied().unwrap_or("");
                trailers.bos(line, section_code, fields.get(2).copied(), &c.file)?;
                code = Some(section_code.to_owned());
                section = None;
                continue;
            }
            "EOS" => {
                trailers.eos(line, &fields, &c.file)?;
                code = None;
                section = None;
                continue;
            }
            "HEADER" | "DATA" if fields.len() >= 2 => {
                code = Some(fields[1].to_owned());
                (Some(fields[0]), &fields[2..])
            }
            _ => (None, &fields[..]),
        };
        let is_header = match descriptor {
            Some(d) => d == "HEADER",
            None => looks_like_header(body),
        };
        if is_header {
            trailers.header(line);
            let columns: Vec<Option<Column>> =
                body.iter().map(|f| Column::from_header(f)).collect();
            let mut kind = classify(&columns);
            if kind == SectionKind::Other
                && let Some(k) = code.as_deref().and_then(kind_of_code)
            {
                kind = k;
            }
            let account_info = code.as_deref() == Some("ACCT")
                || body.iter().any(|f| f.eq_ignore_ascii_case("AccountType"));
            if kind == SectionKind::Other && !account_info {
                // Kept to explain a file without positions better than "no positions". A
                // section with a code (BOS, HEADER) says what it is: not meant as positions.
                if code.is_none() && c.near_positions_header.is_none() && near_positions(&columns) {
                    c.near_positions_header = Some((line, unknown_header(body)));
                }
                let name = code
                    .clone()
                    .unwrap_or_else(|| body.iter().take(4).copied().collect::<Vec<_>>().join(","));
                c.skip(line, SkipReason::Section(name));
            }
            if kind == SectionKind::Positions {
                // A positions header is a positions section, even one with no rows.
                c.saw_positions_section = true;
            }
            section = Some(Section {
                kind,
                columns,
                names: body.iter().map(|f| (*f).to_owned()).collect(),
                line,
                rows: 0,
                account_info,
            });
            continue;
        }
        trailers.row();
        let Some(current) = &mut section else {
            let message = if code.is_some() || c.saw_any_row() {
                "data without a column header row: turn on \"Include column headers\" in the Flex Query".to_owned()
            } else if body.iter().all(|f| f.trim().parse::<f64>().is_err()) {
                unknown_header(body)
            } else {
                "the first row is not a column header: turn on \"Include column headers\" in the Flex Query".to_owned()
            };
            return Err(Error::Structure {
                file: c.file.clone(),
                line,
                message,
            });
        };
        current.rows += 1;
        if (current.kind != SectionKind::Other || current.account_info)
            && let Some(e) = short_row(&c.file, line, current.line, &current.names, body.len())
        {
            return Err(e);
        }
        let known = current.columns.iter().flatten().count();
        let mut row = Row::with_capacity(line, known, record.as_slice().len());
        for (column, value) in current.columns.iter().zip(body) {
            if let Some(column) = column {
                row.insert(*column, value);
            }
        }
        if current.account_info {
            if let Some(currency) = row.get(Column::Currency) {
                c.base_currency.get_or_insert_with(|| currency.to_owned());
            }
            if let Some(account) = row.get(Column::Account).map(str::to_owned) {
                c.note_account(&account);
            }
            c.note_alias(&row);
            continue;
        }
        match current.kind {
            SectionKind::Positions => c.position_row(row),
            SectionKind::Cash => c.cash_row(&row)?,
            SectionKind::Trades => c.trade_row(&row)?,
            SectionKind::Other => {}
        }
    }
    let last = line_count(text) as u64;
    trailers.finish(last, &c.file)?;
    // Without trailers nothing shows a cut between rows. A file whose only positions section is
    // a header at its end is one (IBKR leaves the section out when nothing is held), not a file
    // without the section, nor an account of cash only.
    if let Some(s) = &section
        && s.kind == SectionKind::Positions
        && s.rows == 0
        && !c.saw_position_row()
    {
        return Err(Error::Structure {
            file: c.file.clone(),
            line: s.line,
            message: "the file ends right after the Open Positions column header: the section \
                      has a header and no rows, so the file is cut short; download it again"
                .to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_is_f64s_grammar() {
        for f in [
            "",
            " ",
            "-",
            "+",
            ".",
            "1",
            " 1 ",
            "-1",
            "+1",
            "1.",
            ".5",
            "-.5",
            "1.5",
            "1..5",
            "1.5.",
            "1e5",
            "1E-5",
            "inf",
            "-Infinity",
            "NaN",
            "nan",
            "S00001",
            "Symbol",
            "1a",
            "0x10",
            "1,000",
            "12:30",
            "--",
            "N/A",
            "infinite",
            "20770.00",
            "in",
        ] {
            assert_eq!(numeric(f), f.trim().parse::<f64>().is_ok(), "{f:?}");
        }
    }

    #[test]
    fn the_last_line_is_counted_as_lines_counts() {
        for text in [
            "",
            "a",
            "a\n",
            "a\nb",
            "a\n\n",
            "\n",
            "a\r\nb\r\n",
            "a\n\nb",
        ] {
            assert_eq!(line_count(text), text.lines().count(), "{text:?}");
        }
    }
}
