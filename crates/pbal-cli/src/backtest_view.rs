//! A finished backtest and the figures every output of `pbal backtest` shows (the table, the
//! JSON and the HTML report).

use std::fmt::Write as _;

use pbal_core::Money;
use pbal_core::backtest::{Config, Every, Figures, PriceTable, Run, Sizing};
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

/// Label and formatted value of every figure, in display order.
pub(crate) fn figure_rows(f: &Figures) -> Vec<(&'static str, String)> {
    vec![
        ("Final value", Money::new(f.final_value).to_string()),
        ("Contributed", Money::new(f.contributed).to_string()),
        ("CAGR", percent(f.cagr)),
        ("Volatility", percent(f.volatility)),
        ("Max drawdown", percent(f.max_drawdown)),
        ("Sharpe", number(f.sharpe)),
        ("Max drift", percent(f.max_drift)),
        ("Mean drift", percent(f.mean_drift)),
        ("Trades", f.trades.to_string()),
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
    ]
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
