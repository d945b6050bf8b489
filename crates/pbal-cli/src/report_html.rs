//! The `pbal backtest --report` page: one self-contained HTML file (inline CSS and SVG, no
//! scripts, no external resources) with the figures table, return against volatility and the
//! number of rebalances per policy, and value, drift and weight charts.

use std::fmt::Write as _;

use jiff::civil::Date;
use rust_decimal::prelude::ToPrimitive;

use crate::backtest_view::{
    Outcome, POLICY_COLUMNS, definitions, figure_rows, percent, short_labels, summary,
};

/// Chart size in SVG user units.
const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 200.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 30.0;
/// At most this many points per line (longer series are thinned evenly).
const MAX_POINTS: usize = 800;
/// Symbols drawn separately in a weights chart; the rest are summed as "other".
const MAX_SYMBOLS: usize = 12;

const PALETTE: [&str; 12] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#bcbd22", "#393b79", "#ad494a", "#637939",
];

/// The whole page.
pub(crate) fn render(o: &Outcome) -> String {
    let mut html = String::new();
    let title = format!("pbal backtest: {}", o.source);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{}</h1>\n<p>{}</p>\n",
        escape(&title),
        escape(&title),
        escape(&summary(o))
    );
    html.push_str(&figures_table(o));
    let Some(first) = o
        .runs
        .first()
        .and_then(|r| r.points.first())
        .map(|p| p.date)
    else {
        html.push_str("</body>\n</html>\n");
        return html;
    };
    let names: Vec<String> = o.runs.iter().map(|r| r.policy.to_string()).collect();
    html.push_str("<h2>Return and volatility</h2>\n");
    html.push_str(&risk_return_chart(o, &names));
    let value: Vec<Series> = o
        .runs
        .iter()
        .zip(&names)
        .enumerate()
        .map(|(i, (r, name))| Series {
            name: name.clone(),
            color: PALETTE[i % PALETTE.len()],
            points: r
                .points
                .iter()
                .map(|p| (p.date, p.value.to_f64().unwrap_or(f64::NAN)))
                .collect(),
        })
        .collect();
    html.push_str("<h2>Value</h2>\n");
    html.push_str(&line_chart(&value, first, Axis::Money));
    let drift: Vec<Series> = o
        .runs
        .iter()
        .zip(&names)
        .enumerate()
        .map(|(i, (r, name))| Series {
            name: name.clone(),
            color: PALETTE[i % PALETTE.len()],
            points: r.points.iter().map(|p| (p.date, p.drift)).collect(),
        })
        .collect();
    html.push_str("<h2>Drift from targets</h2>\n");
    html.push_str(&line_chart(&drift, first, Axis::Percent));
    html.push_str("<h2>Weights</h2>\n");
    let order = symbol_order(o);
    for (run, name) in o.runs.iter().zip(&names) {
        let _ = writeln!(html, "<h3>{}</h3>", escape(name));
        html.push_str(&weights_chart(o, run, first, &order));
    }
    for line in definitions(o) {
        let _ = writeln!(html, "<p class=\"note\">{}</p>", escape(&line));
    }
    html.push_str("<p class=\"note\">Made by pbal.</p>\n</body>\n</html>\n");
    html
}

