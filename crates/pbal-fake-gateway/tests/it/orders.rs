//! Reference §4: place, questions and replies, whatif, live orders, status, cancel, fills.

use std::time::Duration;

use pbal_fake_gateway::{Fault, FillMode, OrderStatus, Setup, Side};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::support::{ACCT, Api, VTI, client_for};

fn order(c_oid: &str, side: &str, quantity: i64, price: f64) -> Value {
    json!({"orders": [{"acctId": ACCT, "conid": VTI, "orderType": "LMT", "price": price, "side": side,
        "quantity": quantity, "tif": "DAY", "cOID": c_oid}]})
}

fn place_path() -> String {
    format!("/iserver/account/{ACCT}/orders")
}

#[tokio::test]
async fn three_questions_then_accepted() {
    let api = Api::new(
        Setup::ten_etfs()
            .no_rate_limits()
            .questions(&["o163", "o354", "o10153"]),
    );
    api.get("/iserver/accounts").await;
    let mut answer = api
        .post(&place_path(), order("b1", "BUY", 5, 290.0))
        .await
        .json();
    let mut asked = Vec::new();
    let mut ids = Vec::new();
    while let Some(question) = answer
        .as_array()
        .and_then(|a| a.first())
        .filter(|q| q.get("id").is_some())
    {
        assert_eq!(question["messageOptions"], json!(["Yes", "No"]));
        assert!(question["message"][0].is_string());
        asked.push(question["messageIds"][0].as_str().unwrap().to_owned());
        let id = question["id"].as_str().unwrap().to_owned();
        assert_eq!(id.len(), 36, "a UUID");
        ids.push(id.clone());
        answer = api
            .post(&format!("/iserver/reply/{id}"), json!({"confirmed": true}))
            .await
            .json();
    }
    assert_eq!(asked, ["o163", "o354", "o10153"]);
    assert_ne!(ids[0], ids[1]);
    assert_eq!(answer[0]["order_status"], "PreSubmitted");
    assert_eq!(answer[0]["local_order_id"], "b1");
    let order_id: u64 = answer[0]["order_id"].as_str().unwrap().parse().unwrap();
    let orders = api.gw.orders();
    assert_eq!(orders.len(), 1);
    assert_eq!(
        (orders[0].order_id, orders[0].c_oid.as_deref()),
        (order_id, Some("b1"))
    );
    assert_eq!(
        (orders[0].side, orders[0].quantity),
        (Side::Buy, Decimal::new(5, 0))
    );
    assert_eq!(orders[0].price, Some(Decimal::new(290, 0)));
    // A reused reply id is stale now.
    let stale = api
        .post(
            &format!("/iserver/reply/{}", ids[0]),
            json!({"confirmed": true}),
        )
        .await;
    assert_eq!(stale.status, 400);
    assert_eq!(
        stale.json(),
        json!({"error": format!("reply id not found: '{}'", ids[0])})
    );
}

#[tokio::test]
async fn suppressed_questions_are_not_asked() {
    let api = Api::new(Setup::ten_etfs().no_rate_limits());
    api.get("/iserver/accounts").await;
    let resp = api
        .post(
            "/iserver/questions/suppress",
            json!({"messageIds": ["o163", "o354", "o10153"]}),
        )
        .await;
    assert_eq!(resp.json(), json!({"status": "submitted"}));
    let answer = api
        .post(&place_path(), order("b1", "BUY", 1, 290.0))
        .await
        .json();
    assert!(answer[0]["order_id"].is_string());
}

#[tokio::test]
async fn unknown_question_fault_and_declined_reply() {
    let api = Api::plain();
    api.get("/iserver/accounts").await;
    api.gw.inject(Fault::UnknownQuestion);
    let question = api
        .post(&place_path(), order("b1", "BUY", 1, 290.0))
        .await
        .json();
    assert_eq!(question[0]["messageIds"], json!(["o99999"]));
    let id = question[0]["id"].as_str().unwrap();
    let declined = api
        .post(&format!("/iserver/reply/{id}"), json!({"confirmed": false}))
        .await;
    assert_eq!(declined.status, 200);
    assert!(declined.json()["error"].is_string());
    assert!(api.gw.orders().is_empty());
}

