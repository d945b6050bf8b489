//! The gateway's mutable state: session, holdings, cash, orders, and what was requested.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::fault::Fault;
use crate::format;
use crate::limits::Limiter;
use crate::records::{OrderRecord, OrderStatus, RequestRecord, Side};
use crate::setup::{Contract, FillMode, SessionState, Setup};

/// Shares and average price of one holding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lot {
    pub(crate) quantity: Decimal,
    pub(crate) avg_price: Decimal,
}

/// An order waiting for its questions to be answered.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    /// The reply id the client must answer.
    pub(crate) id: String,
    /// Questions still to ask after this one.
    pub(crate) remaining: Vec<String>,
    pub(crate) drafts: Vec<Draft>,
    pub(crate) asked_at: Instant,
}

/// A validated order not yet accepted.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub(crate) account: String,
    pub(crate) conid: i64,
    pub(crate) side: Side,
    pub(crate) quantity: Decimal,
    /// `isCcyConv`: `quantity` is the `fxQty`, in the currency converted from.
    pub(crate) currency_conversion: bool,
    pub(crate) order_type: String,
    pub(crate) price: Option<Decimal>,
    pub(crate) tif: String,
    pub(crate) c_oid: Option<String>,
}

/// An accepted order and its bookkeeping.
#[derive(Debug, Clone)]
pub(crate) struct Order {
    pub(crate) record: OrderRecord,
    pub(crate) session_no: u64,
    /// Times it was shown working (drives [`FillMode::AfterStatusPolls`]).
    pub(crate) polls: u32,
    /// A PendingCancel was shown once; the next look shows Cancelled.
    pub(crate) cancel_seen: bool,
    pub(crate) updated_ms: u64,
}

/// Everything behind the fake's mutex.
#[derive(Debug)]
pub(crate) struct Gateway {
    pub(crate) setup: Setup,
    pub(crate) session: SessionState,
    pub(crate) session_no: u64,
    pub(crate) session_id: String,
    pub(crate) accounts_primed: bool,
    pub(crate) portfolio_primed: bool,
    pub(crate) suppressed: BTreeSet<String>,
    /// Snapshot calls per conid this session (for the pre-flight).
    pub(crate) snapshot_calls: HashMap<i64, u32>,
    /// Fields requested so far per conid (they persist).
    pub(crate) snapshot_fields: HashMap<i64, BTreeSet<String>>,
    pub(crate) live_orders_calls: u32,
    /// The account `POST /iserver/account` selected (the first account after a new session).
    pub(crate) selected_account: Option<String>,
    pub(crate) pending: Option<Pending>,
    pub(crate) orders: Vec<Order>,
    pub(crate) next_order_id: u64,
    pub(crate) holdings: BTreeMap<(String, i64), Lot>,
    /// What the positions endpoint serves while [`Setup::positions_lag`] is on.
    pub(crate) served: BTreeMap<(String, i64), Lot>,
    pub(crate) cash: BTreeMap<(String, String), Decimal>,
    /// What the ledger shows while it lags a fill ([`Setup::ledger_lag`]).
    pub(crate) served_cash: BTreeMap<(String, String), Decimal>,
    /// Ledger reads left that still show [`Gateway::served_cash`].
    pub(crate) ledger_stale_reads: u32,
    pub(crate) requests: Vec<RequestRecord>,
    pub(crate) faults: Vec<Fault>,
    pub(crate) limiter: Limiter,
}

