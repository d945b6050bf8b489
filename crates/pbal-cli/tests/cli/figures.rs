//! Every figure a person can add up adds up, as printed: the order lines' base amounts sum to
//! the cash line's spent and received, their commissions to its commission, in − spent +
//! received − commission = left, the table's amounts are the order lines', and each currency
//! line's buys, sells and commissions are its orders' own-currency figures, its conversion
//! what they leave short. Checked on generated multi-currency exports with sub-cent prices
//! and rates.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::str::FromStr;

use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::common::Pbal;

/// (currency, listing exchange) of the generated funds; EUR is the base.
const MARKETS: [(&str, &str); 4] = [
    ("EUR", "IBIS2"),
    ("USD", "ARCA"),
    ("CAD", "TSE"),
    ("GBP", "LSE"),
];

/// A generated fund: market index, quantity held, price in 1/10,000, rate in 1/10,000.
type Fund = (usize, u32, u32, u32);

/// A one-currency USD export with no rates and no cash section: no base currency is known (as
/// in the Flex XML sample), and every order's figures are its own.
fn export_without_base(funds: &[Fund]) -> String {
    let mut out = String::from(
        "\"Symbol\",\"CurrencyPrimary\",\"ListingExchange\",\"Quantity\",\"MarkPrice\",\
         \"PositionValue\"\n",
    );
    for (i, (_, quantity, price, _)) in funds.iter().enumerate() {
        let price = Decimal::new(i64::from(*price), 4);
        let value = price * Decimal::from(*quantity);
        let _ = writeln!(
            out,
            "\"F{i}\",\"USD\",\"ARCA\",\"{quantity}\",\"{price}\",\"{value}\""
        );
    }
    out
}

fn export(funds: &[Fund], cash: u32) -> String {
    let mut out = String::from(
        "\"ClientAccountID\",\"CurrencyPrimary\",\"FXRateToBase\",\"AssetClass\",\"Symbol\",\
         \"ListingExchange\",\"Multiplier\",\"Quantity\",\"MarkPrice\",\"PositionValue\",\
         \"FifoPnlUnrealized\",\"LevelOfDetail\"\n",
    );
    for (i, (market, quantity, price, rate)) in funds.iter().enumerate() {
        // The first fund is in the base currency, which makes the export's base known.
        let market = if i == 0 { 0 } else { *market };
        let (currency, exchange) = MARKETS[market % MARKETS.len()];
        let rate = if currency == "EUR" {
            Decimal::ONE
        } else {
            Decimal::new(i64::from(*rate), 4)
        };
        let price = Decimal::new(i64::from(*price), 4);
        let value = price * Decimal::from(*quantity);
        let _ = writeln!(
            out,
            "\"U1\",\"{currency}\",\"{rate}\",\"STK\",\"F{i}\",\"{exchange}\",\"1\",\"{quantity}\",\
             \"{price}\",\"{value}\",\"0\",\"SUMMARY\""
        );
    }
    let cash = Decimal::new(i64::from(cash), 2);
    out.push_str("\"ClientAccountID\",\"CurrencyPrimary\",\"LevelOfDetail\",\"EndingCash\"\n");
    let _ = writeln!(out, "\"U1\",\"BASE_SUMMARY\",\"BaseCurrency\",\"{cash}\"");
    let _ = writeln!(out, "\"U1\",\"EUR\",\"Currency\",\"{cash}\"");
    out
}

fn d(text: &str) -> Decimal {
    Decimal::from_str(&text.replace(',', "")).unwrap_or_else(|_| panic!("{text:?}"))
}

