//! From plan trades to order tickets: deterministic client order ids, limit prices, and the
//! guard against placing an order twice.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use jiff::civil::Date;
use pbal_core::{Side, Trade};
use pbal_ibkr::Instrument;
use pbal_ibkr::client_portal::{
    self, CurrencyPair, Gateway, LiveOrder, OrderKind, OrderState, OrderTicket, same_symbol,
};
use rust_decimal::Decimal;

use pbal_ibkr::basket::{OrderType, limit_price};

/// Prefix of every client order id pbal sets: how `pbal cancel` recognises its orders.
pub(crate) const C_OID_PREFIX: &str = "pbal-";

/// The client order id of an order: the same account, day, side, symbol and quantity always
/// give the same id, and IBKR refuses an id it has seen, so a re-run after a crash or a lost
/// answer cannot place the same order twice.
pub(crate) fn client_order_id(
    account: &str,
    date: Date,
    side: Side,
    symbol: &str,
    quantity: Decimal,
) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in account.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let symbol: String = symbol
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(12)
        .collect();
    let quantity = quantity.normalize().to_string().replace('.', "p");
    let side = match side {
        Side::Buy => 'B',
        Side::Sell => 'S',
    };
    let id = format!(
        "{C_OID_PREFIX}{}-{:06x}-{side}-{symbol}-{quantity}",
        date.strftime("%Y%m%d"),
        hash & 0x00ff_ffff
    );
    // IBKR's limit is 64 characters.
    id.chars().take(64).collect()
}

/// One planned order with what is needed to place it (pbal-ibkr's type: the ticket and its
/// worth in the base currency, for `--max-order` and the preview).
pub(crate) type PlannedOrder = pbal_ibkr::client_portal::RebalanceOrder;

/// What turns plan trades into tickets for one account on one day.
pub(crate) struct TicketBook<'a> {
    pub(crate) instruments: &'a BTreeMap<String, Instrument>,
    pub(crate) conids: &'a BTreeMap<String, String>,
    pub(crate) account: &'a str,
    pub(crate) date: Date,
    pub(crate) order_type: OrderType,
    /// Accounts that must carry `manualOrderTime` get this time.
    pub(crate) manual_order_time: Option<i64>,
}

impl TicketBook<'_> {
    /// Tickets for `trades`, sells first.
    pub(crate) fn tickets(&self, trades: &[Trade]) -> Result<Vec<PlannedOrder>> {
        let mut sorted: Vec<&Trade> = trades.iter().collect();
        sorted.sort_by_key(|t| t.side != Side::Sell);
        sorted.into_iter().map(|t| self.ticket(t)).collect()
    }

    /// The same order with another quantity (its client order id follows the quantity; the
    /// amount scales with it).
    pub(crate) fn with_quantity(&self, order: &PlannedOrder, quantity: Decimal) -> PlannedOrder {
        let mut changed = order.clone();
        let t = &mut changed.ticket;
        changed.amount = order
            .amount
            .checked_mul(quantity)
            .and_then(|a| a.checked_div(t.quantity))
            .unwrap_or(order.amount);
        t.quantity = quantity;
        t.c_oid = client_order_id(self.account, self.date, t.side, &t.symbol, quantity);
        changed
    }

    /// The currency conversion order converting `amount` of `pair.from` (its `fxQty`) into
    /// `pair.to`; `amount_base` is its worth in the base currency.
    pub(crate) fn conversion(
        &self,
        pair: &CurrencyPair,
        amount: Decimal,
        amount_base: Decimal,
    ) -> PlannedOrder {
        PlannedOrder::new(
            OrderTicket::new(
                self.account,
                pair.conid.clone(),
                pair.symbol.clone(),
                pair.side,
                amount,
                OrderKind::Market,
                client_order_id(self.account, self.date, pair.side, &pair.symbol, amount),
            )
            .with_manual_order_time(self.manual_order_time)
            .with_currency_conversion(true),
            amount_base,
        )
    }

    fn ticket(&self, trade: &Trade) -> Result<PlannedOrder> {
        let instrument = self.instruments.get(&trade.symbol);
        let Some(conid) = self
            .conids
            .get(&trade.symbol)
            .cloned()
            .or_else(|| instrument.and_then(|i| i.conid.clone()))
        else {
            bail!(
                "{}: no IBKR contract id known; give `conid` in the targets file",
                trade.symbol
            );
        };
        let local_price = instrument.map_or(trade.price, |i| i.local_price);
        let kind = match self.order_type {
            OrderType::Market => OrderKind::Market,
            OrderType::Limit { bps } => OrderKind::Limit(limit_price(trade.side, local_price, bps)),
        };
        let account = self.account;
        Ok(PlannedOrder::new(
            OrderTicket::new(
                account,
                conid,
                trade.symbol.clone(),
                trade.side,
                trade.quantity,
                kind,
                client_order_id(
                    account,
                    self.date,
                    trade.side,
                    &trade.symbol,
                    trade.quantity,
                ),
            )
            .with_manual_order_time(self.manual_order_time),
            trade.amount,
        ))
    }
}

