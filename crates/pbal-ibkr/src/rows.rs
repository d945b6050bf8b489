//! The layout-independent middle: rows of named fields from any export, turned into positions,
//! lots, cash balances and trades.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rustc_hash::{FxBuildHasher, FxHashMap};

use crate::columns::Column;
use crate::statement::{CashBalance, LotRow, PastTradeRow, Position, Skipped};
use crate::values::{self, DateError};
use crate::{Error, SkipReason};

/// CSV records for IBKR's layouts: no fixed header (sections carry their own), rows of any
/// length, each with its line.
pub(crate) struct Records<'t> {
    text: &'t str,
    reader: csv::Reader<&'t [u8]>,
}

impl<'t> Records<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        Self {
            text,
            reader: csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(text.as_bytes()),
        }
    }

    /// Reads the next record; its line, or `None` at the end. A malformed record is an error
    /// naming the file and line.
    pub(crate) fn next(
        &mut self,
        record: &mut csv::StringRecord,
        file: &str,
    ) -> Result<Option<u64>, Error> {
        let more = self
            .reader
            .read_record(record)
            .map_err(|e| Error::Structure {
                file: file.to_owned(),
                line: e.position().map_or(0, csv::Position::line),
                message: format!("malformed CSV: {e}"),
            })?;
        if !more {
            return Ok(None);
        }
        let (start, line) = record.position().map_or((0, 0), |p| (p.byte(), p.line()));
        // The csv crate ends a quoted field at the end of the input without a word: a quote
        // never closed swallows every line after it into one field. Such a field runs to the
        // end, so only a record that does needs the check, before anyone reads its fields.
        let at_end =
            usize::try_from(self.reader.position().byte()).is_ok_and(|end| end >= self.text.len());
        if at_end
            && let Ok(start) = usize::try_from(start)
            && let Some(quote) = unclosed_quote(self.text, start)
        {
            let before = &self.text[..quote];
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            return Err(Error::UnclosedQuote {
                file: file.to_owned(),
                line: line + before[start.min(quote)..].matches('\n').count() as u64,
                column: before[line_start..].chars().count() as u64 + 1,
            });
        }
        Ok(Some(line))
    }
}

/// The byte offset of a quote opened in the record starting at `start` and never closed.
/// Follows the csv crate's rules: a quote opens a field only at its start, and `""` inside a
/// quoted field is a literal quote.
fn unclosed_quote(text: &str, start: usize) -> Option<usize> {
    #[derive(Clone, Copy)]
    enum State {
        FieldStart,
        Unquoted,
        /// Inside a quoted field opened at this offset.
        Quoted(usize),
        /// Just after a quote inside a quoted field: it closes the field or starts `""`.
        QuoteInQuoted(usize),
    }
    let mut state = State::FieldStart;
    for (i, byte) in text.bytes().enumerate().skip(start) {
        state = match (state, byte) {
            (State::Quoted(open), b'"') => State::QuoteInQuoted(open),
            (State::Quoted(open), _) | (State::QuoteInQuoted(open), b'"') => State::Quoted(open),
            (State::FieldStart, b'"') => State::Quoted(i),
            (_, b',' | b'\n' | b'\r') => State::FieldStart,
            _ => State::Unquoted,
        };
    }
    match state {
        State::Quoted(open) => Some(open),
        _ => None,
    }
}

/// `1 row`, `2 rows`.
pub(crate) fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A data row with fewer fields than its header (`names`, from line `header_line`): an error
/// naming the columns it lacks. Trailing blank header names need no field (IBKR ends some
/// headers with a comma). Reading on would leave those columns blank or guessed.
pub(crate) fn short_row(
    file: &str,
    line: u64,
    header_line: u64,
    names: &[impl AsRef<str>],
    fields: usize,
) -> Option<Error> {
    // The common case first: a full row costs no scan of the header.
    if fields >= names.len() {
        return None;
    }
    let needed = names
        .iter()
        .rposition(|n| !n.as_ref().trim().is_empty())
        .map_or(0, |i| i + 1);
    if fields >= needed {
        return None;
    }
    let missing: Vec<&str> = names[fields..needed]
        .iter()
        .map(|n| n.as_ref().trim())
        .filter(|n| !n.is_empty())
        .collect();
    let missing = match &missing[..] {
        [one] => format!("{one} is missing"),
        [rest @ .., last] => format!("{} and {last} are missing", rest.join(", ")),
        [] => "fields are missing".to_owned(),
    };
    Some(Error::Structure {
        file: file.to_owned(),
        line,
        message: format!(
            "this row has {fields} fields and its column header (line {header_line}) has \
             {needed}: {missing} (the row is cut short or edited)"
        ),
    })
}

