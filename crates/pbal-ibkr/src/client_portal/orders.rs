//! Orders: preview (whatif), placement with the reply-question loop, live orders, status and
//! cancellation. A placement is sent once; its client order id (cOID) is the idempotency key.

use std::collections::BTreeSet;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::account::check_error;
use super::client::{Gateway, Retry, shown_endpoint};
use super::error::GatewayError;
use super::json;
use super::pacing::Limited;
use super::types::{
    LiveOrder, OrderKind, OrderState, OrderStatus, OrderTicket, PlaceEvent, Placed, WhatIf,
};

/// Questions pbal confirms by default: informational notices about the order type, which
/// say nothing about this account's own limits (reference §4):
/// - `o10151`: "you are about to submit a market order" (the user chose `--order-type mkt`);
/// - `o10153`: IBKR may cap (floor) the price to keep the market orderly (a protection);
/// - `o403`: the order will likely fill at once (what a rebalance order is meant to do);
/// - `p12`: IBKR's price-management algorithm may adjust the price within the limit.
pub const DEFAULT_ALLOWED_QUESTIONS: [&str; 4] = ["o10151", "o10153", "o403", "p12"];

/// The account's own Precautionary Settings: never confirmed unless the user names them
/// with `--allow-question`, since they exist to stop exactly such an order.
pub const PRECAUTIONARY_QUESTIONS: [(&str, &str); 3] = [
    ("o163", "price percentage constraint"),
    ("o383", "order size limit"),
    ("o451", "total value limit"),
];

/// Questions about an order sized in cash, confirmed for currency conversions only (pbal sizes
/// them by `fxQty`, the amount converted from, as the plan showed): `o10223` (the cash
/// quantity is converted at the market rate on execution) and `o10164` (cash quantity
/// details are provided on a best-efforts basis).
pub const CASH_QUANTITY_QUESTIONS: [&str; 2] = ["o10223", "o10164"];

/// IBKR has no market data for the contract. Never confirmed for a market order, whatever
/// the allow-list says: a blind market order can fill anywhere.
pub const NO_MARKET_DATA_QUESTION: &str = "o354";

/// Question rounds after which a placement is abandoned (ibind stops at 20).
const MAX_QUESTION_ROUNDS: usize = 20;

/// Which reply questions pbal may answer "yes" to.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct QuestionPolicy {
    /// Allowed message ids.
    pub allowed: BTreeSet<String>,
}

impl QuestionPolicy {
    /// Exactly these message ids (none of the defaults unless listed).
    #[must_use]
    pub fn new(allowed: BTreeSet<String>) -> Self {
        Self { allowed }
    }
}

impl Default for QuestionPolicy {
    fn default() -> Self {
        Self {
            allowed: DEFAULT_ALLOWED_QUESTIONS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        }
    }
}

impl Gateway {
    /// `POST /iserver/account/{acct}/orders/whatif`: IBKR's preview; places nothing.
    ///
    /// # Errors
    /// Transport and session errors. IBKR's objections are in [`WhatIf::error`].
    pub async fn whatif(&self, ticket: &OrderTicket) -> Result<WhatIf, GatewayError> {
        self.prime_iserver().await?;
        let path = format!("iserver/account/{}/orders/whatif", ticket.account);
        // Without the client order id: nothing in IBKR's documentation says a preview leaves
        // the id free, and a reserved id would make the real placement look like a duplicate.
        let body = json!({ "orders": [order_json(ticket, Purpose::Preview)?] });
        // A preview changes nothing, so a lost answer may be asked again.
        let value = self.post(&path, &body, None, Retry::Idempotent).await?;
        let value = match value {
            Value::Array(mut items) if !items.is_empty() => items.swap_remove(0),
            other => other,
        };
        let text = |v: Option<&Value>| {
            v.and_then(|v| match v {
                Value::Array(items) => {
                    let joined = items
                        .iter()
                        .filter_map(|i| json::text(Some(i)))
                        .collect::<Vec<_>>()
                        .join("; ");
                    (!joined.is_empty()).then_some(joined)
                }
                other => json::text(Some(other)),
            })
        };
        Ok(WhatIf {
            commission: json::decimal(value.pointer("/amount/commission")),
            amount_text: json::text(value.pointer("/amount/amount")),
            initial_margin_change: json::decimal(value.pointer("/initial/change")),
            maintenance_margin_change: json::decimal(value.pointer("/maintenance/change")),
            equity_after: json::decimal(value.pointer("/equity/after")),
            warning: text(value.get("warn")).or_else(|| text(value.get("warns"))),
            error: text(value.get("error")),
        })
    }

