//! Markdown tables (the plan's table), written directly: comfy-table measured every cell's
//! display width and laid the table out at a cost larger than planning 5,000 holdings. Cells
//! that are not plain ASCII (a symbol like `ÄBC`) still go through comfy-table, which knows
//! how wide such text is on a terminal; both give the same bytes for ASCII.

use comfy_table::{CellAlignment, ContentArrangement, Table, presets};

/// A table of `N` columns, each aligned left or right.
pub(crate) struct Markdown<const N: usize> {
    header: [String; N],
    right: [bool; N],
    /// Every cell's text in one buffer, and per row where each cell ends: a plan of 5,000
    /// holdings has 40,000 cells, and keeping each in its own string cost as much to free as
    /// to write the table.
    text: String,
    ends: Vec<[usize; N]>,
    /// Where the cells of the row being written end, and how many it has.
    row: [usize; N],
    filled: usize,
    /// Each column's widest cell in bytes, header included (the display width of ASCII).
    widths: [usize; N],
}

impl<const N: usize> Markdown<N> {
    pub(crate) fn new(header: [String; N], right: [bool; N], rows_hint: usize) -> Self {
        let widths = header.each_ref().map(String::len);
        Self {
            header,
            right,
            text: String::with_capacity(rows_hint * N * 8),
            ends: Vec::with_capacity(rows_hint),
            row: [0; N],
            filled: 0,
            widths,
        }
    }

    pub(crate) fn add_row(&mut self, row: [String; N]) {
        for cell in row {
            self.cell(&cell);
        }
    }

    /// The buffer the next cell is written into: append its text, then [`Self::end_cell`].
    /// Cells written in place cost no string each.
    pub(crate) fn text(&mut self) -> &mut String {
        &mut self.text
    }

    /// Ends the cell written into [`Self::text`] since the last one; the `N`th ends the row.
    pub(crate) fn end_cell(&mut self) {
        let end = self.text.len();
        let start = match self.filled {
            0 => self.ends.last().map_or(0, |ends| ends[N - 1]),
            i => self.row[i - 1],
        };
        self.widths[self.filled] = self.widths[self.filled].max(end - start);
        self.row[self.filled] = end;
        self.filled += 1;
        if self.filled == N {
            self.ends.push(self.row);
            self.filled = 0;
        }
    }

    /// Appends a cell of this text.
    pub(crate) fn cell(&mut self, text: &str) {
        self.text.push_str(text);
        self.end_cell();
    }

    /// The rows' cells, in order.
    fn rows(&self) -> impl Iterator<Item = [&str; N]> {
        let mut start = 0;
        self.ends.iter().map(move |ends| {
            let row = std::array::from_fn(|i| {
                let from = if i == 0 { start } else { ends[i - 1] };
                self.text.get(from..ends[i]).unwrap_or_default()
            });
            start = ends.last().copied().unwrap_or(start);
            row
        })
    }

    /// The table without a final newline, as comfy-table's ASCII_MARKDOWN preset prints it.
    #[cfg(test)]
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    /// [`Self::render`] appended to `out`.
    pub(crate) fn render_into(&self, out: &mut String) {
        debug_assert_eq!(self.filled, 0, "a row is not finished");
        let plain = |s: &str| crate::output::printable_ascii(s, false);
        if self.header.iter().all(|h| plain(h)) && plain(&self.text) {
            self.render_ascii(out);
        } else {
            out.push_str(&self.render_comfy());
        }
    }

    /// How long the table's text is when its cells are ASCII (each line as long as the
    /// widths), to size a buffer.
    pub(crate) fn rendered_len(&self) -> usize {
        let line_len = self.widths.iter().map(|w| w + 3).sum::<usize>() + 2;
        line_len * (self.ends.len() + 2)
    }

    fn render_ascii(&self, out: &mut String) {
        let widths = &self.widths;
        out.reserve(self.rendered_len());
        self.push_row(out, self.header.iter().map(String::as_str));
        out.push('\n');
        out.push('|');
        for &w in widths {
            push_repeated(out, DASHES, w + 2);
            out.push('|');
        }
        // Each row's cells are consecutive in the buffer: cut at their ends.
        let mut start = 0;
        for ends in &self.ends {
            out.push('\n');
            let cells = ends.iter().map(|&end| {
                let cell = self.text.get(start..end).unwrap_or_default();
                start = end;
                cell
            });
            self.push_row(out, cells);
        }
    }

    fn push_row<'t>(&self, out: &mut String, row: impl Iterator<Item = &'t str>) {
        out.push('|');
        for ((cell, &w), &right) in row.zip(&self.widths).zip(&self.right) {
            let pad = w - cell.len();
            out.push(' ');
            if right {
                push_repeated(out, SPACES, pad);
                out.push_str(cell);
            } else {
                out.push_str(cell);
                push_repeated(out, SPACES, pad);
            }
            out.push_str(" |");
        }
    }

    fn render_comfy(&self) -> String {
        let mut table = Table::new();
        table
            .load_style(presets::ASCII_MARKDOWN)
            .force_no_tty()
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(self.header.clone());
        for row in self.rows() {
            table.add_row(row);
        }
        for (index, &right) in self.right.iter().enumerate() {
            if let (true, Some(column)) = (right, table.column_mut(index)) {
                column.set_cell_alignment(CellAlignment::Right);
            }
        }
        table.to_string()
    }
}

const SPACES: &str = "                                                                ";
const DASHES: &str = "----------------------------------------------------------------";

/// `n` characters of `run` (all one character), a slice at a time: a char at a time was a
/// twentieth of writing the table.
fn push_repeated(out: &mut String, run: &str, mut n: usize) {
    while n > 0 {
        let k = n.min(run.len());
        out.push_str(&run[..k]);
        n -= k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn table(header: [&str; 3], rows: &[[&str; 3]]) -> Markdown<3> {
        let mut t = Markdown::new(header.map(str::to_owned), [false, true, true], rows.len());
        for row in rows {
            t.add_row(row.map(str::to_owned));
        }
        t
    }

    #[test]
    fn columns_fit_their_widest_cell() {
        let t = table(
            ["Symbol", "Price", "Trade"],
            &[["VTI", "250.00", "+12"], ["(cash)", "", ""]],
        );
        assert_eq!(
            t.render(),
            "| Symbol |  Price | Trade |\n\
             |--------|--------|-------|\n\
             | VTI    | 250.00 |   +12 |\n\
             | (cash) |        |       |"
        );
    }

    proptest! {
        // comfy-table is the oracle: the direct writer must give its exact bytes.
        #[test]
        fn ascii_tables_match_comfy_table(
            header in proptest::array::uniform3("[ -~]{1,12}"),
            rows in proptest::collection::vec(proptest::array::uniform3("[ -~]{0,14}"), 0..6),
        ) {
            let trim = |s: &String| s.trim().to_owned();
            // comfy-table trims nothing inside a cell but its own padding; keep cells without
            // surrounding spaces and non-empty headers, as the plan's are.
            let header = header.each_ref().map(|s| {
                let t = trim(s);
                if t.is_empty() { "h".to_owned() } else { t }
            });
            let mut t = Markdown::new(header, [false, true, true], rows.len());
            for row in &rows {
                t.add_row(row.each_ref().map(trim));
            }
            let mut ascii = String::new();
            t.render_ascii(&mut ascii);
            prop_assert_eq!(ascii, t.render_comfy());
        }
    }

    #[test]
    fn non_ascii_cells_use_comfy_table() {
        let t = table(["Symbol", "Price", "Trade"], &[["ÄBC", "1.00", ""]]);
        assert_eq!(t.render(), t.render_comfy());
    }
}