#[tokio::test]
async fn anything_between_question_and_reply_drops_the_order() {
    let api = Api::new(Setup::ten_etfs().no_rate_limits());
    api.get("/iserver/accounts").await;
    let question = api
        .post(&place_path(), order("b1", "BUY", 1, 290.0))
        .await
        .json();
    let id = question[0]["id"].as_str().unwrap();
    api.post("/tickle", json!({})).await;
    let late = api
        .post(&format!("/iserver/reply/{id}"), json!({"confirmed": true}))
        .await;
    assert_eq!(late.status, 400);
    assert!(api.gw.orders().is_empty());
}

#[tokio::test]
async fn duplicate_coid_and_validation_errors() {
    let api = Api::plain();
    api.get("/iserver/accounts").await;
    assert!(
        api.post(&place_path(), order("dup", "BUY", 1, 290.0))
            .await
            .json()[0]["order_id"]
            .is_string()
    );
    let again = api.post(&place_path(), order("dup", "BUY", 1, 290.0)).await;
    assert_eq!(again.status, 200);
    assert_eq!(
        again.json(),
        json!({"error": "Order couldn't be submitted: Local order ID=dup is already registered."})
    );
    let cases = [
        (
            json!({"side": "BUY", "orderType": "LMT", "price": 1, "quantity": 1, "tif": "DAY"}),
            400,
            "conid or conidex is required",
        ),
        (
            json!({"conid": VTI, "side": "buy", "orderType": "LMT", "price": 1, "quantity": 1, "tif": "DAY"}),
            400,
            "Invalid Side (must be 'BUY' or 'SELL').",
        ),
        (
            json!({"conid": VTI, "side": "BUY", "orderType": "LIMIT", "price": 1, "quantity": 1, "tif": "DAY"}),
            400,
            "Unknown order type",
        ),
        (
            json!({"conid": VTI, "side": "BUY", "orderType": "LMT", "quantity": 1, "tif": "DAY"}),
            200,
            "invalid order price fields",
        ),
        (
            json!({"conid": VTI, "side": "BUY", "orderType": "LMT", "price": 1, "quantity": 1}),
            200,
            "null time in force is not supported for this order",
        ),
        (
            json!({"conid": 1, "side": "BUY", "orderType": "LMT", "price": 1, "quantity": 1, "tif": "DAY"}),
            200,
            "no sec defs returned for conid 1",
        ),
    ];
    for (body, status, error) in cases {
        let resp = api.post(&place_path(), json!({"orders": [body]})).await;
        assert_eq!(
            (resp.status, resp.json()["error"].as_str().unwrap()),
            (status, error)
        );
    }
    let bare = api.post(&place_path(), json!([{"conid": VTI}])).await;
    assert_eq!(
        bare.status, 400,
        "the {{\"orders\":[..]}} wrapper is required"
    );
    assert_eq!(api.gw.orders().len(), 1);
}

#[tokio::test]
async fn live_orders_warm_up_then_list_with_order_ref() {
    let api = Api::new(Setup::ten_etfs().no_rate_limits().questions(&[]));
    api.get("/iserver/accounts").await;
    api.post(&place_path(), order("b1", "BUY", 2, 290.0)).await;
    assert_eq!(
        api.get("/iserver/account/orders").await.json(),
        json!({"orders": [], "snapshot": false})
    );
    let live = api.get("/iserver/account/orders").await.json();
    let row = &live["orders"][0];
    assert_eq!(row["order_ref"], "b1");
    assert_eq!(row["status"], "PreSubmitted");
    assert_eq!(row["price"], "290.00");
    assert_eq!(row["totalSize"], json!(2.0));
    assert!(row["orderId"].is_u64());
    let forced = api.get("/iserver/account/orders?force=true").await.json();
    assert_eq!(forced["orders"], json!([]));
    let filtered = api
        .get("/iserver/account/orders?filters=filled")
        .await
        .json();
    assert_eq!(filtered["orders"], json!([]));
}