    /// Places one order and answers its questions: "yes" only when every message id is in
    /// `policy`, otherwise "no" (the order is dropped) and an error. Never re-sent.
    ///
    /// # Errors
    /// [`GatewayError::OrderOutcomeUnknown`] when the POST got no answer or a 5xx (look for
    /// the cOID before trying again), [`GatewayError::UnknownQuestion`], [`GatewayError::Rejected`].
    pub async fn place(
        &self,
        ticket: &OrderTicket,
        policy: &QuestionPolicy,
        on_event: &mut dyn FnMut(PlaceEvent),
    ) -> Result<Placed, GatewayError> {
        self.prime_iserver().await?;
        let path = format!("iserver/account/{}/orders", ticket.account);
        let body = json!({ "orders": [order_json(ticket, Purpose::Place)?] });
        // A lost answer, or a 5xx (the gateway may fail after passing the order on): the
        // order may exist. Never sent again; the caller looks for its client order id.
        let unknown = |e: GatewayError| match e {
            GatewayError::Transport { .. } => GatewayError::OrderOutcomeUnknown {
                symbol: ticket.symbol.clone(),
                c_oid: ticket.c_oid.clone(),
                detail: "gave no answer".to_owned(),
            },
            GatewayError::Api {
                status: Some(status @ 500..=599),
                message,
                ..
            } => GatewayError::OrderOutcomeUnknown {
                symbol: ticket.symbol.clone(),
                c_oid: ticket.c_oid.clone(),
                detail: format!("answered HTTP {status} ({message})"),
            },
            other => other,
        };
        let mut value = self
            .post(&path, &body, None, Retry::Never)
            .await
            .map_err(unknown)?;
        for _ in 0..MAX_QUESTION_ROUNDS {
            match parse_place_reply(&value) {
                PlaceReply::Accepted { order_id, status } => {
                    return Ok(Placed::Accepted { order_id, status });
                }
                PlaceReply::Error(message) if message.contains("already registered") => {
                    return Ok(Placed::AlreadyRegistered);
                }
                PlaceReply::Error(message) => {
                    return Err(GatewayError::Rejected {
                        symbol: ticket.symbol.clone(),
                        message,
                    });
                }
                PlaceReply::Reject { message_id, text } => {
                    return Err(GatewayError::AdvancedReject {
                        symbol: ticket.symbol.clone(),
                        message_id,
                        text,
                    });
                }
                PlaceReply::Unknown => {
                    return Err(GatewayError::Decode {
                        endpoint: shown_endpoint(&reqwest::Method::POST, &path),
                        message: format!("neither an order id nor a question: {value}"),
                    });
                }
                PlaceReply::Question {
                    id,
                    message_ids,
                    text,
                } => {
                    let blind_market = matches!(ticket.kind, OrderKind::Market)
                        && message_ids.iter().any(|m| m == NO_MARKET_DATA_QUESTION);
                    let allowed = !blind_market
                        && !message_ids.is_empty()
                        && message_ids.iter().all(|m| {
                            policy.allowed.contains(m)
                                || (ticket.currency_conversion
                                    && CASH_QUANTITY_QUESTIONS.contains(&m.as_str()))
                        });
                    let reply_path = format!("iserver/reply/{id}");
                    // Answer at once: a late reply loses the order (ibind #35).
                    let answer = json!({ "confirmed": allowed });
                    if allowed {
                        on_event(PlaceEvent::Confirmed {
                            message_ids: message_ids.clone(),
                            text: text.clone(),
                        });
                        value = self
                            .post(&reply_path, &answer, None, Retry::Never)
                            .await
                            .map_err(unknown)?;
                    } else {
                        on_event(PlaceEvent::Declined {
                            message_ids: message_ids.clone(),
                            text: text.clone(),
                        });
                        // Declining drops the order; its answer does not matter.
                        let _ = self.post(&reply_path, &answer, None, Retry::Never).await;
                        if blind_market {
                            return Err(GatewayError::NoMarketData {
                                symbol: ticket.symbol.clone(),
                                text,
                            });
                        }
                        if let Some((id, setting)) =
                            PRECAUTIONARY_QUESTIONS.iter().find(|(id, _)| {
                                message_ids.iter().any(|m| m == id) && !policy.allowed.contains(*id)
                            })
                        {
                            return Err(GatewayError::Precautionary {
                                symbol: ticket.symbol.clone(),
                                id: (*id).to_owned(),
                                setting: (*setting).to_owned(),
                                text,
                            });
                        }
                        let Some(first) = message_ids.first().cloned() else {
                            return Err(GatewayError::QuestionWithoutId {
                                symbol: ticket.symbol.clone(),
                                text,
                            });
                        };
                        return Err(GatewayError::UnknownQuestion {
                            symbol: ticket.symbol.clone(),
                            first,
                            ids: message_ids.join(", "),
                            text,
                        });
                    }
                }
            }
        }
        Err(GatewayError::Rejected {
            symbol: ticket.symbol.clone(),
            message: format!("more than {MAX_QUESTION_ROUNDS} questions; order abandoned"),
        })
    }

