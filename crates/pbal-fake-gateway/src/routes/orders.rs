//! Orders (reference §4): place, questions and replies, suppression, whatif, live orders,
//! status and cancel.

use std::str::FromStr;
use std::time::Instant;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::Request;
use crate::fault::Fault;
use crate::format::{self, grouped, plain};
use crate::records::{OrderRecord, OrderStatus, Side};
use crate::reply::{Body, Reply};
use crate::state::{Draft, Gateway, Order, Pending};

const ORDER_TYPES: [&str; 7] = [
    "MKT",
    "LMT",
    "STP",
    "STOP_LIMIT",
    "MIDPRICE",
    "TRAIL",
    "TRAILLMT",
];
const TIFS: [&str; 4] = ["DAY", "GTC", "OPG", "IOC"];
/// The messageId of [`Fault::UnknownQuestion`].
const UNKNOWN_QUESTION: &str = "o99999";

/// A number or numeric string, parsed exactly.
fn decimal(value: &Value) -> Option<Decimal> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return None,
    };
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
}

fn conid_of(order: &Value) -> Option<i64> {
    match order.get("conid") {
        Some(Value::Number(n)) => return n.as_i64(),
        Some(Value::String(s)) => return s.parse().ok(),
        _ => {}
    }
    let conidex = order.get("conidex")?.as_str()?;
    conidex.split('@').next()?.parse().ok()
}

/// Checks one order the way the gateway does; errors are the documented texts.
fn validate(gw: &Gateway, account: &str, order: &Value) -> Result<Draft, Reply> {
    // Strict (the fake's rule): an order's own acctId names the account of the path, so a
    // client mixing a household's accounts is caught.
    if let Some(own) = order.get("acctId").and_then(Value::as_str)
        && own != account
    {
        return Err(Reply::error(
            400,
            &format!("Bad Request: acctId {own} does not match the account {account} of the path"),
        ));
    }
    let Some(conid) = conid_of(order) else {
        return Err(Reply::error(400, "conid or conidex is required"));
    };
    let side = match order.get("side").and_then(Value::as_str) {
        Some("BUY") => Side::Buy,
        Some("SELL") => Side::Sell,
        _ => return Err(Reply::error(400, "Invalid Side (must be 'BUY' or 'SELL').")),
    };
    let order_type = order.get("orderType").and_then(Value::as_str).unwrap_or("");
    if !ORDER_TYPES.contains(&order_type) {
        return Err(Reply::error(400, "Unknown order type"));
    }
    let Some(contract) = gw.contract(conid) else {
        return Err(Reply::bare_error(
            200,
            &format!("no sec defs returned for conid {conid}"),
        ));
    };
    let Some(tif) = order.get("tif").and_then(Value::as_str) else {
        return Err(Reply::bare_error(
            200,
            "null time in force is not supported for this order",
        ));
    };
    if !TIFS.contains(&tif) {
        return Err(Reply::bare_error(
            200,
            &format!("invalid time in force: {tif}"),
        ));
    }
    // Currency conversion orders (IBKR: "isCcyConv: set to true if the order is a FX
    // conversion order"; "fxQty: ... can only be used for Currency Conversion Orders. When
    // using 'fxQty' don't specify 'quantity'"): only on a currency pair, sized by fxQty alone.
    let conversion = order.get("isCcyConv").and_then(Value::as_bool) == Some(true);
    let fx_qty = order.get("fxQty");
    let has_quantity = order.get("quantity").is_some_and(|q| !q.is_null());
    if conversion {
        if !contract.is_cash() {
            return Err(Reply::bare_error(
                200,
                &format!(
                    "Currency conversion orders are only accepted for CASH contracts; conid {conid} is {}",
                    contract.sec_type
                ),
            ));
        }
        if has_quantity {
            return Err(Reply::bare_error(
                200,
                "A currency conversion order takes fxQty, not quantity",
            ));
        }
        if fx_qty.is_none_or(Value::is_null) {
            return Err(Reply::bare_error(
                200,
                "A currency conversion order needs fxQty (the amount to convert)",
            ));
        }
    } else if fx_qty.is_some_and(|q| !q.is_null()) {
        return Err(Reply::bare_error(
            200,
            "fxQty can only be used for Currency Conversion Orders (isCcyConv)",
        ));
    } else if contract.is_cash() {
        return Err(Reply::bare_error(
            200,
            "Orders on a currency pair must be currency conversion orders (isCcyConv) here",
        ));
    }
    let quantity = if conversion {
        fx_qty.and_then(decimal)
    } else {
        order.get("quantity").and_then(decimal)
    };
    let Some(quantity) = quantity.filter(|q| q.is_sign_positive() && !q.is_zero()) else {
        return Err(Reply::bare_error(200, "invalid order size"));
    };
    if !conversion && !gw.setup.allow_fractions && !quantity.fract().is_zero() {
        return Err(Reply::bare_error(
            200,
            "Fractional share size is not supported for this order",
        ));
    }
    let price = order.get("price").and_then(decimal);
    let needs_price = matches!(order_type, "LMT" | "STOP_LIMIT" | "TRAILLMT");
    if needs_price && !price.is_some_and(|p| p.is_sign_positive() && !p.is_zero()) {
        return Err(Reply::bare_error(200, "invalid order price fields"));
    }
    let tick = gw.tick(conid);
    if let Some(p) = price
        && !tick.is_zero()
        && !(p % tick).is_zero()
    {
        return Err(Reply::bare_error(
            200,
            "The price does not conform to the minimum price variation for this contract.",
        ));
    }
    let reference_price = price.or_else(|| gw.market_price(conid));
    if reference_price.is_some_and(|p| quantity.checked_mul(p).is_none()) {
        return Err(Reply::bare_error(200, "invalid order size"));
    }
    // The ticker is optional; one that names another contract than the conid is refused
    // (fake's wording: the spec describes no such order).
    if let Some(ticker) = order.get("ticker").and_then(Value::as_str)
        && ticker != contract.symbol
    {
        return Err(Reply::bare_error(
            200,
            &format!(
                "ticker {ticker} does not match conid {conid} ({})",
                contract.symbol
            ),
        ));
    }
    if gw.setup.no_permission.contains(&conid) {
        return Err(Reply::bare_error(200, "No trading permissions."));
    }
    let c_oid = order.get("cOID").and_then(Value::as_str).map(str::to_owned);
    if c_oid.as_ref().is_some_and(|c| c.chars().count() > 64) {
        return Err(Reply::bare_error(
            200,
            "Local order ID is too long: at most 64 characters",
        ));
    }
    Ok(Draft {
        account: account.to_owned(),
        conid: contract.conid,
        side,
        quantity,
        currency_conversion: conversion,
        order_type: order_type.to_owned(),
        price,
        tif: tif.to_owned(),
        c_oid,
    })
}

