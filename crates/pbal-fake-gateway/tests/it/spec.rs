//! The fake's answers on the routes this branch touched, checked against IBKR's Web API
//! specification (2.15.0) models, written here by hand: each field's JSON type, and no field
//! the model does not name except those real captures show (the fake follows captures where
//! they and the spec disagree). Every field of these models is optional in the spec.

use pbal_fake_gateway::spec::violations;
use pbal_fake_gateway::{Contract, Fault, Setup};
use serde_json::{Value, json};

use crate::support::{ACCT, Api, VTI};

#[derive(Clone, Copy, Debug)]
enum Kind {
    Str,
    Int,
    Bool,
    Strings,
    Array,
}

fn is(kind: Kind, v: &Value) -> bool {
    match kind {
        Kind::Str => v.is_string(),
        Kind::Int => v.is_i64() || v.is_u64(),
        Kind::Bool => v.is_boolean(),
        Kind::Strings => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
        Kind::Array => v.is_array(),
    }
}

/// `value` is an object whose fields are the model's (with its types) or the captured extras.
fn conforms(value: &Value, model: &[(&str, Kind)], captured: &[&str]) {
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"));
    for (name, field) in object {
        match model.iter().find(|(n, _)| n == name) {
            Some((_, kind)) => assert!(is(*kind, field), "{name}: {field} is not {kind:?}"),
            None => assert!(
                captured.contains(&name.as_str()),
                "{name} is neither in the model nor in captures: {value}"
            ),
        }
    }
}

// OrderSubmitSuccessInner; captures add `local_order_id` (the cOID).
const SUCCESS: [(&str, Kind); 3] = [
    ("order_id", Kind::Str),
    ("order_status", Kind::Str),
    ("encrypt_message", Kind::Str),
];
// OrderReplyMessageInner; captures add `messageOptions`.
const REPLY: [(&str, Kind); 4] = [
    ("id", Kind::Str),
    ("isSuppressed", Kind::Bool),
    ("message", Kind::Strings),
    ("messageIds", Kind::Strings),
];
// AdvancedOrderReject.
const REJECT: [(&str, Kind); 8] = [
    ("order_id", Kind::Int),
    ("req_id", Kind::Str),
    ("dismissable", Kind::Strings),
    ("text", Kind::Str),
    ("options", Kind::Strings),
    ("type", Kind::Str),
    ("message_id", Kind::Str),
    ("prompt", Kind::Bool),
];
// LiveOrdersResponse.
const LIVE_ORDERS: [(&str, Kind); 2] = [("orders", Kind::Array), ("snapshot", Kind::Bool)];

fn ticket(c_oid: &str) -> Value {
    json!({"orders": [{"acctId": ACCT, "conid": VTI, "orderType": "LMT", "price": 290.0,
        "side": "BUY", "quantity": 1, "tif": "DAY", "cOID": c_oid, "ticker": "VTI"}]})
}

#[tokio::test]
async fn placement_answers_follow_the_spec_models() {
    let api = Api::new(Setup::ten_etfs().no_rate_limits().questions(&["o10153"]));
    api.get("/iserver/accounts").await;
    let path = format!("/iserver/account/{ACCT}/orders");
    let asked = api.post(&path, ticket("s1")).await.json();
    conforms(&asked[0], &REPLY, &["messageOptions"]);
    let id = asked[0]["id"].as_str().unwrap().to_owned();
    let accepted = api
        .post(&format!("/iserver/reply/{id}"), json!({"confirmed": true}))
        .await
        .json();
    conforms(&accepted[0], &SUCCESS, &["local_order_id"]);

    api.gw.inject(Fault::QuestionWithoutIds);
    let bare = api.post(&path, ticket("s2")).await.json();
    conforms(&bare[0], &REPLY, &["messageOptions"]);
    assert!(bare[0].get("messageIds").is_none(), "{bare}");

    api.gw.inject(Fault::AdvancedReject {
        message_id: "o2137".to_owned(),
        text: "rejected".to_owned(),
    });
    let reject = api.post(&path, ticket("s3")).await.json();
    conforms(&reject, &REJECT, &[]);

    // OrderSubmitError: `error` a string (the fake adds nothing else on HTTP 200).
    let wrong_ticker = json!({"orders": [{"acctId": ACCT, "conid": VTI, "orderType": "MKT",
        "side": "BUY", "quantity": 1, "tif": "DAY", "ticker": "VEA"}]});
    let error = api.post(&path, wrong_ticker).await.json();
    conforms(&error, &[("error", Kind::Str)], &[]);

    for _ in 0..2 {
        let live = api.get("/iserver/account/orders").await.json();
        conforms(&live, &LIVE_ORDERS, &[]);
    }
    // The whole exchange, held to the crate's spec models too.
    assert_eq!(violations(&api.gw.requests()), Vec::<String>::new());
}

#[tokio::test]
async fn currency_pairs_and_session_init_follow_the_spec_models() {
    let api = Api::new(
        Setup::ten_etfs()
            .no_rate_limits()
            .contract(Contract::cash_pair(12_087_792, "EUR", "USD")),
    );
    api.prime().await;
    // CurrencyPairs: a map of CurrencyPairsValueInner lists. The spec types `ccyPair` as an
    // integer, IBKR's documented example shows the currency's code: the fake follows the
    // example (pbal reads only `symbol` and `conid`).
    let pairs = api.get("/iserver/currency/pairs?currency=USD").await.json();
    for row in pairs["USD"].as_array().unwrap() {
        conforms(
            row,
            &[
                ("symbol", Kind::Str),
                ("conid", Kind::Int),
                ("ccyPair", Kind::Str),
            ],
            &[],
        );
    }
    // BrokerageSessionInitRequest: publish and compete, both booleans.
    let init = api
        .post(
            "/iserver/auth/ssodh/init",
            json!({"publish": true, "compete": false}),
        )
        .await;
    assert_eq!(init.status, 200);
    assert_eq!(violations(&api.gw.requests()), Vec::<String>::new());
}
