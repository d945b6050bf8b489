//! Whether a Flex CSV with header and trailer records is whole. `BOS … EOS` sections sit in
//! `BOA … EOA` account blocks inside `BOF … EOF`; each EOS that states a row count
//! (`"EOS","POST","7","<checksum>"`) is checked against the rows of its section. A file that
//! starts with BOF and stops before EOF, or stops inside a section, is cut short.
//!
//! The EOS checksum is not checked: its meaning with LOT rows and several currencies is not
//! documented, and the row count already shows a lost row.

use crate::Error;

/// The open `BOS` section.
struct Open {
    line: u64,
    code: String,
    /// The section's name from its BOS row (`"Trades; trade date basis"` gives `Trades`).
    title: String,
    /// The line of its column header row, if one came.
    header: Option<u64>,
    rows: u64,
}

/// The trailer records seen so far.
#[derive(Default)]
pub(crate) struct Trailers {
    /// The line of a `BOF` not yet closed by `EOF`.
    bof: Option<u64>,
    /// The `BOA` not yet closed by `EOA` (its line and account).
    boa: Option<(u64, String)>,
    bos: Option<Open>,
}

/// A section's name for messages: its title up to `;`, else its code.
fn title(code: &str, title: Option<&str>) -> String {
    let name = title
        .and_then(|t| t.split(';').next())
        .map(str::trim)
        .filter(|t| !t.is_empty());
    match (name, code) {
        (Some(n), _) => n.to_owned(),
        (None, "POST") => "Open Positions".to_owned(),
        (None, code) => format!("section {code}"),
    }
}

fn structure(file: &str, line: u64, message: String) -> Error {
    Error::Structure {
        file: file.to_owned(),
        line,
        message,
    }
}

impl Trailers {
    /// A section must end with its EOS before anything else begins or ends.
    fn no_open_section(&self, line: u64, what: &str, file: &str) -> Result<(), Error> {
        match &self.bos {
            Some(open) => Err(structure(
                file,
                line,
                format!(
                    "{what} while the {} section (BOS on line {}) has no EOS row: the file is \
                     cut short or edited",
                    open.title, open.line
                ),
            )),
            None => Ok(()),
        }
    }

    pub(crate) fn bof(&mut self, line: u64, file: &str) -> Result<(), Error> {
        self.no_open_section(line, "BOF", file)?;
        if let Some(first) = self.bof {
            return Err(structure(
                file,
                line,
                format!(
                    "a second BOF before the EOF of the first (line {first}): the file is cut \
                     short and joined to another"
                ),
            ));
        }
        self.bof = Some(line);
        Ok(())
    }

    pub(crate) fn boa(&mut self, line: u64, account: &str, file: &str) -> Result<(), Error> {
        self.no_open_section(line, "BOA", file)?;
        self.boa = Some((line, account.to_owned()));
        Ok(())
    }

    pub(crate) fn bos(
        &mut self,
        line: u64,
        code: &str,
        name: Option<&str>,
        file: &str,
    ) -> Result<(), Error> {
        self.no_open_section(line, "BOS", file)?;
        self.bos = Some(Open {
            line,
            code: code.to_owned(),
            title: title(code, name),
            header: None,
            rows: 0,
        });
        Ok(())
    }

    /// `"EOS",code[,rows[,checksum]]`: the short form without a count also occurs.
    pub(crate) fn eos(&mut self, line: u64, fields: &[&str], file: &str) -> Result<(), Error> {
        let Some(open) = self.bos.take() else {
            return Err(structure(
                file,
                line,
                "EOS without a BOS row before it: the file is edited or joined".to_owned(),
            ));
        };
        let code = fields.get(1).map_or("", |c| c.trim());
        if !code.is_empty() && code != open.code {
            return Err(structure(
                file,
                line,
                format!(
                    "EOS of section {code} ends the {} section (BOS on line {}): the file is \
                     edited or joined",
                    open.title, open.line
                ),
            ));
        }
        let Some(count) = fields.get(2).map(|c| c.trim()).filter(|c| !c.is_empty()) else {
            return Ok(());
        };
        let Ok(count) = count.parse::<u64>() else {
            return Err(structure(
                file,
                line,
                format!("EOS row count {count:?} is not a number"),
            ));
        };
        if count != open.rows {
            let message = if open.rows < count {
                format!(
                    "{} has {} of the {count} rows its EOS row announces: rows are missing \
                     (the file is cut or edited)",
                    open.title, open.rows
                )
            } else {
                format!(
                    "{} has {} rows, but its EOS row announces {count}: the file is edited",
                    open.title, open.rows
                )
            };
            return Err(structure(file, line, message));
        }
        Ok(())
    }

    pub(crate) fn eoa(&mut self, line: u64, file: &str) -> Result<(), Error> {
        self.no_open_section(line, "EOA", file)?;
        self.boa = None;
        Ok(())
    }

    /// EOF ends the file: what follows it is another file (stacked), or nothing.
    pub(crate) fn eof(&mut self, line: u64, file: &str) -> Result<(), Error> {
        self.no_open_section(line, "EOF", file)?;
        self.boa = None;
        self.bof = None;
        Ok(())
    }

    /// A column header row in the open section.
    pub(crate) fn header(&mut self, line: u64) {
        if let Some(open) = &mut self.bos {
            open.header.get_or_insert(line);
        }
    }

    /// A data row in the open section.
    pub(crate) fn row(&mut self) {
        if let Some(open) = &mut self.bos {
            open.rows += 1;
        }
    }

    /// At the end of the input (`last` is its last line): nothing may be left open.
    pub(crate) fn finish(&self, last: u64, file: &str) -> Result<(), Error> {
        if let Some(open) = &self.bos {
            let message = match open.header {
                Some(header) if open.rows == 0 => format!(
                    "the file ends right after the {} column header (line {header}), with no \
                     rows and no EOS/EOA/EOF trailer: the file is cut short; download it again",
                    open.title
                ),
                _ => format!(
                    "the file ends inside the {} section (BOS on line {}), after {}: no \
                     EOS/EOA/EOF trailer, so the file is cut short; download it again",
                    open.title,
                    open.line,
                    crate::rows::count(open.rows, "row")
                ),
            };
            return Err(structure(file, last, message));
        }
        if let Some((line, account)) = &self.boa {
            return Err(structure(
                file,
                last,
                format!(
                    "the file ends inside the block of account {account} (BOA on line {line}): \
                     no EOA/EOF trailer, so the file is cut short; download it again"
                ),
            ));
        }
        if let Some(line) = self.bof {
            return Err(structure(
                file,
                last,
                format!(
                    "the file starts with BOF (line {line}) but ends without EOF: the file is \
                     cut short; download it again"
                ),
            ));
        }
        Ok(())
    }
}
