//! IBKR's Web API specification (OpenAPI 2.15.0), the models of the routes pbal uses, written
//! here by hand, and [`violations`]: every recorded request (path, method, query names, body)
//! and every JSON answer held to them: field names, JSON types and required fields.
//!
//! Where real captures (the reference, `/work/shared/reference/ibkr-client-portal-api.md`) or
//! IBKR's own web documentation disagree with the spec, the capture wins and the field says so
//! ([`Kind::StrOrInt`], [`Model::captured`]). A route the contract does not know is itself a
//! violation, so nothing a client sends goes unchecked silently.

use serde_json::Value;

use crate::RequestRecord;

/// A JSON type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Str,
    Int,
    /// Any JSON number (the spec's `number`/`f64`).
    Num,
    Bool,
    /// An array of strings.
    Strs,
    Array,
    Object,
    /// The spec says one, captures show the other (`order_id` on cancel, `conid`).
    StrOrInt,
    /// A number or a numeric string (captures' `strike`, `multiplier`).
    NumOrStr,
    /// Any JSON value (the spec gives no type).
    Any,
}

impl Kind {
    fn matches(self, v: &Value) -> bool {
        match self {
            Kind::Str => v.is_string(),
            Kind::Int => v.is_i64() || v.is_u64(),
            Kind::Num => v.is_number(),
            Kind::Bool => v.is_boolean(),
            Kind::Strs => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
            Kind::Array => v.is_array(),
            Kind::Object => v.is_object(),
            Kind::StrOrInt => v.is_string() || v.is_i64() || v.is_u64(),
            Kind::NumOrStr => v.is_number() || v.is_string(),
            Kind::Any => true,
        }
    }
}

/// One field: its JSON name, type, whether the spec requires it and whether it may be null.
#[derive(Clone, Copy, Debug)]
struct Field {
    name: &'static str,
    kind: Kind,
    required: bool,
    nullable: bool,
}

const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
        nullable: false,
    }
}

const fn req(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: true,
        nullable: false,
    }
}

/// Optional and nullable (the spec's `nullable: true`, or captures showing `null`).
const fn nul(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
        nullable: true,
    }
}

/// A model of the spec, plus the fields captures (or IBKR's web docs) add to it.
#[derive(Debug)]
struct Model {
    name: &'static str,
    fields: &'static [Field],
    captured: &'static [Field],
}

use Kind::{Any, Array, Bool, Int, Num, NumOrStr, Object, Str, StrOrInt, Strs};

// --- Requests -------------------------------------------------------------------------------

/// SingleOrderSubmissionRequest. IBKR's web documentation adds `fxQty` (a currency
/// conversion's amount, sent instead of `quantity`) and `manualOrderTime` (accounts with
/// `allowCustomerTime`); neither is in the spec.
const ORDER_TICKET: Model = Model {
    name: "SingleOrderSubmissionRequest",
    fields: &[
        opt("acctId", Str),
        req("conid", Int),
        opt("conidex", Str),
        opt("secType", Str),
        opt("cOID", Str),
        opt("parentId", Str),
        opt("listingExchange", Str),
        opt("isSingleGroup", Bool),
        opt("outsideRTH", Bool),
        opt("auxPrice", Num),
        opt("ticker", Str),
        opt("trailingAmt", Num),
        opt("trailingType", Str),
        opt("referrer", Str),
        opt("cashQty", Num),
        opt("useAdaptive", Bool),
        opt("isCcyConv", Bool),
        req("orderType", Str),
        opt("price", Num),
        req("side", Str),
        req("tif", Str),
        // Required but for currency conversions (checked in `order_ticket`).
        opt("quantity", Num),
        opt("strategy", Str),
        opt("strategyParameters", Object),
    ],
    captured: &[opt("fxQty", Num), opt("manualOrderTime", Int)],
};

const REPLY_REQUEST: Model = Model {
    name: "IserverReplyReplyIdPostRequest",
    fields: &[opt("confirmed", Bool)],
    captured: &[],
};

const SELECT_ACCOUNT: Model = Model {
    name: "IserverAccountPostRequest",
    fields: &[opt("acctId", Str)],
    captured: &[],
};

