//! A finished backtest and the figures every output of `pbal backtest` shows (the table, the
//! JSON and the HTML report).

use std::fmt::Write as _;

use pbal_core::Money;
use pbal_core::backtest::{Config, Every, Figures, PriceTable, Run, Schedule, Sizing, YearReturn};
use rust_decimal::Decimal;

/// A finished backtest with what the outputs describe.
pub(crate) struct Outcome {
    pub(crate) source: String,
    pub(crate) prices: PriceTable,
    pub(crate) config: Config,
    pub(crate) runs: Vec<Run>,
}

/// A fraction as a percentage with two decimals; `n/a` when undefined.
pub(crate) fn percent(x: f64) -> String {
    if x.is_finite() {
        format!("{:.2}%", x * 100.0)
    } else {
        "n/a".to_owned()
    }
}

fn number(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}")
    } else {
        "n/a".to_owned()
    }
}

/// The best and the worst whole calendar year, if any.
fn best_and_worst(f: &Figures) -> Option<(&YearReturn, &YearReturn)> {
    let whole = || f.year_returns.iter().filter(|y| !y.partial);
    let best = whole().max_by(|a, b| a.rate.total_cmp(&b.rate))?;
    let worst = whole().min_by(|a, b| a.rate.total_cmp(&b.rate))?;
    Some((best, worst))
}

fn year(y: Option<&YearReturn>) -> String {
    y.map_or_else(
        || "n/a".to_owned(),
        |y| format!("{} ({})", percent(y.rate), y.year),
    )
}

/// Label and formatted value of every figure, in display order; `symbols` are the price
/// table's columns, for the mean weights.
pub(crate) fn figure_rows(f: &Figures, symbols: &[String]) -> Vec<(String, String)> {
    let extremes = best_and_worst(f);
    let mut rows: Vec<(&str, String)> = vec![
        ("Final value", Money::new(f.final_value).to_string()),
        ("Contributed", Money::new(f.contributed).to_string()),
        ("CAGR", percent(f.cagr)),
        ("Volatility", percent(f.volatility)),
        ("Max drawdown", percent(f.max_drawdown)),
        ("Sharpe", number(f.sharpe)),
        ("Max drift", percent(f.max_drift)),
        ("Mean drift", percent(f.mean_drift)),
        ("Trades", f.trades.to_string()),
        ("Rebalances", f.rebalances.to_string()),
        ("Turnover / year", percent(f.turnover)),
        ("Commission", Money::new(f.commission).to_string()),
        (
            "Realized gain, short",
            Money::new(f.realized_gain_short).to_string(),
        ),
        (
            "Realized gain, long",
            Money::new(f.realized_gain_long).to_string(),
        ),
        ("Mean cash", Money::new(f.mean_cash).to_string()),
        ("Best year", year(extremes.map(|e| e.0))),
        ("Worst year", year(extremes.map(|e| e.1))),
    ];
    let mut out: Vec<(String, String)> = rows
        .drain(..)
        .map(|(label, value)| (label.to_owned(), value))
        .collect();
    for (symbol, weight) in symbols.iter().zip(&f.mean_weights) {
        out.push((format!("Mean weight {symbol}"), percent(*weight)));
    }
    out
}

/// With more policies than this, the tables turn: a policy a row.
pub(crate) const POLICY_COLUMNS: usize = 5;

/// Short column headers of the figures, for the table with a policy a row (same order as
/// [`figure_rows`]).
pub(crate) fn short_labels(symbols: &[String]) -> Vec<String> {
    let mut labels: Vec<String> = [
        "Final",
        "Contrib.",
        "CAGR",
        "Vol.",
        "Max DD",
        "Sharpe",
        "Max drift",
        "Mean drift",
        "Trades",
        "Rebal.",
        "Turnover",
        "Comm.",
        "Gain ST",
        "Gain LT",
        "Mean cash",
        "Best year",
        "Worst year",
    ]
    .map(str::to_owned)
    .to_vec();
    labels.extend(symbols.iter().map(|s| format!("{s} wt")));
    labels
}