    /// `GET /iserver/account/orders` (1 per 5 s): this session's and working orders, filtered
    /// here by account (the gateway's filters have dropped orders). The first call of a
    /// session is often empty, so an empty answer is asked again once. For a progress poll;
    /// before deciding an order is absent use [`Gateway::live_orders_complete`].
    ///
    /// # Errors
    /// Transport and session errors.
    pub async fn live_orders(&self, account: &str) -> Result<Vec<LiveOrder>, GatewayError> {
        let orders = self.read_live_orders(account).await?;
        if !orders.is_empty() {
            return Ok(orders);
        }
        self.read_live_orders(account).await
    }

    /// The full live-orders list: IBKR's answer can be incomplete while the gateway is still
    /// gathering the orders (ibind #12, #90), so the list is read twice (the documented
    /// refresh, 5 s apart by the endpoint's limit) and an order seen in either read counts,
    /// with its latest state. What the duplicate guard and `pbal cancel` decide on.
    ///
    /// # Errors
    /// Transport and session errors.
    pub async fn live_orders_complete(
        &self,
        account: &str,
    ) -> Result<Vec<LiveOrder>, GatewayError> {
        let first = self.read_live_orders(account).await?;
        let second = self.read_live_orders(account).await?;
        let mut merged: Vec<LiveOrder> = first
            .into_iter()
            .filter(|o| !second.iter().any(|s| s.order_id == o.order_id))
            .collect();
        merged.extend(second);
        Ok(merged)
    }

    /// The live order whose client order id is `c_oid`, from the complete list
    /// ([`Gateway::live_orders_complete`]): is an order whose answer was lost or refused as a
    /// duplicate really there?
    pub(crate) async fn listed(
        &self,
        account: &str,
        c_oid: &str,
    ) -> Result<Option<LiveOrder>, GatewayError> {
        let live = self.live_orders_complete(account).await?;
        Ok(live.into_iter().find(|o| o.c_oid.as_deref() == Some(c_oid)))
    }

    /// One read of `GET /iserver/account/orders` for `account`.
    async fn read_live_orders(&self, account: &str) -> Result<Vec<LiveOrder>, GatewayError> {
        self.prime_iserver().await?;
        // The account goes along too (the gateway's filters have dropped orders, so the rows
        // are still filtered here; the caller selects the account first).
        let query = [("accountId", account.to_owned())];
        let value = self
            .get("iserver/account/orders", &query, Some(Limited::LiveOrders))
            .await?;
        check_error("GET iserver/account/orders", &value)?;
        Ok(orders_of(&value)
            .iter()
            .filter_map(parse_live_order)
            .filter(|o| o.account.as_deref().is_none_or(|a| a == account))
            .collect())
    }

    /// `GET /iserver/account/order/status/{id}`.
    ///
    /// # Errors
    /// Transport and session errors (503 for orders of earlier sessions).
    pub async fn order_status(&self, order_id: &str) -> Result<OrderStatus, GatewayError> {
        self.prime_iserver().await?;
        let path = format!("iserver/account/order/status/{order_id}");
        let value = self.get(&path, &[], None).await?;
        check_error(&path, &value)?;
        Ok(OrderStatus {
            status: OrderState::parse(&json::text(value.get("order_status")).unwrap_or_default()),
            filled: json::decimal(value.get("cum_fill")),
            total: json::decimal(value.get("total_size")),
            average_price: json::decimal(value.get("average_price")),
        })
    }

    /// `DELETE /iserver/account/{acct}/order/{id}`: asks IBKR to cancel (an acknowledgement,
    /// not a cancellation; poll the status).
    ///
    /// # Errors
    /// Transport and session errors; an unknown order id.
    pub async fn cancel(&self, account: &str, order_id: &str) -> Result<(), GatewayError> {
        self.prime_iserver().await?;
        let path = format!("iserver/account/{account}/order/{order_id}");
        let value = self.delete(&path).await?;
        check_error(&shown_endpoint(&reqwest::Method::DELETE, &path), &value)
    }
}

/// What an order body is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Preview,
    Place,
}

