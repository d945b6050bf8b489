//! Flex XML (`FlexQueryResponse`), the Web Service's default format: every value is an
//! attribute, present only when the query selected it.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::Error;
use crate::columns::Column;
use crate::rows::{Collector, Row};

pub(crate) fn read(text: &str, c: &mut Collector) -> Result<(), Error> {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_at = |offset: u64| -> u64 {
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        line_starts.partition_point(|&start| start <= offset) as u64
    };
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    // The elements open at this point, to say where a cut file ends.
    let mut open: Vec<String> = Vec::new();
    let mut saw_root = false;
    loop {
        let position = reader.buffer_position();
        let event = reader.read_event().map_err(|e| Error::Structure {
            file: c.file.clone(),
            line: line_at(reader.error_position()),
            message: match e {
                // Every syntax error is markup the input ends inside of.
                quick_xml::Error::Syntax(e) => format!(
                    "the Flex XML ends inside a tag ({e}): the file is cut short; download it \
                     again"
                ),
                e => format!("malformed XML: {e}"),
            },
        })?;
        match event {
            Event::Start(e) => {
                open.push(String::from_utf8_lossy(e.name().as_ref()).into_owned());
                element(&e, line_at(position), c, &mut saw_root)?;
            }
            Event::Empty(e) => element(&e, line_at(position), c, &mut saw_root)?,
            Event::End(_) => {
                open.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err(Error::UnknownLayout {
            file: c.file.clone(),
            detail: "XML without a FlexQueryResponse".into(),
        });
    }
    if let [root, .., inner] | [root @ inner] = &open[..] {
        let inside = if open.len() > 1 {
            format!(", inside <{inner}>")
        } else {
            String::new()
        };
        return Err(Error::Structure {
            file: c.file.clone(),
            line: text.lines().count() as u64,
            message: format!(
                "the Flex XML ends before </{root}>{inside}: the file is cut short; download \
                 it again"
            ),
        });
    }
    Ok(())
}

fn element(
    e: &BytesStart<'_>,
    line: u64,
    c: &mut Collector,
    saw_root: &mut bool,
) -> Result<(), Error> {
    let name = e.name();
    let name = name.as_ref();
    match name {
        b"FlexQueryResponse" => {
            *saw_root = true;
            return Ok(());
        }
        b"FlexStatementResponse" => {
            return Err(Error::UnknownLayout {
                file: c.file.clone(),
                detail: "a Flex Web Service reply, not a statement".into(),
            });
        }
        b"FlexStatement"
        | b"AccountInformation"
        | b"OpenPosition"
        | b"CashReportCurrency"
        | b"Trade" => {}
        _ => return Ok(()),
    }
    let mut row = Row::new(line);
    for attribute in e.attributes() {
        let attribute = attribute.map_err(|err| Error::Structure {
            file: c.file.clone(),
            line,
            message: format!("malformed attribute: {err}"),
        })?;
        let key = String::from_utf8_lossy(attribute.key.as_ref()).into_owned();
        if name == b"FlexStatement" && key == "toDate" {
            // Only informs a warning: a date that does not read is no date.
            let value = String::from_utf8_lossy(&attribute.value);
            c.report_date = crate::values::date(&value).ok().flatten();
            continue;
        }
        let Some(column) = Column::from_header(&key) else {
            continue;
        };
        let value = attribute.unescape_value().map_err(|err| Error::Parse {
            file: c.file.clone(),
            line,
            field: key.clone(),
            message: format!("bad value: {err}"),
        })?;
        row.insert(column, &value);
    }
    match name {
        b"FlexStatement" => {
            if let Some(account) = row.get(Column::Account).map(str::to_owned) {
                c.note_account(&account);
            }
            c.note_alias(&row);
        }
        b"AccountInformation" => {
            c.note_alias(&row);
            if let Some(currency) = row.get(Column::Currency) {
                c.base_currency.get_or_insert_with(|| currency.to_owned());
            }
        }
        b"OpenPosition" => c.position_row(row),
        b"CashReportCurrency" => c.cash_row(&row)?,
        b"Trade" => c.trade_row(&row)?,
        _ => {}
    }
    Ok(())
}