/// Reads `{"orders":[..]}` and validates every order.
fn drafts(gw: &Gateway, account: &str, req: &Request) -> Result<Vec<Draft>, Reply> {
    if !gw.is_account(account) {
        return Err(Reply::error(
            400,
            &format!("Bad Request: account {account} not found"),
        ));
    }
    let orders = req
        .body
        .as_ref()
        .and_then(|b| b.get("orders"))
        .and_then(Value::as_array)
        .filter(|orders| !orders.is_empty());
    let Some(orders) = orders else {
        return Err(Reply::error(
            400,
            "Bad Request: body must be {\"orders\":[...]}",
        ));
    };
    orders
        .iter()
        .map(|order| validate(gw, account, order))
        .collect()
}

fn duplicate(message_c_oid: &str) -> Reply {
    Reply::bare_error(
        200,
        &format!(
            "Order couldn't be submitted: Local order ID={message_c_oid} is already registered."
        ),
    )
}

fn question_text(id: &str, draft: &Draft, symbol: &str) -> String {
    let price = draft
        .price
        .map_or_else(|| "MKT".to_owned(), |p| p.to_string());
    let order = format!(
        "{} {} {} @ {}",
        draft.side.as_str(),
        draft.quantity,
        symbol,
        price
    );
    match id {
        "o163" => format!(
            "The following order \"{order}\" price exceeds \nthe Percentage constraint of 3%.\nAre you sure you want to submit this order?"
        ),
        "o354" => "You are submitting an order without market data. We strongly recommend against this as it may result in erroneous and unexpected trades.\nAre you sure you want to submit this order?".to_owned(),
        "o10153" => "<h4>Confirm Mandatory Cap Price</h4>To avoid trading at a price that is not consistent with a fair and orderly market, IB may set a cap (for a buy order) or floor (for a sell order). THIS MAY CAUSE AN ORDER THAT WOULD OTHERWISE BE MARKETABLE TO NOT BE TRADED.\nAre you sure you want to submit this order?".to_owned(),
        "o10151" => "You are about to submit a market order. Market orders may execute at prices far from the last price.\nAre you sure you want to submit this order?".to_owned(),
        "o383" => format!("The following order \"{order}\" size exceeds the Size Limit.\nAre you sure you want to submit this order?"),
        "o451" => format!("The following order \"{order}\" value exceeds the Total Value Limit.\nAre you sure you want to submit this order?"),
        "o403" => "This order will most likely trigger and fill immediately.\nAre you sure you want to submit this order?".to_owned(),
        "o10223" => format!("Cash quantity order \"{order}\": the amount is converted at the market rate when the order executes.\nAre you sure you want to submit this order?"),
        "o10164" => "Traders are responsible for understanding cash quantity details, which are provided on a best efforts basis only.\nAre you sure you want to submit this order?".to_owned(),
        "" => format!("The order \"{order}\" needs your attention before it is transmitted.\nAre you sure you want to submit this order?"),
        _ => format!("Unrecognised warning for \"{order}\".\nAre you sure you want to submit this order?"),
    }
}

