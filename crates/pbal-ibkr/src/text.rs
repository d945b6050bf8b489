//! From an export's bytes to the text the readers take: UTF-8 (a BOM skipped) or UTF-16 with
//! a BOM (Excel's "Unicode" re-save), and a CSV separated by commas, not by `;` or tabs.

use std::borrow::Cow;

use crate::Error;

/// The 1-based line of a byte offset in UTF-8 text.
fn line_of(bytes: &[u8], offset: usize) -> u64 {
    bytes[..offset].split(|b| *b == b'\n').count() as u64
}

/// Decodes the bytes: UTF-8, or UTF-16 little or big endian when a BOM says so. Any BOM is
/// dropped. Bad bytes are an error naming the line they are on.
pub(crate) fn decode<'b>(bytes: &'b [u8], file: &str) -> Result<Cow<'b, str>, Error> {
    let utf16 = match bytes {
        [0xFF, 0xFE, rest @ ..] => Some((rest, u16::from_le_bytes as fn([u8; 2]) -> u16)),
        [0xFE, 0xFF, rest @ ..] => Some((rest, u16::from_be_bytes as fn([u8; 2]) -> u16)),
        _ => None,
    };
    if let Some((rest, unit)) = utf16 {
        return decode_utf16(rest, unit, file).map(Cow::Owned);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| Error::NotUtf8 {
        file: file.to_owned(),
        line: line_of(bytes, e.valid_up_to()),
    })?;
    // UTF-16 without a BOM is valid UTF-8 with a NUL beside every ASCII letter: say so
    // rather than fail on a header of letters and NULs.
    if let Some(nul) = text.find('\0') {
        return Err(Error::Structure {
            file: file.to_owned(),
            line: line_of(bytes, nul),
            message: "the text holds NUL bytes: UTF-16 without a byte-order mark? Save it as \
                      UTF-8, or as UTF-16 with a BOM"
                .to_owned(),
        });
    }
    Ok(Cow::Borrowed(text))
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16, file: &str) -> Result<String, Error> {
    let pairs = bytes.chunks_exact(2);
    let odd = !pairs.remainder().is_empty();
    let mut text = String::with_capacity(bytes.len() / 2);
    let mut line = 1u64;
    let bad = |line: u64, what: &str| Error::Structure {
        file: file.to_owned(),
        line,
        message: format!("not valid UTF-16 text ({what}); save the export again as UTF-8"),
    };
    for c in char::decode_utf16(pairs.map(|p| unit([p[0], p[1]]))) {
        let c = c.map_err(|e| {
            bad(
                line,
                &format!("a lone surrogate {:#06X}", e.unpaired_surrogate()),
            )
        })?;
        line += u64::from(c == '\n');
        text.push(c);
    }
    if odd {
        return Err(bad(
            line,
            "an odd number of bytes: the file is cut inside a character",
        ));
    }
    Ok(text)
}

/// Refuses a CSV whose first line is separated by `;` or tabs and holds no comma outside
/// quotes: Excel writes those in European locales (with decimal commas), and read with
/// commas it would be one column. Excel's `sep=;` first line says the same.
pub(crate) fn check_separator(text: &str, file: &str) -> Result<(), Error> {
    let Some((index, first)) = text.lines().enumerate().find(|(_, l)| !l.trim().is_empty()) else {
        return Ok(());
    };
    let first = first.trim();
    if first.starts_with('<') {
        return Ok(());
    }
    let (mut commas, mut semicolons, mut tabs, mut quoted) = (0, 0, 0, false);
    for c in first.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semicolons += 1,
            '\t' if !quoted => tabs += 1,
            _ => {}
        }
    }
    let declared = first
        .strip_prefix("sep=")
        .or_else(|| first.strip_prefix("\"sep="))
        .map(|s| s.trim_end_matches('"'));
    let separator = match declared {
        Some(",") => None,
        Some(";") => Some("`;`"),
        Some("\t") => Some("a tab"),
        Some(other) => Some(other),
        None if commas > 0 => None,
        None if semicolons > 0 => Some("`;`"),
        None if tabs > 0 => Some("a tab"),
        None => None,
    };
    match separator {
        Some(separator) => Err(Error::Structure {
            file: file.to_owned(),
            line: index as u64 + 1,
            message: format!(
                "the separator is {separator}, not a comma (a re-save by a spreadsheet, whose \
                 numbers may then have decimal commas): use the file IBKR wrote, or save it as \
                 \"CSV (comma delimited)\" with `.` as the decimal point"
            ),
        }),
        None => Ok(()),
    }
}
