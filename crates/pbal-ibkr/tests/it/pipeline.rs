//! The whole reading pipeline as one property: a generated portfolio (accounts, currencies with
//! rates to a base currency, positions with lots, cash per account and currency, trades),
//! written in every export layout pbal reads with rows in every order IBKR uses, reads back as
//! exactly what was generated.
//!
//! 64 cases by default (each case reads every layout); a long run:
//! `PROPTEST_CASES=20000 cargo test -p pbal-ibkr --release --test it pipeline`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use jiff::civil::Date;
use pbal_ibkr::{Statement, read_bytes};
use proptest::prelude::*;
use rust_decimal::Decimal;

const CURRENCIES: [&str; 6] = ["USD", "EUR", "CAD", "CHF", "GBP", "JPY"];
const SYMBOLS: [&str; 10] = [
    "VTI", "VXUS", "BND", "EUNL", "VWCE", "XEQT", "CSPX", "BRK B", "7203", "SPY",
];

// ---------------------------------------------------------------------------------------------
// The portfolio
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub(crate) struct Lot {
    open: Date,
    quantity: Decimal,
    cost_basis: Decimal,
}

#[derive(Debug, Clone)]
pub(crate) struct Pos {
    pub(crate) account: usize,
    pub(crate) symbol: usize,
    pub(crate) currency: &'static str,
    pub(crate) quantity: Decimal,
    pub(crate) price: Decimal,
    pub(crate) cost_basis: Decimal,
    pub(crate) lots: Vec<Lot>,
}

impl Pos {
    pub(crate) fn value(&self) -> Decimal {
        self.quantity * self.price
    }
    fn lot_value(&self, lot: &Lot) -> Decimal {
        lot.quantity * self.price
    }
    pub(crate) fn short(&self) -> bool {
        self.quantity < Decimal::ZERO
    }
    pub(crate) fn symbol_name(&self) -> &'static str {
        SYMBOLS[self.symbol]
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Cash {
    pub(crate) account: usize,
    /// An ISO code, or `BASE` for the base-currency summary.
    pub(crate) currency: &'static str,
    pub(crate) amount: Decimal,
}

#[derive(Debug, Clone)]
pub(crate) struct Trade {
    account: usize,
    symbol: usize,
    currency: &'static str,
    date: Date,
    sell: bool,
    quantity: Decimal,
    price: Decimal,
    /// Realized P&L (0 for a buy, as IBKR writes it).
    realized: Decimal,
}

#[derive(Debug, Clone)]
pub(crate) struct Model {
    pub(crate) base: &'static str,
    /// The currencies securities trade in (the base may be one of them or not).
    pub(crate) traded: Vec<&'static str>,
    /// Rate to base for every currency used (the base at 1).
    pub(crate) rates: BTreeMap<&'static str, Decimal>,
    pub(crate) accounts: Vec<String>,
    pub(crate) positions: Vec<Pos>,
    pub(crate) cash: Vec<Cash>,
    pub(crate) trades: Vec<Trade>,
    /// Drives every choice of layout detail and row order.
    pub(crate) seed: u64,
}

impl Model {
    fn currency_of(&self, symbol: usize) -> &'static str {
        self.traded[symbol % self.traded.len()]
    }
    /// Without a LevelOfDetail column, a summary is found as the sum of two or more lots; a
    /// single lot next to its summary needs the column (else it reads as a row twice).
    fn needs_levels(&self) -> bool {
        self.positions.iter().any(|p| p.lots.len() == 1)
    }
    fn single_currency(&self) -> bool {
        self.positions
            .iter()
            .all(|p| p.currency == self.positions[0].currency)
    }
}

pub(crate) fn day(offset: i64) -> Date {
    jiff::civil::date(2015, 1, 1)
        .checked_add(jiff::Span::new().days(offset))
        .unwrap()
}

fn quantity() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        3 => (1i64..=500).prop_map(Decimal::from),
        1 => (1i64..=5_000_000).prop_map(|n| Decimal::new(n, 4)),
    ]
}

fn price() -> impl Strategy<Value = Decimal> {
    (1i64..=2_000_000, 2u32..=4).prop_map(|(n, scale)| Decimal::new(n, scale))
}

fn money(low: i64, high: i64) -> impl Strategy<Value = Decimal> {
    (low..=high).prop_map(|n| Decimal::new(n, 2))
}

type PosSpec = (
    usize,
    usize,
    Decimal,
    Decimal,
    Decimal,
    bool,
    Vec<(Decimal, Decimal, i64)>,
);

fn pos_spec() -> impl Strategy<Value = PosSpec> {
    (
        0usize..3,
        0usize..SYMBOLS.len(),
        quantity(),
        price(),
        money(1, 10_000_000),
        prop::bool::weighted(0.1),
        prop::collection::vec((quantity(), money(1, 10_000_000), 0i64..4000), 0..=3),
    )
}

type TradeSpec = (usize, usize, i64, bool, i64, Decimal, Decimal);

fn trade_spec() -> impl Strategy<Value = TradeSpec> {
    (
        0usize..3,
        0usize..SYMBOLS.len(),
        0i64..4000,
        any::<bool>(),
        1i64..=200,
        price(),
        money(-1_000_000, 1_000_000),
    )
}