/// Asks the next question: a fresh UUID id, the untagged-union question element.
fn ask(gw: &mut Gateway, message_id: &str, remaining: Vec<String>, drafts: Vec<Draft>) -> Reply {
    let id = format::uuid();
    let symbol = drafts
        .first()
        .and_then(|d| gw.contract(d.conid))
        .map(|c| format!("{} {}", c.symbol, c.exchange))
        .unwrap_or_default();
    let message = drafts
        .first()
        .map(|d| question_text(message_id, d, &symbol))
        .unwrap_or_default();
    gw.pending = Some(Pending {
        id: id.clone(),
        remaining,
        drafts,
        asked_at: Instant::now(),
    });
    if message_id.is_empty() {
        // The spec makes `messageIds` optional; such a question comes without it.
        return Reply::ok(json!([{
            "id": id,
            "message": [message],
            "isSuppressed": false
        }]));
    }
    Reply::ok(json!([{
        "id": id,
        "message": [message],
        "isSuppressed": false,
        "messageIds": [message_id],
        "messageOptions": ["Yes", "No"]
    }]))
}

/// Accepts the drafts: records them, fills them if [`crate::FillMode::Immediate`], and
/// answers the accepted form (`order_id` a string, `local_order_id` the cOID).
fn accept(gw: &mut Gateway, drafts: Vec<Draft>) -> Reply {
    let mut answer = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let order_id = gw.next_order_id;
        gw.next_order_id = gw.next_order_id.saturating_add(1);
        let symbol = gw
            .contract(draft.conid)
            .map(|c| c.symbol.clone())
            .unwrap_or_default();
        let mut element = json!({
            "order_id": order_id.to_string(),
            "order_status": OrderStatus::PreSubmitted.as_str(),
            "encrypt_message": "1"
        });
        if let Some(c_oid) = &draft.c_oid {
            element["local_order_id"] = json!(c_oid);
        }
        answer.push(element);
        gw.orders.push(Order {
            record: OrderRecord {
                order_id,
                c_oid: draft.c_oid,
                account: draft.account,
                conid: draft.conid,
                symbol,
                side: draft.side,
                quantity: draft.quantity,
                currency_conversion: draft.currency_conversion,
                order_type: draft.order_type,
                price: draft.price,
                tif: draft.tif,
                status: OrderStatus::PreSubmitted,
                filled: Decimal::ZERO,
                avg_fill_price: None,
            },
            session_no: gw.session_no,
            polls: 0,
            cancel_seen: false,
            updated_ms: format::now_ms(),
        });
        if gw.setup.fills == crate::FillMode::Immediate {
            let index = gw.orders.len() - 1;
            gw.fill(index);
        }
    }
    let accounts: Vec<String> = gw.orders[gw.orders.len() - answer.len()..]
        .iter()
        .map(|o| o.record.account.clone())
        .collect();
    for account in accounts {
        let ended = gw.take_fault(|f| match f {
            Fault::SessionEndsAfter {
                account: of,
                orders,
            } if *of == account => {
                *orders = orders.saturating_sub(1);
                (*orders == 0).then_some(true)
            }
            _ => None,
        });
        if ended.is_some() {
            gw.new_session(crate::SessionState::LoggedOut);
        }
    }
    if let Some(Fault::ErrorOnPlace { status, .. }) =
        gw.take_fault(|f| matches!(f, Fault::ErrorOnPlace { accepted: true, .. }).then_some(true))
    {
        return Reply::error(status, "Internal Server Error");
    }
    let mut reply = Reply::ok(Value::Array(answer));
    reply.hang = gw
        .take_fault(|f| match f {
            Fault::HangAfterAccept { times } if *times > 0 => {
                *times -= 1;
                Some(*times == 0)
            }
            _ => None,
        })
        .is_some();
    reply
}

