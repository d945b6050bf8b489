//! The pieces of a live rebalance's outcome that do not depend on who drives it: the orders
//! of the run ([`RebalanceOrder`]), how each placed one ended ([`OrderFill`]), what the sells
//! raised ([`proceeds`]), and the account of the whole run, order by order
//! ([`RebalanceOutcome`]), which a caller renders and maps to its own exit codes.

use std::collections::BTreeMap;
use std::fmt;

use pbal_core::Side;
use rust_decimal::Decimal;

use super::fills::Fill;
use super::types::{OrderState, OrderTicket};

/// One order of a rebalance: its ticket and its worth in the base currency.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RebalanceOrder {
    /// What is sent to IBKR.
    pub ticket: OrderTicket,
    /// The order's worth in the base currency (for a per-order cap and the preview).
    pub amount: Decimal,
}

impl RebalanceOrder {
    /// An order worth `amount` in the base currency.
    #[must_use]
    pub fn new(ticket: OrderTicket, amount: Decimal) -> Self {
        Self { ticket, amount }
    }

    /// The order in words: `BUY 12 VTI`, or `convert USD 66.67 to EUR (BUY EUR.USD)`
    /// (the same as its `Display`).
    #[must_use]
    pub fn describe(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for RebalanceOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.ticket;
        let quantity = t.quantity.normalize();
        if t.currency_conversion
            && let Some((base, quote)) = t.symbol.split_once('.')
        {
            let (from, to) = match t.side {
                Side::Buy => (quote, base),
                Side::Sell => (base, quote),
            };
            return write!(
                f,
                "convert {from} {quantity} to {to} ({} {})",
                t.side.as_str(),
                t.symbol
            );
        }
        write!(f, "{} {quantity} {}", t.side.as_str(), t.symbol)
    }
}

/// How a placed order ended, or where it stood when the wait for its fill ended.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OrderFill {
    /// IBKR's order id.
    pub order_id: String,
    /// The order.
    pub order: RebalanceOrder,
    /// Its state.
    pub status: OrderState,
    /// Quantity filled.
    pub filled: Decimal,
    /// Average fill price, once known.
    pub average_price: Option<Decimal>,
}

impl OrderFill {
    /// `order` (IBKR's `order_id`) as `fill` reports it.
    #[must_use]
    pub fn new(order_id: String, order: RebalanceOrder, fill: &Fill) -> Self {
        Self {
            order_id,
            order,
            status: fill.state.clone(),
            filled: fill.filled,
            average_price: fill.average_price,
        }
    }

    /// Completely filled.
    #[must_use]
    pub fn is_filled(&self) -> bool {
        self.status.is_filled()
    }
}

/// What filled orders raised (sells) or spent (buys), in the base currency: quantity ×
/// average price × the symbol's rate in `fx_to_base` (1 when absent). A nonsensical fill
/// report (no price, an overflow) counts as nothing, so buys sized from it spend less.
#[must_use]
pub fn proceeds(fills: &[OrderFill], fx_to_base: &BTreeMap<String, Decimal>) -> Decimal {
    fills
        .iter()
        .map(|o| {
            let price = o.average_price.unwrap_or(Decimal::ZERO);
            let rate = fx_to_base
                .get(&o.order.ticket.symbol)
                .copied()
                .unwrap_or(Decimal::ONE);
            o.filled
                .checked_mul(price)
                .and_then(|v| v.checked_mul(rate))
                .unwrap_or(Decimal::ZERO)
        })
        .fold(Decimal::ZERO, |sum, v| sum.checked_add(v).unwrap_or(sum))
}

/// What became of one order of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OrderFate {
    /// Completely filled.
    Filled {
        /// IBKR's order id.
        order_id: String,
        /// Average fill price, once known.
        average_price: Option<Decimal>,
    },
    /// Still working at IBKR when the wait ended.
    Working {
        /// IBKR's order id.
        order_id: String,
        /// Its state.
        state: OrderState,
        /// Quantity filled so far.
        filled: Decimal,
    },
    /// Placed; the run stopped before waiting for its fill. It stays at IBKR.
    Placed {
        /// IBKR's order id.
        order_id: String,
    },
    /// Placed while the market is closed: it waits at IBKR for the next open.
    Queued {
        /// IBKR's order id.
        order_id: String,
    },
    /// Ended without filling completely (cancelled, rejected, …).
    Ended {
        /// IBKR's order id.
        order_id: String,
        /// Its final state.
        state: OrderState,
        /// Quantity filled.
        filled: Decimal,
    },
    /// Refused (by IBKR, its preview, or the run's checks) before it was placed.
    Refused {
        /// Why.
        why: String,
    },
    /// Not placed: the run stopped before it.
    NotPlaced {
        /// Why.
        why: String,
    },
}