const SUPPRESS_REQUEST: Model = Model {
    name: "IserverQuestionsSuppressPostRequest",
    fields: &[opt("messageIds", Strs)],
    captured: &[],
};

const SESSION_INIT: Model = Model {
    name: "BrokerageSessionInitRequest",
    fields: &[opt("publish", Bool), opt("compete", Bool)],
    captured: &[],
};

const UNSUBSCRIBE: Model = Model {
    name: "IserverMarketdataUnsubscribePostRequest",
    fields: &[opt("conid", Int)],
    captured: &[],
};

/// A POST that takes no parameters: pbal sends `{}` (reference §0: IBKR answers 411 without a
/// body).
const NO_FIELDS: Model = Model {
    name: "(no body parameters)",
    fields: &[],
    captured: &[],
};

// --- Answers --------------------------------------------------------------------------------

/// The error bodies of the spec's 4xx/5xx answers and OrderSubmitError; captures add the
/// numeric `statusCode`.
const ERROR: Model = Model {
    name: "error",
    fields: &[req("error", Str)],
    captured: &[opt("statusCode", Int)],
};

const SESSION_STATUS: Model = Model {
    name: "BrokerageSessionStatus",
    fields: &[
        opt("authenticated", Bool),
        opt("competing", Bool),
        opt("connected", Bool),
        opt("message", Str),
        opt("MAC", Str),
        opt("serverInfo", Object),
    ],
    captured: &[opt("hardware_info", Str), opt("fail", Str)],
};

const TICKLE: Model = Model {
    name: "SuccessfulTickleResponse",
    fields: &[
        opt("session", Str),
        opt("ssoExpires", Int),
        opt("collission", Bool),
        opt("userId", Int),
        opt("hmds", Object),
        opt("iserver", Object),
    ],
    captured: &[],
};

const LOGOUT: Model = Model {
    name: "LogoutPost200Response",
    fields: &[opt("status", Bool)],
    captured: &[],
};

const USER_ACCOUNTS: Model = Model {
    name: "UserAccountsResponse",
    fields: &[
        opt("accounts", Strs),
        opt("acctProps", Object),
        opt("aliases", Object),
        opt("allowFeatures", Object),
        opt("chartPeriods", Object),
        opt("groups", Strs),
        opt("profiles", Strs),
        opt("selectedAccount", Str),
        opt("serverInfo", Object),
        opt("sessionId", Str),
        opt("isFt", Bool),
        opt("isPaper", Bool),
    ],
    // Captures spell it `isFT` (reference §2).
    captured: &[opt("isFT", Bool)],
};

/// AccountAttributes (`/portfolio/accounts`, `/portfolio/subaccounts`); captures add
/// `accountId` and spell `faClient` as `faclient` (reference §2).
const ACCOUNT_ATTRIBUTES: Model = Model {
    name: "AccountAttributes",
    fields: &[
        nul("accountAlias", Str),
        opt("accountStatus", Int),
        opt("accountTitle", Str),
        opt("accountVan", Str),
        opt("acctCustType", Str),
        opt("brokerageAccess", Bool),
        opt("businessType", Str),
        opt("clearingStatus", Str),
        opt("covestor", Bool),
        opt("currency", Str),
        opt("desc", Str),
        opt("displayName", Str),
        opt("faClient", Bool),
        opt("ibEntity", Str),
        opt("id", Str),
        opt("noClientTrading", Bool),
        opt("parent", Object),
        opt("PrepaidCrypto-P", Bool),
        opt("PrepaidCrypto-Z", Bool),
        opt("trackVirtualFXPortfolio", Bool),
        opt("tradingType", Str),
        opt("type", Str),
    ],
    captured: &[opt("accountId", Str), opt("faclient", Bool)],
};

/// SsoValidateResponse; captures spell the login type `LOGIN_TYPE` (reference §1).
const SSO_VALIDATE: Model = Model {
    name: "SsoValidateResponse",
    fields: &[
        opt("USER_ID", Int),
        opt("USER_NAME", Str),
        opt("RESULT", Bool),
        opt("AUTH_TIME", Int),
        opt("SF_ENABLED", Bool),
        opt("IS_FREE_TRIAL", Bool),
        opt("CREDENTIAL", Str),
        opt("IP", Str),
        opt("EXPIRES", Int),
        opt("QUALIFIED_FOR_MOBILE_AUTH", Bool),
        opt("LANDING_APP", Str),
        opt("IS_MASTER", Bool),
        opt("lastAccessed", Int),
        opt("loginType", Int),
        opt("PAPER_USER_NAME", Str),
        opt("features", Object),
        opt("region", Str),
    ],
    captured: &[opt("LOGIN_TYPE", Int)],
};