/// The first live-orders answer of a session can be incomplete (ibind #12, #90): the fake
/// lists the older half, `snapshot: false`; the next answer is the whole list.
#[tokio::test]
async fn the_first_live_orders_answer_of_a_session_is_incomplete() {
    let api = Api::new(Setup::ten_etfs().no_rate_limits().questions(&[]));
    api.get("/iserver/accounts").await;
    for c_oid in ["b1", "b2", "b3", "b4", "b5"] {
        api.post(&place_path(), order(c_oid, "BUY", 1, 290.0)).await;
    }
    let first = api.get("/iserver/account/orders").await.json();
    let refs = |v: &serde_json::Value| -> Vec<String> {
        v["orders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["order_ref"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(refs(&first), ["b1", "b2"]);
    assert_eq!(first["snapshot"], false);
    let full = api.get("/iserver/account/orders").await.json();
    assert_eq!(refs(&full), ["b1", "b2", "b3", "b4", "b5"]);
    assert_eq!(full["snapshot"], true);
}

#[tokio::test]
async fn status_fills_after_polls_and_positions_lag() {
    let api = Api::new(
        Setup::ten_etfs()
            .no_rate_limits()
            .questions(&[])
            .fills(FillMode::AfterStatusPolls(1)),
    );
    api.prime().await;
    let placed = api
        .post(&place_path(), order("s1", "SELL", 10, 290.5))
        .await
        .json();
    let id = placed[0]["order_id"].as_str().unwrap().to_owned();
    let first = api
        .get(&format!("/iserver/account/order/status/{id}"))
        .await
        .json();
    assert_eq!(
        (first["order_status"].clone(), first["side"].clone()),
        (json!("PreSubmitted"), json!("S"))
    );
    assert_eq!(first["total_size"], "10.0");
    let second = api
        .get(&format!("/iserver/account/order/status/{id}"))
        .await
        .json();
    assert_eq!(second["order_status"], "Filled");
    assert_eq!(second["cum_fill"], "10.0");
    assert_eq!(second["average_price"], "290.50");
    assert_eq!(api.gw.ledger_cash(ACCT, "USD"), Decimal::new(12_905, 0));
    // The positions cache still shows 40 until invalidated.
    let vti = |rows: &Value| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["conid"] == VTI)
            .unwrap()["position"]
            .clone()
    };
    let cached = api
        .get(&format!("/portfolio/{ACCT}/positions/0"))
        .await
        .json();
    assert_eq!(vti(&cached), json!(40.0));
    let fresh = api
        .post(
            &format!("/portfolio/{ACCT}/positions/invalidate"),
            json!({}),
        )
        .await
        .json();
    assert_eq!(vti(&fresh), json!(30.0));
    assert_eq!(
        api.get("/iserver/account/order/status/999").await.status,
        503
    );
}

#[tokio::test]
async fn fill_all_and_immediate_market_fills() {
    let api = Api::new(
        Setup::ten_etfs()
            .no_rate_limits()
            .questions(&[])
            .fills(FillMode::Immediate),
    );
    api.get("/iserver/accounts").await;
    let market = json!({"orders": [{"conid": VTI, "orderType": "MKT", "side": "BUY", "quantity": 3, "tif": "DAY", "cOID": "m1"}]});
    let question = api.post(&place_path(), market).await.json();
    assert_eq!(
        question[0]["messageIds"][0], "o10151",
        "a market order asks"
    );
    let id = question[0]["id"].as_str().unwrap();
    api.post(&format!("/iserver/reply/{id}"), json!({"confirmed": true}))
        .await;
    let orders = api.gw.orders();
    assert_eq!(orders[0].status, OrderStatus::Filled);
    assert_eq!(orders[0].avg_fill_price, Some(Decimal::new(29_012, 2)));
    assert_eq!(api.gw.ledger_cash(ACCT, "USD"), Decimal::new(912_964, 2));
    assert_eq!(api.gw.position(ACCT, VTI), Decimal::new(43, 0));

    let manual = Api::plain();
    manual.get("/iserver/accounts").await;
    manual
        .post(&place_path(), order("b1", "BUY", 1, 100.0))
        .await;
    assert_eq!(manual.gw.orders()[0].status, OrderStatus::PreSubmitted);
    manual.gw.fill_all();
    assert_eq!(manual.gw.orders()[0].status, OrderStatus::Filled);
    assert_eq!(manual.gw.ledger_cash(ACCT, "USD"), Decimal::new(9_900, 0));
}

