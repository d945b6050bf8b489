//! Renders a plan as a table, JSON or CSV.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use pbal_core::{Money, Optimality, Plan};
use pbal_ibkr::Instrument;
use rust_decimal::Decimal;

use crate::render_table::Markdown;

/// A plan with what the CLI knows about its instruments.
pub(crate) struct PlanReport<'a> {
    pub(crate) plan: &'a Plan,
    pub(crate) base_currency: Option<&'a str>,
    pub(crate) instruments: &'a BTreeMap<String, Instrument>,
    /// A household plan's orders per account, and each account's cash.
    pub(crate) household: Option<&'a pbal_ibkr::HouseholdOrders>,
    /// Cash per currency the orders can use (none: unknown, e.g. an amount given in the base
    /// currency only).
    pub(crate) cash_by_currency: Option<&'a BTreeMap<String, Decimal>>,
}

/// An order's money in its own currency and in the base currency, as shown: rounded once
/// against the account ([`pbal_ibkr::OrderFigures`]).
#[derive(Clone, Copy)]
pub(crate) struct OrderMoney<'a> {
    pub(crate) currency: Option<&'a str>,
    pub(crate) price: Decimal,
    pub(crate) amount: Decimal,
    pub(crate) base_amount: Decimal,
    /// The estimated commission in the order's currency.
    pub(crate) commission: Decimal,
    /// The estimated commission in the base currency.
    pub(crate) base_commission: Decimal,
    /// The order's currency is not the base currency.
    pub(crate) foreign: bool,
}

/// The cash line's figures as shown, made from the shown orders so that in − spent +
/// received − commission = left holds as printed: spent and received are the sums of the
/// orders' base amounts, commission the sum of their base commissions (a household plan's:
/// its accounts' orders), in the cash rounded down.
pub(crate) struct CashShown {
    pub(crate) cash_in: Decimal,
    pub(crate) spent: Decimal,
    pub(crate) received: Decimal,
    pub(crate) commission: Decimal,
    /// A household plan's extra commission of orders split over accounts (part of
    /// `commission`).
    pub(crate) split_extra: Decimal,
    pub(crate) left: Decimal,
}

/// Money with two decimals at least (exact beyond that) and no exponent.
pub(crate) fn money(d: Decimal) -> String {
    decimal_text(d.normalize(), 2)
}

/// The decimal digits of `n` into `digits`, least significant first; how many (none for 0).
/// A 128-bit division costs several 64-bit ones, and nearly every mantissa fits 64 bits: only
/// the digits above that take the wide one.
fn digits_of(mut n: u128, digits: &mut [u8; 40]) -> usize {
    let mut len = 0;
    while n > u128::from(u64::MAX) {
        digits[len] = b'0' + (n % 10) as u8;
        n /= 10;
        len += 1;
    }
    let mut n = n as u64;
    while n > 0 {
        digits[len] = b'0' + (n % 10) as u8;
        n /= 10;
        len += 1;
    }
    len
}

/// `d` as its `Display` prints it (every digit of its scale), with zeros added up to
/// `min_scale` decimals. Written digit by digit: plan output for 5,000 holdings prints over
/// 40,000 numbers, and `Display` through `format!` cost a tenth of the process.
pub(crate) fn decimal_text(d: Decimal, min_scale: u32) -> String {
    let mut out = String::with_capacity(24);
    push_decimal_text(&mut out, d, min_scale);
    out
}

/// [`decimal_text`] appended to `out`.
fn push_decimal_text(out: &mut String, d: Decimal, min_scale: u32) {
    let scale = d.scale() as usize;
    let mut digits = [0u8; 40];
    let mut len = digits_of(d.mantissa().unsigned_abs(), &mut digits);
    // Leading zeros of the fraction, and a zero before the point.
    while len < scale + 1 {
        digits[len] = b'0';
        len += 1;
    }
    let pad = (min_scale as usize).saturating_sub(scale);
    if d.is_sign_negative() {
        out.push('-');
    }
    for i in (scale..len).rev() {
        out.push(char::from(digits[i]));
    }
    if scale + pad > 0 {
        out.push('.');
    }
    for i in (0..scale).rev() {
        out.push(char::from(digits[i]));
    }
    for _ in 0..pad {
        out.push('0');
    }
}

/// A number of hundredths as `{:.2}` prints it (`-` before it if `negative`, even for
/// zero), thousands grouped if asked.
fn push_cents(out: &mut String, cents: u128, negative: bool, grouped: bool) {
    let mut digits = [0u8; 40];
    let mut len = digits_of(cents, &mut digits);
    while len < 3 {
        digits[len] = b'0';
        len += 1;
    }
    // `{:.2}` of a negative zero prints its sign too.
    if negative {
        out.push('-');
    }
    for i in (2..len).rev() {
        out.push(char::from(digits[i]));
        if grouped && i > 2 && (i - 2) % 3 == 0 {
            out.push(',');
        }
    }
    out.push('.');
    out.push(char::from(digits[1]));
    out.push(char::from(digits[0]));
}

/// The magnitude `m` at `scale` (the value `m / 10^scale`) in units of `10^-keep`, rounded
/// half to even as `Decimal::round_dp` rounds. `m` below 2^96 (a `Decimal` mantissa) and
/// `keep - scale` at most 4, so that nothing overflows.
fn rounded_units(m: u128, scale: u32, keep: u32) -> u128 {
    if scale <= keep {
        return m * 10u128.pow(keep - scale);
    }
    let div = 10u128.pow(scale - keep);
    // Nearly every amount and divisor fit 64 bits, whose division is several times cheaper.
    let (q, r) = match (u64::try_from(m), u64::try_from(div)) {
        (Ok(m), Ok(div)) => (u128::from(m / div), u128::from(m % div)),
        _ => (m / div, m % div),
    };
    match (2 * r).cmp(&div) {
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal if q % 2 == 1 => q + 1,
        _ => q,
    }
}