/// SecdefSearchResponseInner (`conid` a string, as captures agree).
const SECDEF_ROW: Model = Model {
    name: "SecdefSearchResponseInner",
    fields: &[
        opt("bondid", Int),
        opt("conid", Str),
        opt("companyHeader", Str),
        opt("companyName", Str),
        opt("symbol", Str),
        opt("description", Str),
        nul("restricted", Bool),
        nul("fop", Str),
        nul("opt", Str),
        nul("war", Str),
        opt("sections", Array),
        opt("issuers", Array),
    ],
    captured: &[],
};

const SELECTED: Model = Model {
    name: "SetAccountResponse",
    fields: &[opt("set", Bool), opt("acctId", Str)],
    captured: &[],
};

const SUPPRESSED: Model = Model {
    name: "IserverQuestionsSuppressPost200Response",
    fields: &[opt("status", Str)],
    captured: &[],
};

const INVALIDATED: Model = Model {
    name: "PortfolioAccountIdPositionsInvalidatePost200Response",
    fields: &[opt("message", Str)],
    captured: &[],
};

const POSITION: Model = Model {
    name: "IndividualPosition",
    fields: &[
        opt("acctId", Str),
        opt("allExchanges", Str),
        opt("assetClass", Str),
        opt("avgCost", Num),
        opt("avgPrice", Num),
        opt("baseAvgCost", Num),
        opt("baseAvgPrice", Num),
        opt("baseMktPrice", Num),
        opt("baseMktValue", Num),
        opt("baseRealizedPnl", Num),
        opt("baseUnrealizedPnl", Num),
        opt("chineseName", Str),
        opt("conExchMap", Strs),
        opt("conid", Int),
        opt("contractDesc", Str),
        opt("countryCode", Str),
        opt("currency", Str),
        opt("displayRule", Object),
        nul("exchs", Any),
        nul("exerciseStyle", Str),
        nul("expiry", Str),
        opt("fullName", Str),
        opt("group", Str),
        opt("hasOptions", Bool),
        opt("incrementRules", Array),
        opt("isEventContract", Bool),
        opt("isUS", Bool),
        opt("lastTradingDay", Str),
        opt("listingExchange", Str),
        opt("mktPrice", Num),
        opt("mktValue", Num),
        opt("model", Str),
        // Captures show `null` as well as `0.0` (reference §0).
        nul("multiplier", Num),
        opt("name", Str),
        opt("pageSize", Int),
        opt("position", Num),
        opt("putOrCall", Str),
        opt("realizedPnl", Num),
        opt("sector", Str),
        opt("sectorGroup", Str),
        opt("strike", NumOrStr),
        opt("ticker", Str),
        opt("time", Int),
        opt("type", Str),
        opt("undConid", Int),
        opt("unrealizedPnl", Num),
    ],
    captured: &[],
};

/// LedgerValue; captures add `endofbundle` and show `exchangerate` as a decimal (the spec
/// says integer, which no rate but 1 is).
const LEDGER: Model = Model {
    name: "LedgerValue",
    fields: &[
        opt("acctcode", Str),
        opt("cashbalance", Num),
        opt("cashbalancefxsegment", Num),
        opt("commoditymarketvalue", Num),
        opt("corporatebondsmarketvalue", Num),
        opt("currency", Str),
        opt("dividends", Num),
        opt("exchangerate", Num),
        opt("funds", Num),
        opt("futuremarketvalue", Num),
        opt("futureoptionmarketvalue", Num),
        opt("futuresonlypnl", Num),
        opt("interest", Num),
        opt("issueroptionsmarketvalue", Num),
        opt("key", Str),
        opt("moneyfunds", Num),
        opt("netliquidationvalue", Num),
        opt("realizedpnl", Num),
        opt("secondkey", Str),
        opt("sessionid", Int),
        opt("settledcash", Num),
        opt("severity", Int),
        opt("stockmarketvalue", Num),
        opt("stockoptionmarketvalue", Num),
        opt("tbillsmarketvalue", Num),
        opt("tbondsmarketvalue", Num),
        opt("timestamp", Int),
        opt("unrealizedpnl", Num),
        opt("warrantsmarketvalue", Num),
    ],
    captured: &[opt("endofbundle", Int)],
};

