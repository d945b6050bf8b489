//! The Client Portal client against the in-process fake gateway: each documented quirk and
//! failure mode.

use std::time::Duration;

use pbal_core::dec;
use pbal_fake_gateway::{Contract, FakeGateway, Fault, Setup, TEN_ETF_CONIDS};
use pbal_ibkr::client_portal::{
    CertificateProblem, Gateway, GatewayConfig, GatewayError, GatewayTls, OrderKind, OrderTicket,
    Placed, QuestionPolicy,
};

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
    OrderTicket::new(
        ACCOUNT,
        TEN_ETF_CONIDS[0].to_string(),
        "VTI",
        pbal_core::Side::Buy,
        dec!(2),
        OrderKind::Limit(dec!(291.00)),
        c_oid,
    )
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
            .contract(Contract::new(900_004, "TWIN", "NASDAQ", "USD").named("TWIN B"))
            .contract(Contract::new(72_063_691, "BRK B", "NYSE", "USD").named("BERKSHIRE HATH-B")),
    );
    let client = client(&gateway);
    // IBKR spells the share class with a space: `BRK.B` and `BRK/B` find it, in IBKR's spelling.
    for asked in ["BRK.B", "BRK/B", "brk b"] {
        let brk = client.resolve_conid(asked).await.unwrap();
        assert_eq!(
            (brk.conid.as_str(), brk.symbol.as_str()),
            ("72063691", "BRK B")
        );
    }
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
    assert_eq!(asked.len(), 1, "o10153 (a limit order with market data)");
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
    let gateway = FakeGateway::start(Setup::ten_etfs().questions(&["o10153", "o382"]));
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

// --- TLS: the certificate every real gateway presents -------------------------------------

/// Pinning compares the certificate itself: IBKR's shipped one (expired since 2019, named
/// "Client Portal Web API", no localhost) is accepted when it is the pinned one.
#[tokio::test]
async fn pins_ibkrs_shipped_certificate_despite_its_dates_and_name() {
    let gateway = FakeGateway::start(Setup::ten_etfs());
    if !gateway.serves_shipped_certificate() {
        notice(
            "NOTICE: IBKR's shipped certificate is not beside the workspace; pinning is checked \
             with a generated certificate only",
        );
    }
    let client = client(&gateway);
    client.ensure_session().await.unwrap();
    assert!(!client.positions(ACCOUNT).await.unwrap().is_empty());
}

#[tokio::test]
async fn refuses_a_certificate_other_than_the_pinned_one() {
    let gateway = FakeGateway::start(Setup::ten_etfs());
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let mut config = GatewayConfig::new(
        &gateway.url(),
        GatewayTls::Pinned {
            pem: other.cert.pem().into_bytes(),
        },
    )
    .unwrap();
    config.request_timeout = Duration::from_secs(2);
    let err = Gateway::new(config)
        .unwrap()
        .ensure_session()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("different certificate than the pinned one"),
        "{err}"
    );
    assert!(
        matches!(
            err,
            GatewayError::Certificate {
                problem: CertificateProblem::NotThePinnedOne,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(gateway.requests().is_empty(), "nothing sent: {err}");
}

/// A server that presents the pinned certificate without holding its key fails the
/// handshake signature check: pinning is not just comparing bytes anyone can copy.
#[tokio::test]
async fn a_copied_certificate_without_its_key_fails_the_handshake() {
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    use rustls::server::{ClientHello, ResolvesServerCert};
    use rustls::sign::CertifiedKey;

    #[derive(Debug)]
    struct Impostor(std::sync::Arc<CertifiedKey>);
    impl ResolvesServerCert for Impostor {
        fn resolve(&self, _: ClientHello<'_>) -> Option<std::sync::Arc<CertifiedKey>> {
            Some(self.0.clone())
        }
    }

    let genuine = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let wrong_key = rcgen::KeyPair::generate().unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let signer = provider
        .key_provider
        .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            wrong_key.serialize_der(),
        )))
        .unwrap();
    let certified = CertifiedKey::new(vec![genuine.cert.der().clone()], signer);
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(std::sync::Arc::new(Impostor(std::sync::Arc::new(
            certified,
        ))));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let tls = axum_server::tls_rustls::RustlsConfig::from_config(std::sync::Arc::new(server));
    let app = axum::Router::new().fallback(|| async { "{}" });
    let served = axum_server::from_tcp_rustls(listener, tls).unwrap();
    let handle = tokio::spawn(async move { served.serve(app.into_make_service()).await });

    let mut config = GatewayConfig::new(
        &format!("https://127.0.0.1:{port}"),
        GatewayTls::Pinned {
            pem: genuine.cert.pem().into_bytes(),
        },
    )
    .unwrap();
    config.request_timeout = Duration::from_secs(2);
    let err = Gateway::new(config)
        .unwrap()
        .ensure_session()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("not signed with the pinned certificate's key"),
        "{err}"
    );
    assert!(
        matches!(
            err,
            GatewayError::Certificate {
                problem: CertificateProblem::BadSignature,
                ..
            }
        ),
        "{err:?}"
    );
    handle.abort();
}