/// A currency code after an amount (` USD`), or nothing when it is unknown.
struct Code<'a>(Option<&'a str>);

impl Code<'_> {
    /// The code as `Display` shows it, appended to `out`.
    fn push_to(&self, out: &mut String) {
        if let Some(code) = self.0 {
            out.push(' ');
            out.push_str(code);
        }
    }
}

/// `text` padded with spaces to `width` characters, on the left (`right`-aligned) or the
/// right, as `{:>width$}` and `{:<width$}` pad it.
fn push_padded(out: &mut String, text: &str, width: usize, right: bool) {
    let pad = width.saturating_sub(text.chars().count());
    if right {
        out.extend(std::iter::repeat_n(' ', pad));
        out.push_str(text);
    } else {
        out.push_str(text);
        out.extend(std::iter::repeat_n(' ', pad));
    }
}

impl std::fmt::Display for Code<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(code) => write!(f, " {code}"),
            None => Ok(()),
        }
    }
}

/// `Money::new(d).to_string()` appended to `out` (rounded half to even to two decimals,
/// thousands grouped), without a string of its own.
fn push_money(out: &mut String, d: Decimal) {
    let cents = rounded_units(d.mantissa().unsigned_abs(), d.scale(), 2);
    if cents == 0 && d.is_sign_negative() {
        // Whether a negative amount rounded to zero keeps its sign is `round_dp`'s to say.
        out.push_str(&Money::new(d).to_string());
        return;
    }
    push_cents(out, cents, d.is_sign_negative(), true);
}

fn quantity(d: Decimal) -> String {
    decimal_text(d.normalize(), 0)
}

/// A price with every digit it has (the orders trade at it), thousands grouped, two decimals
/// at least: `3.858`, `1,101.53`.
pub(crate) fn price_text(d: Decimal) -> String {
    let d = d.normalize();
    if d.scale() <= 2 {
        return Money::new(d).to_string();
    }
    let whole = Money::new(d.trunc()).to_string();
    let fraction = decimal_text(d.fract().abs(), 0);
    format!("{}{}", &whole[..whole.len() - 3], &fraction[1..])
}

/// [`price_text`] appended to `out`: a price of at most two decimals (nearly all) as money,
/// with no normalizing first (trailing zeros change nothing there).
fn push_price(out: &mut String, d: Decimal) {
    if d.scale() <= 2 && !d.is_sign_negative() {
        push_money(out, d);
    } else {
        out.push_str(&price_text(d));
    }
}

fn percent(d: Decimal) -> String {
    let mut s = String::with_capacity(12);
    push_percent(&mut s, d);
    s
}

/// `d` in percent with two decimals, as `{:.2}%` prints `(d * 100).round_dp(2)`, appended to
/// `out`. Computed on the mantissa when `d * 100` is exact (its mantissa fits 96 bits), which
/// is every weight; otherwise through `Decimal`.
fn push_percent(out: &mut String, d: Decimal) {
    let m = d.mantissa().unsigned_abs();
    let units = (m < (1u128 << 96) / 100).then(|| rounded_units(m, d.scale(), 4));
    // A negative weight rounded to zero keeps its sign or not as `round_dp` decides.
    if let Some(units) = units.filter(|&u| u != 0 || !d.is_sign_negative()) {
        push_cents(out, units, d.is_sign_negative(), false);
    } else {
        let r = (d * Decimal::ONE_HUNDRED).round_dp(2);
        let cents = r.mantissa().unsigned_abs() * 10u128.pow(2 - r.scale().min(2));
        push_cents(out, cents, r.is_sign_negative(), false);
    }
    out.push('%');
}

/// A trade's quantity with its sign (`+12`, `-3`), nothing for none, appended to `out`.
fn push_signed_quantity(out: &mut String, d: Decimal) {
    if d > Decimal::ZERO {
        out.push('+');
        push_decimal_text(out, d.normalize(), 0);
    } else if !d.is_zero() {
        push_decimal_text(out, d.normalize(), 0);
    }
}

