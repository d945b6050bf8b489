//! Dispatch of one API request: session gates, prerequisites, then the endpoint.

mod contracts;
mod marketdata;
mod orders;
mod portfolio;
mod session;

use std::collections::HashMap;

use serde_json::Value;

use crate::reply::Reply;
use crate::setup::SessionState;
use crate::state::Gateway;

/// One request to the API router, path without the `/v1/api` prefix.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: HashMap<String, String>,
    pub(crate) body: Option<Value>,
}

impl Request {
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    /// A boolean member of the JSON body.
    pub(crate) fn body_flag(&self, name: &str) -> Option<bool> {
        self.body.as_ref()?.get(name)?.as_bool()
    }
}

const NOT_AUTHENTICATED: &str = "not authenticated";

/// Answers one API request.
pub(crate) fn route(gw: &mut Gateway, req: &Request) -> Reply {
    let segs: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    let iserver = segs.first() == Some(&"iserver");
    let auth_call = iserver && segs.get(1) == Some(&"auth");

    drop_stale_question(gw, req, &segs);

    match gw.session {
        SessionState::LoggedOut => return Reply::error(401, NOT_AUTHENTICATED),
        SessionState::NoBridge if iserver && req.path != "/iserver/auth/ssodh/init" => {
            return Reply::error(400, "Bad Request: no bridge");
        }
        SessionState::TimedOut if iserver && !auth_call => {
            return Reply::error(401, NOT_AUTHENTICATED);
        }
        _ => {}
    }

    // Reference §1 "Prerequisites".
    let needs_accounts = iserver
        && matches!(
            segs.get(1).copied(),
            Some("account" | "marketdata" | "reply")
        );
    if needs_accounts && !gw.accounts_primed {
        return Reply::bare_error(500, "Please query /accounts first");
    }
    let portfolio_call = segs.first() == Some(&"portfolio")
        && segs.len() > 2
        && !matches!(segs[1], "accounts" | "subaccounts" | "subaccounts2");
    if portfolio_call && !gw.portfolio_primed {
        return Reply::bare_error(500, "Please query /portfolio/accounts first");
    }

    match (req.method.as_str(), segs.as_slice()) {
        ("POST", ["iserver", "auth", "status"]) => session::auth_status(gw),
        ("POST", ["iserver", "auth", "ssodh", "init"]) => session::ssodh_init(gw, req),
        ("POST", ["iserver", "reauthenticate"]) => session::reauthenticate(),
        ("POST", ["tickle"]) => session::tickle(gw),
        ("POST", ["logout"]) => session::logout(gw),
        ("GET", ["sso", "validate"]) => session::sso_validate(gw),
        ("GET", ["iserver", "accounts"]) => session::iserver_accounts(gw),
        ("POST", ["iserver", "account"]) => session::select_account(gw, req),

        ("GET", ["portfolio", "accounts" | "subaccounts"]) => portfolio::accounts(gw),
        ("GET", ["portfolio", acct, "positions", page]) => portfolio::positions(gw, acct, page),
        ("POST", ["portfolio", acct, "positions", "invalidate"]) => portfolio::invalidate(gw, acct),
        ("GET", ["portfolio", acct, "ledger"]) => portfolio::ledger(gw, acct),
        ("GET", ["portfolio", acct, "summary"]) => portfolio::summary(gw, acct),

        ("GET" | "POST", ["iserver", "secdef", "search"]) => contracts::secdef_search(gw, req),
        ("GET", ["trsrv", "stocks"]) => contracts::stocks(gw, req),
        ("GET", ["iserver", "currency", "pairs"]) => contracts::currency_pairs(gw, req),
        ("GET", ["iserver", "contract", conid, "info"]) => contracts::info(gw, conid, false),
        ("GET", ["iserver", "contract", conid, "info-and-rules"]) => {
            contracts::info(gw, conid, true)
        }

        ("GET", ["iserver", "marketdata", "snapshot"]) => marketdata::snapshot(gw, req),
        ("POST", ["iserver", "marketdata", "unsubscribe"]) => marketdata::unsubscribe(gw, req),
        ("GET", ["iserver", "marketdata", "unsubscribeall"]) => marketdata::unsubscribe_all(gw),

        ("POST", ["iserver", "account", acct, "orders"]) => orders::place(gw, acct, req),
        ("POST", ["iserver", "account", acct, "orders", "whatif"]) => orders::whatif(gw, acct, req),
        ("POST", ["iserver", "reply", id]) => orders::reply(gw, id, req),
        ("POST", ["iserver", "questions", "suppress"]) => orders::suppress(gw, req),
        ("POST", ["iserver", "questions", "suppress", "reset"]) => orders::suppress_reset(gw),
        ("GET", ["iserver", "account", "orders"]) => orders::live_orders(gw, req),
        ("GET", ["iserver", "account", "order", "status", id]) => orders::status(gw, id),
        ("DELETE", ["iserver", "account", acct, "order", id]) => orders::cancel(gw, acct, id),

        _ => Reply::error(404, "Not Found"),
    }
}

/// Reference §4: a question must be answered immediately; anything in between (or a late
/// reply) drops the order, and the reply then gets "reply id not found".
fn drop_stale_question(gw: &mut Gateway, req: &Request, segs: &[&str]) {
    let Some(pending) = &gw.pending else { return };
    let answers_it =
        req.method == "POST" && matches!(segs, ["iserver", "reply", id] if *id == pending.id);
    let late = pending.asked_at.elapsed() > gw.setup.reply_timeout;
    if late || (gw.setup.strict_replies && !answers_it) {
        gw.pending = None;
    }
}