/// Each policy as a dot: volatility across, CAGR up; the legend names it with its number of
/// rebalances.
fn risk_return_chart(o: &Outcome, names: &[String]) -> String {
    let dots: Vec<(f64, f64)> = o
        .runs
        .iter()
        .map(|r| (r.figures.volatility, r.figures.cagr))
        .collect();
    let range = |values: &mut dyn Iterator<Item = f64>| {
        let (lo, hi) = values
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        if !lo.is_finite() {
            return (0.0, 1.0);
        }
        // A margin around the dots, at least half a percentage point.
        let pad = ((hi - lo) * 0.1).max(0.005);
        (lo - pad, hi + pad)
    };
    let (x_lo, x_hi) = range(&mut dots.iter().map(|d| d.0));
    let (y_lo, y_hi) = range(&mut dots.iter().map(|d| d.1));
    let across = |v: f64| LEFT + (WIDTH - LEFT - RIGHT) * (v - x_lo) / (x_hi - x_lo);
    let up = |v: f64| TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - (v - y_lo) / (y_hi - y_lo));
    let mut s = svg_open("return against volatility");
    let step = tick_step(y_lo, y_hi);
    let mut tick = (y_lo / step).ceil() * step;
    while tick <= y_hi {
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{at:.1}\" y2=\"{at:.1}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            up(tick) + 4.0,
            percent(tick),
            at = up(tick)
        );
        tick += step;
    }
    let step = tick_step(x_lo, x_hi);
    let mut tick = (x_lo / step).ceil() * step;
    while tick <= x_hi {
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{at:.1}\" x2=\"{at:.1}\" y1=\"{TOP}\" y2=\"{:.1}\"/>\
             <text x=\"{at:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            HEIGHT - BOTTOM,
            HEIGHT - 10.0,
            percent(tick),
            at = across(tick)
        );
        tick += step;
    }
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">volatility</text>\
         <text x=\"{:.1}\" y=\"{:.1}\">CAGR</text>",
        WIDTH - RIGHT,
        HEIGHT - BOTTOM - 4.0,
        LEFT + 4.0,
        TOP + 12.0
    );
    for (i, ((vol, cagr), (run, name))) in dots.iter().zip(o.runs.iter().zip(names)).enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        if vol.is_finite() && cagr.is_finite() {
            let _ = write!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"{color}\"><title>{}: CAGR {}, \
                 volatility {}, {} rebalances</title></circle>",
                across(*vol),
                up(*cagr),
                escape(name),
                percent(*cagr),
                percent(*vol),
                run.figures.rebalances
            );
        }
        let label = format!("{name} ({})", run.figures.rebalances);
        legend(&mut s, i, &label, color);
    }
    s.push_str("</svg>\n<p class=\"note\">In brackets: the number of rebalances.</p>\n");
    s
}

const CSS: &str = "body{font-family:sans-serif;margin:2em;color:#222;max-width:1000px}\
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 10px}\
td{text-align:right}td:first-child,th:first-child{text-align:left}th{background:#f0f0f0}\
svg{display:block;margin:0.5em 0 1.5em;max-width:100%;height:auto}svg text{font-size:12px;fill:#333}\
.grid{stroke:#ddd;stroke-width:1}.axis{stroke:#888}.note{color:#666;font-size:0.9em}";