impl Gateway {
    pub(crate) fn new(setup: Setup) -> Gateway {
        let mut holdings: BTreeMap<(String, i64), Lot> = BTreeMap::new();
        for holding in &setup.positions {
            holdings.insert(
                (holding.account.clone(), holding.conid),
                Lot {
                    quantity: holding.quantity,
                    avg_price: holding.avg_price,
                },
            );
        }
        let mut gateway = Gateway {
            session: setup.session,
            cash: setup.cash.clone(),
            served_cash: setup.cash.clone(),
            ledger_stale_reads: 0,
            served: holdings.clone(),
            holdings,
            setup,
            session_no: 0,
            session_id: String::new(),
            accounts_primed: false,
            portfolio_primed: false,
            suppressed: BTreeSet::new(),
            snapshot_calls: HashMap::new(),
            snapshot_fields: HashMap::new(),
            live_orders_calls: 0,
            selected_account: None,
            pending: None,
            orders: Vec::new(),
            next_order_id: 1_234_567_890,
            requests: Vec::new(),
            faults: Vec::new(),
            limiter: Limiter::default(),
        };
        gateway.new_session(gateway.session);
        gateway
    }

    /// Starts a new brokerage session: the prerequisites, suppressions, snapshot streams and
    /// the live-orders warm-up all start over (reference §1 "Redo both after every
    /// re-authentication").
    pub(crate) fn new_session(&mut self, state: SessionState) {
        self.session = state;
        self.session_no += 1;
        self.session_id = format::hex_token();
        self.accounts_primed = false;
        self.portfolio_primed = false;
        self.suppressed.clear();
        self.snapshot_calls.clear();
        self.snapshot_fields.clear();
        self.live_orders_calls = 0;
        self.selected_account = self.setup.accounts.first().cloned();
        self.pending = None;
    }

    pub(crate) fn contract(&self, conid: i64) -> Option<&Contract> {
        self.setup.contracts.iter().find(|c| c.conid == conid)
    }

    /// The conid's minimum price variation.
    pub(crate) fn tick(&self, conid: i64) -> Decimal {
        self.setup
            .price_increments
            .get(&conid)
            .copied()
            .unwrap_or(Decimal::new(1, 2))
    }

    pub(crate) fn is_account(&self, account: &str) -> bool {
        self.setup.accounts.iter().any(|a| a == account)
    }

    /// Last price, falling back to the average price of any holding.
    pub(crate) fn market_price(&self, conid: i64) -> Option<Decimal> {
        self.setup.prices.get(&conid).copied().or_else(|| {
            self.holdings
                .iter()
                .find(|((_, c), _)| *c == conid)
                .map(|(_, lot)| lot.avg_price)
        })
    }

    pub(crate) fn rate(&self, currency: &str) -> Decimal {
        if currency == self.setup.base_currency {
            return Decimal::ONE;
        }
        self.setup
            .exchange_rates
            .get(currency)
            .copied()
            .unwrap_or(Decimal::ONE)
    }

    /// Removes the first armed fault `pick` accepts; `pick` may rewrite it (to count down).
    pub(crate) fn take_fault(
        &mut self,
        mut pick: impl FnMut(&mut Fault) -> Option<bool>,
    ) -> Option<Fault> {
        for i in 0..self.faults.len() {
            let fault = &mut self.faults[i];
            match pick(fault) {
                // Fired and exhausted.
                Some(true) => return Some(self.faults.remove(i)),
                // Fired, more to come.
                Some(false) => return Some(fault.clone()),
                None => {}
            }
        }
        None
    }

