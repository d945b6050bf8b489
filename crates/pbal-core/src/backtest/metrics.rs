//! Summary figures of a run: return, risk, drift, trading and tax.
//!
//! Returns are time-weighted: a date's return is its value after trades, less that date's
//! contribution, over the previous date's value, so contributions do not count as gains but
//! commissions count as losses.
//!
//! Turnover is the money traded after the first date (buys plus sells) over two, per year,
//! as a share of the mean value: one-way turnover, the share of the portfolio replaced in a
//! year. [`TURNOVER_DEFINITION`] says it in words for the outputs.

use jiff::civil::Date;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

/// Days in an average year, for annualising.
const DAYS_PER_YEAR: f64 = 365.25;

/// How [`Figures::turnover`] is computed, for the outputs that show it.
pub const TURNOVER_DEFINITION: &str =
    "turnover: money traded after the first date (buys + sells) / 2, per year, over the mean value";

/// The time-weighted return of one calendar year.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct YearReturn {
    /// The year.
    pub year: i16,
    /// From the year's first price date to the next year's first (the dates annual policies
    /// trade on; for prices dated the 1st of a month as the previous month's close, exactly
    /// the calendar year), or to the last date.
    #[serde(rename = "return")]
    pub rate: f64,
    /// Whether the data covers only part of it: the first year when the first date is not in
    /// January, and the last year, which has no next year's first date.
    pub partial: bool,
}

/// Summary of one policy's run. Money is exact; ratios are fractions (0.05 = 5%) as `f64`,
/// NaN when undefined (e.g. volatility of a single date).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Figures {
    /// Value on the last date (holdings plus cash).
    pub final_value: Decimal,
    /// Initial amount plus all contributions.
    pub contributed: Decimal,
    /// Compound annual time-weighted return.
    pub cagr: f64,
    /// Annualised standard deviation of the per-date returns (sample, n − 1).
    pub volatility: f64,
    /// Largest fall of the time-weighted index from its running peak (≤ 0, e.g. −0.5).
    pub max_drawdown: f64,
    /// Annualised mean return over volatility (risk-free rate 0).
    pub sharpe: f64,
    /// Largest drift after any date's trades.
    pub max_drift: f64,
    /// Mean drift after each date's trades.
    pub mean_drift: f64,
    /// Orders placed, the initial investment's included.
    pub trades: usize,
    /// Dates on which the policy traded, after the first (whose purchase is the initial
    /// investment). A date investing a contribution counts.
    pub rebalances: usize,
    /// Each price-table column's mean weight after each date's trades, over all dates.
    pub mean_weights: Vec<f64>,
    /// Time-weighted return of each calendar year, in order.
    pub year_returns: Vec<YearReturn>,
    /// Money traded after the first date (buys + sells) / 2 / mean value / years.
    pub turnover: f64,
    /// Commissions paid.
    pub commission: Decimal,
    /// Gains realized on lots held one year or less (losses negative).
    pub realized_gain_short: Decimal,
    /// Gains realized on lots held more than one year.
    pub realized_gain_long: Decimal,
    /// Mean uninvested cash after each date's trades.
    pub mean_cash: Decimal,
    /// Mean share of the value held as cash after each date's trades (0.01 = 1%).
    pub mean_cash_share: f64,
    /// Mean share of the value left in cash right after the dates that traded (the first
    /// included): what the sizing leaves, e.g. whole shares of index-level prices, apart from
    /// contributions waiting for the next schedule date.
    pub cash_share_after_trades: f64,
}

/// Years from `first` to `last` (days / 365.25).
pub(super) fn years(first: Date, last: Date) -> f64 {
    let days = first.until(last).map_or(0, |span| span.get_days());
    f64::from(days) / DAYS_PER_YEAR
}

/// What the simulation records date by date.
#[derive(Debug, Clone, Default)]
pub(super) struct Series {
    /// Time-weighted index after each date (the first includes the initial commissions).
    index: Vec<f64>,
    /// Returns of every date after the first.
    returns: Vec<f64>,
    values: Vec<f64>,
    drift: Vec<f64>,
    cash_sum: Decimal,
    cash_share_sum: f64,
    /// Sum and count of the cash shares of the dates that traded (the first included).
    traded_cash_share: (f64, usize),
    weight_sums: Vec<f64>,
    rebalances: usize,
    /// The year being measured, the index at its first date, and whether it started in
    /// January (or after an earlier year).
    year: Option<(i16, f64, bool)>,
    year_returns: Vec<YearReturn>,
    final_value: Decimal,
    contributed: Decimal,
    trades: usize,
    traded: Decimal,
    commission: Decimal,
    short: Decimal,
    long: Decimal,
}

