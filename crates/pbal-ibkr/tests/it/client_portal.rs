//! The Client Portal client against the in-process fake gateway: each documented quirk and
//! failure mode.

use std::time::Duration;

use pbal_fake_gateway::{Contract, FakeGateway, Fault, Setup, TEN_ETF_CONIDS};
use pbal_ibkr::client_portal::{
    Gateway, GatewayConfig, GatewayError, GatewayTls, OrderKind, OrderTicket, Placed,
    QuestionPolicy,
};
use rust_decimal::dec;

const ACCOUNT: &str = "DU1234567";

fn client(gateway: &FakeGateway) -> Gateway {
    client_at(gateway, &gateway.url())
}

fn client_at(gateway: &FakeGateway, url: &str) -> Gateway {
    let tls = GatewayTls::Pinned {
        pem: gateway.cert_pem().into_bytes(),
    };
    let mut config = GatewayConfig::new(url, tls).unwrap();
    config.request_timeout = Duration::from_secs(2);
    config.snapshot_poll = Duration::from_millis(50);
    Gateway::new(config).unwrap()
}

fn ticket(c_oid: &str) -> OrderTicket {
    OrderTicket {
        account: ACCOUNT.to_owned(),
        conid: TEN_ETF_CONIDS[0].to_string(),
        symbol: "VTI".to_owned(),
        side: pbal_core::Side::Buy,
        quantity: dec!(2),
        kind: OrderKind::Limit(dec!(291.00)),
        c_oid: c_oid.to_owned(),
        manual_order_time: None,
    }
}

#[tokio::test]
async fn reads_every_page_of_positions_and_the_ledger() {
    let gateway = FakeGateway::start(Setup::ten_etfs().positions_page_size(3));
    let client = client(&gateway);
    client.ensure_session().await.unwrap();
    let positions = client.positions(ACCOUNT).await.unwrap();
    assert_eq!(positions.len(), 10);
    let vti = positions.iter().find(|p| p.symbol == "VTI").unwrap();
    assert_eq!(vti.quantity, dec!(40));
    assert_eq!(vti.conid, TEN_ETF_CONIDS[0].to_string());
    let ledger = client.ledger(ACCOUNT).await.unwrap();
    let usd = ledger.iter().find(|e| e.currency == "USD").unwrap();
    assert_eq!(usd.cash, dec!(10000));
    assert!(ledger.iter().any(|e| e.currency == "BASE"));
}

#[tokio::test]
async fn snapshots_poll_through_the_preflight_and_strip_prefixes() {
    let conid = TEN_ETF_CONIDS[1];
    let gateway = FakeGateway::start(
        Setup::ten_etfs()
            .snapshot_preflight_calls(2)
            .last_prefix(conid, "C"),
    );
    let client = client(&gateway);
    let quotes = client.quotes(&[conid.to_string()]).await.unwrap();
    assert_eq!(quotes[&conid.to_string()].price(), Some(dec!(52.34)));
    let calls = gateway
        .requests()
        .iter()
        .filter(|r| r.path.contains("marketdata/snapshot"))
        .count();
    assert!(calls >= 3, "pre-flight calls then data: {calls}");
}

#[tokio::test]
async fn ambiguous_symbols_list_their_candidates() {
    let gateway = FakeGateway::start(
        Setup::ten_etfs()
            .contract(Contract::new(900_001, "SHOP", "NYSE", "USD").named("SHOPIFY INC"))
            .contract(Contract::new(900_002, "SHOP", "TSE", "CAD").named("SHOPIFY INC"))
            .contract(Contract::new(900_003, "TWIN", "NYSE", "USD").named("TWIN A"))
            .contract(Contract::new(900_004, "TWIN", "NASDAQ", "USD").named("TWIN B")),
    );
    let client = client(&gateway);
    // One US listing among several: that one.
    let shop = client.resolve_conid("SHOP").await.unwrap();
    assert_eq!(shop.conid, "900001");
    // Two US listings: an error naming both.
    let err = client.resolve_conid("TWIN").await.unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, GatewayError::AmbiguousSymbol { .. }),
        "{text}"
    );
    assert!(text.contains("900003") && text.contains("900004"), "{text}");
    let err = client.resolve_conid("NOPE").await.unwrap_err();
    assert!(matches!(err, GatewayError::UnknownSymbol { .. }), "{err}");
}