/// One data row with its fields by column.
#[derive(Debug, Default)]
pub(crate) struct Row {
    pub(crate) line: u64,
    /// Every value in one buffer and a short list of ranges, not a map of strings: a large
    /// export has 100,000s of rows, and allocation dominated reading them.
    text: String,
    fields: Vec<(Column, std::ops::Range<usize>)>,
}

impl Row {
    pub(crate) fn new(line: u64) -> Self {
        Self::with_capacity(line, 0, 0)
    }

    /// A row sized for `fields` values of `bytes` bytes in all (no regrowth while filling).
    pub(crate) fn with_capacity(line: u64, fields: usize, bytes: usize) -> Self {
        Self {
            line,
            text: String::with_capacity(bytes),
            fields: Vec::with_capacity(fields),
        }
    }

    /// Sets a field unless the row already has it (the first column of a name wins).
    pub(crate) fn insert(&mut self, key: Column, value: &str) {
        if self.raw(key).is_none() {
            let start = self.text.len();
            self.text.push_str(value);
            self.fields.push((key, start..self.text.len()));
        }
    }

    /// The field as written, even if blank.
    pub(crate) fn raw(&self, key: Column) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, range)| self.text.get(range.clone()))
    }

    /// The field, if present and not blank or a dash.
    pub(crate) fn get(&self, key: Column) -> Option<&str> {
        self.raw(key).and_then(values::present)
    }
}

/// What kind of section a set of columns is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SectionKind {
    Positions,
    Cash,
    Trades,
    Other,
}

/// Classifies a section by its columns.
pub(crate) fn classify(columns: &[Option<Column>]) -> SectionKind {
    let has = |k: Column| columns.contains(&Some(k));
    if has(Column::EndingCash) {
        SectionKind::Cash
    } else if has(Column::TradePrice) || has(Column::BuySell) {
        SectionKind::Trades
    } else if has(Column::Symbol)
        && ((has(Column::Quantity) && (has(Column::Price) || has(Column::Value)))
            || (has(Column::Price) && has(Column::Value)))
    {
        SectionKind::Positions
    } else {
        SectionKind::Other
    }
}

/// Collects rows from any layout and builds the statement's parts.
pub(crate) struct Collector {
    pub(crate) file: String,
    position_rows: Vec<Row>,
    pub(crate) cash: Vec<CashBalance>,
    pub(crate) trades: Vec<PastTradeRow>,
    pub(crate) skipped: Vec<Skipped>,
    pub(crate) accounts: Vec<String>,
    /// Each account's alias (the export's AccountAlias), when it has one.
    pub(crate) account_aliases: BTreeMap<String, String>,
    pub(crate) base_currency: Option<String>,
    /// Rates to base by currency (from Activity Statements' rate section).
    pub(crate) fx_rates: BTreeMap<String, Decimal>,
    pub(crate) saw_positions_section: bool,
    /// The first unused header that looks like positions with a column missing: its line
    /// and what is missing.
    pub(crate) near_positions_header: Option<(u64, String)>,
    /// The kind of export being read.
    pub(crate) kind: crate::ExportKind,
    /// The last day the export reports on, when it says.
    pub(crate) report_date: Option<jiff::civil::Date>,
}

impl Collector {
    pub(crate) fn new(file: &str) -> Self {
        Self {
            file: file.to_owned(),
            position_rows: Vec::new(),
            cash: Vec::new(),
            trades: Vec::new(),
            skipped: Vec::new(),
            accounts: Vec::new(),
            account_aliases: BTreeMap::new(),
            base_currency: None,
            fx_rates: BTreeMap::new(),
            saw_positions_section: false,
            near_positions_header: None,
            kind: crate::ExportKind::FlexQuery,
            report_date: None,
        }
    }