fn figures_table(o: &Outcome) -> String {
    let symbols = o.prices.symbols();
    if o.runs.len() > POLICY_COLUMNS {
        // A policy a row, as in the text table.
        let mut s = String::from("<table>\n<tr><th>Policy</th>");
        for label in short_labels(symbols) {
            let _ = write!(s, "<th>{}</th>", escape(&label));
        }
        s.push_str("</tr>\n");
        for r in &o.runs {
            let _ = write!(s, "<tr><td>{}</td>", escape(&r.policy.to_string()));
            for (_, value) in figure_rows(&r.figures, symbols) {
                let _ = write!(s, "<td>{}</td>", escape(&value));
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</table>\n");
        return s;
    }
    let mut s = String::from("<table>\n<tr><th>Policy</th>");
    for r in &o.runs {
        let _ = write!(s, "<th>{}</th>", escape(&r.policy.to_string()));
    }
    s.push_str("</tr>\n");
    let rows: Vec<_> = o
        .runs
        .iter()
        .map(|r| figure_rows(&r.figures, symbols))
        .collect();
    if let Some(labels) = rows.first() {
        for (i, (label, _)) in labels.iter().enumerate() {
            let _ = write!(s, "<tr><td>{}</td>", escape(label));
            for r in &rows {
                let _ = write!(s, "<td>{}</td>", escape(&r[i].1));
            }
            s.push_str("</tr>\n");
        }
    }
    s.push_str("</table>\n");
    s
}

struct Series {
    name: String,
    color: &'static str,
    points: Vec<(Date, f64)>,
}

#[derive(Clone, Copy)]
enum Axis {
    Money,
    Percent,
}

impl Axis {
    fn label(self, v: f64) -> String {
        match self {
            Self::Money if v.abs() >= 1e6 => format!("{:.1}M", v / 1e6),
            Self::Money if v.abs() >= 1e3 => format!("{:.0}k", v / 1e3),
            Self::Money => format!("{v:.0}"),
            Self::Percent => format!("{:.0}%", v * 100.0),
        }
    }
}

/// Days from `first` to `d`.
fn days(first: Date, d: Date) -> f64 {
    f64::from(first.until(d).map_or(0, |s| s.get_days()))
}

/// A step that gives about five round ticks between `lo` and `hi`.
fn tick_step(lo: f64, hi: f64) -> f64 {
    let raw = (hi - lo) / 5.0;
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude)
}

/// Maps dates and values into the plot area.
struct Frame {
    first: Date,
    span_days: f64,
    lo: f64,
    hi: f64,
}

impl Frame {
    fn x(&self, d: Date) -> f64 {
        LEFT + (WIDTH - LEFT - RIGHT) * days(self.first, d) / self.span_days.max(1.0)
    }

    fn y(&self, v: f64) -> f64 {
        TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - (v - self.lo) / (self.hi - self.lo))
    }

    /// Grid, value labels and year labels.
    fn axes(&self, axis: Axis, last: Date) -> String {
        let mut s = String::new();
        let step = tick_step(self.lo, self.hi);
        let mut v = (self.lo / step).ceil() * step;
        while v <= self.hi + step * 1e-9 {
            let y = self.y(v);
            let _ = write!(
                s,
                "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                WIDTH - RIGHT,
                LEFT - 6.0,
                y + 4.0,
                axis.label(v)
            );
            v += step;
        }
        let years = (last.year() - self.first.year()).max(1);
        let every = (i32::from(years) / 10 + 1) as i16;
        let mut year = self.first.year() + 1;
        while year <= last.year() {
            if let Ok(d) = Date::new(year, 1, 1) {
                let x = self.x(d);
                let _ = write!(
                    s,
                    "<line class=\"axis\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
                     <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{year}</text>",
                    HEIGHT - BOTTOM,
                    HEIGHT - BOTTOM + 5.0,
                    HEIGHT - 10.0
                );
            }
            year += every;
        }
        let _ = write!(
            s,
            "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>",
            WIDTH - RIGHT,
            HEIGHT - BOTTOM,
            HEIGHT - BOTTOM
        );
        s
    }
}

fn thin<T: Copy>(points: &[T]) -> Vec<T> {
    if points.len() <= MAX_POINTS {
        return points.to_vec();
    }
    let step = points.len().div_ceil(MAX_POINTS);
    let mut out: Vec<T> = points.iter().copied().step_by(step).collect();
    if let Some(&last) = points.last() {
        out.push(last);
    }
    out
}

fn svg_open(label: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" aria-label=\"{}\">",
        escape(label)
    )
}

fn legend(s: &mut String, index: usize, name: &str, color: &str) {
    let y = TOP + 16.0 * index as f64;
    let x = WIDTH - RIGHT + 10.0;
    let _ = write!(
        s,
        "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{color}\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
        y,
        x + 16.0,
        y + 10.0,
        escape(name)
    );
}