#[tokio::test]
async fn cancel_answers_a_numeric_id_then_cancels() {
    let api = Api::plain();
    api.get("/iserver/accounts").await;
    let placed = api
        .post(&place_path(), order("b1", "BUY", 1, 290.0))
        .await
        .json();
    let id: u64 = placed[0]["order_id"].as_str().unwrap().parse().unwrap();
    let ack = api
        .delete(&format!("/iserver/account/{ACCT}/order/{id}"))
        .await
        .json();
    assert_eq!(ack["msg"], "Request was submitted");
    assert_eq!(ack["order_id"], json!(id), "a number, not a string");
    let path = format!("/iserver/account/order/status/{id}");
    assert_eq!(api.get(&path).await.json()["order_status"], "PendingCancel");
    assert_eq!(api.get(&path).await.json()["order_status"], "Cancelled");
    let unknown = api
        .delete(&format!("/iserver/account/{ACCT}/order/1"))
        .await;
    assert_eq!(
        (unknown.status, unknown.json()),
        (200, json!({"error": "OrderID 1 doesn't exist"}))
    );
}

#[tokio::test]
async fn whatif_formats_strings_and_places_nothing() {
    let api = Api::new(Setup::ten_etfs().no_rate_limits().commission(Decimal::ONE));
    api.get("/iserver/accounts").await;
    let preview = api
        .post(
            &format!("/iserver/account/{ACCT}/orders/whatif"),
            order("w1", "BUY", 10, 1977.6 / 10.0),
        )
        .await
        .json();
    assert_eq!(preview["amount"]["amount"], "1,977.60 USD (10 Shares)");
    assert_eq!(preview["amount"]["commission"], "1 USD");
    assert_eq!(preview["amount"]["total"], "1,978.60 USD");
    assert_eq!(
        preview["position"],
        json!({"current": "40", "change": "10", "after": "50"})
    );
    assert_eq!(preview["warn"], Value::Null);
    assert!(api.gw.orders().is_empty());
}

#[tokio::test]
async fn hang_after_accept_records_but_never_answers() {
    let api = Api::plain();
    api.get("/iserver/accounts").await;
    api.gw.inject(Fault::HangAfterAccept { times: 1 });
    let impatient = client_for(&api.gw, Duration::from_millis(300));
    let result = impatient
        .post(format!("{}/v1/api{}", api.gw.url(), place_path()))
        .json(&order("h1", "BUY", 1, 290.0))
        .send()
        .await;
    assert!(result.unwrap_err().is_timeout());
    assert_eq!(api.gw.orders()[0].c_oid.as_deref(), Some("h1"));
    let logged = api
        .gw
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/orders"))
        .unwrap();
    assert_eq!(logged.status, 0);
    // The next placement answers again; the cOID is taken.
    let again = api
        .post(&place_path(), order("h1", "BUY", 1, 290.0))
        .await
        .json();
    assert!(
        again["error"]
            .as_str()
            .unwrap()
            .contains("h1 is already registered")
    );
}

#[tokio::test]
async fn errors_in_array_and_long_coid() {
    let api = Api::new(
        Setup::ten_etfs()
            .no_rate_limits()
            .questions(&[])
            .errors_in_array(true),
    );
    api.get("/iserver/accounts").await;
    let long = "x".repeat(65);
    let resp = api.post(&place_path(), order(&long, "BUY", 1, 290.0)).await;
    assert_eq!(resp.status, 200);
    let body = resp.json();
    assert!(body[0]["error"].as_str().unwrap().contains("64"));
    assert!(
        api.post(&place_path(), order(&"y".repeat(64), "BUY", 1, 290.0))
            .await
            .json()[0]["order_id"]
            .is_string()
    );
    let fractional = json!({"orders": [{"conid": VTI, "orderType": "MKT", "side": "BUY", "quantity": 1.5, "tif": "DAY"}]});
    assert!(api.post(&place_path(), fractional).await.json()[0]["error"].is_string());
}

/// IBKR asks what the order raises: o354 without market data, o10151 for a market order,
/// then the cap-price notice.
#[tokio::test]
async fn a_market_order_without_market_data_raises_o354_and_o10151() {
    use pbal_fake_gateway::Contract;
    let api = Api::new(
        Setup::ten_etfs()
            .no_rate_limits()
            .contract(Contract::new(777, "DARK", "ARCA", "USD")),
    );
    api.get("/iserver/accounts").await;
    let body = json!({"orders": [{"acctId": ACCT, "conid": 777, "orderType": "MKT",
        "side": "BUY", "quantity": 1, "tif": "DAY"}]});
    let mut answer = api.post(&place_path(), body).await.json();
    let mut asked = Vec::new();
    while let Some(id) = answer[0]["id"].as_str().map(str::to_owned) {
        asked.push(answer[0]["messageIds"][0].as_str().unwrap().to_owned());
        answer = api
            .post(&format!("/iserver/reply/{id}"), json!({"confirmed": true}))
            .await
            .json();
    }
    assert_eq!(asked, ["o354", "o10151", "o10153"]);
}

