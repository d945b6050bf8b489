//! Session endpoints (reference §1) and `/iserver/accounts` (§2).

use serde_json::{Map, Value, json};

use super::Request;
use crate::fault::Fault;
use crate::format;
use crate::reply::Reply;
use crate::setup::SessionState;
use crate::state::Gateway;

fn flags(gw: &Gateway) -> (bool, bool, bool) {
    // (authenticated, connected, competing)
    match gw.session {
        SessionState::Authenticated => (true, true, false),
        SessionState::TimedOut => (false, true, false),
        SessionState::Competing => (false, true, true),
        SessionState::NoBridge | SessionState::LoggedOut | SessionState::Unanswered => {
            (false, false, false)
        }
    }
}

fn status_body(gw: &Gateway) -> Value {
    let (authenticated, connected, competing) = flags(gw);
    json!({
        "authenticated": authenticated,
        "competing": competing,
        "connected": connected,
        "message": "",
        "MAC": "98:F2:B3:23:BF:A0",
        "serverInfo": {"serverName": "JifN19053", "serverVersion": "Build 10.25.0p, Dec 5, 2023 5:48:12 PM"},
        "hardware_info": "9e4d0c48|98:F2:B3:23:BF:A0",
        "fail": ""
    })
}

pub(super) fn auth_status(gw: &Gateway) -> Reply {
    Reply::ok(status_body(gw))
}

/// `publish` must be true (else 500); a competing session needs `compete` too.
pub(super) fn ssodh_init(gw: &mut Gateway, req: &Request) -> Reply {
    if req.body_flag("publish") != Some(true) {
        if req.param("publish") == Some("true") {
            // Reference §1: flags sent as query parameters still left "no bridge".
            return Reply::ok(status_body(gw));
        }
        return Reply::error(500, "Internal Server Error: publish must be true");
    }
    // Reference §6 (ibeam #73): the compete flag always goes along, true or false.
    let Some(compete) = req.body_flag("compete") else {
        return Reply::error(
            400,
            "Bad Request: Force compete capability must be used together with compete flag",
        );
    };
    if gw.session == SessionState::Competing && !compete {
        return Reply::ok(status_body(gw));
    }
    gw.new_session(SessionState::Authenticated);
    Reply::ok(status_body(gw))
}

pub(super) fn reauthenticate() -> Reply {
    Reply::ok(json!({"message": "triggered"}))
}

pub(super) fn tickle(gw: &mut Gateway) -> Reply {
    if gw
        .take_fault(|f| matches!(f, Fault::NoSession).then_some(true))
        .is_some()
    {
        return Reply::ok(json!({"error": "no session"}));
    }
    let (authenticated, connected, competing) = flags(gw);
    Reply::ok(json!({
        "session": gw.session_id,
        "ssoExpires": 460_311,
        "collission": false,
        "userId": 123_456_789,
        "hmds": {"error": "no bridge"},
        "iserver": {"authStatus": {
            "authenticated": authenticated,
            "competing": competing,
            "connected": connected,
            "message": "",
            "MAC": "98:F2:B3:23:BF:A0",
            "serverInfo": {"serverName": "JifN19053", "serverVersion": "Build 10.25.0p, Dec 5, 2023 5:48:12 PM"}
        }}
    }))
}

pub(super) fn logout(gw: &mut Gateway) -> Reply {
    gw.new_session(SessionState::LoggedOut);
    Reply::ok(json!({"status": true}))
}

fn paper(gw: &Gateway) -> bool {
    gw.setup
        .accounts
        .first()
        .is_some_and(|a| a.starts_with("DU"))
}

pub(super) fn sso_validate(gw: &Gateway) -> Reply {
    Reply::ok(json!({
        "USER_ID": 123_456_789,
        "USER_NAME": "fakeuser1",
        "RESULT": true,
        "AUTH_TIME": format::now_ms(),
        "EXPIRES": 415_890,
        "LOGIN_TYPE": if paper(gw) { 2 } else { 1 }
    }))
}

/// Primes the session for order, snapshot and live-order calls; `{}` while competing.
pub(super) fn iserver_accounts(gw: &mut Gateway) -> Reply {
    if gw.session == SessionState::Competing {
        return Reply::ok(json!({}));
    }
    gw.accounts_primed = true;
    let mut props = Map::new();
    let mut aliases = Map::new();
    for account in &gw.setup.accounts {
        props.insert(
            account.clone(),
            json!({
                "hasChildAccounts": false,
                "supportsCashQty": true,
                "supportsFractions": gw.setup.allow_fractions,
                "allowCustomerTime": false
            }),
        );
        aliases.insert(account.clone(), Value::String(account.clone()));
    }
    Reply::ok(json!({
        "accounts": gw.setup.accounts,
        "acctProps": props,
        "aliases": aliases,
        "allowFeatures": {"showGFIS": true, "allowFXConv": true, "allowTypeAhead": true, "allowCrypto": false},
        "chartPeriods": {"STK": ["*"]},
        "groups": [],
        "profiles": [],
        "selectedAccount": gw.selected_account,
        "serverInfo": {"serverName": "JifN19053", "serverVersion": "Build 10.25.0p, Dec 5, 2023 5:48:12 PM"},
        "sessionId": gw.session_id,
        "isFT": false,
        "isPaper": paper(gw)
    }))
}

/// `POST /iserver/account {"acctId":..}`: switches the selected account; live orders then
/// show that account's orders (after a fresh warm-up).
pub(super) fn select_account(gw: &mut Gateway, req: &Request) -> Reply {
    let Some(id) = req
        .body
        .as_ref()
        .and_then(|b| b.get("acctId"))
        .and_then(Value::as_str)
    else {
        return Reply::error(400, "Bad Request: acctId required");
    };
    if !gw.is_account(id) {
        return Reply::error(400, &format!("Bad Request: account {id} not found"));
    }
    gw.selected_account = Some(id.to_owned());
    gw.live_orders_calls = 0;
    Reply::ok(json!({"set": true, "acctId": id}))
}
