//! Market-data snapshot (reference §3): pre-flight, persistent fields, string values.

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::Request;
use crate::format::{self, grouped};
use crate::reply::Reply;
use crate::state::Gateway;

/// One field's text for a conid, if the fake knows it.
fn field(gw: &Gateway, conid: i64, id: &str) -> Option<String> {
    let contract = gw.contract(conid)?;
    let cent = Decimal::new(1, 2);
    let last = gw.setup.prices.get(&conid).copied();
    let text = match id {
        "55" => contract.symbol.clone(),
        "6070" => "STK".to_owned(),
        "7051" => contract.name.clone(),
        "6509" => match (last.is_some(), gw.setup.market_open) {
            (false, _) => "N",
            (true, true) => "RpB",
            (true, false) => "ZpB",
        }
        .to_owned(),
        "31" => {
            let closed = if gw.setup.market_open { "" } else { "C" };
            let prefix = gw
                .setup
                .last_prefixes
                .get(&conid)
                .map_or(closed, String::as_str);
            format!("{prefix}{}", grouped(last?, 2))
        }
        "84" => grouped(last?.checked_sub(cent)?, 2),
        "86" => grouped(last?.checked_add(cent)?, 2),
        "7295" | "7296" | "7741" | "7635" | "70" | "71" => grouped(last?, 2),
        "88" => "1,300".to_owned(),
        "85" => "900".to_owned(),
        "7059" => "100".to_owned(),
        "87" => "1.2M".to_owned(),
        "7762" => "1200000".to_owned(),
        "82" => "0.00".to_owned(),
        "83" => "0.00%".to_owned(),
        _ => return None,
    };
    Some(text)
}

/// `GET /iserver/marketdata/snapshot?conids=..&fields=..`.
pub(super) fn snapshot(gw: &mut Gateway, req: &Request) -> Reply {
    let Some(conids) = req.param("conids") else {
        return Reply::error(400, "Bad Request: conids required");
    };
    let mut ids = Vec::new();
    for text in conids.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match text.parse::<i64>() {
            Ok(id) => ids.push(id),
            Err(_) => return Reply::error(400, &format!("Bad Request: invalid conid {text}")),
        }
    }
    let fields: Vec<String> = req
        .param("fields")
        .unwrap_or("31")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if ids.is_empty() || ids.len() > 100 || fields.len() > 50 {
        return Reply::error(400, "Bad Request: 1 to 100 conids and at most 50 fields");
    }
    let updated = format::now_ms();
    let mut rows = Vec::with_capacity(ids.len());
    for conid in ids {
        let calls = gw.snapshot_calls.entry(conid).or_insert(0);
        *calls = calls.saturating_add(1);
        let preflight = *calls <= gw.setup.snapshot_preflight_calls;
        let requested = gw.snapshot_fields.entry(conid).or_default();
        requested.extend(fields.iter().cloned());
        let mut row = Map::new();
        row.insert("conid".to_owned(), json!(conid));
        row.insert("conidEx".to_owned(), json!(conid.to_string()));
        if !preflight {
            let requested: Vec<String> = requested.iter().cloned().collect();
            let mut any = false;
            for id in requested {
                if let Some(text) = field(gw, conid, &id) {
                    row.insert(id, Value::String(text));
                    any = true;
                }
            }
            if any {
                row.insert("_updated".to_owned(), json!(updated));
                row.insert("6119".to_owned(), json!("q0"));
                row.insert("server_id".to_owned(), json!("q0"));
            }
        }
        rows.push(Value::Object(row));
    }
    Reply::ok(Value::Array(rows))
}

/// `POST /iserver/marketdata/unsubscribe {"conid":N}`: the next snapshot pre-flights again.
pub(super) fn unsubscribe(gw: &mut Gateway, req: &Request) -> Reply {
    let conid = req
        .body
        .as_ref()
        .and_then(|b| b.get("conid"))
        .and_then(Value::as_i64);
    let Some(conid) = conid else {
        return Reply::error(400, "Bad Request: conid required");
    };
    gw.snapshot_calls.remove(&conid);
    gw.snapshot_fields.remove(&conid);
    Reply::ok(json!({"success": true}))
}

/// `GET /iserver/marketdata/unsubscribeall`.
pub(super) fn unsubscribe_all(gw: &mut Gateway) -> Reply {
    gw.snapshot_calls.clear();
    gw.snapshot_fields.clear();
    Reply::ok(json!({"unsubscribed": true}))
}