fn line_chart(series: &[Series], first: Date, axis: Axis) -> String {
    let values = series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let (mut lo, mut hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    lo = lo.min(0.0);
    if hi <= lo {
        hi = lo + 1.0;
    }
    let last = series
        .iter()
        .filter_map(|s| s.points.last().map(|p| p.0))
        .max()
        .unwrap_or(first);
    let frame = Frame {
        first,
        span_days: days(first, last),
        lo,
        hi: hi * 1.02,
    };
    let mut s = svg_open("line chart");
    s.push_str(&frame.axes(axis, last));
    for (i, line) in series.iter().enumerate() {
        let mut path = String::new();
        for (d, v) in thin(&line.points) {
            if v.is_finite() {
                let cmd = if path.is_empty() { 'M' } else { 'L' };
                let _ = write!(path, "{cmd}{:.1},{:.1}", frame.x(d), frame.y(v));
            }
        }
        let _ = write!(
            s,
            "<path d=\"{path}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"/>",
            line.color
        );
        legend(&mut s, i, &line.name, line.color);
    }
    s.push_str("</svg>\n");
    s
}

/// Columns ever held, largest mean weight over all runs first, so that every weights chart
/// gives a symbol the same band and colour.
fn symbol_order(o: &Outcome) -> Vec<usize> {
    let n = o.prices.symbols().len();
    let mut total = vec![0.0; n];
    for run in &o.runs {
        for p in &run.points {
            for (t, w) in total.iter_mut().zip(&p.weights) {
                *t += w;
            }
        }
    }
    let mut order: Vec<usize> = (0..n).filter(|&c| total[c] > 0.0).collect();
    order.sort_by(|&a, &b| total[b].total_cmp(&total[a]).then(a.cmp(&b)));
    order
}

/// Stacked areas of each symbol's weight (and the cash) over time for one run; the first
/// symbols of `order` get their own band, the rest are summed as "other".
fn weights_chart(
    o: &Outcome,
    run: &pbal_core::backtest::Run,
    first: Date,
    order: &[usize],
) -> String {
    let symbols = o.prices.symbols();
    let Some(last_point) = run.points.last() else {
        return String::new();
    };
    let shown: Vec<usize> = order.iter().copied().take(MAX_SYMBOLS - 1).collect();
    let has_other = order.len() > shown.len();
    let frame = Frame {
        first,
        span_days: days(first, last_point.date),
        lo: 0.0,
        hi: 1.0,
    };
    let points = thin(&run.points.iter().collect::<Vec<_>>());
    // Bands bottom-up: shown symbols, other, cash; each band's top edge is cumulative.
    let mut bands: Vec<(String, &str, Vec<f64>)> = Vec::new();
    for (i, &c) in shown.iter().enumerate() {
        bands.push((
            symbols[c].clone(),
            PALETTE[i % PALETTE.len()],
            points.iter().map(|p| p.weights[c]).collect(),
        ));
    }
    if has_other {
        bands.push((
            "other".to_owned(),
            "#999999",
            points
                .iter()
                .map(|p| order[shown.len()..].iter().map(|&c| p.weights[c]).sum())
                .collect(),
        ));
    }
    bands.push((
        "cash".to_owned(),
        "#dddddd",
        points
            .iter()
            .map(|p| {
                let total = p.value.to_f64().unwrap_or(0.0);
                if total > 0.0 {
                    p.cash.to_f64().unwrap_or(0.0) / total
                } else {
                    0.0
                }
            })
            .collect(),
    ));
    let mut s = svg_open("weights chart");
    s.push_str(&frame.axes(Axis::Percent, last_point.date));
    let mut base = vec![0.0; points.len()];
    for (i, (name, color, weights)) in bands.iter().enumerate() {
        let top: Vec<f64> = base.iter().zip(weights).map(|(b, w)| b + w).collect();
        let mut path = String::new();
        for (p, y) in points.iter().zip(&top) {
            let cmd = if path.is_empty() { 'M' } else { 'L' };
            let _ = write!(
                path,
                "{cmd}{:.1},{:.1}",
                frame.x(p.date),
                frame.y(y.min(1.0))
            );
        }
        for (p, y) in points.iter().zip(&base).rev() {
            let _ = write!(path, "L{:.1},{:.1}", frame.x(p.date), frame.y(y.min(1.0)));
        }
        let _ = write!(s, "<path d=\"{path}Z\" fill=\"{color}\" stroke=\"none\"/>");
        // Listed top-down like the stack, so the legend reads in the chart's order.
        legend(&mut s, bands.len() - 1 - i, name, color);
        base = top;
    }
    s.push_str("</svg>\n");
    s
}

/// Escapes text for HTML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn round_ticks() {
        assert_eq!(tick_step(0.0, 100.0), 20.0);
        assert_eq!(tick_step(0.0, 0.3), 0.1);
        assert_eq!(tick_step(0.0, 12_000.0), 2_500.0);
        assert_eq!(tick_step(1.0, 1.0), 1.0);
    }

    #[test]
    fn thinning_keeps_the_last_point() {
        let v: Vec<usize> = (0..2_000).collect();
        let t = thin(&v);
        assert!(t.len() <= MAX_POINTS + 1);
        assert_eq!(t.first(), Some(&0));
        assert_eq!(t.last(), Some(&1_999));
    }
}