impl Series {
    /// Records a date: its contribution `flow`, the previous and current values after
    /// trades, and the `point` the simulation made of it. `None` when a running total
    /// overflows.
    pub(super) fn record(
        &mut self,
        first: bool,
        flow: Decimal,
        previous: Decimal,
        value: Decimal,
        point: &super::Point,
    ) -> Option<()> {
        let (cash, drift) = (point.cash, point.drift);
        let growth = if first {
            if flow.is_zero() {
                1.0
            } else {
                ratio(value, flow)
            }
        } else if previous.is_zero() {
            1.0
        } else {
            ratio(value.checked_sub(flow)?, previous)
        };
        if !first {
            self.returns.push(growth - 1.0);
        }
        let last = self.index.last().copied().unwrap_or(1.0);
        let now = last * growth;
        self.index.push(now);
        // A year runs from its first date to the next year's first.
        let year = point.date.year();
        match self.year {
            None => self.year = Some((year, now, point.date.month() == 1)),
            Some((current, start, whole)) if current != year => {
                self.year_returns.push(YearReturn {
                    year: current,
                    rate: now / start - 1.0,
                    partial: !whole,
                });
                self.year = Some((year, now, true));
            }
            Some(_) => {}
        }
        let value_f = value.to_f64().unwrap_or(0.0);
        self.values.push(value_f);
        if value_f > 0.0 {
            let share = cash.to_f64().unwrap_or(0.0) / value_f;
            self.cash_share_sum += share;
            if first || point.traded {
                self.traded_cash_share.0 += share;
                self.traded_cash_share.1 += 1;
            }
        }
        if self.weight_sums.len() < point.weights.len() {
            self.weight_sums.resize(point.weights.len(), 0.0);
        }
        for (sum, w) in self.weight_sums.iter_mut().zip(&point.weights) {
            *sum += w;
        }
        if point.traded {
            self.rebalances += 1;
        }
        self.drift.push(drift);
        self.cash_sum = self.cash_sum.checked_add(cash)?;
        self.final_value = value;
        self.contributed = self.contributed.checked_add(flow)?;
        Some(())
    }

    /// Records an order; `None` when a running total overflows.
    pub(super) fn trade(
        &mut self,
        first: bool,
        amount: Decimal,
        commission: Decimal,
    ) -> Option<()> {
        self.trades += 1;
        self.commission = self.commission.checked_add(commission)?;
        if !first {
            self.traded = self.traded.checked_add(amount)?;
        }
        Some(())
    }

    /// Records realized gains; `None` when a running total overflows.
    pub(super) fn realized(&mut self, short: Decimal, long: Decimal) -> Option<()> {
        self.short = self.short.checked_add(short)?;
        self.long = self.long.checked_add(long)?;
        Some(())
    }

    pub(super) fn figures(&self, years: f64) -> Figures {
        let n = self.returns.len() as f64;
        let mean = self.returns.iter().sum::<f64>() / n;
        let variance = self.returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let per_year = n / years;
        let volatility = variance.sqrt() * per_year.sqrt();
        let growth = self.index.last().copied().unwrap_or(1.0);
        let mut peak: f64 = 1.0;
        let mut max_drawdown: f64 = 0.0;
        for &i in &self.index {
            peak = peak.max(i);
            max_drawdown = max_drawdown.min(i / peak - 1.0);
        }
        let mean_value = self.values.iter().sum::<f64>() / self.values.len() as f64;
        let dates = Decimal::from(self.values.len().max(1));
        let count = self.values.len().max(1) as f64;
        let mut year_returns = self.year_returns.clone();
        if let Some((year, start, _)) = self.year {
            year_returns.push(YearReturn {
                year,
                rate: growth / start - 1.0,
                partial: true,
            });
        }
        Figures {
            final_value: self.final_value,
            contributed: self.contributed,
            cagr: growth.powf(1.0 / years) - 1.0,
            volatility,
            max_drawdown,
            sharpe: mean * per_year / volatility,
            max_drift: self.drift.iter().copied().fold(0.0, f64::max),
            mean_drift: self.drift.iter().sum::<f64>() / self.drift.len() as f64,
            trades: self.trades,
            rebalances: self.rebalances,
            mean_weights: self.weight_sums.iter().map(|s| s / count).collect(),
            year_returns,
            turnover: self.traded.to_f64().unwrap_or(0.0) / 2.0 / mean_value / years,
            commission: self.commission,
            realized_gain_short: self.short,
            realized_gain_long: self.long,
            mean_cash: self.cash_sum / dates,
            mean_cash_share: self.cash_share_sum / count,
            cash_share_after_trades: self.traded_cash_share.0
                / self.traded_cash_share.1.max(1) as f64,
        }
    }
}