/// A cash account refuses a buy that today's cash cannot pay, in whatif and placement, with
/// IBKR's wording; once a sell has filled, the proceeds pay for it. The ledger lags the fill.
#[tokio::test]
async fn a_cash_account_refuses_buys_beyond_its_cash() {
    let api = Api::new(
        Setup::ten_etfs()
            .no_rate_limits()
            .questions(&[])
            .cash_account(ACCT)
            .ledger_lag(2),
    );
    api.prime().await;
    let accounts = api.get("/portfolio/accounts").await.json();
    assert_eq!(accounts[0]["tradingType"], "STKCASH");
    // 40 VTI at 290 = 11,600 > 10,000 cash.
    let big = order("b1", "BUY", 40, 290.0);
    let preview = api
        .post(
            &format!("/iserver/account/{ACCT}/orders/whatif"),
            big.clone(),
        )
        .await
        .json();
    let refusal = preview["error"].as_str().unwrap();
    assert!(
        refusal.starts_with("YOUR ORDER IS NOT ACCEPTED.") && refusal.contains("[10,000.00 USD]"),
        "{refusal}"
    );
    let placed = api.post(&place_path(), big.clone()).await;
    assert_eq!(placed.status, 200);
    assert!(
        placed.json()["error"]
            .as_str()
            .unwrap()
            .starts_with("YOUR ORDER IS NOT ACCEPTED.")
    );
    assert!(api.gw.orders().is_empty());

    // Sell 20 VTI at 290: +5,800.
    api.post(&place_path(), order("s1", "SELL", 20, 290.0))
        .await;
    api.gw.fill_all();
    let usd = |ledger: &Value| ledger["USD"]["cashbalance"].as_f64().unwrap();
    let ledger_path = format!("/portfolio/{ACCT}/ledger");
    assert_eq!(usd(&api.get(&ledger_path).await.json()), 10_000.0, "lags");
    assert_eq!(usd(&api.get(&ledger_path).await.json()), 10_000.0, "lags");
    assert_eq!(usd(&api.get(&ledger_path).await.json()), 15_800.0);
    let placed = api.post(&place_path(), big).await.json();
    assert!(placed[0]["order_id"].is_string(), "{placed}");
}