/// The order as the gateway wants it.
fn order_json(ticket: &OrderTicket, purpose: Purpose) -> Result<Value, GatewayError> {
    let bad = |message: String| GatewayError::Config { message };
    let conid = u64::from_str(&ticket.conid).map_err(|_| {
        bad(format!(
            "{}: conid {:?} is not a number",
            ticket.symbol, ticket.conid
        ))
    })?;
    let number = |d: Decimal| {
        serde_json::Number::from_str(&d.normalize().to_string())
            .map_err(|_| bad(format!("{}: {d} is not a JSON number", ticket.symbol)))
    };
    let mut order = Map::new();
    order.insert("acctId".into(), json!(ticket.account));
    order.insert("conid".into(), json!(conid));
    order.insert("side".into(), json!(ticket.side.as_str()));
    if ticket.currency_conversion {
        // "fxQty: ... can only be used for Currency Conversion Orders. When using 'fxQty'
        // don't specify 'quantity'" (IBKR's Place Order documentation).
        order.insert("isCcyConv".into(), json!(true));
        order.insert("fxQty".into(), Value::Number(number(ticket.quantity)?));
    } else {
        order.insert("quantity".into(), Value::Number(number(ticket.quantity)?));
    }
    order.insert("tif".into(), json!("DAY"));
    if purpose == Purpose::Place {
        order.insert("cOID".into(), json!(ticket.c_oid));
    }
    order.insert("outsideRTH".into(), json!(false));
    if !ticket.currency_conversion
        && let Some(ticker) = &ticket.ticker
    {
        order.insert("ticker".into(), json!(ticker));
    }
    match ticket.kind {
        OrderKind::Market => {
            order.insert("orderType".into(), json!("MKT"));
        }
        OrderKind::Limit(price) => {
            order.insert("orderType".into(), json!("LMT"));
            order.insert("price".into(), Value::Number(number(price)?));
        }
    }
    if let Some(time) = ticket.manual_order_time {
        order.insert("manualOrderTime".into(), json!(time));
    }
    Ok(Value::Object(order))
}

enum PlaceReply {
    Accepted {
        order_id: String,
        status: OrderState,
    },
    Question {
        id: String,
        message_ids: Vec<String>,
        text: String,
    },
    Error(String),
    /// The spec's `AdvancedOrderReject`: an object with `text`, `message_id`, `req_id`,
    /// `dismissable`, `options`, `prompt` (and the rejected ticket's `order_id`).
    Reject {
        message_id: Option<String>,
        text: String,
    },
    Unknown,
}

/// Fields only the spec's `AdvancedOrderReject` carries: an element with one of them is a
/// reject, even though it also has an `order_id` (that of the rejected ticket).
const REJECT_FIELDS: [&str; 5] = ["req_id", "dismissable", "prompt", "message_id", "options"];

fn parse_place_reply(value: &Value) -> PlaceReply {
    if let Some(message) = json::error_message(value) {
        return PlaceReply::Error(message);
    }
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    for item in &items {
        if let (Some(id), Some(message)) = (json::text(item.get("id")), item.get("message")) {
            let text = match message {
                Value::Array(lines) => lines
                    .iter()
                    .filter_map(|l| json::text(Some(l)))
                    .collect::<Vec<_>>()
                    .join(" "),
                other => json::text(Some(other)).unwrap_or_default(),
            };
            let message_ids = item
                .get("messageIds")
                .and_then(Value::as_array)
                .map(|ids| ids.iter().filter_map(|i| json::text(Some(i))).collect())
                .unwrap_or_default();
            return PlaceReply::Question {
                id,
                message_ids,
                text: text.split_whitespace().collect::<Vec<_>>().join(" "),
            };
        }
    }
    for item in &items {
        if REJECT_FIELDS.iter().any(|f| item.get(*f).is_some()) {
            let message_id = json::text(item.get("message_id"));
            let text = json::text(item.get("text")).map_or_else(
                || format!("no text given ({item})"),
                |t| t.split_whitespace().collect::<Vec<_>>().join(" "),
            );
            return PlaceReply::Reject { message_id, text };
        }
    }
    for item in &items {
        if let Some(order_id) = json::text(item.get("order_id")) {
            return PlaceReply::Accepted {
                order_id,
                status: OrderState::parse(
                    &json::text(item.get("order_status")).unwrap_or_default(),
                ),
            };
        }
    }
    PlaceReply::Unknown
}

fn orders_of(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        other => other
            .get("orders")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
    }
}