    /// Fills one working order at its limit price, or the last price for other types.
    /// Returns false when there is no price or the amounts overflow.
    pub(crate) fn fill(&mut self, index: usize) -> bool {
        let Some(order) = self.orders.get(index) else {
            return false;
        };
        let record = &order.record;
        // Outside the session IBKR queues the order for the next open.
        if !record.status.is_working() || !self.setup.market_open {
            return false;
        }
        let price = match record.price {
            Some(price)
                if record.order_type.contains("LMT") || record.order_type == "STOP_LIMIT" =>
            {
                price
            }
            _ => match self.setup.prices.get(&record.conid) {
                Some(&price) => price,
                None => return false,
            },
        };
        let Some(contract) = self.contract(record.conid) else {
            return false;
        };
        if record.currency_conversion {
            return self.fill_conversion(index, price);
        }
        let currency = contract.currency.clone();
        let (account, conid, side, quantity) = (
            record.account.clone(),
            record.conid,
            record.side,
            record.quantity,
        );
        let Some(notional) = quantity.checked_mul(price) else {
            return false;
        };
        let commission = self.setup.commission;
        let lot = self
            .holdings
            .get(&(account.clone(), conid))
            .copied()
            .unwrap_or(Lot {
                quantity: Decimal::ZERO,
                avg_price: price,
            });
        let cash = self
            .cash
            .get(&(account.clone(), currency.clone()))
            .copied()
            .unwrap_or_default();
        let updated = match side {
            Side::Buy => {
                let quantity_after = lot.quantity.checked_add(quantity);
                let cost_after = lot
                    .quantity
                    .checked_mul(lot.avg_price)
                    .and_then(|cost| cost.checked_add(notional));
                let cash_after = cash
                    .checked_sub(notional)
                    .and_then(|c| c.checked_sub(commission));
                match (quantity_after, cost_after, cash_after) {
                    (Some(q), Some(cost), Some(c)) if !q.is_zero() => {
                        cost.checked_div(q).map(|avg| {
                            (
                                Lot {
                                    quantity: q,
                                    avg_price: avg,
                                },
                                c,
                            )
                        })
                    }
                    _ => None,
                }
            }
            Side::Sell => {
                let quantity_after = lot.quantity.checked_sub(quantity);
                let cash_after = cash
                    .checked_add(notional)
                    .and_then(|c| c.checked_sub(commission));
                quantity_after.zip(cash_after).map(|(q, c)| {
                    (
                        Lot {
                            quantity: q,
                            avg_price: lot.avg_price,
                        },
                        c,
                    )
                })
            }
        };
        let Some((lot, cash)) = updated else {
            return false;
        };
        if self.setup.ledger_lag > 0 {
            if self.ledger_stale_reads == 0 {
                self.served_cash = self.cash.clone();
            }
            self.ledger_stale_reads = self.setup.ledger_lag;
        }
        if lot.quantity.is_zero() {
            self.holdings.remove(&(account.clone(), conid));
        } else {
            self.holdings.insert((account.clone(), conid), lot);
        }
        self.cash.insert((account, currency), cash);
        if !self.setup.positions_lag {
            self.served = self.holdings.clone();
        }
        let order = &mut self.orders[index];
        order.record.status = OrderStatus::Filled;
        order.record.filled = quantity;
        order.record.avg_fill_price = Some(price);
        order.updated_ms = format::now_ms();
        true
    }

    /// Fills a currency conversion at `price` (quote currency per unit of base): the `fxQty`
    /// leaves the currency converted from, the other currency receives it at the price, and
    /// the commission is charged in the quote currency. No position changes.
    fn fill_conversion(&mut self, index: usize, price: Decimal) -> bool {
        let record = &self.orders[index].record;
        let Some((base, quote)) = self
            .contract(record.conid)
            .and_then(|c| c.pair())
            .map(|(b, q)| (b.to_owned(), q.to_owned()))
        else {
            return false;
        };
        let (account, side, amount) = (record.account.clone(), record.side, record.quantity);
        let commission = self.setup.commission;
        // (currency given, amount given), (currency received, amount received)
        let legs = match side {
            Side::Buy => amount.checked_div(price).map(|got| {
                (
                    (quote.clone(), amount.checked_add(commission)),
                    (base, Some(got)),
                )
            }),
            Side::Sell => amount.checked_mul(price).map(|got| {
                (
                    (base, Some(amount)),
                    (quote.clone(), got.checked_sub(commission)),
                )
            }),
        };
        let Some(((given, Some(out)), (received, Some(into)))) = legs else {
            return false;
        };
        let balance = |gw: &Self, currency: &str| gw.ledger_cash(&account, currency);
        let (Some(given_after), Some(received_after)) = (
            balance(self, &given).checked_sub(out),
            balance(self, &received).checked_add(into.round_dp(2)),
        ) else {
            return false;
        };
        if self.setup.ledger_lag > 0 {
            if self.ledger_stale_reads == 0 {
                self.served_cash = self.cash.clone();
            }
            self.ledger_stale_reads = self.setup.ledger_lag;
        }
        self.cash.insert((account.clone(), given), given_after);
        self.cash.insert((account, received), received_after);
        let order = &mut self.orders[index];
        order.record.status = OrderStatus::Filled;
        order.record.filled = amount;
        order.record.avg_fill_price = Some(price);
        order.updated_ms = format::now_ms();
        true
    }