/// OrderSubmitSuccess; captures add `local_order_id` (the cOID).
const SUBMIT_SUCCESS: Model = Model {
    name: "OrderSubmitSuccess",
    fields: &[
        opt("order_id", Str),
        opt("order_status", Str),
        opt("encrypt_message", Str),
    ],
    captured: &[
        opt("local_order_id", Str),
        opt("warning_message", Str),
        opt("text", Str),
    ],
};

/// OrderReplyMessage; captures add `messageOptions`.
const REPLY_MESSAGE: Model = Model {
    name: "OrderReplyMessage",
    fields: &[
        opt("id", Str),
        opt("isSuppressed", Bool),
        opt("message", Strs),
        opt("messageIds", Strs),
    ],
    captured: &[opt("messageOptions", Strs)],
};

const ADVANCED_REJECT: Model = Model {
    name: "AdvancedOrderReject",
    fields: &[
        opt("order_id", Int),
        opt("req_id", Str),
        opt("dismissable", Strs),
        opt("text", Str),
        opt("options", Strs),
        opt("type", Str),
        opt("message_id", Str),
        opt("prompt", Bool),
    ],
    captured: &[],
};

/// OrderPreview (whatif); `warn` and `error` are a string or null, one capture adds `warns`.
const PREVIEW: Model = Model {
    name: "OrderPreview",
    fields: &[
        opt("amount", Object),
        opt("equity", Object),
        opt("initial", Object),
        opt("maintenance", Object),
        opt("position", Object),
        nul("warn", Str),
        nul("error", Str),
    ],
    captured: &[opt("warns", Array)],
};

const LIVE_ORDERS: Model = Model {
    name: "LiveOrdersResponse",
    fields: &[opt("orders", Array), opt("snapshot", Bool)],
    captured: &[],
};

/// LiveOrdersResponseOrdersInner; captures add `order_ref` (the cOID) and `lastExecutionTime_r`
/// as a number.
const LIVE_ORDER: Model = Model {
    name: "LiveOrdersResponseOrdersInner",
    fields: &[
        opt("acct", Str),
        opt("exchange", Str),
        opt("conidex", Str),
        opt("conid", StrOrInt),
        opt("account", Str),
        opt("orderId", Int),
        opt("cashCcy", Str),
        opt("sizeAndFills", Str),
        opt("orderDesc", Str),
        opt("description1", Str),
        opt("ticker", Str),
        opt("secType", Str),
        opt("listingExchange", Str),
        opt("remainingQuantity", NumOrStr),
        opt("filledQuantity", NumOrStr),
        opt("totalSize", NumOrStr),
        opt("totalCashSize", NumOrStr),
        opt("companyName", Str),
        opt("status", Str),
        opt("order_ccp_status", Str),
        opt("origOrderType", Str),
        opt("supportsTaxOpt", Str),
        opt("lastExecutionTime", Str),
        opt("orderType", Str),
        opt("bgColor", Str),
        opt("fgColor", Str),
        opt("isEventTrading", Str),
        opt("price", NumOrStr),
        opt("timeInForce", Str),
        opt("lastExecutionTime_r", StrOrInt),
        opt("side", Str),
        opt("avgPrice", NumOrStr),
    ],
    captured: &[opt("order_ref", Str)],
};