/// `gateway trust` needs the handshake only: no request reaches the gateway, so a gateway
/// nobody has logged in to (which holds API calls open) still shows its certificate.
#[tokio::test]
async fn trust_reads_the_certificate_from_the_handshake_alone() {
    let gateway =
        FakeGateway::start(Setup::ten_etfs().session(pbal_fake_gateway::SessionState::Unanswered));
    let presented = pbal_ibkr::client_portal::presented_certificate(&gateway.url())
        .await
        .unwrap();
    let squash = |s: &str| s.split_whitespace().collect::<String>();
    assert_eq!(squash(&presented.pem), squash(&gateway.cert_pem()));
    assert_eq!(presented.sha256.len(), 32 * 3 - 1);
    assert!(gateway.requests().is_empty(), "{:?}", gateway.requests());
    if gateway.serves_shipped_certificate() {
        assert!(presented.is_ibkr_shipped());
        let summary = &presented.summary;
        assert_eq!(
            summary.subject.as_deref(),
            Some(
                "CN=Client Portal Web API, OU=Client Portal, O=Interactive Brokers, L=Greenwich, \
                 ST=CT, C=US"
            )
        );
        assert!(summary.is_self_signed());
        assert_eq!(
            summary.not_after.map(|t| t.to_string()).as_deref(),
            Some("2019-05-11T16:26:02Z")
        );
        assert!(summary.is_expired_at(pbal_core::jiff::Timestamp::now()));
    } else {
        notice(
            "NOTICE: IBKR's shipped certificate is not beside the workspace; checked a generated one",
        );
        assert!(!presented.is_ibkr_shipped());
    }
}