/// What the figures' footnotes define, for the table and the report.
pub(crate) fn definitions(o: &Outcome) -> Vec<String> {
    let mut lines = vec![
        "Returns are time-weighted (contributions are not gains). Drift: half the sum of \
         |weight - target| over assets and cash, after each date's trades."
            .to_owned(),
        format!(
            "Rebalances: dates a policy traded, the first purchase not counted. Turnover / year: \
             {}. Mean weight: after each date's trades, over all dates. Years run from their \
             first price date to the next year's first; best and worst are whole years.",
            pbal_core::backtest::TURNOVER_DEFINITION.trim_start_matches("turnover: ")
        ),
    ];
    let runs = &o.runs;
    if runs
        .iter()
        .any(|r| r.policy.threshold.is_some_and(|t| !t.is_zero()))
    {
        lines.push(
            "SCHEDULE:N: on the schedule's dates, trade only when some asset's weight is more \
             than N percentage points from its target; otherwise only invest contributions, \
             buy-only."
                .to_owned(),
        );
    }
    if runs.iter().any(|r| r.policy.schedule == Schedule::Bands) {
        let bands = o.config.options.bands.unwrap_or_default();
        lines.push(format!(
            "Bands: act when an asset is more than min({}pp, {}% of its target) off target \
             (`bands` then trades only the assets outside; full-bands trades them all; \
             bands:ABS/REL sets its own).",
            (bands.absolute * Decimal::ONE_HUNDRED).normalize(),
            (bands.relative * Decimal::ONE_HUNDRED).normalize()
        ));
    }
    lines
}

/// The policy whose trades leave the most cash idle on average, and that share of the value,
/// when it passes 1%: whole shares of index-level prices with a small initial amount.
/// Contributions waiting for a schedule date are not counted (the cash right after the
/// dates that traded is).
pub(crate) fn idle_cash(o: &Outcome) -> Option<(String, f64)> {
    if o.config.sizing == Sizing::Continuous {
        return None;
    }
    o.runs
        .iter()
        .map(|r| (r.policy.to_string(), r.figures.cash_share_after_trades))
        .filter(|(_, share)| *share > 0.01)
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// One line describing the data and the money flows.
pub(crate) fn summary(o: &Outcome) -> String {
    let dates = o.prices.dates();
    let (first, last) = (dates[0], dates[dates.len() - 1]);
    let mut s = format!(
        "{}: {}, {first} to {last}, {}",
        o.source,
        crate::ui::count(dates.len(), "date", "dates"),
        crate::ui::count(o.prices.symbols().len(), "symbol", "symbols")
    );
    let late: Vec<String> = o
        .prices
        .symbols()
        .iter()
        .enumerate()
        .filter_map(|(c, sym)| {
            let start = (0..dates.len()).find(|&r| o.prices.price(r, c).is_some())?;
            (start > 0).then(|| format!("{sym} from {}", dates[start]))
        })
        .collect();
    if !late.is_empty() {
        let _ = write!(s, " ({})", late.join(", "));
    }
    let _ = write!(s, ". Initial {}", Money::new(o.config.initial));
    if !o.config.contribution.is_zero() {
        let every = match o.config.every {
            Every::Month => "month",
            Every::Quarter => "quarter",
            Every::Year => "year",
            _ => "period",
        };
        let _ = write!(s, ", {} every {every}", Money::new(o.config.contribution));
    }
    let step = o.config.options.quantity_step;
    let sizing = match o.config.sizing {
        Sizing::Continuous => "continuous (exact weights)".to_owned(),
        Sizing::Plan if step == Decimal::ONE => "whole shares".to_owned(),
        Sizing::Plan => format!("steps of {}", step.normalize()),
        _ => "other sizing".to_owned(),
    };
    let _ = write!(s, "; {sizing}.");
    s
}