    /// Called before an order is shown by order status or live orders: applies
    /// [`FillMode::AfterStatusPolls`] and turns a shown PendingCancel into Cancelled.
    pub(crate) fn before_look(&mut self, index: usize) {
        let Some(order) = self.orders.get_mut(index) else {
            return;
        };
        if order.record.status == OrderStatus::PendingCancel && order.cancel_seen {
            order.record.status = OrderStatus::Cancelled;
            order.updated_ms = format::now_ms();
        }
        if let FillMode::AfterStatusPolls(n) = self.setup.fills
            && order.record.status.is_working()
            && order.polls >= n
        {
            self.fill(index);
        }
    }

    /// IBKR has market data for the order's contract: a price, and for a currency pair a
    /// snapshot of it requested in this session (the spec: snapshot before ordering).
    pub(crate) fn has_market_data(&self, draft: &Draft) -> bool {
        self.setup.prices.contains_key(&draft.conid)
            && (!draft.currency_conversion || self.snapshot_calls.contains_key(&draft.conid))
    }

    /// Called after an order was shown.
    pub(crate) fn after_look(&mut self, index: usize) {
        if let Some(order) = self.orders.get_mut(index) {
            if order.record.status.is_working() {
                order.polls = order.polls.saturating_add(1);
            }
            if order.record.status == OrderStatus::PendingCancel {
                order.cancel_seen = true;
            }
        }
    }

    /// Cash in a currency, or the base-currency total for `"BASE"`.
    pub(crate) fn ledger_cash(&self, account: &str, currency: &str) -> Decimal {
        if currency == "BASE" {
            return self
                .cash
                .iter()
                .filter(|((a, _), _)| a == account)
                .filter_map(|((_, c), amount)| amount.checked_mul(self.rate(c)))
                .fold(Decimal::ZERO, |sum, v| sum.checked_add(v).unwrap_or(sum));
        }
        self.cash
            .get(&(account.to_owned(), currency.to_owned()))
            .copied()
            .unwrap_or_default()
    }

    /// A cash account's refusal of a buy it cannot pay: cash in the contract's currency less
    /// its working buys, against the order's amount plus commission. IBKR's wording.
    pub(crate) fn cash_refusal(&self, draft: &Draft) -> Option<String> {
        if draft.currency_conversion {
            return self.conversion_refusal(draft);
        }
        if draft.side != Side::Buy || !self.setup.cash_accounts.contains(&draft.account) {
            return None;
        }
        let currency = self.contract(draft.conid)?.currency.clone();
        let price_of = |conid: i64, price: Option<Decimal>| {
            price
                .or_else(|| self.market_price(conid))
                .unwrap_or_default()
        };
        let reserved = self
            .orders
            .iter()
            .map(|o| &o.record)
            .filter(|r| r.account == draft.account && r.side == Side::Buy && r.status.is_working())
            .filter(|r| {
                self.contract(r.conid)
                    .is_some_and(|c| c.currency == currency)
            })
            .filter_map(|r| r.quantity.checked_mul(price_of(r.conid, r.price)))
            .fold(Decimal::ZERO, |sum, v| sum.checked_add(v).unwrap_or(sum));
        let cash = self.ledger_cash(&draft.account, &currency);
        let available = cash.checked_sub(reserved).unwrap_or(cash);
        let needed = draft
            .quantity
            .checked_mul(price_of(draft.conid, draft.price))?
            .checked_add(self.setup.commission)?;
        (needed > available).then(|| {
            format!(
                "YOUR ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED POSITION YOUR EQUITY \
                 WITH LOAN VALUE [{} {currency}] MUST EXCEED THE INITIAL MARGIN [{} {currency}]",
                format::grouped(available, 2),
                format::grouped(needed, 2)
            )
        })
    }