prop_compose! {
    pub(crate) fn model()(
        accounts in 1usize..=3,
        currencies in prop::sample::subsequence(CURRENCIES.to_vec(), 1..=3),
        base_held in prop::bool::weighted(0.7),
        other_base in 0usize..CURRENCIES.len(),
        rates in prop::collection::vec(1i64..=2_000_000, CURRENCIES.len()),
        specs in prop::collection::vec(pos_spec(), 1..=8),
        cash in prop::collection::vec((any::<bool>(), money(-5_000_000, 50_000_000)), 3 * CURRENCIES.len()),
        trades in prop::collection::vec(trade_spec(), 0..=4),
        seed in any::<u64>(),
    ) -> Model {
        build(accounts, &currencies, base_held, other_base, &rates, specs, &cash, trades, seed)
    }
}

#[allow(clippy::too_many_arguments)]
fn build(
    accounts: usize,
    currencies: &[&'static str],
    base_held: bool,
    other_base: usize,
    rates: &[i64],
    specs: Vec<PosSpec>,
    cash: &[(bool, Decimal)],
    trades: Vec<TradeSpec>,
    seed: u64,
) -> Model {
    let base = if base_held {
        currencies[0]
    } else {
        CURRENCIES[other_base]
    };
    let mut rate_of: BTreeMap<&'static str, Decimal> = currencies
        .iter()
        .map(|c| {
            let i = CURRENCIES.iter().position(|x| x == c).unwrap();
            (*c, Decimal::new(rates[i], 6))
        })
        .collect();
    rate_of.insert(base, Decimal::ONE);
    let mut model = Model {
        base,
        traded: currencies.to_vec(),
        rates: rate_of,
        accounts: (1..=accounts)
            .map(|i| format!("U{}", 1_111_111 * i))
            .collect(),
        positions: Vec::new(),
        cash: Vec::new(),
        trades: Vec::new(),
        seed,
    };
    for (account, symbol, quantity, price, cost_basis, short, lots) in specs {
        let account = account % accounts;
        if model
            .positions
            .iter()
            .any(|p| p.account == account && p.symbol == symbol)
        {
            continue;
        }
        let sign = if short { -Decimal::ONE } else { Decimal::ONE };
        let lots: Vec<Lot> = lots
            .into_iter()
            .map(|(quantity, cost_basis, open)| Lot {
                open: day(open),
                quantity: quantity * sign,
                cost_basis: cost_basis * sign,
            })
            .collect();
        let (quantity, cost_basis) = if lots.is_empty() {
            (quantity * sign, cost_basis * sign)
        } else {
            (
                lots.iter().map(|l| l.quantity).sum(),
                lots.iter().map(|l| l.cost_basis).sum(),
            )
        };
        let currency = model.currency_of(symbol);
        // One symbol has one mark price in a statement, whichever account holds it.
        let price = model
            .positions
            .iter()
            .find(|p| p.symbol == symbol)
            .map_or(price, |p| p.price);
        model.positions.push(Pos {
            account,
            symbol,
            currency,
            quantity,
            price,
            cost_basis,
            lots,
        });
    }
    // Every account has a Cash Report: a row per currency it holds cash in (the base always),
    // and the base-currency summary of them.
    let held: Vec<&'static str> = model.rates.keys().copied().collect();
    for account in 0..accounts {
        let mut base_total = Decimal::ZERO;
        for (i, currency) in held.iter().enumerate() {
            let (listed, amount) = cash[account * CURRENCIES.len() + i];
            if listed || *currency == base {
                base_total += amount * model.rates[currency];
                model.cash.push(Cash {
                    account,
                    currency,
                    amount,
                });
            }
        }
        model.cash.push(Cash {
            account,
            currency: "BASE",
            amount: base_total.round_dp(2),
        });
    }
    for (account, symbol, date, sell, quantity, price, realized) in trades {
        model.trades.push(Trade {
            account: account % accounts,
            symbol,
            currency: model.currency_of(symbol),
            date: day(date),
            sell,
            quantity: Decimal::from(quantity),
            price,
            realized: if sell { realized } else { Decimal::ZERO },
        });
    }
    model
}

// ---------------------------------------------------------------------------------------------
// Choices: one small generator drives every layout detail and row order, from the case's seed
// ---------------------------------------------------------------------------------------------

struct Choices(u64);

impl Choices {
    fn next(&mut self) -> u64 {
        // SplitMix64: every seed, 0 included, gives a full sequence.
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// How a Flex query writes dates and date-times.
struct DateStyle {
    date: &'static str,
    separator: &'static str,
    time: &'static str,
}

impl DateStyle {
    fn choose(c: &mut Choices) -> Self {
        Self {
            date: c.pick(&["%Y%m%d", "%Y-%m-%d", "%d-%b-%y"]),
            separator: c.pick(&[";", ",", " "]),
            time: c.pick(&["%H%M%S", "%H:%M:%S"]),
        }
    }
    fn date(&self, d: Date) -> String {
        d.strftime(self.date).to_string()
    }
    fn date_time(&self, d: Date) -> String {
        let t = d.at(10, 30, 5, 0);
        format!(
            "{}{}{}",
            t.strftime(self.date),
            self.separator,
            t.strftime(self.time)
        )
    }
}

fn description(symbol: usize) -> String {
    // Commas, quotes and an ampersand, as real descriptions have.
    format!("{} FUND, \"CLASS A\" & CO", SYMBOLS[symbol])
}

fn conid(symbol: usize) -> String {
    (43_000_100 + symbol).to_string()
}

// ---------------------------------------------------------------------------------------------
// Flex CSV: plain, with BOF/BOA/BOS records, with HEADER/DATA section codes
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Layout {
    /// The original tool's `Symbol,PositionValue,MarkPrice,FifoPnlUnrealized`.
    Original,
    FlexPlain,
    FlexHeaderTrailer,
    FlexSectionCodes,
    Activity,
    Xml,
}

/// One section of one Flex statement: its code, title, columns and rows (by column name).
struct Section {
    code: &'static str,
    title: &'static str,
    columns: Vec<&'static str>,
    rows: Vec<BTreeMap<&'static str, String>>,
}

const ACCT: [&str; 5] = [
    "ClientAccountID",
    "AccountAlias",
    "CurrencyPrimary",
    "AccountType",
    "CustomerType",
];
const POST: [&str; 22] = [
    "ClientAccountID",
    "AccountAlias",
    "CurrencyPrimary",
    "FXRateToBase",
    "AssetClass",
    "SubCategory",
    "Symbol",
    "Description",
    "Conid",
    "ListingExchange",
    "Multiplier",
    "ReportDate",
    "Quantity",
    "MarkPrice",
    "PositionValue",
    "CostBasisPrice",
    "CostBasisMoney",
    "PercentOfNAV",
    "FifoPnlUnrealized",
    "Side",
    "LevelOfDetail",
    "OpenDateTime",
];
const CRTT: [&str; 11] = [
    "ClientAccountID",
    "AccountAlias",
    "Model",
    "CurrencyPrimary",
    "LevelOfDetail",
    "FromDate",
    "ToDate",
    "StartingCash",
    "Commissions",
    "EndingCash",
    "EndingSettledCash",
];
const TRNT: [&str; 11] = [
    "ClientAccountID",
    "CurrencyPrimary",
    "AssetClass",
    "Symbol",
    "Description",
    "TradeDate",
    "DateTime",
    "Buy/Sell",
    "Quantity",
    "TradePrice",
    "FifoPnlRealized",
];

fn alias(account: usize) -> String {
    ["Main, taxable", "IRA \"Roth\"", "Kids"][account].to_owned()
}

/// The Open Positions rows of `positions`: with levels, a SUMMARY row and then its LOT rows (in
/// either order IBKR sorts lots).
fn post_rows(
    m: &Model,
    positions: &[&Pos],
    levels: bool,
    dates: &DateStyle,
    c: &mut Choices,
) -> Vec<BTreeMap<&'static str, String>> {
    let mut rows = Vec::new();
    for p in positions {
        let row =
            |quantity: Decimal, value: Decimal, cost_basis: Decimal, level: &str, open: String| {
                let mut r: BTreeMap<&'static str, String> = BTreeMap::new();
                r.insert("ClientAccountID", m.accounts[p.account].clone());
                r.insert("AccountAlias", alias(p.account));
                r.insert("CurrencyPrimary", p.currency.to_owned());
                r.insert("FXRateToBase", m.rates[p.currency].to_string());
                r.insert("AssetClass", "STK".into());
                r.insert("SubCategory", "ETF".into());
                r.insert("Symbol", SYMBOLS[p.symbol].into());
                r.insert("Description", description(p.symbol));
                r.insert("Conid", conid(p.symbol));
                r.insert("ListingExchange", "ARCA".into());
                r.insert("Multiplier", "1".into());
                r.insert("ReportDate", dates.date(day(4000)));
                r.insert("Quantity", quantity.to_string());
                r.insert("MarkPrice", p.price.to_string());
                r.insert("PositionValue", value.to_string());
                r.insert(
                    "CostBasisPrice",
                    (cost_basis / quantity).round_dp(6).to_string(),
                );
                r.insert("CostBasisMoney", cost_basis.to_string());
                r.insert(
                    "PercentOfNAV",
                    if level == "LOT" { "" } else { "1.25" }.into(),
                );
                r.insert("FifoPnlUnrealized", (value - cost_basis).to_string());
                r.insert("Side", if p.short() { "Short" } else { "Long" }.into());
                r.insert(
                    "LevelOfDetail",
                    if levels { level.into() } else { String::new() },
                );
                r.insert("OpenDateTime", open);
                r
            };
        rows.push(row(
            p.quantity,
            p.value(),
            p.cost_basis,
            "SUMMARY",
            String::new(),
        ));
        let mut lots: Vec<&Lot> = p.lots.iter().collect();
        if c.coin() {
            lots.sort_by_key(|l| l.open);
        } else {
            c.shuffle(&mut lots);
        }
        for lot in lots {
            rows.push(row(
                lot.quantity,
                p.lot_value(lot),
                lot.cost_basis,
                "LOT",
                dates.date_time(lot.open),
            ));
        }
    }
    rows
}

fn crtt_row(m: &Model, cash: &Cash, dates: &DateStyle) -> BTreeMap<&'static str, String> {
    let mut r = BTreeMap::new();
    let base = cash.currency == "BASE";
    r.insert("ClientAccountID", m.accounts[cash.account].clone());
    r.insert("AccountAlias", alias(cash.account));
    r.insert("Model", String::new());
    r.insert(
        "CurrencyPrimary",
        if base { "BASE_SUMMARY" } else { cash.currency }.into(),
    );
    r.insert(
        "LevelOfDetail",
        if base { "BaseCurrency" } else { "Currency" }.into(),
    );
    r.insert("FromDate", dates.date(day(3990)));
    r.insert("ToDate", dates.date(day(4000)));
    r.insert(
        "StartingCash",
        (cash.amount + Decimal::ONE_HUNDRED).to_string(),
    );
    r.insert("Commissions", "-1.5".into());
    r.insert("EndingCash", cash.amount.to_string());
    // Settled cash differs: pbal reads EndingCash.
    r.insert(
        "EndingSettledCash",
        (cash.amount - Decimal::TEN).to_string(),
    );
    r
}

fn trnt_row(m: &Model, t: &Trade, dates: &DateStyle) -> BTreeMap<&'static str, String> {
    let mut r = BTreeMap::new();
    r.insert("ClientAccountID", m.accounts[t.account].clone());
    r.insert("CurrencyPrimary", t.currency.into());
    r.insert("AssetClass", "STK".into());
    r.insert("Symbol", SYMBOLS[t.symbol].into());
    r.insert("Description", description(t.symbol));
    r.insert("TradeDate", dates.date(t.date));
    r.insert("DateTime", dates.date_time(t.date));
    r.insert("Buy/Sell", if t.sell { "SELL" } else { "BUY" }.into());
    let signed = if t.sell { -t.quantity } else { t.quantity };
    r.insert("Quantity", signed.to_string());
    r.insert("TradePrice", t.price.to_string());
    r.insert("FifoPnlRealized", t.realized.to_string());
    r
}