/// `POST /iserver/account/{acct}/orders`.
pub(super) fn place(gw: &mut Gateway, account: &str, req: &Request) -> Reply {
    let mut reply = place_checked(gw, account, req);
    // Reference §4: errors with HTTP 200 come bare or inside the array.
    if gw.setup.errors_in_array
        && reply.status == 200
        && let Body::Json(body) = &mut reply.body
        && body.get("error").is_some()
    {
        *body = Value::Array(vec![body.take()]);
    }
    reply
}

fn place_checked(gw: &mut Gateway, account: &str, req: &Request) -> Reply {
    if let Some(Fault::ErrorOnPlace { status, .. }) = gw.take_fault(|f| {
        matches!(
            f,
            Fault::ErrorOnPlace {
                accepted: false,
                ..
            }
        )
        .then_some(true)
    }) {
        return Reply::error(status, "Service Unavailable");
    }
    let drafts = match drafts(gw, account, req) {
        Ok(drafts) => drafts,
        Err(reply) => return reply,
    };
    let mut seen = Vec::new();
    for c_oid in drafts.iter().filter_map(|d| d.c_oid.as_deref()) {
        let taken = gw
            .orders
            .iter()
            .any(|o| o.record.c_oid.as_deref() == Some(c_oid));
        if taken || seen.contains(&c_oid) {
            return duplicate(c_oid);
        }
        seen.push(c_oid);
    }
    if let Some(refusal) = drafts.iter().find_map(|d| gw.cash_refusal(d)) {
        return Reply::bare_error(200, &refusal);
    }
    if let Some(Fault::AdvancedReject { message_id, text }) =
        gw.take_fault(|f| matches!(f, Fault::AdvancedReject { .. }).then_some(true))
    {
        // The spec's AdvancedOrderReject: a bare object naming the rejected ticket.
        let order_id = gw.next_order_id;
        gw.next_order_id = gw.next_order_id.saturating_add(1);
        return Reply::ok(json!({
            "order_id": order_id,
            "req_id": format::uuid(),
            "dismissable": ["Dismiss"],
            "text": text,
            "options": ["OK"],
            "type": "msg",
            "message_id": message_id,
            "prompt": false
        }));
    }
    // What IBKR asks depends on the order: o354 without market data, o10151 for a market
    // order; then the setup's questions (the account's precautionary limits, the cap price).
    let mut questions: Vec<String> = Vec::new();
    let no_market_data = drafts.iter().any(|d| !gw.has_market_data(d));
    if no_market_data {
        questions.push("o354".to_owned());
    }
    if drafts.iter().any(|d| d.order_type == "MKT") {
        questions.push("o10151".to_owned());
    }
    // A conversion is sized in cash (fxQty): IBKR asks about cash quantities.
    if drafts.iter().any(|d| d.currency_conversion) {
        questions.push("o10223".to_owned());
        questions.push("o10164".to_owned());
    }
    for id in &gw.setup.questions {
        if !questions.contains(id) {
            questions.push(id.clone());
        }
    }
    questions.retain(|id| !gw.suppressed.contains(id));
    if gw
        .take_fault(|f| matches!(f, Fault::UnknownQuestion).then_some(true))
        .is_some()
    {
        questions.insert(0, UNKNOWN_QUESTION.to_owned());
    }
    if gw
        .take_fault(|f| matches!(f, Fault::QuestionWithoutIds).then_some(true))
        .is_some()
    {
        // An empty id: asked without `messageIds` (see `ask`).
        questions.insert(0, String::new());
    }
    if questions.is_empty() {
        return accept(gw, drafts);
    }
    let first = questions.remove(0);
    ask(gw, &first, questions, drafts)
}