/// What to do with a planned order given the account's live orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Existing {
    /// Not placed yet.
    None,
    /// Already placed (same client order id), with IBKR's order id.
    Placed(String),
}

/// An order that will never work again and filled nothing more: confirmed cancelled, or
/// inactive (IBKR's state for a rejected order). It does not stand for its replacement.
pub(crate) fn is_dead(status: &OrderState) -> bool {
    matches!(
        status,
        OrderState::Cancelled | OrderState::PreCancelled | OrderState::Inactive
    ) || matches!(status, OrderState::Other(s) if s.eq_ignore_ascii_case("rejected"))
}

/// The client order id of the `revision`th placement of the same order on the same day:
/// the first is `base` itself, later ones `base-rN` (IBKR never takes an id twice in 24 h,
/// so a replacement of a cancelled order needs a new one; still deterministic).
pub(crate) fn revision_id(base: &str, revision: u32) -> String {
    if revision <= 1 {
        return base.to_owned();
    }
    let suffix = format!("-r{revision}");
    let keep = 64usize.saturating_sub(suffix.len());
    format!("{}{suffix}", base.chars().take(keep).collect::<String>())
}

/// The client order ids the journal records as confirmed dead (cancelled, inactive):
/// after a re-login IBKR no longer lists an earlier session's cancelled orders.
pub(crate) fn dead_in_journal(journal: &crate::journal::Journal) -> BTreeSet<String> {
    let mut last: BTreeMap<String, OrderState> = BTreeMap::new();
    for e in journal.events() {
        let (Some(c_oid), Some(status)) = (e["c_oid"].as_str(), e["status"].as_str()) else {
            continue;
        };
        if matches!(
            e["event"].as_str(),
            Some("fill" | "cancel_result" | "order_placed")
        ) {
            last.insert(c_oid.to_owned(), OrderState::parse(status));
        }
    }
    last.into_iter()
        .filter(|(_, s)| is_dead(s))
        .map(|(c, _)| c)
        .collect()
}

/// Looks for the order among live orders; refuses when another pbal order for the same
/// symbol and side is still working (an earlier run's order with another quantity).
///
/// An order with its client order id that IBKR lists (or the journal records) as confirmed
/// cancelled or inactive does not block it: the order gets the next revision of its id
/// ([`revision_id`]) and is placed anew. A working or filled one still stands for it.
pub(crate) fn existing(
    order: &mut PlannedOrder,
    live: &[LiveOrder],
    dead: &BTreeSet<String>,
) -> Result<Existing> {
    let base = order.ticket.c_oid.clone();
    for revision in 1..=MAX_REVISIONS {
        let id = revision_id(&base, revision);
        let listed = live
            .iter()
            .find(|o| o.c_oid.as_deref() == Some(id.as_str()));
        match listed {
            Some(found) if !is_dead(&found.status) => {
                order.ticket.c_oid = id;
                return Ok(Existing::Placed(found.order_id.clone()));
            }
            Some(_) => {}
            None if dead.contains(&id) => {}
            None => {
                order.ticket.c_oid = id;
                break;
            }
        }
        if revision == MAX_REVISIONS {
            bail!(
                "{}: {MAX_REVISIONS} orders with the same quantity were cancelled today; pbal                  places no more of them today. Nothing new was placed for it",
                order.ticket.symbol
            );
        }
    }
    if let Some(other) = live.iter().find(|o| {
        !o.is_done()
            && o.c_oid
                .as_deref()
                .is_some_and(|c| c.starts_with(C_OID_PREFIX))
            && same_contract(o, &order.ticket)
            && o.side == order.ticket.side.as_str()
    }) {
        bail!(
            "an earlier pbal order is still working: {} {} {} (status {}, id {}). Nothing new was \
             placed for {}. Wait for it to fill, or cancel it with `pbal cancel`, then run again",
            other.side,
            other
                .quantity
                .map(|q| q.normalize().to_string())
                .unwrap_or_default(),
            other.symbol,
            other.status,
            other.c_oid.as_deref().unwrap_or(""),
            order.ticket.symbol
        );
    }
    Ok(Existing::None)
}