    /// A cash account cannot convert more of a currency than it holds (fake's wording).
    fn conversion_refusal(&self, draft: &Draft) -> Option<String> {
        if !self.setup.cash_accounts.contains(&draft.account) {
            return None;
        }
        let (base, quote) = self.contract(draft.conid)?.pair()?;
        let from = if draft.side == Side::Buy { quote } else { base };
        let cash = self.ledger_cash(&draft.account, from);
        (draft.quantity > cash).then(|| {
            format!(
                "YOUR ORDER IS NOT ACCEPTED. THE {from} CASH BALANCE [{}] DOES NOT COVER THE \
                 CONVERSION OF {} {from}",
                format::grouped(cash, 2),
                format::grouped(draft.quantity, 2)
            )
        })
    }

    /// Appends to the request log.
    pub(crate) fn record(
        &mut self,
        method: &str,
        path: &str,
        query: Option<&str>,
        body: Option<Value>,
        status: u16,
        response: Option<Value>,
    ) {
        self.requests.push(RequestRecord {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.map(str::to_owned),
            body,
            status,
            response,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::TEN_ETF_CONIDS;

    fn order(
        gw: &mut Gateway,
        conid: i64,
        side: Side,
        quantity: i64,
        price: Option<Decimal>,
    ) -> usize {
        gw.orders.push(Order {
            record: OrderRecord {
                order_id: 1,
                c_oid: None,
                account: "DU1234567".to_owned(),
                conid,
                symbol: String::new(),
                side,
                quantity: Decimal::from(quantity),
                currency_conversion: false,
                order_type: if price.is_some() { "LMT" } else { "MKT" }.to_owned(),
                price,
                tif: "DAY".to_owned(),
                status: OrderStatus::Submitted,
                filled: Decimal::ZERO,
                avg_fill_price: None,
            },
            session_no: gw.session_no,
            polls: 0,
            cancel_seen: false,
            updated_ms: 0,
        });
        gw.orders.len() - 1
    }

    #[test]
    fn buy_averages_the_price_and_sell_to_zero_removes_the_holding() {
        let mut gw = Gateway::new(Setup::ten_etfs());
        let vti = TEN_ETF_CONIDS[0];
        let key = ("DU1234567".to_owned(), vti);
        // 40 @ 250 + 40 @ 300 → 80 @ 275.
        let buy = order(&mut gw, vti, Side::Buy, 40, Some(Decimal::from(300)));
        assert!(gw.fill(buy));
        assert_eq!(gw.holdings[&key].avg_price, Decimal::from(275));
        assert_eq!(gw.ledger_cash("DU1234567", "USD"), Decimal::from(-2_000));
        assert_eq!(gw.served[&key].quantity, Decimal::from(40), "cache lags");
        let sell = order(&mut gw, vti, Side::Sell, 80, None);
        assert!(gw.fill(sell));
        assert!(!gw.holdings.contains_key(&key));
        assert_eq!(
            gw.orders[sell].record.avg_fill_price,
            Some(Decimal::new(29_012, 2))
        );
        assert!(!gw.fill(sell), "a filled order does not fill again");
    }

    #[test]
    fn market_order_without_price_stays_working() {
        let mut gw = Gateway::new(
            Setup::new()
                .account("DU1")
                .contract(Contract::new(7, "X", "ARCA", "USD")),
        );
        let index = order(&mut gw, 7, Side::Buy, 1, None);
        assert!(!gw.fill(index));
        assert_eq!(gw.orders[index].record.status, OrderStatus::Submitted);
    }
}