/// `POST /iserver/reply/{id}` with `{"confirmed":true}`.
pub(super) fn reply(gw: &mut Gateway, id: &str, req: &Request) -> Reply {
    let pending = match gw.pending.take() {
        Some(pending) if pending.id == id => pending,
        other => {
            gw.pending = other;
            return Reply::bare_error(400, &format!("reply id not found: '{id}'"));
        }
    };
    if req.body_flag("confirmed") != Some(true) {
        // confirmed:false (or missing) drops the order.
        return Reply::bare_error(200, "Order was not confirmed and has been dropped");
    }
    let Pending {
        mut remaining,
        drafts,
        ..
    } = pending;
    if remaining.is_empty() {
        return accept(gw, drafts);
    }
    let next = remaining.remove(0);
    ask(gw, &next, remaining, drafts)
}

/// `POST /iserver/questions/suppress {"messageIds":[..]}` (at most 51 ids).
pub(super) fn suppress(gw: &mut Gateway, req: &Request) -> Reply {
    let ids = req
        .body
        .as_ref()
        .and_then(|b| b.get("messageIds"))
        .and_then(Value::as_array);
    let Some(ids) = ids else {
        return Reply::error(400, "Bad Request: messageIds required");
    };
    if ids.len() > 51 {
        return Reply::error(400, "Bad Request: at most 51 messageIds");
    }
    gw.suppressed
        .extend(ids.iter().filter_map(Value::as_str).map(str::to_owned));
    Reply::ok(json!({"status": "submitted"}))
}

/// `POST /iserver/questions/suppress/reset`.
pub(super) fn suppress_reset(gw: &mut Gateway) -> Reply {
    gw.suppressed.clear();
    Reply::ok(json!({"status": "submitted"}))
}

/// `POST /iserver/account/{acct}/orders/whatif`: formatted strings; places nothing.
pub(super) fn whatif(gw: &mut Gateway, account: &str, req: &Request) -> Reply {
    let drafts = match drafts(gw, account, req) {
        Ok(drafts) => drafts,
        Err(reply) => return reply,
    };
    let Some(draft) = drafts.first() else {
        return Reply::error(400, "Bad Request: no order");
    };
    if draft.currency_conversion {
        return whatif_conversion(gw, account, draft);
    }
    let currency = gw
        .contract(draft.conid)
        .map_or_else(|| gw.setup.base_currency.clone(), |c| c.currency.clone());
    let last = gw.setup.prices.get(&draft.conid).copied();
    let price = draft.price.or(last).unwrap_or_default();
    let amount = draft.quantity.checked_mul(price).unwrap_or_default();
    let commission = gw.setup.commission;
    let total = amount.checked_add(commission).unwrap_or(amount);
    let held = gw
        .holdings
        .get(&(account.to_owned(), draft.conid))
        .map_or(Decimal::ZERO, |lot| lot.quantity);
    let change = match draft.side {
        Side::Buy => draft.quantity,
        Side::Sell => -draft.quantity,
    };
    let equity = gw.ledger_cash(account, "BASE");
    let warn = last.is_none().then_some(
        "21/You are trying to submit an order without having market data for this instrument. \
         IB strongly recommends against this kind of blind trading which may result in erroneous or unexpected trades.",
    );
    Reply::ok(json!({
        "amount": {
            "amount": format!("{} {currency} ({} Shares)", grouped(amount, 2), draft.quantity),
            "commission": format!("{commission} {currency}"),
            "total": format!("{} {currency}", grouped(total, 2))
        },
        "equity": {
            "current": grouped(equity, 0),
            "change": grouped(-commission, 0),
            "after": grouped(equity.checked_sub(commission).unwrap_or(equity), 0)
        },
        "initial": {"current": "0", "change": grouped(amount / Decimal::from(4), 0), "after": grouped(amount / Decimal::from(4), 0)},
        "maintenance": {"current": "0", "change": grouped(amount / Decimal::from(5), 0), "after": grouped(amount / Decimal::from(5), 0)},
        "position": {
            "current": held.normalize().to_string(),
            "change": change.normalize().to_string(),
            "after": held.checked_add(change).unwrap_or(held).normalize().to_string()
        },
        "warn": warn,
        "error": gw.cash_refusal(draft)
    }))
}