/// Replacements of one order on one day, at most (a guard against a loop of cancels).
const MAX_REVISIONS: u32 = 9;

/// The same contract: by conid when the live order has one (tickers differ in form, `BRK B`
/// and `BRK.B`), else by ticker up to case and the share-class separator.
fn same_contract(live: &LiveOrder, ticket: &OrderTicket) -> bool {
    match live.conid.as_deref() {
        Some(conid) => conid == ticket.conid,
        None => same_symbol(&live.symbol, &ticket.symbol),
    }
}

/// Gives every stock order IBKR's own ticker of its conid (the plan may spell it `BRK.B` or
/// `XYZ [conid]`); `tickers` caches the answers across calls.
pub(super) async fn with_ibkr_tickers(
    gateway: &Gateway,
    orders: Vec<PlannedOrder>,
    tickers: &mut BTreeMap<String, Option<String>>,
) -> Result<Vec<PlannedOrder>> {
    let mut named = Vec::with_capacity(orders.len());
    for mut order in orders {
        if !order.ticket.currency_conversion {
            let conid = order.ticket.conid.clone();
            if !tickers.contains_key(&conid) {
                let ticker = gateway.contract_ticker(&conid).await?;
                tickers.insert(conid.clone(), ticker);
            }
            order.ticket.ticker = tickers.get(&conid).cloned().flatten();
        }
        named.push(order);
    }
    Ok(named)
}

/// The contracts' rules applied to the tickets before anyone sees the preview:
/// - fractional quantities (`--fractional`) only where the rules allow fractions, rounded down
///   to their decimal places; a whole-shares-only contract stops the run before placing;
/// - limit prices on the contract's price increment (buys rounded up, sells down, as the
///   limit offset is meant), since IBKR refuses a price off it.
///
/// `rules` caches the contracts' answers across calls; market orders in whole shares need none.
pub(super) async fn apply_contract_rules(
    gateway: &Gateway,
    book: &TicketBook<'_>,
    orders: Vec<PlannedOrder>,
    rules: &mut BTreeMap<String, client_portal::ContractRules>,
) -> Result<Vec<PlannedOrder>> {
    let mut ruled = Vec::with_capacity(orders.len());
    for mut order in orders {
        let quantity = order.ticket.quantity;
        let limit = order.ticket.kind.limit_price();
        if quantity.fract().is_zero() && limit.is_none() {
            ruled.push(order);
            continue;
        }
        let conid = order.ticket.conid.clone();
        if !rules.contains_key(&conid) {
            let fetched = gateway.contract_rules(&conid).await?;
            rules.insert(conid.clone(), fetched);
        }
        let contract = rules.get(&conid).cloned().unwrap_or_default();
        if let Some(price) = limit
            && let Some(tick) = contract.increment_at(price)
        {
            let ticks = price.checked_div(tick).unwrap_or(Decimal::ONE);
            let ticks = match order.ticket.side {
                Side::Buy => ticks.ceil(),
                Side::Sell => ticks.floor().max(Decimal::ONE),
            };
            if let Some(on_tick) = ticks.checked_mul(tick) {
                order.ticket.kind = client_portal::OrderKind::Limit(on_tick.normalize());
            }
        }
        if quantity.fract().is_zero() {
            ruled.push(order);
            continue;
        }
        let Some(places) = contract.fraction_places else {
            bail!(
                "{}: IBKR's rules for this contract allow whole shares only, and the plan has \
                 {} shares. Run without --fractional. Nothing was placed",
                order.ticket.symbol,
                quantity.normalize()
            );
        };
        let rounded =
            quantity.round_dp_with_strategy(places, rust_decimal::RoundingStrategy::ToZero);
        if rounded.is_zero() {
            continue;
        }
        if rounded == quantity {
            ruled.push(order);
        } else {
            ruled.push(book.with_quantity(&order, rounded));
        }
    }
    Ok(ruled)
}

#[cfg(test)]
mod tests {
    use pbal_core::dec;

    use super::*;

