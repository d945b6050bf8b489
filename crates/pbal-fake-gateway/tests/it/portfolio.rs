//! Reference §2: accounts, paged positions, ledger.

use pbal_fake_gateway::{Contract, Setup};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::support::{ACCT, Api, VTI};

#[tokio::test]
async fn accounts_and_iserver_accounts() {
    let api = Api::plain();
    let accounts = api.get("/portfolio/accounts").await.json();
    assert_eq!(accounts[0]["id"], ACCT);
    assert_eq!(accounts[0]["currency"], "USD");
    let iserver = api.get("/iserver/accounts").await.json();
    assert_eq!(iserver["accounts"], json!([ACCT]));
    assert_eq!(iserver["acctProps"][ACCT]["allowCustomerTime"], false);
    assert_eq!(iserver["isPaper"], true);
}

#[tokio::test]
async fn positions_page_until_empty() {
    let api = Api::new(Setup::ten_etfs().no_rate_limits().positions_page_size(3));
    api.prime().await;
    let mut rows = Vec::new();
    for page in 0.. {
        let body = api
            .get(&format!("/portfolio/{ACCT}/positions/{page}"))
            .await
            .json();
        let page_rows = body.as_array().unwrap().clone();
        if page_rows.is_empty() {
            assert_eq!(page, 4);
            break;
        }
        rows.extend(page_rows);
    }
    assert_eq!(rows.len(), 10);
    let vti = rows.iter().find(|r| r["conid"] == VTI).unwrap();
    assert_eq!(vti["position"], json!(40.0));
    assert!(vti["position"].is_f64());
    assert_eq!(vti["mktPrice"], json!(290.12));
    assert_eq!(vti["mktValue"], json!(11604.8));
    assert_eq!(vti["strike"], "0");
    assert_eq!(vti["ticker"], "VTI");
    assert_eq!(vti["assetClass"], "STK");
    assert_eq!(
        api.get(&format!("/portfolio/{ACCT}/positions/99"))
            .await
            .json(),
        json!([])
    );
}

#[tokio::test]
async fn ledger_per_currency_and_base() {
    let setup = Setup::ten_etfs()
        .no_rate_limits()
        .contract(Contract::new(555, "XIC", "TSE", "CAD"))
        .price(555, Decimal::new(3_500, 2))
        .position(ACCT, 555, Decimal::new(10, 0), Decimal::new(30, 0))
        .cash(ACCT, "CAD", Decimal::new(-200, 0))
        .exchange_rate("CAD", Decimal::new(75, 2));
    let api = Api::new(setup);
    api.prime().await;
    let ledger = api.get(&format!("/portfolio/{ACCT}/ledger")).await.json();
    assert_eq!(ledger["USD"]["cashbalance"], json!(10000.0));
    assert_eq!(ledger["CAD"]["cashbalance"], json!(-200.0));
    assert_eq!(ledger["CAD"]["exchangerate"], json!(0.75));
    assert_eq!(ledger["CAD"]["stockmarketvalue"], json!(350.0));
    assert_eq!(ledger["BASE"]["cashbalance"], json!(9850.0));
    assert!(ledger["BASE"].get("endofbundle").is_none());
    let timestamp = ledger["USD"]["timestamp"].as_u64().unwrap();
    assert!(timestamp < 10_000_000_000, "seconds, not ms");
    assert_eq!(api.gw.ledger_cash(ACCT, "BASE"), Decimal::new(9850, 0));
    let summary = api.get(&format!("/portfolio/{ACCT}/summary")).await.json();
    assert_eq!(summary["totalcashvalue-s"]["amount"], json!(9850.0));
    assert_eq!(summary["accountcode"]["value"], ACCT);
}

#[tokio::test]
async fn unknown_account_is_an_error() {
    let api = Api::plain();
    api.prime().await;
    let resp = api.get("/portfolio/U999/positions/0").await;
    assert_eq!(resp.status, 400);
    assert!(
        resp.json()["error"]
            .as_str()
            .is_some_and(|e: &str| e.contains("U999"))
    );
    let _: Value = resp.json();
}

#[tokio::test]
async fn slim_positions_lack_ticker_name_and_exchange() {
    let api = Api::new(Setup::ten_etfs().no_rate_limits().slim_positions(true));
    api.prime().await;
    let rows = api
        .get(&format!("/portfolio/{ACCT}/positions/0"))
        .await
        .json();
    let row = rows[0].as_object().unwrap();
    for key in ["ticker", "name", "listingExchange"] {
        assert!(!row.contains_key(key), "{key}");
    }
    for key in [
        "conid",
        "position",
        "mktPrice",
        "mktValue",
        "currency",
        "assetClass",
    ] {
        assert!(row.contains_key(key), "{key}");
    }
}