/// The preview of a currency conversion: the amount converted from, in its currency, and no
/// position or margin change.
fn whatif_conversion(gw: &Gateway, account: &str, draft: &Draft) -> Reply {
    let Some((base, quote)) = gw.contract(draft.conid).and_then(|c| c.pair()) else {
        return Reply::error(400, "Bad Request: not a currency pair");
    };
    let from = if draft.side == Side::Buy { quote } else { base };
    let commission = gw.setup.commission;
    let equity = gw.ledger_cash(account, "BASE");
    Reply::ok(json!({
        "amount": {
            "amount": format!("{} {from}", grouped(draft.quantity, 2)),
            "commission": format!("{commission} {quote}"),
            "total": format!("{} {from}", grouped(draft.quantity, 2))
        },
        "equity": {
            "current": grouped(equity, 0),
            "change": grouped(-commission, 0),
            "after": grouped(equity.checked_sub(commission).unwrap_or(equity), 0)
        },
        "initial": {"current": "0", "change": "0", "after": "0"},
        "maintenance": {"current": "0", "change": "0", "after": "0"},
        "position": {"current": "0", "change": "0", "after": "0"},
        "warn": (!gw.has_market_data(draft)).then_some("21/You are trying to submit an order without having market data for this instrument."),
        "error": gw.cash_refusal(draft)
    }))
}

fn long_order_type(order_type: &str) -> &'static str {
    match order_type {
        "LMT" => "Limit",
        "MKT" => "Market",
        "STP" => "Stop",
        "STOP_LIMIT" => "Stop Limit",
        "MIDPRICE" => "Midprice",
        "TRAIL" => "Trailing Stop",
        _ => "Trailing Stop Limit",
    }
}

fn live_row(order: &Order) -> Value {
    let r = &order.record;
    let remaining = r.quantity.checked_sub(r.filled).unwrap_or_default();
    let mut row = json!({
        "acct": r.account,
        "conidex": r.conid.to_string(),
        "conid": r.conid,
        "orderId": r.order_id,
        "cashCcy": "USD",
        "sizeAndFills": format!("{}/{}", plain(r.filled), plain(r.quantity)),
        "orderDesc": format!("{} {} {} {}", if r.side == Side::Buy { "Buy" } else { "Sell" }, r.quantity, long_order_type(&r.order_type), r.tif),
        "description1": r.symbol,
        "ticker": r.symbol,
        "secType": if r.currency_conversion { "CASH" } else { "STK" },
        "listingExchange": "SMART",
        "remainingQuantity": format::num(remaining),
        "filledQuantity": format::num(r.filled),
        "totalSize": format::num(r.quantity),
        "companyName": r.symbol,
        "status": r.status.as_str(),
        "order_ccp_status": r.status.as_str(),
        "origOrderType": long_order_type(&r.order_type).to_uppercase(),
        "supportsTaxOpt": "1",
        "lastExecutionTime": "",
        "orderType": long_order_type(&r.order_type),
        "bgColor": "#FFFFFF",
        "fgColor": "#000000",
        "timeInForce": r.tif,
        "lastExecutionTime_r": order.updated_ms,
        "side": r.side.as_str()
    });
    if let Some(price) = r.price {
        row["price"] = json!(format::price(price));
    }
    if let Some(avg) = r.avg_fill_price {
        row["avgPrice"] = json!(format::price(avg));
    }
    if let Some(c_oid) = &r.c_oid {
        row["order_ref"] = json!(c_oid);
    }
    row
}

