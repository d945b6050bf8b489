//! Contract look-ups (reference §3): secdef search, trsrv stocks, contract info and rules.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::Request;
use crate::reply::Reply;
use crate::setup::Contract;
use crate::state::Gateway;

/// `conid` is a **string** here; one row per contract with the symbol.
pub(super) fn secdef_search(gw: &Gateway, req: &Request) -> Reply {
    let symbol = req.param("symbol").map(str::to_owned).or_else(|| {
        req.body
            .as_ref()
            .and_then(|b| b.get("symbol"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let Some(symbol) = symbol else {
        return Reply::error(400, "Bad Request: symbol required");
    };
    let sec_type = req.param("secType").map(str::to_owned).or_else(|| {
        req.body
            .as_ref()
            .and_then(|b| b.get("secType"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    // IBKR's spec offers secType STK, IND and BOND here; currency pairs have their own
    // endpoint (`/iserver/currency/pairs`).
    if let Some(t) = sec_type.as_deref()
        && !["STK", "IND", "BOND"].contains(&t)
    {
        return Reply::error(
            400,
            &format!("Bad Request: secType {t} is not supported (STK, IND or BOND)"),
        );
    }
    // Only IBKR's own spelling matches (`BRK B`, not `BRK.B`): a client that searches one
    // spelling only does not find the contract.
    let rows: Vec<Value> = gw
        .setup
        .contracts
        .iter()
        .filter(|c| c.symbol.eq_ignore_ascii_case(&symbol))
        .filter(|c| sec_type.as_deref().is_none_or(|t| t == c.sec_type))
        .map(|c| {
            json!({
                "conid": c.conid.to_string(),
                "companyHeader": format!("{} - {}", c.name, c.exchange),
                "companyName": c.name,
                "symbol": c.symbol,
                "description": c.exchange,
                "restricted": null,
                "fop": null,
                "opt": null,
                "war": null,
                "sections": [{"secType": c.sec_type, "exchange": c.exchange}]
            })
        })
        .collect();
    Reply::ok(Value::Array(rows))
}

/// `GET /iserver/currency/pairs?currency=X`: `{"X": [{"symbol","conid","ccyPair"}]}`, every
/// pair IBKR lists with X on either side, `ccyPair` the other currency, `conid` a number.
pub(super) fn currency_pairs(gw: &Gateway, req: &Request) -> Reply {
    let Some(currency) = req.param("currency").map(str::to_ascii_uppercase) else {
        return Reply::error(400, "Bad Request: currency required");
    };
    let pairs: Vec<Value> = gw
        .setup
        .contracts
        .iter()
        .filter_map(|c| {
            let (base, quote) = c.pair()?;
            let other = if base == currency {
                quote
            } else if quote == currency {
                base
            } else {
                return None;
            };
            Some(json!({"symbol": c.symbol, "conid": c.conid, "ccyPair": other}))
        })
        .collect();
    let mut body = Map::new();
    body.insert(currency, Value::Array(pairs));
    Reply::ok(Value::Object(body))
}

fn is_us(contract: &Contract) -> bool {
    contract.currency == "USD"
}

/// `GET /trsrv/stocks?symbols=A,B`: per symbol, one entry per name, each with its
/// contracts (`conid` an int).
pub(super) fn stocks(gw: &Gateway, req: &Request) -> Reply {
    let Some(symbols) = req.param("symbols") else {
        return Reply::error(400, "Bad Request: symbols required");
    };
    let mut out = Map::new();
    for symbol in symbols.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let mut by_name: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        for c in gw
            .setup
            .contracts
            .iter()
            .filter(|c| !c.is_cash() && c.symbol.eq_ignore_ascii_case(symbol))
        {
            by_name.entry(c.name.as_str()).or_default().push(json!({
                "conid": c.conid, "exchange": c.exchange, "isUS": is_us(c)
            }));
        }
        let entries: Vec<Value> = by_name
            .into_iter()
            .map(|(name, contracts)| {
                json!({"name": name, "chineseName": null, "assetClass": "STK", "contracts": contracts})
            })
            .collect();
        out.insert(symbol.to_uppercase(), Value::Array(entries));
    }
    Reply::ok(Value::Object(out))
}

/// `GET /iserver/contract/{conid}/info` (snake_case), optionally with `rules`.
pub(super) fn info(gw: &Gateway, conid: &str, with_rules: bool) -> Reply {
    let Some(contract) = conid.parse::<i64>().ok().and_then(|id| gw.contract(id)) else {
        return Reply::error(400, &format!("Bad Request: no contract for conid {conid}"));
    };
    let mut body = json!({
        "con_id": contract.conid,
        "symbol": contract.symbol,
        "local_symbol": contract.symbol,
        "instrument_type": contract.sec_type,
        "currency": contract.currency,
        "exchange": "SMART",
        "primary_exchange": contract.exchange,
        "company_name": contract.name,
        "valid_exchanges": format!("SMART,{},IBKRATS,BATS,EDGX", contract.exchange),
        "multiplier": null,
        "r_t_h": true,
        "trading_class": contract.symbol,
        "industry": "Exchange Traded Fund",
        "category": "Equity Fund",
        "allow_sell_long": false,
        "is_zero_commission_security": false,
        "cusip": null,
        "underlying_con_id": 0
    });
    if with_rules {
        let fractions = gw.setup.allow_fractions;
        body["rules"] = json!({
            "orderTypes": ["limit", "midprice", "market", "stop", "stop_limit", "trailing_stop", "trailing_stop_limit"],
            "orderTypesOutside": ["limit", "stop_limit"],
            "tifTypes": ["IOC/LMT,MKT,STP", "GTC/o,a", "OPG/LMT,MKT", "DAY/o,a"],
            "defaultSize": 100,
            "sizeIncrement": 1,
            "cashSize": 0.0,
            "cashCcy": contract.currency,
            "incrementRules": [{"lowerEdge": 0.0, "increment": crate::format::num(gw.tick(contract.conid))}],
            "limitPrice": gw.setup.prices.get(&contract.conid).map(|p| crate::format::num(*p)),
            "fraqTypes": if fractions { json!(["limit", "market"]) } else { json!([]) },
            "fraqInt": if fractions { 4 } else { 0 },
            "canTradeAcctIds": gw.setup.accounts,
            "error": null
        });
    }
    Reply::ok(body)
}