/// Several accounts: live orders show the selected account's orders only.
#[tokio::test]
async fn live_orders_show_the_selected_account_only() {
    const OTHER: &str = "DU7654321";
    let api = Api::new(
        Setup::ten_etfs()
            .account(OTHER)
            .cash(OTHER, "USD", Decimal::new(10_000, 0))
            .no_rate_limits()
            .questions(&[])
            .live_orders_warmup(false),
    );
    api.get("/iserver/accounts").await;
    api.post(&place_path(), order("a1", "BUY", 1, 290.0)).await;
    let mut other = order("o1", "BUY", 1, 290.0);
    other["orders"][0]["acctId"] = json!(OTHER);
    api.post(&format!("/iserver/account/{OTHER}/orders"), other)
        .await;
    let refs = |v: Value| -> Vec<String> {
        v["orders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["order_ref"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        refs(api.get("/iserver/account/orders").await.json()),
        ["a1"]
    );
    let set = api
        .post("/iserver/account", json!({"acctId": OTHER}))
        .await
        .json();
    assert_eq!(set, json!({"set": true, "acctId": OTHER}));
    assert_eq!(
        api.get("/iserver/accounts").await.json()["selectedAccount"],
        OTHER
    );
    assert_eq!(
        refs(api.get("/iserver/account/orders").await.json()),
        ["o1"]
    );
}

/// Currency conversion orders as IBKR documents them: `isCcyConv` on a CASH pair, sized by
/// `fxQty` (never `quantity`); the fill moves the ledger in both currencies and no position.
#[tokio::test]
async fn currency_conversions_take_fx_qty_on_a_cash_pair_and_move_both_balances() {
    const EUR_USD: i64 = 12_087_792;
    let api = Api::new(
        Setup::ten_etfs()
            .no_rate_limits()
            .questions(&[])
            .fills(FillMode::Immediate)
            .contract(pbal_fake_gateway::Contract::cash_pair(
                EUR_USD, "EUR", "USD",
            ))
            .price(EUR_USD, Decimal::new(125, 2)),
    );
    api.get("/iserver/accounts").await;
    let conversion = |fields: Value| {
        let mut order = json!({"acctId": ACCT, "orderType": "MKT", "side": "BUY", "tif": "DAY"});
        for (key, value) in fields.as_object().unwrap() {
            order[key] = value.clone();
        }
        json!({ "orders": [order] })
    };
    let refused = [
        (
            json!({"conid": EUR_USD, "isCcyConv": true, "fxQty": 100, "quantity": 100}),
            "A currency conversion order takes fxQty, not quantity",
        ),
        (
            json!({"conid": EUR_USD, "isCcyConv": true}),
            "A currency conversion order needs fxQty (the amount to convert)",
        ),
        (
            json!({"conid": VTI, "isCcyConv": true, "fxQty": 100}),
            "Currency conversion orders are only accepted for CASH contracts; conid 12340001 is STK",
        ),
        (
            json!({"conid": VTI, "fxQty": 100}),
            "fxQty can only be used for Currency Conversion Orders (isCcyConv)",
        ),
        (
            json!({"conid": EUR_USD, "quantity": 100}),
            "Orders on a currency pair must be currency conversion orders (isCcyConv) here",
        ),
    ];
    for (fields, error) in refused {
        let resp = api.post(&place_path(), conversion(fields)).await;
        assert_eq!(
            (resp.status, resp.json()["error"].as_str()),
            (200, Some(error))
        );
    }
    assert!(api.gw.orders().is_empty());
    // Without a snapshot of the pair this session: o354 (no market data).
    let blind = api
        .post(
            &place_path(),
            conversion(json!({"conid": EUR_USD, "isCcyConv": true, "fxQty": 10, "cOID": "fx0"})),
        )
        .await
        .json();
    assert_eq!(blind[0]["messageIds"], json!(["o354"]), "{blind}");
    api.get(&format!(
        "/iserver/marketdata/snapshot?conids={EUR_USD}&fields=31"
    ))
    .await;
    // Sized in cash: o10223 and o10164 follow the market-order notice (suppressed here).
    api.post(
        "/iserver/questions/suppress",
        json!({"messageIds": ["o10151", "o10223", "o10164"]}),
    )
    .await;
    // BUY EUR.USD with fxQty 1,000: USD 1,000 out, EUR 800 in at 1.25.
    let placed = api
        .post(
            &place_path(),
            conversion(json!({"conid": EUR_USD, "isCcyConv": true, "fxQty": 1000, "cOID": "fx1"})),
        )
        .await;
    assert!(placed.json()[0]["order_id"].is_string(), "{}", placed.text);
    let orders = api.gw.orders();
    assert!(orders[0].currency_conversion && orders[0].status == OrderStatus::Filled);
    assert_eq!(api.gw.ledger_cash(ACCT, "USD"), Decimal::from(9_000));
    assert_eq!(api.gw.ledger_cash(ACCT, "EUR"), Decimal::from(800));
    assert_eq!(api.gw.position(ACCT, EUR_USD), Decimal::ZERO);
}

/// A login of two accounts: an order goes only to an account of the login, and its own acctId
/// must be the path's account.
#[tokio::test]
async fn orders_go_only_to_the_logins_accounts_under_their_own_id() {
    const IRA: &str = "DU7654321";
    let api = Api::new(Setup::ten_etfs().no_rate_limits().account(IRA).cash(
        IRA,
        "USD",
        Decimal::from(1_000),
    ));
    api.get("/iserver/accounts").await;
    let stranger = api
        .post(
            "/iserver/account/U9999999/orders",
            order("s1", "BUY", 1, 290.0),
        )
        .await;
    assert_eq!(stranger.status, 400, "{}", stranger.text);
    assert!(
        stranger.text.contains("U9999999 not found"),
        "{}",
        stranger.text
    );
    let mixed = api
        .post(
            &format!("/iserver/account/{IRA}/orders"),
            order("m1", "BUY", 1, 290.0),
        )
        .await;
    assert_eq!(mixed.status, 400, "{}", mixed.text);
    assert!(mixed.text.contains("does not match"), "{}", mixed.text);
    assert!(api.gw.orders().is_empty());
}