/// A gateway that completes TLS but never answers the API: one bounded wait, no retries,
/// and a message that says where to log in.
#[tokio::test]
async fn an_unanswered_api_gives_the_login_instructions_once() {
    let gateway =
        FakeGateway::start(Setup::ten_etfs().session(pbal_fake_gateway::SessionState::Unanswered));
    let err = client(&gateway).ensure_session().await.unwrap_err();
    assert!(matches!(err, GatewayError::NoAnswer { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains(&gateway.url()) && text.contains("log in"),
        "{text}"
    );
    assert_eq!(gateway.requests().len(), 1, "not retried");
}

/// The account's own Precautionary Settings are never overruled by default: the order stays
/// unplaced with IBKR's text, unless the user names the id.
#[tokio::test]
async fn precautionary_questions_stop_unless_named() {
    let gateway = FakeGateway::start(Setup::ten_etfs().questions(&["o163", "o10153"]));
    let client = client(&gateway);
    let err = client
        .place(
            &ticket("pbal-test-p1"),
            &QuestionPolicy::default(),
            &mut |_| {},
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, GatewayError::Precautionary { id, text, .. }
            if id == "o163" && text.contains("Percentage constraint")),
        "{err}"
    );
    assert!(err.to_string().contains("allow question o163"), "{err}");
    assert!(gateway.orders().is_empty());
    let mut policy = QuestionPolicy::default();
    policy.allowed.insert("o163".to_owned());
    let placed = client
        .place(&ticket("pbal-test-p2"), &policy, &mut |_| {})
        .await
        .unwrap();
    assert!(matches!(placed, Placed::Accepted { .. }), "{placed:?}");
}

/// o354 (no market data) is never confirmed for a market order, even when allowed.
#[tokio::test]
async fn a_market_order_without_market_data_is_never_confirmed() {
    let gateway =
        FakeGateway::start(Setup::ten_etfs().contract(Contract::new(777, "DARK", "ARCA", "USD")));
    let client = client(&gateway);
    let mut policy = QuestionPolicy::default();
    policy.allowed.insert("o354".to_owned());
    let mut market = ticket("pbal-test-m1");
    market.conid = "777".to_owned();
    market.symbol = "DARK".to_owned();
    market.kind = OrderKind::Market;
    let err = client
        .place(&market, &policy, &mut |_| {})
        .await
        .unwrap_err();
    assert!(matches!(&err, GatewayError::NoMarketData { .. }), "{err}");
    assert!(gateway.orders().is_empty());
    // A limit order may go with o354 allowed: its price is the user's.
    let mut limit = market.clone();
    limit.c_oid = "pbal-test-m2".to_owned();
    limit.kind = OrderKind::Limit(dec!(10));
    let placed = client.place(&limit, &policy, &mut |_| {}).await.unwrap();
    assert!(matches!(placed, Placed::Accepted { .. }), "{placed:?}");
}

/// Says on stderr that part of a test was skipped (a skipped check must never pass silently).
#[allow(clippy::print_stderr)]
fn notice(text: &str) {
    eprintln!("{text}");
}

/// The rebalance's waiting steps as library calls: fills polled to the end with progress
/// events, the ledger read (cache cleared) until it shows the cash, and a currency pair found
/// for a conversion with the side that converts in the asked direction.
#[tokio::test]
async fn waits_for_fills_and_for_the_ledger_and_finds_currency_pairs() {
    use pbal_fake_gateway::FillMode;
    use pbal_ibkr::client_portal::{FillEvent, FillWait, OrderState};
    let gateway = FakeGateway::start(
        Setup::ten_etfs()
            .no_rate_limits()
            .fills(FillMode::AfterStatusPolls(2))
            .ledger_lag(2)
            .contract(Contract::cash_pair(12_087_792, "EUR", "USD"))
            .contract(Contract::cash_pair(15_016_059, "USD", "JPY")),
    );
    let client = client(&gateway);
    let placed = client
        .place(
            &ticket("pbal-wait-1"),
            &QuestionPolicy::default(),
            &mut |_| {},
        )
        .await
        .unwrap();
    let Placed::Accepted { order_id, status } = placed else {
        panic!("{placed:?}");
    };
    assert_eq!(status, OrderState::PreSubmitted);
    let mut wait = FillWait::new(Duration::from_secs(20));
    wait.poll = Duration::from_millis(20);
    let mut changes = Vec::new();
    let fills = client
        .wait_for_fills(
            ACCOUNT,
            std::slice::from_ref(&order_id),
            &wait,
            &mut |event| {
                if let FillEvent::Changed(fill) = event {
                    changes.push(fill.state.clone());
                }
            },
        )
        .await
        .unwrap();
    assert!(
        fills[0].is_filled() && fills[0].filled == dec!(2),
        "{fills:?}"
    );
    assert_eq!(changes.last(), Some(&OrderState::Filled));
    // 2 × 291 paid: the ledger shows it only after its lag.
    let mut reads = 0;
    let (ledger, arrived) = client
        .wait_for_ledger(ACCOUNT, 5, Duration::from_millis(10), &mut |ledger| {
            reads += 1;
            ledger
                .iter()
                .any(|e| e.currency == "USD" && e.cash == dec!(9418))
        })
        .await
        .unwrap();
    assert!(arrived && reads > 1, "{reads} reads: {ledger:?}");

    let eur = client.currency_pair("USD", "EUR").await.unwrap();
    assert_eq!(
        (eur.conid.as_str(), eur.symbol.as_str(), eur.side),
        ("12087792", "EUR.USD", pbal_core::Side::Buy)
    );
    let jpy = client.currency_pair("USD", "JPY").await.unwrap();
    assert_eq!(
        (jpy.symbol.as_str(), jpy.side),
        ("USD.JPY", pbal_core::Side::Sell)
    );
    let none = client.currency_pair("USD", "CHF").await.unwrap_err();
    assert!(
        matches!(none, GatewayError::NoCurrencyPair { .. }),
        "{none}"
    );
}

/// Placing a round in turn: each step told before it happens, an order an earlier run placed
/// not sent, an id IBKR already knows found among the live orders, and the caller able to stop
/// the round before anything is sent.
#[tokio::test]
async fn places_a_round_in_turn_and_never_twice() {
    use pbal_ibkr::client_portal::{PlaceInTurnError, PlacementEvent};
    let gateway = FakeGateway::start(Setup::ten_etfs().no_rate_limits().live_orders_warmup(false));
    let client = client(&gateway);
    let round = [
        (ticket("pbal-round-1"), None),
        (ticket("pbal-round-2"), Some("777".to_owned())),
        (ticket("pbal-round-1"), None),
    ];
    let mut steps = Vec::new();
    let placement = client
        .place_in_turn(ACCOUNT, &round, &QuestionPolicy::default(), &mut |event| {
            steps.push(match event {
                PlacementEvent::Sending { index, .. } => format!("sending {index}"),
                PlacementEvent::Question { index, .. } => format!("question {index}"),
                PlacementEvent::Placed { index, .. } => format!("placed {index}"),
                PlacementEvent::Found {
                    index, order_id, ..
                } => format!("found {index} {order_id}"),
                PlacementEvent::AlreadyThere { index, .. } => format!("already there {index}"),
                other => format!("{other:?}"),
            });
            Ok::<(), std::convert::Infallible>(())
        })
        .await
        .unwrap();
    assert!(placement.failure.is_none(), "{:?}", placement.failure);
    assert_eq!(placement.placed.len(), 3);
    assert_eq!(
        placement.placed[0].1, placement.placed[2].1,
        "the same order, found"
    );
    let steps: Vec<&str> = steps
        .iter()
        .map(String::as_str)
        .filter(|s| !s.starts_with("question"))
        .collect();
    assert_eq!(
        steps,
        [
            "sending 0",
            "placed 0",
            "found 1 777",
            "sending 2",
            "already there 2"
        ]
    );
    assert_eq!(gateway.orders().len(), 1, "placed once");

    // A caller that cannot record the step stops the round before the POST.
    let stopped = client
        .place_in_turn(
            ACCOUNT,
            &[(ticket("pbal-round-3"), None)],
            &QuestionPolicy::default(),
            &mut |event| match event {
                PlacementEvent::Sending { .. } => Err("journal full"),
                _ => Ok(()),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(stopped, PlaceInTurnError::Caller("journal full")));
    assert_eq!(gateway.orders().len(), 1);
}