const ORDER_STATUS: Model = Model {
    name: "OrderStatus",
    fields: &[
        opt("sub_type", Str),
        opt("request_id", Str),
        opt("server_id", Str),
        opt("order_id", Int),
        opt("conidex", Str),
        opt("conid", StrOrInt),
        opt("symbol", Str),
        opt("side", Str),
        opt("contract_description_1", Str),
        opt("listing_exchange", Str),
        opt("option_acct", Str),
        opt("company_name", Str),
        opt("size", Str),
        opt("total_size", Str),
        opt("currency", Str),
        opt("account", Str),
        opt("order_type", Str),
        opt("cum_fill", Str),
        opt("order_status", Str),
        opt("order_ccp_status", Str),
        opt("order_status_description", Str),
        opt("tif", Str),
        opt("fgColor", Str),
        opt("bgColor", Str),
        opt("order_not_editable", Bool),
        opt("editable_fields", Str),
        opt("cannot_cancel_order", Bool),
        opt("deactivate_order", Bool),
        opt("sec_type", Str),
        opt("available_chart_periods", Str),
        opt("order_description", Str),
        opt("order_description_with_contract", Str),
        opt("alert_active", Int),
        opt("child_order_type", Str),
        opt("order_clearing_account", Str),
        opt("size_and_fills", Str),
        opt("exit_strategy_display_price", Str),
        opt("exit_strategy_chart_description", Str),
        opt("average_price", Str),
        opt("exit_strategy_tool_availability", Str),
        opt("allowed_duplicate_opposite", Bool),
        opt("order_time", Str),
    ],
    captured: &[],
};

/// OrderCancelSuccess; the spec types `order_id` and `conid` as strings, captures show numbers
/// (reference §4, kevinburke/ibclientportal 65cfad6).
const CANCEL_SUCCESS: Model = Model {
    name: "OrderCancelSuccess",
    fields: &[
        opt("msg", Str),
        opt("order_id", StrOrInt),
        opt("conid", StrOrInt),
        opt("account", Str),
    ],
    captured: &[],
};

const CURRENCY_PAIR: Model = Model {
    name: "CurrencyPairsValueInner",
    // The spec types `ccyPair` as an integer; IBKR's documented example shows the code.
    fields: &[opt("symbol", Str), opt("conid", Int), opt("ccyPair", Str)],
    captured: &[],
};

// --- Routes ---------------------------------------------------------------------------------

