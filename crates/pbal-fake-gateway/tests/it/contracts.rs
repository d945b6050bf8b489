//! Reference §3: secdef search, trsrv stocks, contract info, snapshot.

use pbal_fake_gateway::{Contract, Setup};
use rust_decimal::Decimal;
use serde_json::json;

use crate::support::{Api, VTI};

fn ambiguous() -> Setup {
    Setup::ten_etfs()
        .no_rate_limits()
        .contract(Contract::new(98_765, "VTI", "MEXI", "MXN").named("VANGUARD TOTAL STOCK MKT-MX"))
        .price(98_765, Decimal::new(512_345, 2))
        .last_prefix(98_765, "C")
}

#[tokio::test]
async fn secdef_search_rows_have_string_conids() {
    let api = Api::new(ambiguous());
    let rows = api
        .get("/iserver/secdef/search?symbol=VTI&secType=STK")
        .await
        .json();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "ambiguous symbol");
    assert_eq!(rows[0]["conid"], json!(VTI.to_string()));
    assert_eq!(rows[0]["description"], "ARCA");
    assert_eq!(rows[0]["sections"][0]["secType"], "STK");
    assert_eq!(rows[1]["description"], "MEXI");
    let none = api.get("/iserver/secdef/search?symbol=NOPE").await.json();
    assert_eq!(none, json!([]));
}

#[tokio::test]
async fn trsrv_stocks_groups_by_name_with_int_conids() {
    let api = Api::new(ambiguous());
    let stocks = api.get("/trsrv/stocks?symbols=VTI,BND").await.json();
    let vti = stocks["VTI"].as_array().unwrap();
    assert_eq!(vti.len(), 2);
    let all: Vec<_> = vti
        .iter()
        .flat_map(|e| e["contracts"].as_array().unwrap().clone())
        .collect();
    assert!(all.contains(&json!({"conid": VTI, "exchange": "ARCA", "isUS": true})));
    assert!(all.contains(&json!({"conid": 98_765, "exchange": "MEXI", "isUS": false})));
    assert_eq!(stocks["BND"][0]["contracts"][0]["exchange"], "NASDAQ");
}

#[tokio::test]
async fn contract_info_is_snake_case() {
    let api = Api::plain();
    let info = api
        .get(&format!("/iserver/contract/{VTI}/info"))
        .await
        .json();
    assert_eq!(info["con_id"], VTI);
    assert_eq!(info["currency"], "USD");
    assert_eq!(info["instrument_type"], "STK");
    let rules = api
        .get(&format!(
            "/iserver/contract/{VTI}/info-and-rules?isBuy=true"
        ))
        .await
        .json();
    assert_eq!(rules["rules"]["fraqInt"], 0);
    assert_eq!(rules["rules"]["sizeIncrement"], 1);
}

#[tokio::test]
async fn snapshot_needs_a_preflight_and_answers_strings() {
    let api = Api::new(ambiguous());
    api.get("/iserver/accounts").await;
    let path = format!("/iserver/marketdata/snapshot?conids={VTI},98765&fields=31,84,86");
    let first = api.get(&path).await.json();
    assert_eq!(
        first,
        json!([{"conid": VTI, "conidEx": VTI.to_string()}, {"conid": 98_765, "conidEx": "98765"}])
    );
    let second = api.get(&path).await.json();
    assert_eq!(second[0]["31"], "290.12");
    assert_eq!(second[0]["84"], "290.11");
    assert_eq!(second[0]["86"], "290.13");
    assert_eq!(
        second[1]["31"], "C5,123.45",
        "prefix and thousands separator"
    );
    // Fields persist: asking only for 55 still returns 31.
    let third = api
        .get(&format!(
            "/iserver/marketdata/snapshot?conids={VTI}&fields=55"
        ))
        .await
        .json();
    assert_eq!(
        (third[0]["55"].clone(), third[0]["31"].clone()),
        (json!("VTI"), json!("290.12"))
    );
    // Unsubscribing restarts the pre-flight.
    api.post("/iserver/marketdata/unsubscribe", json!({"conid": VTI}))
        .await;
    let again = api
        .get(&format!(
            "/iserver/marketdata/snapshot?conids={VTI}&fields=31"
        ))
        .await
        .json();
    assert!(again[0].get("31").is_none());
}

/// Currency pairs come from `/iserver/currency/pairs` (the spec's route): every pair with the
/// currency on either side, `conid` a number, `ccyPair` the other currency. `secdef/search`
/// offers STK, IND and BOND only.
#[tokio::test]
async fn currency_pairs_have_their_own_route_and_search_refuses_cash() {
    let api = Api::new(
        Setup::ten_etfs()
            .no_rate_limits()
            .contract(Contract::cash_pair(12_087_792, "EUR", "USD"))
            .contract(Contract::cash_pair(15_016_059, "USD", "JPY")),
    );
    api.prime().await;
    let pairs = api.get("/iserver/currency/pairs?currency=USD").await.json();
    assert_eq!(
        pairs,
        json!({"USD": [
            {"symbol": "EUR.USD", "conid": 12_087_792, "ccyPair": "EUR"},
            {"symbol": "USD.JPY", "conid": 15_016_059, "ccyPair": "JPY"}
        ]})
    );
    let eur = api.get("/iserver/currency/pairs?currency=EUR").await.json();
    assert_eq!(eur["EUR"][0]["ccyPair"], "USD");
    let cash = api
        .get("/iserver/secdef/search?symbol=EUR.USD&secType=CASH")
        .await;
    assert_eq!(cash.status, 400, "{}", cash.text);
}