impl OrderFate {
    /// Filled completely.
    #[must_use]
    pub fn is_filled(&self) -> bool {
        matches!(self, Self::Filled { .. })
    }
}

/// The account of a rebalance run, order by order, in the order things happened.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RebalanceOutcome {
    /// Each order and what became of it.
    pub orders: Vec<(RebalanceOrder, OrderFate)>,
}

impl RebalanceOutcome {
    /// Orders waited for, as they stood at the end of the wait.
    pub fn waited(&mut self, fills: &[OrderFill]) {
        for o in fills {
            let fate = if o.is_filled() {
                OrderFate::Filled {
                    order_id: o.order_id.clone(),
                    average_price: o.average_price,
                }
            } else if o.status.is_final() {
                OrderFate::Ended {
                    order_id: o.order_id.clone(),
                    state: o.status.clone(),
                    filled: o.filled,
                }
            } else {
                OrderFate::Working {
                    order_id: o.order_id.clone(),
                    state: o.status.clone(),
                    filled: o.filled,
                }
            };
            self.orders.push((o.order.clone(), fate));
        }
    }

    /// Orders placed (`(IBKR's order id, order)`) whose fills the run did not wait for.
    pub fn placed(&mut self, placed: &[(String, RebalanceOrder)]) {
        for (order_id, order) in placed {
            let order_id = order_id.clone();
            self.orders
                .push((order.clone(), OrderFate::Placed { order_id }));
        }
    }

    /// Orders queued for the next open.
    pub fn queued(&mut self, placed: &[(String, RebalanceOrder)]) {
        for (order_id, order) in placed {
            let order_id = order_id.clone();
            self.orders
                .push((order.clone(), OrderFate::Queued { order_id }));
        }
    }

    /// An order refused before it was placed.
    pub fn refused(&mut self, order: &RebalanceOrder, why: &str) {
        let why = why.to_owned();
        self.orders
            .push((order.clone(), OrderFate::Refused { why }));
    }

    /// Orders not placed, and why.
    pub fn not_placed<'a>(
        &mut self,
        orders: impl IntoIterator<Item = &'a RebalanceOrder>,
        why: &str,
    ) {
        for order in orders {
            let why = why.to_owned();
            self.orders
                .push((order.clone(), OrderFate::NotPlaced { why }));
        }
    }

    /// Nothing happened yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }

    /// Every order of the run filled (true for a run with no orders).
    #[must_use]
    pub fn all_filled(&self) -> bool {
        self.orders.iter().all(|(_, fate)| fate.is_filled())
    }

    /// How many orders filled completely.
    #[must_use]
    pub fn filled_count(&self) -> usize {
        self.orders
            .iter()
            .filter(|(_, fate)| fate.is_filled())
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client_portal::OrderKind;

    fn order(symbol: &str, side: Side, quantity: Decimal, conversion: bool) -> RebalanceOrder {
        RebalanceOrder::new(
            OrderTicket {
                account: "DU1".to_owned(),
                conid: "1".to_owned(),
                symbol: symbol.to_owned(),
                ticker: None,
                side,
                quantity,
                kind: OrderKind::Market,
                c_oid: "pbal-x".to_owned(),
                manual_order_time: None,
                currency_conversion: conversion,
            },
            Decimal::ONE,
        )
    }

    #[test]
    fn orders_read_as_words() {
        let d = |s: &str| s.parse::<Decimal>().unwrap_or_default();
        assert_eq!(
            order("VTI", Side::Buy, d("12.00"), false).to_string(),
            "BUY 12 VTI"
        );
        assert_eq!(
            order("EUR.USD", Side::Buy, d("66.67"), true).to_string(),
            "convert USD 66.67 to EUR (BUY EUR.USD)"
        );
        assert_eq!(
            order("EUR.USD", Side::Sell, d("5"), true).to_string(),
            "convert EUR 5 to USD (SELL EUR.USD)"
        );
    }

    #[test]
    fn proceeds_count_nonsense_as_nothing() {
        let fill = |symbol: &str, filled: Decimal, price: Option<Decimal>| OrderFill {
            order_id: "1".to_owned(),
            order: order(symbol, Side::Sell, filled, false),
            status: OrderState::Filled,
            filled,
            average_price: price,
        };
        let fx = BTreeMap::from([("SAP".to_owned(), Decimal::new(11, 1))]);
        let fills = [
            fill("VTI", Decimal::TEN, Some(Decimal::TWO)),
            fill("SAP", Decimal::TEN, Some(Decimal::TEN)),
            fill("BND", Decimal::TEN, None),
            fill("XXX", Decimal::MAX, Some(Decimal::MAX)),
        ];
        assert_eq!(proceeds(&fills, &fx), Decimal::new(130, 0));
    }
}