    /// Whether any position row was read yet.
    pub(crate) fn saw_position_row(&self) -> bool {
        !self.position_rows.is_empty()
    }

    /// Whether any data row was read yet.
    pub(crate) fn saw_any_row(&self) -> bool {
        !self.position_rows.is_empty() || !self.cash.is_empty() || !self.trades.is_empty()
    }

    pub(crate) fn note_account(&mut self, account: &str) {
        let account = account.trim();
        if !account.is_empty() && account != "-" && !self.accounts.iter().any(|a| a == account) {
            self.accounts.push(account.to_owned());
        }
    }

    /// The row's account alias, when it names both (the first alias seen for an account wins).
    pub(crate) fn note_alias(&mut self, row: &Row) {
        let (Some(account), Some(alias)) =
            (row.get(Column::Account), row.get(Column::AccountAlias))
        else {
            return;
        };
        let (account, alias) = (account.trim(), alias.trim());
        if !account.is_empty() && account != "-" && !alias.is_empty() && alias != "-" {
            self.account_aliases
                .entry(account.to_owned())
                .or_insert_with(|| alias.to_owned());
        }
    }

    pub(crate) fn skip(&mut self, line: u64, reason: SkipReason) {
        self.skipped.push(Skipped { line, reason });
    }

    /// A number column; an error names the file, the line and the column.
    fn number(&self, row: &Row, column: Column) -> Result<Option<Decimal>, Error> {
        match row.raw(column) {
            None => Ok(None),
            Some(raw) => values::decimal(raw).map_err(|message| Error::Parse {
                file: self.file.clone(),
                line: row.line,
                field: column.ibkr_name().to_owned(),
                message,
            }),
        }
    }

    /// A date column; an error names the file, the line and the column.
    fn date(&self, row: &Row, column: Column) -> Result<Option<jiff::civil::Date>, Error> {
        let Some(raw) = row.raw(column) else {
            return Ok(None);
        };
        let field = || column.ibkr_name().to_owned();
        values::date(raw).map_err(|e| match e {
            DateError::Ambiguous => Error::AmbiguousDate {
                file: self.file.clone(),
                line: row.line,
                field: field(),
                value: raw.to_owned(),
            },
            DateError::Invalid => Error::Parse {
                file: self.file.clone(),
                line: row.line,
                field: field(),
                message: format!("{raw:?} is not a date"),
            },
        })
    }

    pub(crate) fn position_row(&mut self, row: Row) {
        self.saw_positions_section = true;
        self.note_alias(&row);
        if let Some(account) = row.get(Column::Account).map(str::to_owned) {
            self.note_account(&account);
        }
        self.position_rows.push(row);
    }

    /// A Cash Report row: the BASE_SUMMARY total and one row per ISO currency.
    pub(crate) fn cash_row(&mut self, row: &Row) -> Result<(), Error> {
        let Some(currency) = row.get(Column::Currency).map(str::to_owned) else {
            return Ok(());
        };
        let Some(amount) = self.number(row, Column::EndingCash)? else {
            return Ok(());
        };
        let account = row.get(Column::Account).map(str::to_owned);
        if let Some(a) = &account {
            self.note_account(a);
        }
        let is_base = currency.eq_ignore_ascii_case("BASE_SUMMARY")
            || currency.eq_ignore_ascii_case("Base Currency Summary");
        let iso = currency.len() == 3 && currency.chars().all(|c| c.is_ascii_uppercase());
        if !is_base && !iso {
            self.skip(row.line, SkipReason::NotACurrency(currency));
            return Ok(());
        }
        self.cash.push(CashBalance {
            account,
            currency: if is_base { "BASE".to_owned() } else { currency },
            amount,
        });
        Ok(())
    }