fn acct_row(m: &Model, account: usize) -> BTreeMap<&'static str, String> {
    let mut r = BTreeMap::new();
    r.insert("ClientAccountID", m.accounts[account].clone());
    r.insert("AccountAlias", alias(account));
    r.insert("CurrencyPrimary", m.base.into());
    r.insert("AccountType", "Individual".into());
    r.insert("CustomerType", "Individual".into());
    r
}

/// Columns as the user ticked them: any order.
fn columns(names: &[&'static str], c: &mut Choices) -> Vec<&'static str> {
    let mut columns = names.to_vec();
    c.shuffle(&mut columns);
    columns
}

/// The sections of the accounts in `accounts`, rows in one of the orders IBKR writes.
fn sections(
    m: &Model,
    accounts: &[usize],
    levels: bool,
    dates: &DateStyle,
    c: &mut Choices,
) -> Vec<Section> {
    let mut positions: Vec<&Pos> = m
        .positions
        .iter()
        .filter(|p| accounts.contains(&p.account))
        .collect();
    match c.below(3) {
        0 => positions.sort_by_key(|p| (p.account, SYMBOLS[p.symbol])),
        1 => positions.sort_by_key(|p| (p.currency, SYMBOLS[p.symbol], p.account)),
        _ => c.shuffle(&mut positions),
    }
    let mut cash: Vec<&Cash> = m
        .cash
        .iter()
        .filter(|x| accounts.contains(&x.account))
        .collect();
    // By account (BASE_SUMMARY first), or by currency across accounts (every account's
    // BASE_SUMMARY, then every account's USD, …): the order that once doubled household cash.
    let rank = |x: &Cash| u8::from(x.currency != "BASE");
    if c.coin() {
        cash.sort_by_key(|x| (x.account, rank(x), x.currency));
    } else {
        cash.sort_by_key(|x| (rank(x), x.currency, x.account));
    }
    let mut trades: Vec<&Trade> = m
        .trades
        .iter()
        .filter(|t| accounts.contains(&t.account))
        .collect();
    c.shuffle(&mut trades);
    let mut post_columns = columns(&POST, c);
    if !levels {
        post_columns.retain(|n| *n != "LevelOfDetail");
    }
    let mut sections = vec![
        Section {
            code: "ACCT",
            title: "Account Information",
            columns: columns(&ACCT, c),
            rows: accounts.iter().map(|a| acct_row(m, *a)).collect(),
        },
        Section {
            code: "POST",
            title: "Open Positions",
            columns: post_columns,
            rows: post_rows(m, &positions, levels, dates, c),
        },
        Section {
            code: "CRTT",
            title: "Cash Report; trade date basis",
            columns: columns(&CRTT, c),
            rows: cash.iter().map(|x| crtt_row(m, x, dates)).collect(),
        },
    ];
    if !trades.is_empty() || c.coin() {
        sections.push(Section {
            code: "TRNT",
            title: "Trades; trade date basis",
            columns: columns(&TRNT, c),
            rows: trades.iter().map(|t| trnt_row(m, t, dates)).collect(),
        });
    }
    c.shuffle(&mut sections);
    sections
}

fn quoted(fields: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let fields: Vec<String> = fields
        .into_iter()
        .map(|f| format!("\"{}\"", f.as_ref().replace('"', "\"\"")))
        .collect();
    fields.join(",") + "\n"
}

fn flex_csv(m: &Model, layout: Layout, c: &mut Choices) -> String {
    let dates = DateStyle::choose(c);
    let levels = m.needs_levels() || c.coin();
    let codes = layout == Layout::FlexSectionCodes;
    // Header and trailer records: always in that layout, often with section codes.
    let trailers = layout == Layout::FlexHeaderTrailer || (codes && c.coin());
    // Variants seen in real files: dates on BOA records, `"EOS","TRNT"` and a bare `"EOF"`.
    let breakout_by_day = trailers && c.coin();
    let short_trailers = trailers && c.coin();
    let all: Vec<usize> = (0..m.accounts.len()).collect();
    // Without BOA blocks, accounts are stacked (each its own sections) or merged (each
    // section holds every account's rows).
    let blocks: Vec<Vec<usize>> = if trailers || c.coin() {
        all.iter().map(|a| vec![*a]).collect()
    } else {
        vec![all.clone()]
    };
    let mut out = String::new();
    if !trailers && c.coin() {
        out += &quoted([
            "MSG",
            "Realized P/L is not ready and has been disabled for this statement.",
        ]);
    }
    if trailers {
        out += &quoted([
            "BOF",
            &m.accounts[0],
            "pbal-positions",
            &blocks.len().to_string(),
            &dates.date(day(3990)),
            &dates.date(day(4000)),
            &dates.date_time(day(4001)),
            "100",
            "100",
        ]);
    }
    for block in &blocks {
        if trailers {
            if breakout_by_day {
                // "Breakout by Day": the block's dates, unquoted.
                let d = dates.date(day(4000));
                let _ = writeln!(out, "\"BOA\",\"{}\",{d},{d}", m.accounts[block[0]]);
            } else {
                out += &quoted(["BOA", &m.accounts[block[0]]]);
            }
        }
        for s in sections(m, block, levels, &dates, c) {
            if trailers {
                out += &quoted(["BOS", s.code, s.title]);
            }
            let lead: Vec<&str> = if codes {
                vec!["HEADER", s.code]
            } else {
                vec![]
            };
            out += &quoted(lead.iter().copied().chain(s.columns.iter().copied()));
            for row in &s.rows {
                let lead: Vec<&str> = if codes { vec!["DATA", s.code] } else { vec![] };
                out += &quoted(
                    lead.iter()
                        .map(|x| (*x).to_owned())
                        .chain(s.columns.iter().map(|col| row[col].clone())),
                );
            }
            if trailers {
                if short_trailers {
                    out += &quoted(["EOS", s.code]);
                } else {
                    out += &quoted(["EOS", s.code, &s.rows.len().to_string(), "0"]);
                }
            }
        }
        if trailers {
            out += &quoted(["EOA", &m.accounts[block[0]]]);
        }
    }
    if trailers {
        out += &if short_trailers {
            quoted(["EOF"])
        } else {
            quoted(["EOF", &m.accounts[0]])
        };
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The original tool's CSV, the Activity Statement, Flex XML
// ---------------------------------------------------------------------------------------------

fn original(m: &Model, c: &mut Choices) -> String {
    let quote = c.coin();
    let line = |fields: &[String]| {
        if quote {
            quoted(fields)
        } else {
            fields.join(",") + "\n"
        }
    };
    let mut out = line(&[
        "Symbol".into(),
        "PositionValue".into(),
        "MarkPrice".into(),
        "FifoPnlUnrealized".into(),
    ]);
    let mut positions: Vec<&Pos> = m.positions.iter().collect();
    c.shuffle(&mut positions);
    for p in positions {
        out += &line(&[
            SYMBOLS[p.symbol].into(),
            p.value().to_string(),
            p.price.to_string(),
            (p.value() - p.cost_basis).to_string(),
        ]);
    }
    out
}

/// An Activity Statement number: plain, or with thousands separators (then quoted).
fn number(n: Decimal, c: &mut Choices) -> String {
    let plain = n.to_string();
    if n.abs() < Decimal::ONE_THOUSAND || c.coin() {
        return plain;
    }
    let (sign, digits) = plain
        .strip_prefix('-')
        .map_or(("", plain.as_str()), |d| ("-", d));
    let (whole, fraction) = digits.split_once('.').map_or((digits, ""), |(w, f)| (w, f));
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let point = if fraction.is_empty() { "" } else { "." };
    format!("\"{sign}{grouped}{point}{fraction}\"")
}

fn activity(m: &Model, c: &mut Choices) -> String {
    let account = &m.accounts[0];
    let mut blocks: Vec<String> = Vec::new();
    blocks.push(format!(
        "Account Information,Header,Field Name,Field Value\n\
         Account Information,Data,Name,Example Investor\n\
         Account Information,Data,Account,{account}\n\
         Account Information,Data,Base Currency,{}\n",
        m.base
    ));
    let mut rates = String::from("Base Currency Exchange Rate,Header,Currency,Rate\n");
    for (currency, rate) in &m.rates {
        if *currency != m.base {
            let _ = writeln!(rates, "Base Currency Exchange Rate,Data,{currency},{rate}");
        }
    }
    blocks.push(rates);

    // Cash: Ending Cash is read, Starting and Ending Settled Cash are not.
    let mut cash_rows = Vec::new();
    for x in &m.cash {
        let label = if x.currency == "BASE" {
            "Base Currency Summary"
        } else {
            x.currency
        };
        for (kind, amount) in [
            ("Starting Cash", x.amount + Decimal::ONE_HUNDRED),
            ("Ending Cash", x.amount),
            ("Ending Settled Cash", x.amount - Decimal::TEN),
        ] {
            let n = number(amount, c);
            cash_rows.push(format!("Cash Report,Data,{kind},{label},{n},{n},0,,,\n"));
        }
    }
    c.shuffle(&mut cash_rows);
    blocks.push(
        "Cash Report,Header,Currency Summary,Currency,Total,Securities,Futures,Month to Date,Year to Date,\n"
            .to_owned()
            + &cash_rows.concat(),
    );

    // Open positions: by currency then symbol, a Total per currency and, for another
    // currency than the base, the same Total in the base currency.
    let split = c.coin();
    let header = "Header,DataDiscriminator,Asset Category,Currency,Symbol,Open,Quantity,Mult,Cost Price,Cost Basis,Close Price,Value,Unrealized P/L,Code\n";
    let mut currencies: Vec<&str> = m.rates.keys().copied().collect();
    c.shuffle(&mut currencies);
    for (section, shorts) in [
        ("Long Open Positions", false),
        ("Short Open Positions", true),
    ] {
        let name = if split { section } else { "Open Positions" };
        if split || !shorts {
            let mut out = format!("{name},{header}");
            for currency in &currencies {
                let mut positions: Vec<&Pos> = m
                    .positions
                    .iter()
                    .filter(|p| p.currency == *currency && (!split || p.short() == shorts))
                    .collect();
                if positions.is_empty() {
                    continue;
                }
                positions.sort_by_key(|p| SYMBOLS[p.symbol]);
                let (mut cost, mut value, mut pnl) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
                for p in positions {
                    let pv = p.value();
                    let _ = writeln!(
                        out,
                        "{name},Data,Summary,Stocks,{currency},{},-,{},1,{},{},{},{},{},",
                        SYMBOLS[p.symbol],
                        number(p.quantity, c),
                        (p.cost_basis / p.quantity).round_dp(9),
                        number(p.cost_basis, c),
                        p.price,
                        number(pv, c),
                        number(pv - p.cost_basis, c),
                    );
                    let mut lots: Vec<&Lot> = p.lots.iter().collect();
                    lots.sort_by_key(|l| std::cmp::Reverse(l.open));
                    for lot in lots {
                        let lv = p.lot_value(lot);
                        let _ = writeln!(
                            out,
                            "{name},Data,Lot,Stocks,{currency},{},\"{}\",{},,{},{},{},{},{},{}",
                            SYMBOLS[p.symbol],
                            lot.open.at(15, 39, 46, 0).strftime("%Y-%m-%d, %H:%M:%S"),
                            number(lot.quantity, c),
                            (lot.cost_basis / lot.quantity).round_dp(9),
                            number(lot.cost_basis, c),
                            p.price,
                            number(lv, c),
                            number(lv - lot.cost_basis, c),
                            if lot.open < day(3600) { "LT" } else { "ST" },
                        );
                    }
                    cost += p.cost_basis;
                    value += pv;
                    pnl += pv - p.cost_basis;
                }
                let _ = writeln!(
                    out,
                    "{name},Total,,Stocks,{currency},,,,,,{},,{},{},",
                    number(cost, c),
                    number(value, c),
                    number(pnl, c)
                );
                if *currency != m.base {
                    let rate = m.rates[currency];
                    let _ = writeln!(
                        out,
                        "{name},Total,,Stocks,{},,,,,,{},,{},{},",
                        m.base,
                        number((cost * rate).round_dp(8), c),
                        number((value * rate).round_dp(8), c),
                        number((pnl * rate).round_dp(8), c)
                    );
                }
            }
            if c.coin() {
                // A forex balance: cash, not a position.
                let _ = writeln!(
                    out,
                    "{name},Data,Summary,Forex,{0},{0},-,1000,1,1,1000,1,1000,0,",
                    m.base
                );
            }
            blocks.push(out);
        }
    }

    let mut trades = String::from(
        "Trades,Header,DataDiscriminator,Asset Category,Currency,Symbol,Date/Time,Quantity,T. Price,Proceeds,Comm/Fee,Basis,Realized P/L,Code\n",
    );
    for t in &m.trades {
        let signed = if t.sell { -t.quantity } else { t.quantity };
        let _ = writeln!(
            trades,
            "Trades,Data,Order,Stocks,{},{},\"{}\",{},{},{},-1,{},{},{}",
            t.currency,
            SYMBOLS[t.symbol],
            t.date.at(10, 12, 0, 0).strftime("%Y-%m-%d, %H:%M:%S"),
            signed,
            t.price,
            number(-signed * t.price, c),
            number(signed * t.price, c),
            number(t.realized, c),
            if t.sell { "C" } else { "O" },
        );
    }
    blocks.push(trades);
    c.shuffle(&mut blocks);
    // A statement always ends with its Codes and Notes/Legal Notes (one without them is cut
    // short), sometimes only Codes.
    let notes = if c.coin() {
        "Notes/Legal Notes,Header,Type,Note\nNotes/Legal Notes,Data,Notes,\"Trades settle on T+1.\"\n"
    } else {
        ""
    };
    "Statement,Header,Field Name,Field Value\nStatement,Data,Title,Activity Statement\nStatement,Data,Period,\"November 20, 2026\"\n".to_owned()
        + &blocks.concat()
        + "Codes,Header,Code,Meaning\nCodes,Data,LT,Long Term\n"
        + notes
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

fn element(name: &str, attributes: &BTreeMap<&'static str, String>, c: &mut Choices) -> String {
    let mut pairs: Vec<(&&str, &String)> = attributes.iter().collect();
    c.shuffle(&mut pairs);
    let mut attrs = String::new();
    for (k, v) in pairs {
        let _ = write!(attrs, " {k}=\"{}\"", xml_escape(v));
    }
    format!("<{name}{attrs} />\n")
}

/// A Flex CSV row in XML's attribute names (a position's quantity is `position`, a trade's
/// `quantity`).
fn attributes(row: &BTreeMap<&'static str, String>, trade: bool) -> BTreeMap<&'static str, String> {
    row.iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            let name = match *k {
                "ClientAccountID" => "accountId",
                "AccountAlias" => "acctAlias",
                "CurrencyPrimary" => "currency",
                "FXRateToBase" => "fxRateToBase",
                "AssetClass" => "assetCategory",
                "SubCategory" => "subCategory",
                "Symbol" => "symbol",
                "Description" => "description",
                "Conid" => "conid",
                "ListingExchange" => "listingExchange",
                "Multiplier" => "multiplier",
                "ReportDate" => "reportDate",
                "Quantity" if trade => "quantity",
                "Quantity" => "position",
                "MarkPrice" => "markPrice",
                "PositionValue" => "positionValue",
                "CostBasisPrice" => "costBasisPrice",
                "CostBasisMoney" => "costBasisMoney",
                "PercentOfNAV" => "percentOfNAV",
                "FifoPnlUnrealized" => "fifoPnlUnrealized",
                "Side" => "side",
                "LevelOfDetail" => "levelOfDetail",
                "OpenDateTime" => "openDateTime",
                "Model" => "model",
                "FromDate" => "fromDate",
                "ToDate" => "toDate",
                "StartingCash" => "startingCash",
                "Commissions" => "commissions",
                "EndingCash" => "endingCash",
                "EndingSettledCash" => "endingSettledCash",
                "TradeDate" => "tradeDate",
                "DateTime" => "dateTime",
                "Buy/Sell" => "buySell",
                "TradePrice" => "tradePrice",
                "FifoPnlRealized" => "fifoPnlRealized",
                "AccountType" => "accountType",
                "CustomerType" => "customerType",
                other => other,
            };
            (name, v.clone())
        })
        .collect()
}

fn xml(m: &Model, c: &mut Choices) -> String {
    let dates = DateStyle::choose(c);
    let levels = m.needs_levels() || c.coin();
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<FlexQueryResponse queryName=\"pbal\" type=\"AF\">\n",
    );
    let _ = writeln!(out, "<FlexStatements count=\"{}\">", m.accounts.len());
    for account in 0..m.accounts.len() {
        let _ = writeln!(
            out,
            "<FlexStatement accountId=\"{}\" fromDate=\"{}\" toDate=\"{}\" period=\"LastBusinessDay\" whenGenerated=\"{}\">",
            m.accounts[account],
            dates.date(day(3990)),
            dates.date(day(4000)),
            dates.date_time(day(4001)),
        );
        let mut parts = Vec::new();
        for s in sections(m, &[account], levels, &dates, c) {
            let (container, item) = match s.code {
                "ACCT" => (None, "AccountInformation"),
                "POST" => (Some("OpenPositions"), "OpenPosition"),
                "CRTT" => (Some("CashReport"), "CashReportCurrency"),
                _ => (Some("Trades"), "Trade"),
            };
            let items: String = s
                .rows
                .iter()
                .map(|row| {
                    let mut a = attributes(row, s.code == "TRNT");
                    if !levels {
                        a.remove("levelOfDetail");
                    }
                    element(item, &a, c)
                })
                .collect();
            parts.push(match container {
                None => items,
                Some(_) if s.rows.is_empty() => format!("<{}/>\n", container.unwrap()),
                Some(name) => format!("<{name}>\n{items}</{name}>\n"),
            });
        }
        out += &parts.concat();
        out += "</FlexStatement>\n";
    }
    out + "</FlexStatements>\n</FlexQueryResponse>\n"
}

pub(crate) fn render(m: &Model, layout: Layout) -> String {
    let mut c = Choices(m.seed ^ (layout as u64) << 56);
    match layout {
        Layout::Original => original(m, &mut c),
        Layout::FlexPlain | Layout::FlexHeaderTrailer | Layout::FlexSectionCodes => {
            flex_csv(m, layout, &mut c)
        }
        Layout::Activity => activity(m, &mut c),
        Layout::Xml => xml(m, &mut c),
    }
}

/// The layouts that can hold the whole portfolio.
pub(crate) fn layouts(m: &Model) -> Vec<Layout> {
    let mut layouts = vec![
        Layout::FlexPlain,
        Layout::FlexHeaderTrailer,
        Layout::FlexSectionCodes,
        Layout::Xml,
    ];
    // The original tool's file has one account, one currency, no lots, no cash.
    if m.accounts.len() == 1 && m.single_currency() {
        layouts.push(Layout::Original);
    }
    // An Activity Statement is one account's.
    if m.accounts.len() == 1 {
        layouts.push(Layout::Activity);
    }
    layouts
}

// ---------------------------------------------------------------------------------------------
// What was read, in a form to compare
// ---------------------------------------------------------------------------------------------

type LotRead = (Option<Date>, Decimal, Decimal, Option<Decimal>);

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct PosRead {
    account: Option<String>,
    symbol: String,
    currency: Option<String>,
    conid: Option<String>,
    asset_class: Option<String>,
    quantity: Decimal,
    price: Decimal,
    value: Decimal,
    value_base: Option<Decimal>,
    fx: Option<Decimal>,
    pnl: Option<Decimal>,
    lots: Vec<LotRead>,
}

type CashRead = (Option<String>, String, Decimal);
type TradeRead = (Option<String>, String, Date, bool, Decimal, Option<Decimal>);

#[derive(Debug, PartialEq)]
struct Read {
    base: Option<String>,
    accounts: Vec<String>,
    positions: Vec<PosRead>,
    cash: Vec<CashRead>,
    trades: Vec<TradeRead>,
}

fn read_back(s: &Statement) -> Read {
    let mut positions: Vec<PosRead> = s
        .positions
        .iter()
        .map(|p| {
            let mut lots: Vec<LotRead> = p
                .lots
                .iter()
                .map(|l| (l.open_date, l.quantity, l.cost_basis, l.unrealized_pnl))
                .collect();
            lots.sort();
            PosRead {
                account: p.account.clone(),
                symbol: p.symbol.clone(),
                currency: p.currency.clone(),
                conid: p.conid.clone(),
                asset_class: p.asset_class.clone(),
                quantity: p.quantity,
                price: p.price,
                value: p.value,
                value_base: p.value_base,
                fx: p.fx_rate_to_base,
                pnl: p.unrealized_pnl,
                lots,
            }
        })
        .collect();
    positions.sort();
    let mut cash: Vec<CashRead> = s
        .cash
        .iter()
        .map(|x| (x.account.clone(), x.currency.clone(), x.amount))
        .collect();
    cash.sort();
    let mut trades: Vec<TradeRead> = s
        .trades
        .iter()
        .map(|t| {
            (
                t.account.clone(),
                t.symbol.clone(),
                t.date,
                t.side == pbal_core::Side::Sell,
                t.quantity,
                t.realized_pnl,
            )
        })
        .collect();
    trades.sort();
    let mut accounts = s.accounts.clone();
    accounts.sort();
    Read {
        base: s.base_currency.clone(),
        accounts,
        positions,
        cash,
        trades,
    }
}

/// What a layout must read back: everything it can hold.
fn expected(m: &Model, layout: Layout) -> Read {
    let original = layout == Layout::Original;
    let activity = layout == Layout::Activity;
    let account = |a: usize| (!activity).then(|| m.accounts[a].clone());
    let mut positions: Vec<PosRead> = m
        .positions
        .iter()
        .map(|p| {
            let rate = m.rates[p.currency];
            let mut lots: Vec<LotRead> = if original {
                Vec::new()
            } else {
                p.lots
                    .iter()
                    .map(|l| {
                        (
                            Some(l.open),
                            l.quantity,
                            l.cost_basis,
                            Some(p.lot_value(l) - l.cost_basis),
                        )
                    })
                    .collect()
            };
            lots.sort();
            PosRead {
                account: if original { None } else { account(p.account) },
                symbol: SYMBOLS[p.symbol].to_owned(),
                currency: (!original).then(|| p.currency.to_owned()),
                conid: (!original && !activity).then(|| conid(p.symbol)),
                asset_class: (!original).then(|| "STK".to_owned()),
                quantity: p.quantity,
                price: p.price,
                value: p.value(),
                value_base: (!original).then(|| (p.value() * rate).round_dp(4)),
                fx: (!original).then_some(rate),
                pnl: Some(p.value() - p.cost_basis),
                lots,
            }
        })
        .collect();
    positions.sort();
    let mut cash: Vec<CashRead> = if original {
        Vec::new()
    } else {
        m.cash
            .iter()
            .map(|x| (account(x.account), x.currency.to_owned(), x.amount))
            .collect()
    };
    cash.sort();
    let mut trades: Vec<TradeRead> = if original {
        Vec::new()
    } else {
        m.trades
            .iter()
            .map(|t| {
                (
                    account(t.account),
                    SYMBOLS[t.symbol].to_owned(),
                    t.date,
                    t.sell,
                    t.quantity,
                    Some(t.realized),
                )
            })
            .collect()
    };
    trades.sort();
    let mut accounts = if original {
        Vec::new()
    } else {
        m.accounts.clone()
    };
    accounts.sort();
    Read {
        base: (!original).then(|| m.base.to_owned()),
        accounts,
        positions,
        cash,
        trades,
    }
}

pub(crate) fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(64);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_layout_reads_back_what_was_written(m in model()) {
        for layout in layouts(&m) {
            let text = render(&m, layout);
            let statement = read_bytes(text.as_bytes(), "generated")
                .map_err(|e| TestCaseError::fail(format!("{layout:?}: {e}\n{text}")))?;
            let mut unique = statement.accounts.clone();
            unique.sort();
            unique.dedup();
            prop_assert_eq!(unique.len(), statement.accounts.len(), "{:?}: accounts twice", layout);
            let read = read_back(&statement);
            let want = expected(&m, layout);
            prop_assert_eq!(&read, &want, "{:?}\n{}", layout, text);
        }
    }

    /// Issue 24: a layout that can show it is whole (trailers, an Activity Statement's
    /// sections, XML's closing elements) shows it. Every cut, at a line or inside one, is
    /// refused or reads exactly what was written. A plain Flex CSV or the original tool's file
    /// has nothing that marks its end: a cut between rows cannot be seen, so it is not claimed.
    #[test]
    fn every_cut_is_refused_or_reads_what_was_written(
        m in model(),
        cuts in prop::collection::vec((any::<prop::sample::Index>(), any::<bool>()), 12),
    ) {
        for layout in layouts(&m) {
            let text = render(&m, layout);
            let provable = match layout {
                Layout::Original | Layout::FlexPlain => false,
                Layout::FlexSectionCodes => text.contains("\"BOF\""),
                Layout::FlexHeaderTrailer | Layout::Activity | Layout::Xml => true,
            };
            if !provable {
                continue;
            }
            let want = expected(&m, layout);
            let line_ends: Vec<usize> = text.match_indices('\n').map(|(i, _)| i + 1).collect();
            for (index, at_line) in &cuts {
                let mut cut = if *at_line {
                    line_ends[index.index(line_ends.len())]
                } else {
                    index.index(text.len())
                };
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                let part = &text[..cut];
                if let Ok(statement) = read_bytes(part.as_bytes(), "generated") {
                    prop_assert_eq!(
                        &read_back(&statement),
                        &want,
                        "{:?} cut at byte {} of {}:\n{}",
                        layout,
                        cut,
                        text.len(),
                        part
                    );
                }
            }
        }
    }
}