/// What a route's request carries.
#[derive(Clone, Copy, Debug)]
enum Sent {
    /// A GET or DELETE: no body.
    Nothing,
    /// A JSON object of this model.
    Object(&'static Model),
    /// `{"orders":[SingleOrderSubmissionRequest, ..]}`.
    Orders,
}

/// What a route answers with HTTP 2xx (an error object is accepted on every route).
#[derive(Clone, Copy, Debug)]
enum Answer {
    Object(&'static Model),
    Array(&'static Model),
    /// An object whose every value is of this model (the ledger).
    Map(&'static Model),
    /// The order POST and reply answers: OrderSubmitSuccess / OrderReplyMessage arrays,
    /// AdvancedOrderReject, OrderSubmitError.
    Placement,
    /// `{"<currency>":[CurrencyPairsValueInner, ..]}`.
    Pairs,
    /// The spec's `{"message":..}`, or page 0 of the positions as captures show (reference §2).
    Invalidated,
    /// LiveOrdersResponse, its orders each LiveOrdersResponseOrdersInner.
    LiveOrders,
    /// The spec's model is not written here (named so a reader sees what is not checked).
    Unchecked,
}

/// One route of the contract: method, path with `*` for a path parameter, the query
/// parameters the spec names, what is sent and what is answered.
#[derive(Debug)]
struct Route {
    method: &'static str,
    path: &'static str,
    query: &'static [&'static str],
    sent: Sent,
    answer: Answer,
}

const fn route(
    method: &'static str,
    path: &'static str,
    query: &'static [&'static str],
    sent: Sent,
    answer: Answer,
) -> Route {
    Route {
        method,
        path,
        query,
        sent,
        answer,
    }
}

// One line a route keeps the table readable against the spec's API list.
#[rustfmt::skip]
const ROUTES: &[Route] = &[
    route("POST", "/iserver/auth/status", &[], Sent::Object(&NO_FIELDS), Answer::Object(&SESSION_STATUS)),
    route("POST", "/iserver/auth/ssodh/init", &[], Sent::Object(&SESSION_INIT), Answer::Object(&SESSION_STATUS)),
    route("POST", "/tickle", &[], Sent::Object(&NO_FIELDS), Answer::Object(&TICKLE)),
    route("POST", "/logout", &[], Sent::Object(&NO_FIELDS), Answer::Object(&LOGOUT)),
    route("GET", "/sso/validate", &[], Sent::Nothing, Answer::Object(&SSO_VALIDATE)),
    route("GET", "/iserver/accounts", &[], Sent::Nothing, Answer::Object(&USER_ACCOUNTS)),
    route("POST", "/iserver/account", &[], Sent::Object(&SELECT_ACCOUNT), Answer::Object(&SELECTED)),
    route("GET", "/portfolio/accounts", &[], Sent::Nothing, Answer::Array(&ACCOUNT_ATTRIBUTES)),
    route("GET", "/portfolio/subaccounts", &[], Sent::Nothing, Answer::Array(&ACCOUNT_ATTRIBUTES)),
    route("GET", "/portfolio/*/positions/*", &["model", "sort", "direction", "period", "waitForSecDef"], Sent::Nothing, Answer::Array(&POSITION)),
    route("POST", "/portfolio/*/positions/invalidate", &[], Sent::Object(&NO_FIELDS), Answer::Invalidated),
    route("GET", "/portfolio/*/ledger", &[], Sent::Nothing, Answer::Map(&LEDGER)),
    route("GET", "/portfolio/*/summary", &[], Sent::Nothing, Answer::Unchecked),
    route("GET", "/iserver/secdef/search", &["symbol", "secType", "name", "more"], Sent::Nothing, Answer::Array(&SECDEF_ROW)),
    route("GET", "/trsrv/stocks", &["symbols"], Sent::Nothing, Answer::Unchecked),
    route("GET", "/iserver/currency/pairs", &["currency"], Sent::Nothing, Answer::Pairs),
    route("GET", "/iserver/contract/*/info", &[], Sent::Nothing, Answer::Unchecked),
    route("GET", "/iserver/contract/*/info-and-rules", &["isBuy"], Sent::Nothing, Answer::Unchecked),
    route("GET", "/iserver/marketdata/snapshot", &["conids", "fields"], Sent::Nothing, Answer::Unchecked),
    route("POST", "/iserver/marketdata/unsubscribe", &[], Sent::Object(&UNSUBSCRIBE), Answer::Unchecked),
    route("GET", "/iserver/marketdata/unsubscribeall", &[], Sent::Nothing, Answer::Unchecked),
    route("POST", "/iserver/account/*/orders", &[], Sent::Orders, Answer::Placement),
    route("POST", "/iserver/account/*/orders/whatif", &[], Sent::Orders, Answer::Object(&PREVIEW)),
    route("POST", "/iserver/reply/*", &[], Sent::Object(&REPLY_REQUEST), Answer::Placement),
    route("POST", "/iserver/questions/suppress", &[], Sent::Object(&SUPPRESS_REQUEST), Answer::Object(&SUPPRESSED)),
    route("POST", "/iserver/questions/suppress/reset", &[], Sent::Object(&NO_FIELDS), Answer::Object(&SUPPRESSED)),
    route("GET", "/iserver/account/orders", &["filters", "force", "accountId"], Sent::Nothing, Answer::LiveOrders),
    route("GET", "/iserver/account/order/status/*", &[], Sent::Nothing, Answer::Object(&ORDER_STATUS)),
    route("DELETE", "/iserver/account/*/order/*", &[], Sent::Nothing, Answer::Object(&CANCEL_SUCCESS)),
];

/// Every way `records` (requests and the fake's answers) departs from the spec's models, one
/// line each naming the request. Empty when everything conforms.
pub fn violations(records: &[RequestRecord]) -> Vec<String> {
    let mut out = Vec::new();
    for record in records {
        let Some(path) = record
            .path
            .strip_prefix("/v1/api")
            .or_else(|| record.path.strip_prefix("/v1/portal"))
        else {
            // Outside the API router: the login pages answer, never JSON (reference §1).
            continue;
        };
        let at = format!("{} {}", record.method, path);
        let Some(route) = ROUTES
            .iter()
            .find(|r| r.method == record.method && path_matches(r.path, path))
        else {
            out.push(format!("{at}: not a route of the contract"));
            continue;
        };
        check_query(route, record.query.as_deref(), &at, &mut out);
        check_sent(route.sent, record.body.as_ref(), &at, &mut out);
        if let Some(answer) = &record.response {
            check_answer(route.answer, record.status, answer, &at, &mut out);
        }
    }
    out
}

fn path_matches(pattern: &str, path: &str) -> bool {
    let want: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    let got: Vec<&str> = path.trim_matches('/').split('/').collect();
    want.len() == got.len() && want.iter().zip(&got).all(|(w, g)| *w == "*" || w == g)
}

fn check_query(route: &Route, query: Option<&str>, at: &str, out: &mut Vec<String>) {
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let name = pair.split('=').next().unwrap_or_default();
        if !route.query.contains(&name) {
            out.push(format!("{at}: query parameter `{name}` is not the spec's"));
        }
    }
}

fn check_sent(sent: Sent, body: Option<&Value>, at: &str, out: &mut Vec<String>) {
    match (sent, body) {
        (Sent::Nothing, None) => {}
        (Sent::Nothing, Some(body)) => {
            out.push(format!("{at}: a body the spec does not take: {body}"));
        }
        (Sent::Object(_) | Sent::Orders, None) => out.push(format!("{at}: no JSON body")),
        (Sent::Object(model), Some(body)) => object(model, body, &format!("{at} request"), out),
        (Sent::Orders, Some(body)) => {
            let at = format!("{at} request");
            match body.as_object() {
                Some(o) if o.len() == 1 => match o.get("orders").and_then(Value::as_array) {
                    Some(orders) if !orders.is_empty() => {
                        for ticket in orders {
                            order_ticket(ticket, &at, out);
                        }
                    }
                    _ => out.push(format!("{at}: `orders` is not a non-empty array: {body}")),
                },
                _ => out.push(format!("{at}: not {{\"orders\":[..]}}: {body}")),
            }
        }
    }
}

fn order_ticket(ticket: &Value, at: &str, out: &mut Vec<String>) {
    object(&ORDER_TICKET, ticket, at, out);
    let conversion = ticket.get("isCcyConv").and_then(Value::as_bool) == Some(true);
    let sized = if conversion { "fxQty" } else { "quantity" };
    if ticket.get(sized).is_none() {
        out.push(format!(
            "{at}: SingleOrderSubmissionRequest without `{sized}`: {ticket}"
        ));
    }
    let side = ticket.get("side").and_then(Value::as_str);
    if side.is_some_and(|s| !matches!(s, "BUY" | "SELL")) {
        out.push(format!("{at}: `side` is not BUY or SELL: {ticket}"));
    }
    let tif = ticket.get("tif").and_then(Value::as_str);
    if tif.is_some_and(|t| !matches!(t, "DAY" | "IOC" | "GTC" | "OPG" | "PAX")) {
        out.push(format!("{at}: `tif` is not one of the spec's: {ticket}"));
    }
}

fn check_answer(answer: Answer, status: u16, value: &Value, at: &str, out: &mut Vec<String>) {
    let at = &format!("{at} answer ({status})");
    let error = value.get("error").is_some_and(|e| !e.is_null());
    if error && !matches!(answer, Answer::Object(m) if m.name == PREVIEW.name)
        || !(200..300).contains(&status)
    {
        object(&ERROR, value, at, out);
        return;
    }
    match answer {
        Answer::Object(model) => object(model, value, at, out),
        Answer::Array(model) => each(model, value, at, out),
        Answer::Map(model) => match value.as_object() {
            Some(map) => map.values().for_each(|v| object(model, v, at, out)),
            None => out.push(format!("{at}: not an object of {}: {value}", model.name)),
        },
        Answer::Placement => placement(value, at, out),
        Answer::Pairs => match value.as_object() {
            Some(map) => map.values().for_each(|v| each(&CURRENCY_PAIR, v, at, out)),
            None => out.push(format!("{at}: not a map of currency pairs: {value}")),
        },
        Answer::Invalidated if value.is_array() => each(&POSITION, value, at, out),
        Answer::Invalidated => object(&INVALIDATED, value, at, out),
        Answer::LiveOrders => {
            object(&LIVE_ORDERS, value, at, out);
            if let Some(orders) = value.get("orders") {
                each(&LIVE_ORDER, orders, at, out);
            }
        }
        Answer::Unchecked => {}
    }
}

fn placement(value: &Value, at: &str, out: &mut Vec<String>) {
    let Some(items) = value.as_array() else {
        // AdvancedOrderReject is the one object answer besides an error.
        object(&ADVANCED_REJECT, value, at, out);
        return;
    };
    for item in items {
        if item.get("error").is_some() {
            object(&ERROR, item, at, out);
        } else if item.get("id").is_some() {
            object(&REPLY_MESSAGE, item, at, out);
        } else {
            object(&SUBMIT_SUCCESS, item, at, out);
        }
    }
}

fn each(model: &Model, value: &Value, at: &str, out: &mut Vec<String>) {
    match value.as_array() {
        Some(items) => items.iter().for_each(|v| object(model, v, at, out)),
        None => out.push(format!("{at}: not an array of {}: {value}", model.name)),
    }
}

/// `value` is an object of `model`: its required fields there, every field named by the model
/// (or captures) and of its type.
fn object(model: &Model, value: &Value, at: &str, out: &mut Vec<String>) {
    let Some(fields) = value.as_object() else {
        out.push(format!("{at}: not an object ({}): {value}", model.name));
        return;
    };
    for field in model.fields.iter().filter(|f| f.required) {
        if !fields.contains_key(field.name) {
            out.push(format!(
                "{at}: {} without required `{}`: {value}",
                model.name, field.name
            ));
        }
    }
    for (name, v) in fields {
        let known = model
            .fields
            .iter()
            .chain(model.captured)
            .find(|f| f.name == name);
        match known {
            Some(field) if v.is_null() && field.nullable => {}
            Some(field) if !field.kind.matches(v) => out.push(format!(
                "{at}: {}.{name} is {v}, not {:?}",
                model.name, field.kind
            )),
            Some(_) => {}
            None => out.push(format!(
                "{at}: `{name}` is not a field of {} (nor of captures)",
                model.name
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(method: &str, path: &str, body: Option<Value>, response: Value) -> RequestRecord {
        RequestRecord {
            method: method.to_owned(),
            path: format!("/v1/api{path}"),
            query: None,
            body,
            status: 200,
            response: Some(response),
        }
    }

    #[test]
    fn a_ticket_without_quantity_or_with_a_string_conid_is_caught() {
        let bad = record(
            "POST",
            "/iserver/account/DU1/orders",
            Some(
                json!({"orders": [{"conid": "1", "orderType": "MKT", "side": "BUY", "tif": "DAY"}]}),
            ),
            json!([{"order_id": "1", "order_status": "PreSubmitted"}]),
        );
        let found = violations(&[bad]);
        assert!(found.iter().any(|v| v.contains("conid")), "{found:?}");
        assert!(
            found.iter().any(|v| v.contains("without `quantity`")),
            "{found:?}"
        );
    }

    #[test]
    fn an_unknown_field_route_or_type_in_an_answer_is_caught() {
        let records = [
            record(
                "GET",
                "/iserver/account/order/status/1",
                None,
                json!({"order_id": "1"}),
            ),
            record(
                "GET",
                "/portfolio/DU1/ledger",
                None,
                json!({"USD": {"cash": 1.0}}),
            ),
            record("GET", "/iserver/nowhere", None, json!({})),
        ];
        let found = violations(&records);
        assert_eq!(found.len(), 3, "{found:?}");
    }

    #[test]
    fn conforming_records_pass() {
        let records = [
            record(
                "POST",
                "/iserver/account/DU1/orders",
                Some(
                    json!({"orders": [{"acctId": "DU1", "conid": 1, "orderType": "LMT",
                    "price": 1.5, "side": "SELL", "tif": "DAY", "quantity": 2, "cOID": "x"}]}),
                ),
                json!([{"id": "u", "message": ["m"], "isSuppressed": false, "messageIds": ["o1"]}]),
            ),
            record(
                "POST",
                "/iserver/reply/u",
                Some(json!({"confirmed": true})),
                json!({"error": "gone"}),
            ),
        ];
        assert_eq!(violations(&records), Vec::<String>::new());
    }
}