/// `a / b` in floating point.
fn ratio(a: Decimal, b: Decimal) -> f64 {
    a.to_f64().unwrap_or(f64::NAN) / b.to_f64().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dec;
    use jiff::civil::date;

    /// A point with no cash, no drift and no trade.
    fn point(value: Decimal) -> super::super::Point {
        super::super::Point {
            date: date(2020, 1, 1),
            value,
            cash: Decimal::ZERO,
            drift: 0.0,
            weights: vec![1.0],
            traded: false,
        }
    }

    #[test]
    fn a_year_of_steady_growth() {
        let mut s = Series::default();
        s.record(true, dec!(100), dec!(0), dec!(100), &point(dec!(100)));
        s.record(false, dec!(0), dec!(100), dec!(110), &point(dec!(110)));
        s.record(false, dec!(10), dec!(110), dec!(120), &point(dec!(120)));
        let f = s.figures(1.0);
        // Returns: +10%, then 0% (the 10 added is a contribution, not a gain).
        assert!((f.cagr - 0.10).abs() < 1e-12, "{f:?}");
        assert_eq!(f.contributed, dec!(110));
        assert!((f.volatility - (0.005_f64).sqrt() * 2.0_f64.sqrt()).abs() < 1e-12);
        assert_eq!(f.max_drawdown, 0.0);
        assert!((years(date(2000, 1, 1), date(2001, 1, 1)) - 366.0 / 365.25).abs() < 1e-12);
    }

    #[test]
    fn calendar_years_run_from_first_date_to_first_date() {
        let mut s = Series::default();
        let at = |y, m, value| super::super::Point {
            date: date(y, m, 1),
            ..point(value)
        };
        s.record(true, dec!(100), dec!(0), dec!(100), &at(2020, 1, dec!(100)));
        s.record(
            false,
            dec!(0),
            dec!(100),
            dec!(150),
            &at(2020, 7, dec!(150)),
        );
        s.record(
            false,
            dec!(0),
            dec!(150),
            dec!(120),
            &at(2021, 1, dec!(120)),
        );
        s.record(false, dec!(0), dec!(120), dec!(60), &at(2021, 7, dec!(60)));
        let f = s.figures(1.5);
        let years: Vec<(i16, f64, bool)> = f
            .year_returns
            .iter()
            .map(|y| (y.year, y.rate, y.partial))
            .collect();
        // 2020: 100 → 120 (Jan 1 to Jan 1); 2021: 120 → 60, no 2022 date: partial.
        assert_eq!(years.len(), 2);
        assert!((years[0].1 - 0.2).abs() < 1e-12 && !years[0].2);
        assert!((years[1].1 + 0.5).abs() < 1e-12 && years[1].2);
        assert_eq!(f.mean_weights, vec![1.0]);
        assert_eq!(f.rebalances, 0);
    }

    #[test]
    fn drawdown_from_the_peak() {
        let mut s = Series::default();
        s.record(true, dec!(100), dec!(0), dec!(100), &point(dec!(100)));
        s.record(false, dec!(0), dec!(100), dec!(200), &point(dec!(200)));
        s.record(false, dec!(0), dec!(200), dec!(50), &point(dec!(50)));
        s.record(false, dec!(0), dec!(50), dec!(150), &point(dec!(150)));
        assert!((s.figures(1.0).max_drawdown + 0.75).abs() < 1e-12);
    }
}