#[tokio::test]
async fn places_through_the_question_rounds_and_recognises_a_reused_id() {
    let gateway = FakeGateway::start(Setup::ten_etfs());
    let client = client(&gateway);
    let mut asked = Vec::new();
    let placed = client
        .place(
            &ticket("pbal-test-1"),
            &QuestionPolicy::default(),
            &mut |e| {
                asked.push(e);
            },
        )
        .await
        .unwrap();
    assert!(matches!(placed, Placed::Accepted { .. }), "{placed:?}");
    assert_eq!(asked.len(), 3, "o163, o354, o10153");
    let again = client
        .place(
            &ticket("pbal-test-1"),
            &QuestionPolicy::default(),
            &mut |_| {},
        )
        .await
        .unwrap();
    assert_eq!(again, Placed::AlreadyRegistered);
    assert_eq!(gateway.orders().len(), 1);
    let live = client.live_orders(ACCOUNT).await.unwrap();
    assert!(
        live.iter()
            .any(|o| o.c_oid.as_deref() == Some("pbal-test-1"))
    );
}

#[tokio::test]
async fn questions_off_the_allow_list_drop_the_order() {
    let gateway = FakeGateway::start(Setup::ten_etfs().questions(&["o163", "o382"]));
    let client = client(&gateway);
    let err = client
        .place(
            &ticket("pbal-test-2"),
            &QuestionPolicy::default(),
            &mut |_| {},
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, GatewayError::UnknownQuestion { ids, .. } if ids == "o382"),
        "{err}"
    );
    assert!(gateway.orders().is_empty());
}

#[tokio::test]
async fn a_lost_order_answer_is_reported_not_resent() {
    let gateway = FakeGateway::start(Setup::ten_etfs());
    gateway.inject(Fault::HangAfterAccept { times: 1 });
    let client = client(&gateway);
    let err = client
        .place(
            &ticket("pbal-test-3"),
            &QuestionPolicy::default(),
            &mut |_| {},
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, GatewayError::OrderOutcomeUnknown { c_oid, .. } if c_oid == "pbal-test-3"),
        "{err}"
    );
    let posts = gateway
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/orders"))
        .count();
    assert_eq!(
        posts, 1,
        "an order POST must never be repeated automatically"
    );
}

#[tokio::test]
async fn errors_with_http_200_html_and_wrong_paths_are_errors() {
    let gateway = FakeGateway::start(Setup::ten_etfs());
    let client = client(&gateway);
    client.ensure_session().await.unwrap();
    gateway.inject(Fault::error_with_200("/ledger", "account not found"));
    let err = client.ledger(ACCOUNT).await.unwrap_err();
    assert!(err.to_string().contains("account not found"), "{err}");

    gateway.inject(Fault::html("/ledger"));
    let err = client.ledger(ACCOUNT).await.unwrap_err();
    assert!(matches!(err, GatewayError::Html { .. }), "{err}");

    // A path outside /v1/api reaches the login pages: never JSON.
    let wrong = client_at(&gateway, &format!("{}/sso", gateway.url()));
    let err = wrong.auth_status().await.unwrap_err();
    assert!(matches!(err, GatewayError::Html { .. }), "{err}");

    let err = client.cancel(ACCOUNT, "1").await.unwrap_err();
    assert!(err.to_string().contains("doesn't exist"), "{err}");
}

#[tokio::test]
async fn whatif_amounts_are_parsed_from_formatted_strings() {
    let gateway = FakeGateway::start(Setup::ten_etfs().commission(dec!(1)));
    let client = client(&gateway);
    let preview = client.whatif(&ticket("pbal-test-4")).await.unwrap();
    assert_eq!(preview.commission, Some(dec!(1)));
    assert!(preview.error.is_none());
    assert!(gateway.orders().is_empty(), "whatif places nothing");
}

#[tokio::test]
async fn live_orders_are_paced_below_the_gateway_limit() {
    let gateway = FakeGateway::start(Setup::ten_etfs());
    let client = client(&gateway);
    client.live_orders(ACCOUNT).await.unwrap();
    client.live_orders(ACCOUNT).await.unwrap();
    let too_fast = gateway
        .requests()
        .iter()
        .filter(|r| r.status == 429)
        .count();
    assert_eq!(too_fast, 0);
}

#[tokio::test]
async fn a_new_session_is_primed_again_before_retrying() {
    let gateway = FakeGateway::start(Setup::ten_etfs());
    let client = client(&gateway);
    client.ledger(ACCOUNT).await.unwrap();
    client.whatif(&ticket("pbal-test-5")).await.unwrap();
    // A re-login forgets `/iserver/accounts` and `/portfolio/accounts`.
    gateway.set_session(pbal_fake_gateway::SessionState::Authenticated);
    client.whatif(&ticket("pbal-test-5")).await.unwrap();
    client.ledger(ACCOUNT).await.unwrap();
    let primes = gateway
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/iserver/accounts"))
        .count();
    assert_eq!(primes, 2);
}