    #[test]
    fn client_order_ids_are_deterministic_and_short() {
        let date = jiff::civil::date(2026, 11, 25);
        let a = client_order_id("DU1234567", date, Side::Buy, "VTI", dec!(12));
        assert_eq!(
            a,
            client_order_id("DU1234567", date, Side::Buy, "VTI", dec!(12.0))
        );
        assert!(a.starts_with("pbal-20261125-"), "{a}");
        assert!(a.ends_with("-B-VTI-12"), "{a}");
        assert!(!a.contains("1234567"), "{a}");
        assert_ne!(
            a,
            client_order_id("DU7654321", date, Side::Buy, "VTI", dec!(12))
        );
        assert_ne!(
            a,
            client_order_id("DU1234567", date, Side::Sell, "VTI", dec!(12))
        );
        let long = client_order_id("U1", date, Side::Sell, "BRK B.LONGNAME_X", dec!(0.1234));
        assert!(
            long.len() <= 64 && long.ends_with("-S-BRK_B_LONGNA-0p1234"),
            "{long}"
        );
    }
}

#[cfg(test)]
mod guard {
    use pbal_core::dec;

    use super::*;

    fn planned(symbol: &str, conid: &str) -> PlannedOrder {
        PlannedOrder::new(
            OrderTicket::new(
                "DU1",
                conid,
                symbol,
                Side::Buy,
                dec!(3),
                OrderKind::Market,
                "pbal-20261125-000001-B-BRK_B-3",
            ),
            dec!(1500),
        )
    }

    fn working(ticker: &str, conid: Option<&str>) -> LiveOrder {
        let mut order = LiveOrder::new(
            "42",
            ticker,
            "BUY",
            pbal_ibkr::client_portal::OrderState::Submitted,
        );
        order.c_oid = Some("pbal-20261125-000001-B-BRK_B-2".to_owned());
        order.account = Some("DU1".to_owned());
        order.conid = conid.map(str::to_owned);
        order.quantity = Some(dec!(2));
        order.filled = Some(dec!(0));
        order
    }

    #[test]
    fn the_duplicate_guard_matches_by_conid_not_ticker_text() {
        let mut order = planned("BRK.B", "72063691");
        let none = BTreeSet::new();
        assert!(existing(&mut order, &[working("BRK B", Some("72063691"))], &none).is_err());
        assert_eq!(
            existing(&mut order, &[working("BRK.B", Some("1"))], &none).unwrap(),
            Existing::None,
            "another contract with the same ticker text"
        );
        assert!(existing(&mut order, &[working("brk.b", None)], &none).is_err());
        assert!(
            existing(&mut order, &[working("BRK B", None)], &none).is_err(),
            "without a conid, the same ticker but for the class separator"
        );
    }

    #[test]
    fn a_cancelled_order_never_blocks_its_replacement_a_working_or_filled_one_does() {
        let base = "pbal-20261125-000001-B-BRK_B-3";
        let same = |state: OrderState, c_oid: &str| {
            let mut order = working("BRK B", Some("72063691"));
            order.c_oid = Some(c_oid.to_owned());
            order.quantity = Some(dec!(3));
            order.status = state;
            order
        };
        let none = BTreeSet::new();
        for state in [OrderState::Submitted, OrderState::Filled] {
            let mut order = planned("BRK.B", "72063691");
            assert_eq!(
                existing(&mut order, &[same(state.clone(), base)], &none).unwrap(),
                Existing::Placed("42".to_owned()),
                "{state}"
            );
            assert_eq!(order.ticket.c_oid, base);
        }
        for state in [OrderState::Cancelled, OrderState::Inactive] {
            let mut order = planned("BRK.B", "72063691");
            assert_eq!(
                existing(&mut order, &[same(state.clone(), base)], &none).unwrap(),
                Existing::None,
                "{state}"
            );
            assert_eq!(order.ticket.c_oid, format!("{base}-r2"));
        }
        // Known dead only from the journal (a re-login hides it), and the replacement working.
        let mut order = planned("BRK.B", "72063691");
        let dead: BTreeSet<String> = [base.to_owned()].into();
        let r2 = format!("{base}-r2");
        assert_eq!(
            existing(&mut order, &[same(OrderState::Submitted, &r2)], &dead).unwrap(),
            Existing::Placed("42".to_owned())
        );
        assert_eq!(order.ticket.c_oid, r2);
        assert_eq!(revision_id(&"x".repeat(64), 3).len(), 64);
    }
}
