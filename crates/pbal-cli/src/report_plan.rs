//! The `pbal plan --report` page: one self-contained HTML file (inline CSS, no scripts, no
//! external resources) with the weights before, after and target per asset, the orders, the
//! cash flow and the drift, laid out to read on a phone.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use pbal_core::Money;

use crate::render::PlanReport;
use crate::report_html::escape;

const CSS: &str = "body{font-family:sans-serif;margin:1em auto;padding:0 1em;color:#222;\
max-width:900px}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}\
table{border-collapse:collapse;width:100%;font-size:.95em}td,th{padding:.3em .5em;\
border-bottom:1px solid #ddd;text-align:right}td:first-child,th:first-child{text-align:left}\
.asset{margin:.6em 0}.name{font-weight:bold}.bars{position:relative;background:#f3f3f3;\
height:2.4em;border-radius:3px}.bar{position:absolute;left:0;height:1.1em}\
.before{top:0;background:#9ecae1}.after{top:1.2em;background:#3182bd}\
.target{position:absolute;top:-.2em;bottom:-.2em;width:2px;background:#d62728}\
.legend span{display:inline-block;margin-right:1em}.key{display:inline-block;width:1em;\
height:.8em;margin-right:.3em;vertical-align:middle}.buy{color:#1a7f37}.sell{color:#b42318}\
.note{color:#555}.wide{overflow-x:auto}";

fn percent(d: Decimal) -> String {
    format!("{:.2}%", (d * Decimal::ONE_HUNDRED).round_dp(2))
}

/// A weight as a bar length: percent of the widest weight shown, so small targets stay visible.
fn width(weight: Decimal, scale: Decimal) -> String {
    if scale <= Decimal::ZERO {
        return "0%".to_owned();
    }
    let w = (weight.max(Decimal::ZERO) / scale * Decimal::ONE_HUNDRED).min(Decimal::ONE_HUNDRED);
    format!("{:.2}%", w.round_dp(2))
}