/// `GET /iserver/account/orders`: an incomplete first answer, `force=true` empty, then this
/// session's orders plus working ones (`order_ref` = cOID).
pub(super) fn live_orders(gw: &mut Gateway, req: &Request) -> Reply {
    gw.live_orders_calls = gw.live_orders_calls.saturating_add(1);
    if req.param("force") == Some("true") {
        return Reply::ok(json!({"orders": [], "snapshot": false}));
    }
    let incomplete = gw.setup.live_orders_warmup && gw.live_orders_calls == 1;
    let filters: Vec<String> = req
        .param("filters")
        .map(|f| {
            f.split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    // Only the selected account's orders (POST /iserver/account switches it).
    let account = gw.selected_account.clone();
    let listed: Vec<usize> = (0..gw.orders.len())
        .filter(|&index| {
            let order = &gw.orders[index];
            let visible = order.session_no == gw.session_no || order.record.status.is_working();
            visible && account.as_deref().is_none_or(|a| a == order.record.account)
        })
        .collect();
    // The first answer of a session is gathered while the gateway still collects the orders
    // (ibind #12, #90): the older half at most (none for a single order), in the spec's
    // LiveOrdersResponse shape with `snapshot: false`.
    let shown = if incomplete {
        listed.len() / 2
    } else {
        listed.len()
    };
    let mut rows = Vec::new();
    for index in listed.into_iter().take(shown) {
        gw.before_look(index);
        let order = &gw.orders[index];
        if !filters.is_empty()
            && !filters
                .iter()
                .any(|f| f == order.record.status.filter_name())
        {
            continue;
        }
        rows.push(live_row(order));
        gw.after_look(index);
    }
    Reply::ok(json!({"orders": rows, "snapshot": !incomplete}))
}

/// `GET /iserver/account/order/status/{id}`: snake_case strings, side `B`/`S`; 503 for
/// unknown orders and orders of earlier sessions.
pub(super) fn status(gw: &mut Gateway, id: &str) -> Reply {
    let index = id.parse::<u64>().ok().and_then(|id| {
        gw.orders
            .iter()
            .position(|o| o.record.order_id == id && o.session_no == gw.session_no)
    });
    let Some(index) = index else {
        return Reply::error(503, "Service Unavailable");
    };
    gw.before_look(index);
    let order = &gw.orders[index];
    let r = &order.record;
    let remaining = r.quantity.checked_sub(r.filled).unwrap_or_default();
    let side_word = if r.side == Side::Buy { "Buy" } else { "Sell" };
    let mut body = json!({
        "order_id": r.order_id,
        "conidex": r.conid.to_string(),
        "conid": r.conid,
        "symbol": r.symbol,
        "side": if r.side == Side::Buy { "B" } else { "S" },
        "contract_description_1": r.symbol,
        "listing_exchange": "SMART",
        "company_name": r.symbol,
        "size": plain(remaining),
        "total_size": plain(r.quantity),
        "currency": gw.contract(r.conid).map_or("USD", |c| c.currency.as_str()),
        "account": r.account,
        "order_type": long_order_type(&r.order_type).to_uppercase().replace(' ', "_"),
        "cum_fill": plain(r.filled),
        "order_status": r.status.as_str(),
        "order_status_description": r.status.as_str(),
        "tif": r.tif,
        "order_not_editable": !r.status.is_working(),
        "cannot_cancel_order": !r.status.is_working(),
        "sec_type": "STK",
        "order_description": format!("{side_word} {} {}", r.quantity, r.symbol),
        "order_clearing_account": r.account,
        "order_time": "231211180049"
    });
    // The spec's OrderStatus: `average_price` a string, left out until there is a fill (never
    // null); no limit price field.
    if let Some(avg) = r.avg_fill_price {
        body["average_price"] = json!(format::price(avg));
    }
    gw.after_look(index);
    Reply::ok(body)
}

/// `DELETE /iserver/account/{acct}/order/{id}` (`-1` cancels all): `order_id` a number.
pub(super) fn cancel(gw: &mut Gateway, account: &str, id: &str) -> Reply {
    let id_number = id.parse::<i64>().ok();
    if id_number == Some(-1) {
        for order in &mut gw.orders {
            if order.record.account == account && order.record.status.is_working() {
                order.record.status = OrderStatus::PendingCancel;
                order.updated_ms = format::now_ms();
            }
        }
        return Reply::ok(
            json!({"msg": "Request was submitted", "order_id": -1, "account": account}),
        );
    }
    let found = id_number.and_then(|n| {
        gw.orders.iter_mut().find(|o| {
            i64::try_from(o.record.order_id) == Ok(n)
                && o.record.account == account
                && o.record.status.is_working()
        })
    });
    let Some(order) = found else {
        return Reply::bare_error(200, &format!("OrderID {id} doesn't exist"));
    };
    order.record.status = OrderStatus::PendingCancel;
    order.updated_ms = format::now_ms();
    Reply::ok(json!({
        "msg": "Request was submitted",
        "order_id": order.record.order_id,
        "conid": order.record.conid,
        "account": account
    }))
}