/// The number after `key ` in `text` (up to a comma-space, space or parenthesis).
fn after(text: &str, key: &str) -> Option<Decimal> {
    let rest = &text[text.find(key)? + key.len()..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.' || c == '-'))
        .unwrap_or(rest.len());
    Some(d(rest[..end].trim_end_matches([',', '.'])))
}

#[derive(Default)]
struct Totals {
    spent: Decimal,
    received: Decimal,
    commission: Decimal,
    /// Per currency: buys, sells, commissions in it.
    own: BTreeMap<String, (Decimal, Decimal, Decimal)>,
    /// Per symbol: the base amount, negative for a sale.
    amounts: BTreeMap<String, Decimal>,
}

/// Adds one order line (`  BUY 3 F1 @ 1.2345 USD = 3.71 USD (about 3.41 EUR) (+ est. …)`).
fn add_order(totals: &mut Totals, line: &str) {
    let words: Vec<&str> = line.split_whitespace().collect();
    let (side, symbol) = (words[0], words[2].to_owned());
    let (_, money) = line.split_once(" = ").unwrap();
    let amount = after(money, "").unwrap();
    let currency = money
        .split_whitespace()
        .nth(1)
        .map(|c| c.trim_end_matches(','))
        .filter(|c| c.len() == 3 && c.chars().all(|c| c.is_ascii_uppercase()))
        .unwrap_or("EUR")
        .to_owned();
    // A foreign order's base amount follows it: `= 3.71 USD (about 3.41 EUR)`.
    let order_part = money.split(" (+").next().unwrap();
    let base = after(order_part, "(about ").unwrap_or(amount);
    let (commission, base_commission) = match money.split_once("(+ est. commission ") {
        Some((_, c)) => {
            let own = after(c, "").unwrap();
            (own, after(c, "about ").unwrap_or(own))
        }
        None => (Decimal::ZERO, Decimal::ZERO),
    };
    let entry = totals.own.entry(currency).or_default();
    if side == "BUY" {
        totals.spent += base;
        entry.0 += amount;
        totals.amounts.insert(symbol, base);
    } else {
        totals.received += base;
        entry.1 += amount;
        totals.amounts.insert(symbol, -base);
    }
    entry.2 += commission;
    totals.commission += base_commission;
}

fn check(table: &str) -> Result<(), TestCaseError> {
    let mut totals = Totals::default();
    let mut in_orders = false;
    let mut cash_line = None;
    let mut table_amounts = BTreeMap::new();
    let mut cash_row = None;
    let mut currency_lines = Vec::new();
    for line in table.lines() {
        if line.starts_with("| ") && !line.starts_with("| Symbol") {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let amount = cells[7];
            if cells[1] == "(cash)" {
                cash_row = Some((d(cells[3]), (!amount.is_empty()).then(|| d(amount))));
            } else if !amount.is_empty() {
                table_amounts.insert(cells[1].to_owned(), d(amount));
            }
        } else if line.starts_with("Cash") && line.contains(": in ") {
            cash_line = Some(line.to_owned());
        } else if line.starts_with("Orders (") {
            in_orders = true;
        } else if in_orders && (line.starts_with("  BUY ") || line.starts_with("  SELL ")) {
            add_order(&mut totals, line.trim());
        } else if line.starts_with("  ") && line.as_bytes().get(5) == Some(&b':') {
            currency_lines.push(line.trim().to_owned());
        } else if line.is_empty() {
            in_orders = false;
        }
    }
    let Some(cash) = cash_line else {
        return Err(TestCaseError::fail(format!("no cash line: {table}")));
    };
    let cash_in = after(&cash, "in ").unwrap();
    let spent = after(&cash, "spent ").unwrap();
    let received = after(&cash, "received ").unwrap();
    let commission = after(&cash, "commission ").unwrap();
    let left = after(&cash, "left ").unwrap();
    prop_assert_eq!(cash_in - spent + received - commission, left, "{}", cash);
    prop_assert_eq!(spent, totals.spent, "spent: {}", table);
    prop_assert_eq!(received, totals.received, "received: {}", table);
    prop_assert_eq!(commission, totals.commission, "commission: {}", table);
    prop_assert_eq!(&table_amounts, &totals.amounts, "table amounts: {}", table);
    let (row_in, row_change) = cash_row.expect("a (cash) row");
    prop_assert_eq!(row_in, cash_in);
    prop_assert_eq!(row_change.unwrap_or_default(), left - cash_in);
    for line in currency_lines {
        let currency = &line[..3];
        let (buys, sells, commissions) = totals.own.get(currency).copied().unwrap_or_default();
        prop_assert_eq!(after(&line, "buys ").unwrap_or_default(), buys, "{}", line);
        prop_assert_eq!(
            after(&line, "sells ").unwrap_or_default(),
            sells,
            "{}",
            line
        );
        prop_assert_eq!(
            after(&line, "commissions ").unwrap_or_default(),
            commissions,
            "{}",
            line
        );
        let cash = after(&line, "cash ").unwrap();
        let short = buys + commissions - sells - cash;
        match after(&line, "-> convert ") {
            Some(convert) => prop_assert_eq!(convert, short, "{}", line),
            None => prop_assert!(short <= Decimal::ZERO, "{}", line),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]
    #[test]
    fn printed_figures_add_up(
        funds in proptest::collection::vec(
            (0usize..4, 0u32..400, 10_000u32..3_000_000, 5_000u32..20_000),
            2..6,
        ),
        cash in 0u32..5_000_000,
        full in any::<bool>(),
        with_base in any::<bool>(),
        commission in prop_oneof![
            Just("none".to_owned()),
            Just("ibkr-fixed".to_owned()),
            (0u32..5_000).prop_map(|c| format!("flat:{}", Decimal::new(i64::from(c), 3))),
        ],
    ) {
        let pbal = Pbal::new();
        let strategy = if full { "full" } else { "buy-only" };
        let cash_text = Decimal::new(i64::from(cash), 2).to_string();
        let mut args = vec!["plan".to_owned()];
        if with_base {
            args.push(pbal.write("export.csv", &export(&funds, cash)).display().to_string());
        } else {
            args.push(pbal.write("export.csv", &export_without_base(&funds)).display().to_string());
            args.extend(["-c".to_owned(), cash_text]);
        }
        args.extend(["-s", strategy, "--commission", &commission].map(str::to_owned));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stdout, stderr) = pbal.run(&args);
        prop_assume!(code == 0 && stdout.contains("Orders ("), "{}", stderr);
        check(&stdout)?;
    }
}

/// The case: an order line's base amount and the cash line's parts agree to the cent.
#[test]
fn the_known_case_adds_up() {
    let pbal = Pbal::new();
    let file = crate::common::fixture("flex/multi-currency.csv");
    let targets = crate::common::fixture("targets-multi-currency.toml");
    let (code, stdout, stderr) = pbal.run(&[
        "plan",
        file.to_str().unwrap(),
        "-s",
        "full",
        "-t",
        targets.to_str().unwrap(),
        "--commission",
        "ibkr-fixed",
        // The export's own 3,000.00 EUR as the whole cash, as when the case was found.
        "--cash-total",
        "3000",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(
            "Cash EUR: in 3,000.00, spent 5,938.46, received 2,955.78, commission 9.39, left 7.93"
        ),
        "{stdout}"
    );
    check(&stdout).unwrap();
}

/// A plan that spends the cash to the last fraction of a cent: rounded against the account,
/// its printed figures leave a cent less than nothing, and the line says what is left exactly.
#[test]
fn a_printed_left_below_the_reserve_says_what_is_left_exactly() {
    let pbal = Pbal::new();
    let file = pbal.write(
        "edge.csv",
        "Symbol,Quantity,MarkPrice,PositionValue\nA,1,49.9975,49.9975\n",
    );
    let (code, stdout, stderr) = pbal.run(&[
        "plan",
        file.to_str().unwrap(),
        "-c",
        "100",
        "--commission",
        "flat:0.005",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let cash = stdout.lines().find(|l| l.starts_with("Cash:")).unwrap();
    insta::assert_snapshot!(cash, @"Cash: in 100.00, spent 100.00, received 0.00, commission 0.01, left -0.01 (exactly 0.00: each order's amount and commission are rounded against the account)");
    assert!(
        stdout.contains("BUY         2 A        @    49.9975 = 100.00 (+ est. commission 0.01)")
    );
}