/// The whole page for `report` (made from `source`).
pub(crate) fn render(report: &PlanReport<'_>, source: &str) -> String {
    let plan = report.plan;
    let base = report
        .base_currency
        .map(|c| format!(" {c}"))
        .unwrap_or_default();
    let title = format!("pbal plan: {source}");
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{t}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{t}</h1>\n",
        t = escape(&title)
    );
    let _ = writeln!(
        html,
        "<p>{}</p>\n<p>Drift {} &rarr; {} <span class=\"note\">(half the sum of |weight &minus; \
         target| over assets and cash)</span></p>",
        escape(&report.strategy_line()),
        percent(plan.drift_before),
        percent(plan.drift_after)
    );
    for note in report.notes() {
        let _ = writeln!(html, "<p class=\"note\">{}</p>", escape(&note));
    }

    html.push_str("<h2>Weights: before, after and target</h2>\n<p class=\"legend\">");
    html.push_str(
        "<span><i class=\"key before\"></i>before</span><span><i class=\"key after\"></i>after\
         </span><span><i class=\"key\" style=\"background:#d62728\"></i>target</span></p>\n",
    );
    let scale = plan
        .positions
        .iter()
        .flat_map(|p| [p.weight, p.weight_after, p.target_weight])
        .chain([plan.cash_weight, plan.cash_weight_after])
        .max()
        .unwrap_or(Decimal::ONE);
    // Small weights would be slivers on a 0-100% axis: the bars run to the largest weight,
    // and the legend says so.
    let _ = writeln!(
        html,
        "<p class=\"note\">Full width is {}, the largest weight.</p>",
        percent(scale)
    );
    let mut rows: Vec<(String, Decimal, Decimal, Option<Decimal>)> = plan
        .positions
        .iter()
        .map(|p| {
            (
                p.symbol.clone(),
                p.weight,
                p.weight_after,
                Some(p.target_weight),
            )
        })
        .collect();
    rows.push((
        "(cash)".to_owned(),
        plan.cash_weight,
        plan.cash_weight_after,
        None,
    ));
    for (name, before, after, target) in rows {
        let _ = write!(
            html,
            "<div class=\"asset\"><div><span class=\"name\">{}</span> {} &rarr; {}{}</div>\
             <div class=\"bars\"><div class=\"bar before\" style=\"width:{}\"></div>\
             <div class=\"bar after\" style=\"width:{}\"></div>",
            escape(&name),
            percent(before),
            percent(after),
            target.map_or_else(String::new, |t| format!(" (target {})", percent(t))),
            width(before, scale),
            width(after, scale)
        );
        if let Some(t) = target {
            let _ = write!(
                html,
                "<div class=\"target\" style=\"left:{}\"></div>",
                width(t, scale)
            );
        }
        html.push_str("</div></div>\n");
    }

    html.push_str("<h2>Orders</h2>\n");
    if plan.trades.is_empty() {
        html.push_str("<p>No orders: nothing to trade.</p>\n");
    } else {
        // Three columns fit a phone: the commission goes under the amount it is paid on.
        let commissions = !plan.cash.commission.is_zero();
        html.push_str(
            "<div class=\"wide\"><table>\n<tr><th>Order</th><th>Price</th><th>Amount</th></tr>\n",
        );
        for t in &plan.trades {
            let m = report.trade_money(t);
            let currency = m.currency.map(|c| format!(" {c}")).unwrap_or_default();
            let side = t.side.as_str();
            let _ = write!(
                html,
                "<tr><td class=\"{}\">{side} {} {}</td><td>{}{currency}</td><td>{}{currency}",
                side.to_ascii_lowercase(),
                t.quantity.normalize(),
                escape(&t.symbol),
                crate::render::price_text(m.price),
                Money::new(m.amount)
            );
            if commissions {
                let _ = write!(
                    html,
                    "<br><span class=\"note\">+ {}{currency} commission (est.)</span>",
                    Money::new(m.commission)
                );
            }
            html.push_str("</td></tr>\n");
        }
        html.push_str("</table></div>\n");
    }

    let c = &plan.cash;
    // As the orders show it; a household plan's per-account orders: what they really pay.
    let shown = report.cash_shown();
    let _ = write!(
        html,
        "<h2>Cash{base}</h2>\n<table>\n<tr><td>in</td><td>{}</td></tr>\n\
         <tr><td>spent on buys</td><td>{}</td></tr>\n<tr><td>received from sells</td><td>{}</td></tr>\n\
         <tr><td>commission (est.)</td><td>{}</td></tr>\n<tr><td>left</td><td>{}</td></tr>\n",
        Money::new(shown.cash_in),
        Money::new(shown.spent),
        Money::new(shown.received),
        Money::new(shown.commission),
        Money::new(shown.left)
    );
    if !c.reserve.is_zero() {
        let _ = writeln!(
            html,
            "<tr><td>reserve</td><td>{}</td></tr>",
            Money::new(c.reserve)
        );
    }
    html.push_str("</table>\n");
    let realized = report.realized_line();
    let wash_sales = report.wash_sale_lines();
    if realized.is_some() || !wash_sales.is_empty() {
        html.push_str("<h2>Taxes</h2>\n");
        if let Some(line) = realized {
            let _ = writeln!(html, "<p>{}</p>", escape(&line));
        }
        for line in wash_sales {
            let _ = writeln!(html, "<p class=\"note\">Wash sale: {}</p>", escape(&line));
        }
    }
    let needs = if report.multi_currency() {
        report.currency_needs()
    } else {
        Vec::new()
    };
    if !needs.is_empty() {
        html.push_str(
            "<h2>Currencies</h2>\n<p class=\"note\">The orders in each currency, \
            their commissions, the cash there, and the conversions a shortfall needs.</p>\n<ul>\n",
        );
        for line in needs {
            let _ = writeln!(html, "<li>{}</li>", escape(line.trim()));
        }
        html.push_str("</ul>\n");
    }
    if let Some(household) = report.household {
        if !household.transfers.is_empty() {
            html.push_str(
                "<h2>Transfers before the orders</h2>\n<p class=\"note\">Between taxable \
                 accounts (--allow-transfers): the orders need them.</p>\n<ul>\n",
            );
            for t in &household.transfers {
                let _ = writeln!(
                    html,
                    "<li>move {} from {} to {}</li>",
                    Money::new(t.amount),
                    escape(&t.from),
                    escape(&t.to)
                );
            }
            html.push_str("</ul>\n");
        }
        html.push_str(
            "<h2>Orders by account</h2>\n<div class=\"wide\"><table>\n<tr><th>Account</th>\
             <th>Order</th><th>Amount</th></tr>\n",
        );
        for o in &household.split.orders {
            let m = report.account_order_money(o);
            let currency = m.currency.map(|c| format!(" {c}")).unwrap_or_default();
            let side = o.side.as_str();
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td class=\"{}\">{side} {} {}</td><td>{}{currency}</td></tr>",
                escape(&o.account),
                side.to_ascii_lowercase(),
                o.quantity.normalize(),
                escape(&o.symbol),
                Money::new(m.amount)
            );
        }
        html.push_str("</table></div>\n");
        let by_account = if report.multi_currency() {
            report.currency_needs_by_account()
        } else {
            Vec::new()
        };
        if !by_account.is_empty() {
            html.push_str(
                "<p class=\"note\">Currency cannot move between accounts: each converts its \
                 own.</p>\n<ul>\n",
            );
            for line in by_account {
                let _ = writeln!(html, "<li>{}</li>", escape(line.trim()));
            }
            html.push_str("</ul>\n");
        }
    }
    html.push_str("</body>\n</html>\n");
    html
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use pbal_core::dec;
    use pbal_core::{Holding, PlanOptions, Portfolio, Targets, plan};

    use super::*;

    fn page() -> String {
        let portfolio = Portfolio::new(vec![
            Holding::new("VTI", dec!(10), dec!(250)).unwrap(),
            Holding::new("B<ND>", dec!(10), dec!(75)).unwrap(),
        ])
        .unwrap();
        let targets = Targets::equal(["VTI", "B<ND>"]).unwrap();
        let p = plan(&portfolio, &targets, dec!(2000), &PlanOptions::default()).unwrap();
        let instruments = BTreeMap::new();
        let report = PlanReport {
            plan: &p,
            base_currency: Some("USD"),
            instruments: &instruments,
            household: None,
            cash_by_currency: None,
        };
        render(&report, "positions.csv")
    }

    #[test]
    fn the_page_is_self_contained_and_complete() {
        let html = page();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.ends_with("</html>\n"));
        // No external resources or scripts: it must open offline, as a file, on a phone.
        for forbidden in ["<script", "http://", "https://", "src=", "<link"] {
            assert!(!html.contains(forbidden), "{forbidden}");
        }
        assert!(html.contains("name=\"viewport\""));
        // One bar group per asset and the cash, a target marker per asset.
        assert_eq!(html.matches("class=\"asset\"").count(), 3);
        assert_eq!(html.matches("class=\"target\"").count(), 2);
        assert!(
            html.contains("<td class=\"buy\">BUY 26 B&lt;ND&gt;</td>"),
            "{html}"
        );
        assert!(!html.contains("B<ND>"), "symbols are escaped");
        assert!(html.contains("<h2>Cash USD</h2>"));
    }

    /// A EUR fund in a USD account with no EUR cash: its order in EUR with its commission, and
    /// the conversion it needs.
    #[test]
    fn a_multi_currency_page_shows_each_currency_need() {
        let portfolio = Portfolio::new(vec![
            Holding::new("VTI", dec!(10), dec!(250)).unwrap(),
            Holding::new("EXS1", dec!(10), dec!(110)).unwrap(),
        ])
        .unwrap();
        let targets = Targets::equal(["VTI", "EXS1"]).unwrap();
        let options =
            PlanOptions::default().with_commission(pbal_core::Commission::Flat(dec!(2.2)));
        let p = plan(&portfolio, &targets, dec!(2000), &options).unwrap();
        let instruments = BTreeMap::from([
            (
                "VTI".to_owned(),
                pbal_ibkr::Instrument::new(Some("USD".into()), dec!(1), dec!(250)),
            ),
            (
                "EXS1".to_owned(),
                pbal_ibkr::Instrument::new(Some("EUR".into()), dec!(1.1), dec!(100)),
            ),
        ]);
        let cash = BTreeMap::from([("USD".to_owned(), dec!(2000))]);
        let report = PlanReport {
            plan: &p,
            base_currency: Some("USD"),
            instruments: &instruments,
            household: None,
            cash_by_currency: Some(&cash),
        };
        let html = render(&report, "positions.csv");
        assert!(html.contains("+ 2.00 EUR commission (est.)"), "{html}");
        assert!(html.contains("<h2>Currencies</h2>"), "{html}");
        assert!(
            html.contains("<li>EUR: buys ") && html.contains(" EUR from USD, about "),
            "{html}"
        );
    }

    /// A plan that sells says what it realizes, as the table does.
    #[test]
    fn a_plan_that_sells_shows_what_it_realizes() {
        let portfolio = Portfolio::new(vec![
            Holding::new("VTI", dec!(30), dec!(250))
                .unwrap()
                .with_unrealized_pnl(dec!(600)),
            Holding::new("BND", dec!(10), dec!(75)).unwrap(),
        ])
        .unwrap();
        let targets = Targets::equal(["VTI", "BND"]).unwrap();
        let options = PlanOptions::default().with_strategy(pbal_core::Strategy::Full);
        let p = plan(&portfolio, &targets, dec!(0), &options).unwrap();
        let instruments = BTreeMap::new();
        let report = PlanReport {
            plan: &p,
            base_currency: Some("USD"),
            instruments: &instruments,
            household: None,
            cash_by_currency: None,
        };
        let html = render(&report, "positions.csv");
        assert!(html.contains("<h2>Taxes</h2>"), "{html}");
        assert!(html.contains("<p>Realized (USD): short-term "), "{html}");
    }

    #[test]
    fn bars_scale_to_the_widest_weight() {
        assert_eq!(width(dec!(0.25), dec!(0.5)), "50.00%");
        assert_eq!(width(dec!(-0.1), dec!(0.5)), "0.00%");
        assert_eq!(width(dec!(0.7), dec!(0.5)), "100.00%");
        assert_eq!(width(dec!(0.1), Decimal::ZERO), "0%");
    }
}
