//! A validated table of prices: one row per date, one column per symbol.

use jiff::civil::Date;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::BacktestError;

/// Prices by date and symbol. Dates strictly increase; prices are positive; a missing price
/// (`None`) means the symbol has not started trading yet, or has a gap (the simulation then
/// carries its last price forward).
#[derive(Debug, Clone, PartialEq)]
pub struct PriceTable {
    symbols: Vec<String>,
    dates: Vec<Date>,
    /// Row-major: `prices[row * symbols.len() + column]`.
    prices: Vec<Option<Decimal>>,
    /// The same as `f64` (NaN where missing), for weights and drift.
    approx: Vec<f64>,
}

impl PriceTable {
    /// Builds the table from column symbols and `(date, prices)` rows, in date order.
    ///
    /// # Errors
    /// [`BacktestError::NoPrices`] for no symbols or no rows,
    /// [`BacktestError::DuplicateSymbol`] for a symbol given twice,
    /// [`BacktestError::DatesNotIncreasing`] for a date not after the one before,
    /// [`BacktestError::RowLength`] for a row with more or fewer prices than symbols, and
    /// [`BacktestError::NonPositivePrice`] for a price that is zero or negative.
    ///
    /// ```
    /// use pbal_core::backtest::PriceTable;
    /// use pbal_core::date;
    /// use pbal_core::dec;
    /// let table = PriceTable::new(
    ///     vec!["A".into(), "B".into()],
    ///     vec![
    ///         (date(2020, 1, 31), vec![Some(dec!(10)), None]),
    ///         (date(2020, 2, 29), vec![Some(dec!(11)), Some(dec!(5))]),
    ///     ],
    /// )?;
    /// assert_eq!(table.price(1, 1), Some(dec!(5)));
    /// # Ok::<(), pbal_core::backtest::BacktestError>(())
    /// ```
    pub fn new(
        symbols: Vec<String>,
        rows: Vec<(Date, Vec<Option<Decimal>>)>,
    ) -> Result<Self, BacktestError> {
        if symbols.is_empty() || rows.is_empty() {
            return Err(BacktestError::NoPrices);
        }
        let mut sorted: Vec<&String> = symbols.iter().collect();
        sorted.sort();
        if let Some(pair) = sorted.windows(2).find(|p| p[0] == p[1]) {
            return Err(BacktestError::DuplicateSymbol {
                symbol: pair[0].clone(),
            });
        }
        let mut dates = Vec::with_capacity(rows.len());
        let mut prices = Vec::with_capacity(rows.len() * symbols.len());
        for (date, row) in rows {
            if let Some(&previous) = dates.last()
                && date <= previous
            {
                return Err(BacktestError::DatesNotIncreasing { date, previous });
            }
            if row.len() != symbols.len() {
                return Err(BacktestError::RowLength {
                    date,
                    expected: symbols.len(),
                    got: row.len(),
                });
            }
            for (symbol, price) in symbols.iter().zip(&row) {
                if let Some(price) = *price
                    && price <= Decimal::ZERO
                {
                    return Err(BacktestError::NonPositivePrice {
                        symbol: symbol.clone(),
                        date,
                        price,
                    });
                }
            }
            dates.push(date);
            prices.extend(row);
        }
        let approx = prices
            .iter()
            .map(|p| p.and_then(|p| p.to_f64()).unwrap_or(f64::NAN))
            .collect();
        Ok(Self {
            symbols,
            dates,
            prices,
            approx,
        })
    }

    /// The column symbols, in the order given.
    pub fn symbols(&self) -> &[String] {
        &self.symbols
    }

    /// The dates, strictly increasing.
    pub fn dates(&self) -> &[Date] {
        &self.dates
    }

    /// The price of column `column` on row `row`, if it has one.
    pub fn price(&self, row: usize, column: usize) -> Option<Decimal> {
        if column >= self.symbols.len() {
            return None;
        }
        self.prices
            .get(row * self.symbols.len() + column)
            .copied()
            .flatten()
    }

    /// The prices of row `row`, one per symbol.
    pub fn row(&self, row: usize) -> &[Option<Decimal>] {
        let n = self.symbols.len();
        self.prices.get(row * n..(row + 1) * n).unwrap_or(&[])
    }

    /// The prices of row `row` as `f64` (NaN where missing).
    pub(super) fn approx_row(&self, row: usize) -> &[f64] {
        let n = self.symbols.len();
        self.approx.get(row * n..(row + 1) * n).unwrap_or(&[])
    }

    /// The column of `symbol`, if present.
    pub fn column(&self, symbol: &str) -> Option<usize> {
        self.symbols.iter().position(|s| s == symbol)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dec;
    use jiff::civil::date;

    #[test]
    fn rejects_bad_tables() {
        let d = date(2020, 1, 1);
        assert_eq!(
            PriceTable::new(vec![], vec![]),
            Err(BacktestError::NoPrices)
        );
        assert!(matches!(
            PriceTable::new(vec!["A".into(), "A".into()], vec![(d, vec![None, None])]),
            Err(BacktestError::DuplicateSymbol { .. })
        ));
        assert!(matches!(
            PriceTable::new(
                vec!["A".into()],
                vec![(d, vec![Some(dec!(1))]), (d, vec![Some(dec!(1))])]
            ),
            Err(BacktestError::DatesNotIncreasing { .. })
        ));
        assert!(matches!(
            PriceTable::new(vec!["A".into()], vec![(d, vec![Some(dec!(0))])]),
            Err(BacktestError::NonPositivePrice { .. })
        ));
        assert!(matches!(
            PriceTable::new(vec!["A".into()], vec![(d, vec![])]),
            Err(BacktestError::RowLength { .. })
        ));
    }
}