    /// A trade row (for the wash-sale guard).
    pub(crate) fn trade_row(&mut self, row: &Row) -> Result<(), Error> {
        let Some(symbol) = row.get(Column::Symbol).map(str::to_owned) else {
            return Ok(());
        };
        let Some(date) = self.date(row, Column::TradeDate)? else {
            return Ok(());
        };
        let quantity = self.number(row, Column::Quantity)?.unwrap_or_default();
        let side = match row
            .get(Column::BuySell)
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            Some(s) if s.starts_with("BUY") => pbal_core::Side::Buy,
            Some(s) if s.starts_with("SELL") => pbal_core::Side::Sell,
            _ if quantity < Decimal::ZERO => pbal_core::Side::Sell,
            _ => pbal_core::Side::Buy,
        };
        let realized_pnl = self.number(row, Column::RealizedPnl)?;
        self.trades.push(PastTradeRow {
            account: row.get(Column::Account).map(str::to_owned),
            symbol,
            date,
            side,
            quantity: quantity.abs(),
            realized_pnl,
        });
        Ok(())
    }

    /// Groups the position rows into positions with their lots.
    pub(crate) fn positions(&mut self) -> Result<Vec<Position>, Error> {
        let rows = std::mem::take(&mut self.position_rows);
        // Group by (account, conid or symbol, currency), keeping file order. The keys borrow
        // the rows' text (no string per row), and a group is a run of rows after a stable
        // sort by group, not a vector of its own (most groups are one row).
        let mut group_ids = Vec::with_capacity(rows.len());
        {
            let mut group_of: FxHashMap<(&str, &str, &str), usize> =
                FxHashMap::with_capacity_and_hasher(rows.len(), FxBuildHasher);
            for row in &rows {
                let Some(symbol) = row.get(Column::Symbol) else {
                    self.skip(row.line, SkipReason::NoSymbol);
                    group_ids.push(None);
                    continue;
                };
                let key = (
                    row.get(Column::Account).unwrap_or(""),
                    row.get(Column::Conid).unwrap_or(symbol),
                    row.get(Column::Currency).unwrap_or(""),
                );
                let next = group_of.len();
                group_ids.push(Some(*group_of.entry(key).or_insert(next)));
            }
        }
        // Nearly always every row has a symbol and each group's rows are together: then the
        // rows stay where they are (a copy of a large export costs fresh pages).
        let in_place = group_ids
            .iter()
            .try_fold(0, |last, id| id.filter(|&id| id >= last))
            .is_some();
        let (ids, rows): (Vec<usize>, Vec<Row>) = if in_place {
            (group_ids.into_iter().flatten().collect(), rows)
        } else {
            let mut grouped: Vec<(usize, Row)> = group_ids
                .into_iter()
                .zip(rows)
                .filter_map(|(id, row)| Some((id?, row)))
                .collect();
            grouped.sort_by_key(|(id, _)| *id);
            grouped.into_iter().unzip()
        };
        let groups = ids
            .chunk_by(|a, b| a == b)
            .scan(0, |start, run| {
                let range = *start..*start + run.len();
                *start = range.end;
                Some(range)
            })
            .map(|range| &rows[range]);
        let mut positions = Vec::with_capacity(rows.len());
        for group in groups {
            if let Some(position) = self.position(group)? {
                positions.push(position);
            }
        }
        Ok(positions)
    }

    /// The error for a second row of a position where one was expected.
    fn duplicate(&self, first: &Row, second: &Row, hint: &str) -> Error {
        Error::Duplicate {
            file: self.file.clone(),
            line: second.line,
            first: first.line,
            symbol: second.get(Column::Symbol).unwrap_or("").to_owned(),
            account: second.get(Column::Account).map(str::to_owned),
            hint: hint.to_owned(),
        }
    }

    fn position(&mut self, group: &[Row]) -> Result<Option<Position>, Error> {
        fn level(r: &Row) -> Option<&str> {
            r.get(Column::LevelOfDetail).map(|l| {
                if l.eq_ignore_ascii_case("SUMMARY") {
                    "SUMMARY"
                } else if l.eq_ignore_ascii_case("LOT") {
                    "LOT"
                } else {
                    l
                }
            })
        }
        let levels: Vec<Option<&str>> = group.iter().map(level).collect();
        let has_levels = levels.iter().any(Option::is_some);
        let (summary_index, lot_indexes): (Option<usize>, Vec<usize>) = if has_levels {
            let summaries: Vec<usize> = (0..group.len())
                .filter(|&i| levels[i] == Some("SUMMARY"))
                .collect();
            if let [first, second, ..] = summaries[..] {
                return Err(self.duplicate(
                    &group[first],
                    &group[second],
                    "a position has one SUMMARY row",
                ));
            }
            let lots = (0..group.len())
                .filter(|&i| levels[i] == Some("LOT"))
                .collect();
            for (r, &l) in group.iter().zip(&levels) {
                if !matches!(l, Some("SUMMARY" | "LOT")) {
                    self.skip(r.line, SkipReason::LevelOfDetail(l.map(str::to_owned)));
                }
            }
            (summaries.first().copied(), lots)
        } else if group.len() == 1 {
            (Some(0), Vec::new())
        } else {
            let summary = self.summary_by_sum(group)?;
            (
                Some(summary),
                (0..group.len()).filter(|&i| i != summary).collect(),
            )
        };
        let mut lots = Vec::new();
        for &i in &lot_indexes {
            let r = &group[i];
            let quantity = self.number(r, Column::Quantity)?.unwrap_or_default();
            let value = self.number(r, Column::Value)?;
            let pnl = self.number(r, Column::UnrealizedPnl)?;
            let cost_basis = match self.number(r, Column::CostBasis)? {
                Some(c) => c,
                None => value.zip(pnl).map(|(v, p)| v - p).unwrap_or_default(),
            };
            lots.push(LotRow {
                open_date: self.date(r, Column::OpenDate)?,
                quantity,
                cost_basis,
                unrealized_pnl: pnl,
                line: r.line,
            });
        }
        let Some(summary) = summary_index.map(|i| &group[i]) else {
            // Lots only: the position is their sum.
            let Some(&first) = lot_indexes.first() else {
                return Ok(None);
            };
            let first = &group[first];
            let mut position = self.summary_from(first)?;
            position.quantity = lots.iter().map(|l| l.quantity).sum();
            position.value = position
                .quantity
                .checked_mul(position.price)
                .and_then(|v| v.checked_mul(position.multiplier))
                .ok_or_else(|| self.too_large(first, Column::Value))?;
            position.unrealized_pnl = lots.iter().map(|l| l.unrealized_pnl).sum();
            position.lots = lots;
            return Ok(Some(position));
        };
        let mut position = self.summary_from(summary)?;
        // IBKR's lots add up exactly to their summary (real exports, to the last decimal): a
        // difference means a row was lost or added, and the plan would sell lots that are not
        // there or miss ones that are.
        let lot_total: Decimal = lots.iter().map(|l| l.quantity).sum();
        if !lots.is_empty() && lot_total != position.quantity {
            return Err(Error::LotsMismatch {
                file: self.file.clone(),
                line: summary.line,
                position: match &position.account {
                    Some(account) => format!("{} in account {account}", position.symbol),
                    None => position.symbol.clone(),
                },
                quantity: position.quantity,
                lot_total,
                lot_lines: lots.iter().map(|l| l.line).collect(),
            });
        }
        position.lots = lots;
        Ok(Some(position))
    }

    /// Without a LevelOfDetail column: the summary is the row whose quantity and value are the
    /// sums of two or more others. Two rows (or rows with no such sum) are a position listed
    /// twice, never a guess: one of them would be dropped or counted twice.
    fn summary_by_sum(&self, group: &[Row]) -> Result<usize, Error> {
        const HINT: &str = "a position has one row (to list its tax lots, add the \
                            LevelOfDetail column to the Open Positions section)";
        let duplicate = || self.duplicate(&group[0], &group[1], HINT);
        if group.len() < 3 {
            return Err(duplicate());
        }
        let mut quantities = Vec::with_capacity(group.len());
        let mut values = Vec::with_capacity(group.len());
        for r in group {
            let Some(quantity) = self.number(r, Column::Quantity)? else {
                return Err(duplicate());
            };
            quantities.push(quantity);
            values.push(self.number(r, Column::Value)?);
        }
        let total: Decimal = quantities.iter().sum();
        let value_total: Option<Decimal> = values.iter().copied().sum();
        (0..group.len())
            .find(|&i| {
                !quantities[i].is_zero()
                    && quantities[i] * Decimal::TWO == total
                    && value_total.is_none_or(|t| values[i].is_some_and(|v| v * Decimal::TWO == t))
            })
            .ok_or_else(duplicate)
    }

    /// A field, or a product of fields, too large to compute with.
    fn too_large(&self, r: &Row, column: Column) -> Error {
        Error::Parse {
            file: self.file.clone(),
            line: r.line,
            field: column.ibkr_name().to_owned(),
            message: "too large".into(),
        }
    }

    /// `value` in the base currency, rounded as IBKR rounds values (4 places).
    fn in_base(&self, r: &Row, value: Decimal, fx: Decimal) -> Result<Decimal, Error> {
        value
            .checked_mul(fx)
            .map(|v| v.round_dp(4))
            .ok_or_else(|| self.too_large(r, Column::Value))
    }

    /// A quantity or value column that is there but blank is no zero: a position with shares
    /// and no value (or a value and no shares) would be read as not held, then bought.
    fn no_blank_amount(
        &self,
        r: &Row,
        quantity: Option<Decimal>,
        value: Option<Decimal>,
    ) -> Result<(), Error> {
        let blank = |column: Column, message: String| Error::Parse {
            file: self.file.clone(),
            line: r.line,
            field: column.ibkr_name().to_owned(),
            message,
        };
        if r.raw(Column::Value).is_some() && value.is_none() {
            match quantity {
                Some(q) if q.is_zero() => {}
                Some(q) => {
                    return Err(blank(
                        Column::Value,
                        format!("blank while Quantity is {q}: the position's value is missing"),
                    ));
                }
                None => {
                    return Err(blank(
                        Column::Value,
                        "blank: the position's value is missing".to_owned(),
                    ));
                }
            }
        }
        if r.raw(Column::Quantity).is_some()
            && quantity.is_none()
            && let Some(v) = value.filter(|v| !v.is_zero())
        {
            return Err(blank(
                Column::Quantity,
                format!("blank while PositionValue is {v}: the position's quantity is missing"),
            ));
        }
        Ok(())
    }

    /// A row whose value is not quantity × price × multiplier contradicts itself: the plan
    /// would trade on one figure and weigh the holding by the other. IBKR rounds PositionValue
    /// to the currency's minor unit and a MarkPrice may be rounded too, so a difference of one
    /// minor unit plus 0.01% of the value is rounding; more is an error.
    fn value_agrees(
        &self,
        r: &Row,
        quantity: Decimal,
        price: Decimal,
        multiplier: Decimal,
        value: Decimal,
    ) -> Result<(), Error> {
        let product = quantity
            .checked_mul(price)
            .and_then(|v| v.checked_mul(multiplier))
            .ok_or_else(|| self.too_large(r, Column::Value))?;
        let decimals = r
            .get(Column::Currency)
            .map_or(2, pbal_core::currency_decimals);
        let tolerance = Decimal::new(1, decimals) + product.abs() * Decimal::new(1, 4);
        if (value - product).abs() > tolerance {
            let times_multiplier = if multiplier == Decimal::ONE {
                String::new()
            } else {
                format!(" × {multiplier}")
            };
            return Err(Error::Parse {
                file: self.file.clone(),
                line: r.line,
                field: Column::Value.ibkr_name().to_owned(),
                message: format!(
                    "{value} is not Quantity × MarkPrice{} ({quantity} × {price}{times_multiplier} \
                     = {}): the row contradicts itself",
                    if multiplier == Decimal::ONE {
                        ""
                    } else {
                        " × Multiplier"
                    },
                    product.normalize()
                ),
            });
        }
        Ok(())
    }

    fn summary_from(&self, r: &Row) -> Result<Position, Error> {
        let given_quantity = self.number(r, Column::Quantity)?;
        let quantity = given_quantity.unwrap_or_default();
        let multiplier = self.number(r, Column::Multiplier)?.unwrap_or(Decimal::ONE);
        let given_price = self.number(r, Column::Price)?;
        let given_value = self.number(r, Column::Value)?;
        self.no_blank_amount(r, given_quantity, given_value)?;
        let (price, value) = match (given_price, given_value) {
            (Some(p), Some(v)) => (p, v),
            (Some(p), None) => (
                p,
                (quantity * p)
                    .checked_mul(multiplier)
                    .ok_or_else(|| self.too_large(r, Column::Value))?,
            ),
            (None, Some(v)) if !(quantity * multiplier).is_zero() => (
                v.checked_div(quantity * multiplier)
                    .ok_or_else(|| self.too_large(r, Column::Price))?,
                v,
            ),
            _ => {
                return Err(Error::Parse {
                    file: self.file.clone(),
                    line: r.line,
                    field: Column::Price.ibkr_name().into(),
                    message: "no price and no value".into(),
                });
            }
        };
        let symbol = r.get(Column::Symbol).unwrap_or("").to_owned();
        let quantity = match r.raw(Column::Quantity) {
            Some(_) => quantity,
            // The original tool's layout has no quantity: value / price.
            None if !price.is_zero() => value
                .checked_div(price)
                .ok_or_else(|| self.too_large(r, Column::Value))?
                .round_dp(4),
            None => Decimal::ZERO,
        };
        // A price is positive whatever the sign of the quantity (a short has a negative
        // quantity and value, never a negative price). Only a derivative can be worth nothing.
        let asset_class = r.get(Column::AssetClass).map(normalize_asset_class);
        let worthless_derivative =
            price.is_zero() && !crate::statement::plannable(asset_class.as_deref());
        if price < Decimal::ZERO || (price.is_zero() && !worthless_derivative) {
            return Err(Error::Parse {
                file: self.file.clone(),
                line: r.line,
                field: Column::Price.ibkr_name().into(),
                message: if price.is_zero() {
                    "price must be positive, got 0".to_owned()
                } else {
                    format!(
                        "price must be positive, got {price} (a short position has a negative \
                         quantity, not a negative price)"
                    )
                },
            });
        }
        if let (Some(quantity), Some(given_price), Some(given_value)) =
            (given_quantity, given_price, given_value)
            && crate::statement::plannable(asset_class.as_deref())
        {
            self.value_agrees(r, quantity, given_price, multiplier, given_value)?;
        }
        let fx = self.number(r, Column::FxRate)?;
        if fx.is_some_and(|f| f <= Decimal::ZERO) {
            return Err(Error::Parse {
                file: self.file.clone(),
                line: r.line,
                field: Column::FxRate.ibkr_name().into(),
                message: "rate must be positive".into(),
            });
        }
        let currency = r.get(Column::Currency).map(str::to_owned);
        let fx = fx.or_else(|| {
            currency
                .as_ref()
                .and_then(|c| self.fx_rates.get(c).copied())
        });
        Ok(Position {
            account: r.get(Column::Account).map(str::to_owned),
            symbol,
            conid: r.get(Column::Conid).map(str::to_owned),
            asset_class,
            sub_category: r.get(Column::SubCategory).map(str::to_owned),
            currency,
            quantity,
            price,
            value,
            value_base: match fx {
                Some(f) => Some(self.in_base(r, value, f)?),
                None => None,
            },
            fx_rate_to_base: fx,
            multiplier,
            // Without a P&L column, the cost basis gives it (IBKR: P&L = value − cost).
            unrealized_pnl: match self.number(r, Column::UnrealizedPnl)? {
                Some(pnl) => Some(pnl),
                None => self
                    .number(r, Column::CostBasis)?
                    .and_then(|cost| value.checked_sub(cost)),
            },
            listing_exchange: r.get(Column::ListingExchange).map(str::to_owned),
            lots: Vec::new(),
            line: r.line,
        })
    }
}

/// Activity Statements spell asset classes out; Flex uses codes.
fn normalize_asset_class(raw: &str) -> String {
    match raw.to_ascii_lowercase().as_str() {
        "stocks" => "STK".into(),
        "equity and index options" | "options" => "OPT".into(),
        "futures" => "FUT".into(),
        "bonds" => "BOND".into(),
        "forex" => "CASH".into(),
        "funds" | "mutual funds" => "FUND".into(),
        "warrants" => "WAR".into(),
        "cfds" => "CFD".into(),
        "crypto" | "cryptocurrency" => "CRYPTO".into(),
        _ => raw.to_owned(),
    }
}