fn parse_live_order(row: &Value) -> Option<LiveOrder> {
    let side = json::text(row.get("side"))
        .unwrap_or_default()
        .to_ascii_uppercase();
    Some(LiveOrder {
        order_id: json::text(row.get("orderId")).or_else(|| json::text(row.get("order_id")))?,
        c_oid: json::text(row.get("order_ref")).or_else(|| json::text(row.get("cOID"))),
        account: json::text(row.get("acct")).or_else(|| json::text(row.get("account"))),
        conid: json::text(row.get("conid")),
        symbol: json::text(row.get("ticker")).unwrap_or_default(),
        side: match side.as_str() {
            "B" => "BUY".to_owned(),
            "S" => "SELL".to_owned(),
            _ => side,
        },
        status: OrderState::parse(&json::text(row.get("status")).unwrap_or_default()),
        quantity: json::decimal(row.get("totalSize")),
        filled: json::decimal(row.get("filledQuantity")),
        average_price: json::decimal(row.get("avgPrice")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_carry_no_client_order_id_and_nothing_carries_a_referrer() {
        let ticket = OrderTicket {
            account: "DU1".to_owned(),
            conid: "265598".to_owned(),
            symbol: "AAPL".to_owned(),
            ticker: None,
            side: pbal_core::Side::Buy,
            quantity: Decimal::TEN,
            kind: OrderKind::Market,
            c_oid: "pbal-x".to_owned(),
            manual_order_time: None,
            currency_conversion: false,
        };
        let preview = order_json(&ticket, Purpose::Preview).unwrap();
        let place = order_json(&ticket, Purpose::Place).unwrap();
        assert!(preview.get("cOID").is_none());
        assert_eq!(place["cOID"], "pbal-x");
        assert!(preview.get("referrer").is_none() && place.get("referrer").is_none());
        assert!(place.get("isCcyConv").is_none() && place.get("fxQty").is_none());
        assert_eq!(place["quantity"], 10);
    }

    #[test]
    fn a_currency_conversion_sends_fx_qty_and_no_quantity() {
        let ticket = OrderTicket {
            account: "DU1".to_owned(),
            conid: "12087792".to_owned(),
            symbol: "EUR.USD".to_owned(),
            ticker: None,
            side: pbal_core::Side::Buy,
            quantity: Decimal::new(66_67, 2),
            kind: OrderKind::Market,
            c_oid: "pbal-fx".to_owned(),
            manual_order_time: None,
            currency_conversion: true,
        };
        let place = order_json(&ticket, Purpose::Place).unwrap();
        assert_eq!(place["isCcyConv"], true);
        assert_eq!(place["fxQty"].to_string(), "66.67");
        assert!(place.get("quantity").is_none(), "{place}");
        assert_eq!(place["conid"], 12_087_792);
        assert_eq!(place["cOID"], "pbal-fx");
    }

    #[test]
    fn place_replies() {
        let accepted = json!([{"order_id":"1234567890","order_status":"PreSubmitted","encrypt_message":"1","local_order_id":"x"}]);
        assert!(
            matches!(parse_place_reply(&accepted), PlaceReply::Accepted { order_id, .. } if order_id == "1234567890")
        );
        let question = json!([{"id":"07a13a5a","message":["The following order \"BUY 100 AAPL\" price exceeds \nthe Percentage constraint of 3%."],"isSuppressed":false,"messageIds":["o163"],"messageOptions":["Yes","No"]}]);
        assert!(
            matches!(parse_place_reply(&question), PlaceReply::Question { id, message_ids, .. } if id == "07a13a5a" && message_ids == ["o163"])
        );
        let error =
            json!({"error":"Order couldn't be submitted: Local order ID=x is already registered."});
        assert!(
            matches!(parse_place_reply(&error), PlaceReply::Error(m) if m.contains("already registered"))
        );
        let in_array = json!([{"error":"No trading permissions."}]);
        assert!(
            matches!(parse_place_reply(&in_array), PlaceReply::Error(m) if m == "No trading permissions.")
        );
        assert!(matches!(parse_place_reply(&json!([])), PlaceReply::Unknown));
        let reject = json!({"order_id": 1_234_567_890, "req_id": "9", "dismissable": ["Dismiss"],
            "text": "Order rejected:\n  size too large", "options": ["OK"], "type": "msg",
            "message_id": "o2137", "prompt": false});
        assert!(
            matches!(parse_place_reply(&reject), PlaceReply::Reject { message_id: Some(id), text }
                if id == "o2137" && text == "Order rejected: size too large"),
            "a reject carries an order_id but is no acceptance"
        );
        let bare_question = json!([{"id": "q1", "message": ["Are you sure?"]}]);
        assert!(
            matches!(parse_place_reply(&bare_question), PlaceReply::Question { message_ids, .. } if message_ids.is_empty())
        );
    }
}