impl<'a> PlanReport<'a> {
    fn currency_of(&self, symbol: &str) -> Option<&'a str> {
        self.instruments
            .get(symbol)
            .and_then(|i| i.currency.as_deref())
            .or(self.base_currency)
    }

    fn local_price(&self, symbol: &str, base_price: Decimal) -> Decimal {
        self.instruments
            .get(symbol)
            .map_or(base_price, |i| i.local_price)
    }

    /// An order's price, amount and commission in its own currency and in the base currency,
    /// each rounded once to that currency's minor unit against the account (buys and
    /// commissions up, sells down): the figures every output shows and every total sums.
    pub(crate) fn order_money(
        &self,
        side: pbal_core::Side,
        symbol: &str,
        quantity: Decimal,
        base_price: Decimal,
        base_commission: Decimal,
    ) -> OrderMoney<'a> {
        // One look-up: JSON for 5,000 holdings does this for every position and order.
        let instrument = self.instruments.get(symbol);
        let currency = instrument
            .and_then(|i| i.currency.as_deref())
            .or(self.base_currency);
        let price = instrument.map_or(base_price, |i| i.local_price);
        // Amounts the plan already holds within `Decimal` (it computed them): an overflow here
        // shows the exact figures rather than failing the output.
        let figures = pbal_ibkr::OrderFigures::new(
            side,
            quantity,
            base_price,
            base_commission,
            instrument,
            self.base_currency,
        );
        let exact = || quantity.saturating_mul(price);
        OrderMoney {
            currency,
            price,
            amount: figures.map_or_else(exact, |f| f.amount),
            base_amount: figures.map_or(quantity.saturating_mul(base_price), |f| f.base_amount),
            commission: figures.map_or(base_commission, |f| f.commission),
            base_commission: figures.map_or(base_commission, |f| f.base_commission),
            foreign: figures.map_or_else(
                || matches!((currency, self.base_currency), (Some(c), Some(b)) if c != b),
                |f| f.foreign,
            ),
        }
    }

    /// A trade's [`OrderMoney`].
    pub(crate) fn trade_money(&self, t: &pbal_core::Trade) -> OrderMoney<'a> {
        self.order_money(t.side, &t.symbol, t.quantity, t.price, t.commission)
    }

    /// A household split order's [`OrderMoney`].
    pub(crate) fn account_order_money(&self, o: &pbal_core::AccountOrder) -> OrderMoney<'a> {
        self.order_money(o.side, &o.symbol, o.quantity, o.price, o.commission)
    }

    /// Why a printed `left` below the reserve is not a plan that overspends: the exact
    /// figures stay within it, and rounding each order against the account took the cents.
    fn rounding_note(&self, cash: &CashShown) -> String {
        let reserve = self.plan.cash.reserve;
        let exact = self.commission_and_left().1;
        if cash.left < reserve && exact >= reserve {
            format!(
                " (exactly {}: each order's amount and commission are rounded against the \
                 account)",
                decimal_text(exact.normalize(), 2)
            )
        } else {
            String::new()
        }
    }

    /// The cash line as shown ([`CashShown`]).
    pub(crate) fn cash_shown(&self) -> CashShown {
        self.cash_shown_from(
            self.plan
                .trades
                .iter()
                .map(|t| (t.side, self.trade_money(t))),
        )
    }

    /// [`Self::cash_shown`] from the plan's orders' [`OrderMoney`], in order, when the caller
    /// has them already.
    fn cash_shown_from<'m>(
        &self,
        orders: impl Iterator<Item = (pbal_core::Side, OrderMoney<'m>)>,
    ) -> CashShown {
        let dp = self.base_currency.map_or(2, pbal_ibkr::currency_decimals);
        let cash_in = self
            .cash_in()
            .round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::ToNegativeInfinity);
        let (mut spent, mut received, mut commission) =
            (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        for (side, m) in orders {
            match side {
                pbal_core::Side::Buy => spent += m.base_amount,
                pbal_core::Side::Sell => received += m.base_amount,
            }
            commission += m.base_commission;
        }
        let mut split_extra = Decimal::ZERO;
        if let Some(split) = self.household.map(|h| &h.split) {
            let accounts: Decimal = split
                .orders
                .iter()
                .map(|o| self.account_order_money(o).base_commission)
                .sum();
            split_extra = (accounts - commission).max(Decimal::ZERO);
            commission = accounts;
        }
        CashShown {
            cash_in,
            spent,
            received,
            commission,
            split_extra,
            left: cash_in - spent + received - commission,
        }
    }

    /// An order's estimated commission in its own currency, with the base-currency amount
    /// the plan counts when that is another currency ("1.00 USD, about 0.84 EUR"), appended
    /// to `out`.
    fn push_commission(&self, out: &mut String, m: &OrderMoney<'_>) {
        push_money(out, m.commission);
        if let (Some(currency), true) = (m.currency, m.foreign) {
            out.push(' ');
            out.push_str(currency);
            out.push_str(", about ");
            push_money(out, m.base_commission);
        }
        Code(self.base_currency).push_to(out);
    }

    /// The commission the orders pay and the cash they leave, in the base currency: a
    /// household plan's per-account orders (an order split over accounts pays a commission in
    /// each, so more than the plan counted), else the plan's own figures. The third figure is
    /// that extra commission.
    pub(crate) fn commission_and_left(&self) -> (Decimal, Decimal, Decimal) {
        let cash = &self.plan.cash;
        match self.household.map(|h| &h.split) {
            Some(split) => {
                let commission = split.commission();
                (
                    commission,
                    split.cash_left(),
                    commission.saturating_sub(cash.commission),
                )
            }
            None => (cash.commission, cash.left, Decimal::ZERO),
        }
    }

    /// The cash the orders start from: the plan's, or for a household planned with less cash
    /// (its split orders' extra commissions) the accounts' own, so that in − spent + received −
    /// commission = left holds as printed.
    pub(crate) fn cash_in(&self) -> Decimal {
        let cash = &self.plan.cash;
        if self.household.is_none() {
            return cash.available;
        }
        let (commission, left, _) = self.commission_and_left();
        left + cash.spent - cash.received + commission
    }

    /// ` EUR` after base-currency money, when the base is known.
    fn base_suffix(&self) -> String {
        self.base_currency
            .map(|c| format!(" {c}"))
            .unwrap_or_default()
    }

    /// The strategy and whether the plan is proven optimal, in words; a gap in percent of the
    /// objective (how much better the best possible plan could be at most).
    pub(crate) fn strategy_line(&self) -> String {
        let plan = self.plan;
        let over = if plan.quantity_step == Decimal::ONE {
            "whole-share plans".to_owned()
        } else {
            format!("plans in steps of {} share", plan.quantity_step.normalize())
        };
        match &plan.optimality {
            Optimality::Optimal => {
                format!("Strategy {}: optimal over {over}.", plan.strategy.name())
            }
            Optimality::BestEffort { gap } => {
                let share = if plan.objective_after > Decimal::ZERO {
                    format!(
                        "{:.2}%",
                        (*gap / plan.objective_after * Decimal::ONE_HUNDRED)
                            .min(Decimal::ONE_HUNDRED)
                    )
                } else {
                    "100%".to_owned()
                };
                format!(
                    "Strategy {}: best found over {over}, not proven optimal: the best possible \
                     plan is at most {} percentage points closer to the targets ({share} of the \
                     objective).",
                    plan.strategy.name(),
                    plan.distance_gap().normalize()
                )
            }
            _ => format!("Strategy {}.", plan.strategy.name()),
        }
    }

    /// Why the plan sells or sets its strategy aside, in words.
    pub(crate) fn notes(&self) -> Vec<String> {
        let base = self.base_suffix();
        self.plan
            .notes
            .iter()
            .map(|note| match note {
                pbal_core::PlanNote::RaisesCash {
                    needed,
                    negative_cash: true,
                } if self.plan.cash.reserve.is_zero() => format!(
                    "It sells because {}{base} must be raised: a withdrawal or a negative cash \
                     balance (margin debit).",
                    Money::new(*needed)
                ),
                pbal_core::PlanNote::RaisesCash { needed, .. } => format!(
                    "It sells because {}{base} must be raised to keep the reserve of {}{base}.",
                    Money::new(*needed),
                    Money::new(self.plan.cash.reserve)
                ),
                pbal_core::PlanNote::BlockedTargetShared {
                    symbol,
                    loss_sale,
                    weight_shared,
                } => {
                    let now = self
                        .plan
                        .positions
                        .iter()
                        .find(|p| &p.symbol == symbol)
                        .map_or(Decimal::ZERO, |p| p.target_weight);
                    format!(
                        "{symbol} was sold at a loss on {loss_sale}: buying it before {} would \
                         wash that loss. For this plan it is neither bought nor sold, its target \
                         is its current weight ({} instead of {}), and the funds that can be \
                         bought share the other {} in proportion to their targets.",
                        loss_sale.saturating_add(jiff::ToSpan::days(31)),
                        percent(now),
                        percent(now + *weight_shared),
                        percent(*weight_shared)
                    )
                }
                pbal_core::PlanNote::CostlyOrdersLeftOut { orders, commission } => format!(
                    "{orders} {} whose commission exceeded what {} for the drift {} left out \
                     ({} would have paid {}{base}); --keep-costly-orders keeps {}.",
                    if *orders == 1 { "order" } else { "orders" },
                    if *orders == 1 { "it did" } else { "they did" },
                    if *orders == 1 { "was" } else { "were" },
                    if *orders == 1 { "it" } else { "they" },
                    Money::new(*commission),
                    if *orders == 1 { "it" } else { "them" },
                ),
                pbal_core::PlanNote::BandsSetAsideForWithdrawal => "Cash must be raised, so the \
                    bands are set aside: the most overweight assets are sold first, as buy-only \
                    does."
                    .to_owned(),
                pbal_core::PlanNote::BandsLeaveCash {
                    left,
                    weight,
                    invest,
                    left_after_invest,
                } => {
                    let buys: Vec<String> = invest
                        .iter()
                        .map(|t| format!("{} {}", t.quantity.normalize(), t.symbol))
                        .collect();
                    format!(
                        "Bands trade only the assets outside their bands: {}{base} ({}) stays \
                         in cash after these orders. To invest it, a buy-only plan on the \
                         positions after them would buy {} ({}{base}), leaving {}{base}: run \
                         pbal plan -s buy-only once these orders have filled, or plan with \
                         -s full to trade every asset to its target now.",
                        Money::new(*left),
                        percent(*weight),
                        crate::ui::and_list(&buys),
                        Money::new(invest.iter().map(|t| t.amount).sum::<Decimal>()),
                        Money::new(*left_after_invest),
                    )
                }
                _ => String::new(),
            })
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// Whether some managed instrument trades in another currency than the base.
    pub(crate) fn multi_currency(&self) -> bool {
        if self.base_currency.is_none() {
            return false;
        }
        self.plan.positions.iter().any(|p| {
            matches!(
                (self.currency_of(&p.symbol), self.base_currency),
                (Some(c), Some(b)) if c != b
            )
        })
    }

    /// Each currency's cash and the plan's orders in it (a household plan's: its accounts'
    /// orders) (`None`: the base currency or the cash per currency is unknown).
    /// Rounded to each currency's minor unit against the account (see
    /// [`pbal_ibkr::CurrencyFlows::rounded`]): the printed figures add up.
    pub(crate) fn currency_flows(&self) -> Option<pbal_ibkr::CurrencyFlows> {
        let base = self.base_currency?;
        let empty = BTreeMap::new();
        // A household's orders as the accounts place them: a split order pays a commission
        // in each account.
        let trades = match self.household {
            Some(h) => std::borrow::Cow::Owned(
                h.split
                    .orders
                    .iter()
                    .map(|o| {
                        let mut t =
                            pbal_core::Trade::new(o.symbol.clone(), o.side, o.quantity, o.price)?;
                        t.commission = o.commission;
                        Ok(t)
                    })
                    .collect::<Result<Vec<_>, pbal_core::Error>>()
                    .ok()?,
            ),
            None => std::borrow::Cow::Borrowed(self.plan.trades.as_slice()),
        };
        pbal_ibkr::CurrencyFlows::new(
            &trades,
            self.instruments,
            self.cash_by_currency.unwrap_or(&empty),
            Some(base),
        )
        .ok()
        .map(|flows| flows.rounded())
    }

    /// Per currency the orders trade in: what they buy and sell there, their commissions, the
    /// cash there, and the conversion a shortfall needs (from the currency with the most to
    /// spare).
    pub(crate) fn currency_needs(&self) -> Vec<String> {
        let Some(flows) = self.currency_flows() else {
            return Vec::new();
        };
        Self::currency_lines(&flows)
    }

    /// A household plan's [`Self::currency_needs`] per account, from each account's own
    /// orders and cash: `U1 EUR: buys …` (currency cannot move between accounts).
    pub(crate) fn currency_needs_by_account(&self) -> Vec<String> {
        let Some(household) = self.household else {
            return Vec::new();
        };
        let Ok(flows) = household.currency_flows(self.instruments, self.base_currency) else {
            return Vec::new();
        };
        flows
            .iter()
            .flat_map(|(account, f)| {
                Self::currency_lines(&f.rounded())
                    .into_iter()
                    .map(move |line| format!("  {account} {}", line.trim_start()))
            })
            .collect()
    }

    /// [`Self::currency_needs`]'s lines for these flows.
    fn currency_lines(flows: &pbal_ibkr::CurrencyFlows) -> Vec<String> {
        let conversions = flows.conversions();
        flows
            .iter()
            .filter(|(_, f)| f.trades())
            .map(|(currency, f)| {
                let parts = [
                    ("buys", f.buys),
                    ("sells", f.sells),
                    ("commissions", f.commissions()),
                ];
                let shown: Vec<String> = parts
                    .iter()
                    .filter(|(_, amount)| !amount.is_zero())
                    .map(|(name, amount)| format!("{name} {}", Money::new(*amount)))
                    .collect();
                let mut line = format!(
                    "  {currency}: {}, cash {}",
                    shown.join(", "),
                    Money::new(f.cash)
                );
                let short = f.shortfall();
                if short.is_zero() {
                    line.push_str(": covered");
                    let given: Vec<_> = conversions
                        .each
                        .iter()
                        .filter(|c| c.from == currency)
                        .collect();
                    if !given.is_empty() {
                        let total: Decimal = given.iter().map(|c| c.from_amount).sum();
                        let mut into: Vec<String> = given.iter().map(|c| c.to.clone()).collect();
                        into.dedup();
                        let _ = write!(
                            line,
                            ", and about {} {currency} to convert into {}",
                            Money::new(total),
                            crate::ui::and_list(&into)
                        );
                    }
                    return line;
                }
                let _ = write!(line, " -> convert {} {currency}", Money::new(short));
                let sources: Vec<_> = conversions
                    .each
                    .iter()
                    .filter(|c| c.to == currency)
                    .collect();
                match sources.as_slice() {
                    [] => {}
                    [one] if !conversions.uncovered.contains_key(currency) => {
                        let _ = write!(
                            line,
                            " from {}, about {} {}",
                            one.from,
                            Money::new(one.from_amount),
                            one.from
                        );
                    }
                    several => {
                        for (i, c) in several.iter().enumerate() {
                            let _ = write!(
                                line,
                                "{} {} {currency} from {} (about {} {})",
                                if i == 0 { ":" } else { "," },
                                Money::new(c.amount),
                                c.from,
                                Money::new(c.from_amount),
                                c.from
                            );
                        }
                    }
                }
                if let Some(rest) = conversions.uncovered.get(currency) {
                    if sources.is_empty() {
                        line.push_str(" from another currency (or deposit it)");
                    } else {
                        let _ = write!(
                            line,
                            ", and {} that no other currency can spare (deposit it)",
                            Money::new(*rest)
                        );
                    }
                }
                line
            })
            .collect()
    }

    /// The wash-sale guard's findings, one line each.
    pub(crate) fn wash_sale_lines(&self) -> Vec<String> {
        self.plan
            .wash_sale
            .iter()
            .map(|flag| match flag {
                pbal_core::WashSaleFlag::BuyAfterLossSale {
                    symbol,
                    sold_on,
                    blocked: true,
                } => format!(
                    "{symbol}: not bought, it was sold at a loss on {sold_on} (a buy now would wash that loss)"
                ),
                pbal_core::WashSaleFlag::BuyAfterLossSale {
                    symbol, sold_on, ..
                } => {
                    format!("{symbol}: this buy washes the loss of its sale on {sold_on}")
                }
                pbal_core::WashSaleFlag::LossSaleAfterBuy { symbol, bought_on } => format!(
                    "{symbol}: this loss sale comes within 30 days of a buy on {bought_on}: the loss is a wash sale"
                ),
                other => format!("{other:?}"),
            })
            .collect()
    }

    /// What the plan's sales realize and the tax estimate (`None`: it sells nothing).
    pub(crate) fn realized_line(&self) -> Option<String> {
        let plan = self.plan;
        if !plan.trades.iter().any(|t| t.side == pbal_core::Side::Sell) {
            return None;
        }
        let r = &plan.realized;
        if r.unknown {
            let unknown: Vec<&str> = plan
                .trades
                .iter()
                .filter(|t| t.side == pbal_core::Side::Sell && t.realized_pnl.is_none())
                .map(|t| t.symbol.as_str())
                .collect();
            return Some(format!(
                "Realized{}: unknown (no P&L, cost basis or lots for {}: add FifoPnlUnrealized \
                 or CostBasisMoney to the export); estimated tax unknown",
                self.base_currency
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default(),
                unknown.join(", ")
            ));
        }
        let lots = if r.from_lots {
            ""
        } else {
            " (no lot data for some sales: estimated from the position's P&L, as short-term)"
        };
        let realized = format!(
            "Realized{}: short-term {}, long-term {}",
            self.base_currency
                .map(|c| format!(" ({c})"))
                .unwrap_or_default(),
            Money::new(r.short_term),
            Money::new(r.long_term),
        );
        // Without a rate a zero tax is no estimate: it says so rather than "estimated tax 0.00".
        Some(if r.tax_rated {
            format!(
                "{realized}, estimated tax {}{lots}",
                Money::new(r.estimated_tax)
            )
        } else {
            format!(
                "{realized}{lots}; tax not estimated: no --tax-rate-short or --tax-rate-long given"
            )
        })
    }

    pub(crate) fn table(&self) -> String {
        let plan = self.plan;
        let multi = self.multi_currency();
        let base = self.base_suffix();
        let value_header = |name: &str| {
            if multi {
                format!("{name}{base}")
            } else {
                name.to_owned()
            }
        };
        let mut table = Markdown::new(
            [
                "Symbol".to_owned(),
                "Price".to_owned(),
                value_header("Value"),
                "Weight".to_owned(),
                "Target".to_owned(),
                "Trade".to_owned(),
                value_header("Amount"),
                "Weight after".to_owned(),
            ],
            [false, true, true, true, true, true, true, true],
            plan.positions.len() + 1,
        );
        // Each order's figures once, for its amount in the table, the cash line and its line.
        let moneys: Vec<OrderMoney<'_>> = plan.trades.iter().map(|t| self.trade_money(t)).collect();
        // Each order's amount as its order line shows it, negative for a sale.
        let shown: HashMap<&str, Decimal> = plan
            .trades
            .iter()
            .zip(&moneys)
            .map(|(t, m)| {
                let amount = m.base_amount;
                let signed = if t.side == pbal_core::Side::Sell {
                    -amount
                } else {
                    amount
                };
                (t.symbol.as_str(), signed)
            })
            .collect();
        // Each cell is written straight into the table's buffer: no string per cell.
        for p in &plan.positions {
            let amount = shown
                .get(p.symbol.as_str())
                .copied()
                .unwrap_or_else(|| p.trade_quantity * p.price);
            table.cell(&p.symbol);
            // Several currencies: each price in the instrument's own, values in the base.
            if multi {
                let currency = self.currency_of(&p.symbol).unwrap_or_default();
                let text = table.text();
                push_price(text, self.local_price(&p.symbol, p.price));
                text.push(' ');
                text.push_str(currency);
            } else {
                push_price(table.text(), p.price);
            }
            table.end_cell();
            push_money(table.text(), p.value);
            table.end_cell();
            push_percent(table.text(), p.weight);
            table.end_cell();
            push_percent(table.text(), p.target_weight);
            table.end_cell();
            push_signed_quantity(table.text(), p.trade_quantity);
            table.end_cell();
            if !amount.is_zero() {
                push_money(table.text(), amount);
            }
            table.end_cell();
            push_percent(table.text(), p.weight_after);
            table.end_cell();
        }
        // The reserve is an amount, not a weight: the cash line below names it.
        let cash_target = String::new();
        let cash = self.cash_shown_from(
            plan.trades
                .iter()
                .map(|t| t.side)
                .zip(moneys.iter().copied()),
        );
        table.add_row([
            "(cash)".to_owned(),
            String::new(),
            Money::new(cash.cash_in).to_string(),
            percent(plan.cash_weight),
            cash_target,
            String::new(),
            {
                let change = cash.left - cash.cash_in;
                if change.is_zero() {
                    String::new()
                } else {
                    Money::new(change).to_string()
                }
            },
            percent(plan.cash_weight_after),
        ]);
        let ccy = self
            .base_currency
            .map(|c| format!(" {c}"))
            .unwrap_or_default();
        // The table and the order lines (about 100 bytes each) in one buffer of about the
        // right size: growing it copies half a megabyte at 5,000 holdings.
        let mut out = String::with_capacity(table.rendered_len() + (plan.trades.len() + 16) * 100);
        table.render_into(&mut out);
        out.push('\n');
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Cash{ccy}: in {}, spent {}, received {}, commission {}{}, left {}{}{}",
            Money::new(cash.cash_in),
            Money::new(cash.spent),
            Money::new(cash.received),
            Money::new(cash.commission),
            if cash.split_extra.is_zero() {
                String::new()
            } else {
                format!(
                    " ({} of it for orders split over accounts)",
                    Money::new(cash.split_extra)
                )
            },
            Money::new(cash.left),
            if plan.cash.reserve.is_zero() {
                String::new()
            } else {
                format!(" (reserve {})", Money::new(plan.cash.reserve))
            },
            self.rounding_note(&cash)
        );
        let _ = writeln!(
            out,
            "Drift: {} -> {}   (half the sum of |weight - target| over assets and cash)",
            percent(plan.drift_before),
            percent(plan.drift_after)
        );
        let _ = writeln!(out, "{}", self.strategy_line());
        for note in self.notes() {
            let _ = writeln!(out, "{note}");
        }
        let _ = writeln!(out);
        let held_back = plan
            .notes
            .iter()
            .any(|n| matches!(n, pbal_core::PlanNote::BlockedTargetShared { .. }));
        if plan.within_bands && held_back {
            let _ = writeln!(
                out,
                "With the blocked fund's target held at its weight, no asset is outside its band: \
                 nothing to trade."
            );
        } else if plan.within_bands {
            let _ = writeln!(
                out,
                "No asset is outside its band: nothing to trade (look often, trade rarely)."
            );
        } else if plan.trades.is_empty() {
            let _ = writeln!(out, "No orders: nothing to trade.");
        } else {
            let _ = writeln!(out, "Orders ({}, sells first):", plan.trades.len());
            // With several currencies every amount names its own, the base one included.
            let multi = self.multi_currency();
            // Each line written straight into the output (no string per line or figure), then
            // its trailing whitespace trimmed.
            let (mut qty, mut price) = (String::new(), String::new());
            for (t, m) in plan.trades.iter().zip(&moneys) {
                let currency = Code(m.currency);
                qty.clear();
                push_decimal_text(&mut qty, t.quantity.normalize(), 0);
                price.clear();
                push_price(&mut price, m.price);
                let start = out.len();
                // `"  {:<4} {qty:>8} {:<8} @ {price:>10}{currency}"`, padded by hand.
                out.push_str("  ");
                push_padded(&mut out, t.side.as_str(), 4, false);
                out.push(' ');
                push_padded(&mut out, &qty, 8, true);
                out.push(' ');
                push_padded(&mut out, &t.symbol, 8, false);
                out.push_str(" @ ");
                push_padded(&mut out, &price, 10, true);
                currency.push_to(&mut out);
                out.push_str(" = ");
                push_money(&mut out, m.amount);
                if m.foreign {
                    currency.push_to(&mut out);
                    out.push_str(" (about ");
                    push_money(&mut out, m.base_amount);
                    let _ = write!(out, "{base})");
                } else if multi {
                    currency.push_to(&mut out);
                }
                if !t.commission.is_zero() {
                    out.push_str(" (+ est. commission ");
                    self.push_commission(&mut out, m);
                    out.push(')');
                }
                match t.realized_pnl {
                    Some(pnl) => {
                        out.push_str(", realizes ");
                        push_money(&mut out, pnl);
                        let _ = write!(out, "{base} (est.)");
                    }
                    None if t.side == pbal_core::Side::Sell => {
                        out.push_str(", realizes an unknown gain");
                    }
                    None => {}
                }
                let kept = out[start..].trim_end().len();
                out.truncate(start + kept);
                out.push('\n');
                for lot in &t.lots {
                    let opened = lot
                        .open_date
                        .map_or_else(|| "unknown date".to_owned(), |d| d.to_string());
                    let _ = writeln!(
                        out,
                        "         lot opened {opened}: {} {}, basis {}{base}, {} {}{base}{}",
                        quantity(lot.quantity),
                        if lot.quantity == Decimal::ONE {
                            "share"
                        } else {
                            "shares"
                        },
                        Money::new(lot.cost_basis),
                        if lot.gain < Decimal::ZERO {
                            "loss"
                        } else {
                            "gain"
                        },
                        Money::new(lot.gain.abs()),
                        if lot.long_term { " (long-term)" } else { "" }
                    );
                }
            }
        }
        let needs = if multi {
            self.currency_needs()
        } else {
            Vec::new()
        };
        if !needs.is_empty() {
            let _ = writeln!(
                out,
                "\nCurrencies{} (the orders in each, and the cash there{}):",
                if self.household.is_some() {
                    " of the household as a whole"
                } else {
                    ""
                },
                if self.household.is_some() {
                    "; each account converts its own, below"
                } else {
                    ""
                }
            );
            for line in needs {
                let _ = writeln!(out, "{line}");
            }
        }
        for line in self.wash_sale_lines() {
            let _ = writeln!(out, "Wash sale: {line}");
        }
        if let Some(realized) = self.realized_line() {
            let _ = writeln!(out);
            let _ = writeln!(out, "{realized}");
            // Only sales that list their lots have lots to pick.
            if plan.trades.iter().any(|t| !t.lots.is_empty()) {
                let _ = writeln!(
                    out,
                    "Sales list the lots to close; IBKR uses the account's default lot method unless you pick these lots (Tax Optimizer)."
                );
            }
        }
        if let Some(household) = self.household
            && !household.transfers.is_empty()
        {
            let _ = writeln!(
                out,
                "\nTransfers between taxable accounts (--allow-transfers), before the orders:"
            );
            for t in &household.transfers {
                let _ = writeln!(
                    out,
                    "  move {}{} from {} to {}",
                    Money::new(t.amount),
                    self.base_suffix(),
                    t.from,
                    t.to
                );
            }
        }
        if let Some(split) = self.household.map(|h| &h.split) {
            let _ = writeln!(out, "\nOrders by account (household plan):");
            for o in &split.orders {
                let m = self.account_order_money(o);
                let currency = m.currency.map(|c| format!(" {c}")).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "  {:<12} {:<4} {:>8} {:<8} = {}{currency}",
                    o.account,
                    o.side.as_str(),
                    o.quantity.normalize(),
                    o.symbol,
                    Money::new(m.amount)
                );
            }
            // Each account pays its own orders: what each has left (never below its reserve).
            let moved = self.household.and_then(|h| h.shared.as_ref());
            for (account, cash) in &split.cash_after {
                let part = moved
                    .and_then(|m| m.parts.get(account))
                    .map(|p| {
                        if *p < Decimal::ZERO {
                            format!(" (after the withdrawal of {})", Money::new(-*p))
                        } else {
                            format!(" (with the deposit of {})", Money::new(*p))
                        }
                    })
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "  {account:<12} cash left {}{}{part}",
                    Money::new(*cash),
                    self.base_suffix()
                );
            }
            let by_account = if multi {
                self.currency_needs_by_account()
            } else {
                Vec::new()
            };
            if !by_account.is_empty() {
                let _ = writeln!(
                    out,
                    "\nCurrencies by account (currency cannot move between accounts: each \
                     converts its own):"
                );
                for line in by_account {
                    let _ = writeln!(out, "{line}");
                }
            }
        }
        out
    }

    /// The orders as CSV: price and amount in the order's currency (the amount rounded as
    /// that currency is), then the amount in the base currency.
    /// A household plan's: one row per account order, its account first (each account's
    /// orders are placed in that account).
    pub(crate) fn csv(&self) -> String {
        if let Some(h) = self.household {
            return self.csv_by_account(&h.split);
        }
        let mut out =
            String::from("symbol,side,quantity,price,amount,currency,amount_base,base_currency\n");
        for t in &self.plan.trades {
            self.csv_row(&mut out, &t.symbol, t.side, t.quantity, t.price);
        }
        out
    }

    /// [`Self::csv`] for a household plan: an `account` column, a row per account order.
    fn csv_by_account(&self, split: &pbal_core::HouseholdSplit) -> String {
        let mut out = String::from(
            "account,symbol,side,quantity,price,amount,currency,amount_base,base_currency\n",
        );
        for o in &split.orders {
            out.push_str(&o.account);
            out.push(',');
            self.csv_row(&mut out, &o.symbol, o.side, o.quantity, o.price);
        }
        out
    }

    /// One order's CSV fields from `symbol` on: money in its own currency and in the base.
    fn csv_row(
        &self,
        out: &mut String,
        symbol: &str,
        side: pbal_core::Side,
        quantity_: Decimal,
        base_price: Decimal,
    ) {
        let m = self.order_money(side, symbol, quantity_, base_price, Decimal::ZERO);
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{}",
            symbol,
            side.as_str(),
            quantity(quantity_),
            money(m.price),
            money(m.amount),
            m.currency.unwrap_or(""),
            money(m.base_amount),
            self.base_currency.unwrap_or("")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pbal_core::dec;

    #[test]
    fn prices_keep_every_digit_and_group_thousands() {
        assert_eq!(price_text(dec!(3.858)), "3.858");
        assert_eq!(price_text(dec!(1101.53)), "1,101.53");
        assert_eq!(price_text(dec!(1234567.1250)), "1,234,567.125");
        assert_eq!(price_text(dec!(0.0001)), "0.0001");
        assert_eq!(price_text(dec!(88.6)), "88.60");
    }

    /// The former implementation, as the oracle of the digit-by-digit one.
    fn money_display_by_format(d: Decimal) -> String {
        let s = format!("{:.2}", d.round_dp(2));
        let (sign, s) = s.strip_prefix('-').map_or(("", s.as_str()), |r| ("-", r));
        let (int, frac) = s.split_once('.').unwrap_or((s, "00"));
        let mut grouped = String::new();
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!("{sign}{grouped}.{frac}")
    }

    proptest::proptest! {
        #[test]
        fn money_matches_format(m in proptest::num::i64::ANY, scale in 0u32..12) {
            let d = Decimal::new(m, scale);
            proptest::prop_assert_eq!(Money::new(d).to_string(), money_display_by_format(d));
        }

        #[test]
        fn decimal_text_matches_display(m in proptest::num::i64::ANY, hi in proptest::num::u32::ANY, scale in 0u32..=28) {
            let d = Decimal::from_parts(m as u32, (m >> 32) as u32, hi, m < 0, scale);
            proptest::prop_assert_eq!(decimal_text(d, 0), d.to_string());
            let n = d.normalize();
            let by_format = if n.scale() < 2 { format!("{n:.2}") } else { n.to_string() };
            proptest::prop_assert_eq!(money(d), by_format);
        }

        #[test]
        fn pushed_money_matches_display(m in proptest::num::i64::ANY, hi in proptest::num::u32::ANY, scale in 0u32..=28) {
            let d = Decimal::from_parts(m as u32, (m >> 32) as u32, hi, m < 0, scale);
            let mut pushed = String::from("x");
            push_money(&mut pushed, d);
            proptest::prop_assert_eq!(&pushed[1..], Money::new(d).to_string());
        }

        #[test]
        fn pushed_prices_match_price_text(m in proptest::num::i64::ANY, hi in 0u32..4, scale in 0u32..=28) {
            let d = Decimal::from_parts(m as u32, (m >> 32) as u32, hi, m < 0, scale);
            let mut pushed = String::new();
            push_price(&mut pushed, d);
            proptest::prop_assert_eq!(pushed, price_text(d));
        }

        #[test]
        fn wide_percent_matches_format(m in proptest::num::i64::ANY, hi in proptest::num::u32::ANY, scale in 0u32..=28) {
            let d = Decimal::from_parts(m as u32, (m >> 32) as u32, hi, m < 0, scale);
            // Beyond `Decimal` times 100 the old way had no answer to compare with.
            if let Some(hundred) = d.checked_mul(Decimal::ONE_HUNDRED) {
                let by_format = format!("{:.2}%", hundred.round_dp(2));
                proptest::prop_assert_eq!(percent(d), by_format);
            }
        }

        #[test]
        fn percent_matches_format(m in proptest::num::i64::ANY, scale in 0u32..16) {
            let d = Decimal::new(m, scale);
            let by_format = format!("{:.2}%", (d * Decimal::ONE_HUNDRED).round_dp(2));
            proptest::prop_assert_eq!(percent(d), by_format);
        }
    }

    #[test]
    fn money_edge_cases() {
        for d in [
            dec!(0),
            dec!(-0.001),
            dec!(0.005),
            dec!(0.015),
            dec!(-0.005),
            dec!(999.995),
            dec!(1000),
            dec!(-1000000),
            Decimal::MAX,
            Decimal::MIN,
            -Decimal::ZERO,
        ] {
            assert_eq!(
                Money::new(d).to_string(),
                money_display_by_format(d),
                "{d:?}"
            );
        }
    }

    #[test]
    fn pushed_numbers_at_the_edges() {
        for d in [
            dec!(0),
            -Decimal::ZERO,
            dec!(-0.001),
            dec!(0.005),
            dec!(0.015),
            dec!(0.025),
            dec!(-0.005),
            dec!(999.995),
            dec!(0.00005),
            dec!(0.00015),
            dec!(-0.00005),
            Decimal::MAX,
            Decimal::MIN,
            Decimal::new(5, 28),
            Decimal::new(-15, 28),
        ] {
            let mut pushed = String::new();
            push_money(&mut pushed, d);
            assert_eq!(pushed, Money::new(d).to_string(), "{d:?}");
            if let Some(hundred) = d.checked_mul(Decimal::ONE_HUNDRED) {
                let by_format = format!("{:.2}%", hundred.round_dp(2));
                assert_eq!(percent(d), by_format, "{d:?}");
            }
            let mut signed = String::new();
            push_signed_quantity(&mut signed, d);
            let expected = if d > Decimal::ZERO {
                format!("+{}", quantity(d))
            } else if d.is_zero() {
                String::new()
            } else {
                quantity(d)
            };
            assert_eq!(signed, expected, "{d:?}");
        }
    }

    #[test]
    fn padding_by_hand_is_formats() {
        for text in [
            "",
            "BUY",
            "SELL",
            "S00001",
            "ÄBC",
            "1,234,567.125",
            "a longer symbol",
        ] {
            for width in [0, 4, 8, 10] {
                let mut left = String::new();
                push_padded(&mut left, text, width, false);
                assert_eq!(left, format!("{text:<width$}"));
                let mut right = String::new();
                push_padded(&mut right, text, width, true);
                assert_eq!(right, format!("{text:>width$}"));
            }
        }
        for code in [None, Some("USD")] {
            let mut pushed = String::new();
            Code(code).push_to(&mut pushed);
            assert_eq!(pushed, Code(code).to_string());
        }
    }

    #[test]
    fn money_formats() {
        assert_eq!(money(dec!(15000)), "15000.00");
        assert_eq!(money(dec!(997.2)), "997.20");
        assert_eq!(money(dec!(0.123456)), "0.123456");
        assert_eq!(Money::new(dec!(-1234567.891)).to_string(), "-1,234,567.89");
        assert_eq!(Money::new(dec!(12)).to_string(), "12.00");
    }
}
