//! Reference §0–§1: session states, prerequisites, prefix, 411.

use pbal_fake_gateway::{FakeCertificate, FakeGateway, Fault, SessionState, Setup};
use reqwest::Method;
use serde_json::json;

use crate::support::{ACCT, Api};

#[test]
fn starts_and_stops_without_a_runtime() {
    let gw = FakeGateway::start(Setup::ten_etfs().certificate(FakeCertificate::Generated));
    assert!(gw.url().starts_with("https://127.0.0.1:"));
    assert!(gw.cert_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(gw.requests().is_empty());
    // A CLI under test would call from another process; here a throwaway runtime stands in.
    let client = crate::support::client_for(&gw, std::time::Duration::from_secs(5));
    let url = format!("{}/v1/api/iserver/auth/status", gw.url());
    let status = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            client
                .post(url)
                .json(&json!({}))
                .send()
                .await
                .unwrap()
                .status()
        });
    assert_eq!(status.as_u16(), 200);
    assert_eq!(gw.requests().len(), 1);
    drop(gw);
}

/// By default the fake presents IBKR's shipped certificate, as every real gateway does: a
/// client that makes it a trust root fails on its dates; only comparing the certificate
/// itself works (pbal-ibkr's pinning).
#[tokio::test]
async fn serves_ibkrs_shipped_certificate_by_default() {
    let Some(dir) = pbal_fake_gateway::shipped_certificate_dir() else {
        notice(&format!(
            "SKIPPED: IBKR's gateway files are not beside the workspace (set {}); the fake \
             serves a generated certificate here",
            pbal_fake_gateway::GATEWAY_DIR_ENV
        ));
        return;
    };
    let gw = FakeGateway::start(Setup::ten_etfs());
    assert!(gw.serves_shipped_certificate());
    let shipped = std::fs::read_to_string(dir.join("shipped-cert.pem")).unwrap();
    assert_eq!(gw.cert_pem(), shipped);
    let url = format!("{}/v1/api/iserver/auth/status", gw.url());

    let as_root = crate::support::client_for(&gw, std::time::Duration::from_secs(5));
    let err = as_root
        .post(&url)
        .json(&json!({}))
        .send()
        .await
        .unwrap_err();
    let mut chain = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(&err);
    while let Some(e) = source {
        chain.push_str(&e.to_string());
        source = e.source();
    }
    assert!(chain.to_lowercase().contains("expired"), "{chain}");

    crate::support::install_crypto_provider();
    let unchecked = reqwest::Client::builder()
        .tls_danger_accept_invalid_certs(true)
        .tls_info(true)
        .no_proxy()
        .build()
        .unwrap();
    let response = unchecked.post(&url).json(&json!({})).send().await.unwrap();
    let der = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .unwrap()
        .to_vec();
    assert_eq!(der, pem::parse(&shipped).unwrap().into_contents());
}

#[tokio::test]
async fn authenticated_status_tickle_and_validate() {
    let api = Api::plain();
    let status = api.post("/iserver/auth/status", json!({})).await.json();
    assert_eq!(status["authenticated"], true);
    assert_eq!(status["connected"], true);
    assert_eq!(status["competing"], false);
    let tickle = api.post("/tickle", json!({})).await.json();
    assert_eq!(tickle["hmds"]["error"], "no bridge");
    assert_eq!(tickle["iserver"]["authStatus"]["authenticated"], true);
    assert!(tickle["ssoExpires"].is_u64());
    let validate = api.get("/sso/validate").await.json();
    assert_eq!(validate["RESULT"], true);
    assert_eq!(validate["LOGIN_TYPE"], 2, "DU accounts are paper");
}

#[tokio::test]
async fn logged_out_answers_401_everywhere() {
    let api = Api::new(
        Setup::ten_etfs()
            .no_rate_limits()
            .session(SessionState::LoggedOut),
    );
    for path in ["/iserver/accounts", "/portfolio/accounts", "/sso/validate"] {
        let resp = api.get(path).await;
        assert_eq!(resp.status, 401, "{path}");
        assert_eq!(resp.json()["error"], "not authenticated");
    }
    let init = api
        .post(
            "/iserver/auth/ssodh/init",
            json!({"publish": true, "compete": true}),
        )
        .await;
    assert_eq!(init.status, 401);
}

#[tokio::test]
async fn no_bridge_until_ssodh_init_with_publish() {
    let api = Api::new(
        Setup::ten_etfs()
            .no_rate_limits()
            .session(SessionState::NoBridge),
    );
    assert_eq!(api.get("/portfolio/accounts").await.status, 200);
    let resp = api.get("/iserver/accounts").await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.json()["error"], "Bad Request: no bridge");
    let status = api.post("/iserver/auth/status", json!({})).await;
    assert_eq!(status.status, 400);
    let unpublished = api
        .post("/iserver/auth/ssodh/init", json!({"compete": true}))
        .await;
    assert_eq!(unpublished.status, 500);
    let init = api
        .post(
            "/iserver/auth/ssodh/init",
            json!({"publish": true, "compete": true}),
        )
        .await;
    assert_eq!(init.status, 200);
    assert_eq!(init.json()["authenticated"], true);
    assert_eq!(api.get("/iserver/accounts").await.status, 200);
    assert_eq!(api.gw.session(), SessionState::Authenticated);
}

#[tokio::test]
async fn timed_out_is_connected_but_not_authenticated() {
    let api = Api::plain();
    api.gw.set_session(SessionState::TimedOut);
    let status = api.post("/iserver/auth/status", json!({})).await.json();
    assert_eq!(
        (status["connected"].clone(), status["authenticated"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(api.get("/iserver/accounts").await.status, 401);
    assert_eq!(api.get("/portfolio/accounts").await.status, 200);
    api.post(
        "/iserver/auth/ssodh/init",
        json!({"publish": true, "compete": true}),
    )
    .await;
    assert_eq!(api.get("/iserver/accounts").await.status, 200);
}

#[tokio::test]
async fn competing_session_hides_accounts_until_compete() {
    let api = Api::new(
        Setup::ten_etfs()
            .no_rate_limits()
            .session(SessionState::Competing),
    );
    assert_eq!(
        api.post("/iserver/auth/status", json!({})).await.json()["competing"],
        true
    );
    assert_eq!(api.get("/iserver/accounts").await.json(), json!({}));
    let missing = api
        .post("/iserver/auth/ssodh/init", json!({"publish": true}))
        .await;
    assert_eq!(missing.status, 400, "the compete flag always goes along");
    api.post(
        "/iserver/auth/ssodh/init",
        json!({"publish": true, "compete": false}),
    )
    .await;
    assert_eq!(
        api.gw.session(),
        SessionState::Competing,
        "compete false takes nothing over"
    );
    api.post(
        "/iserver/auth/ssodh/init",
        json!({"publish": true, "compete": true}),
    )
    .await;
    assert_eq!(
        api.get("/iserver/accounts").await.json()["accounts"],
        json!([ACCT])
    );
}

#[tokio::test]
async fn prerequisites_per_session() {
    let api = Api::plain();
    let snapshot = api
        .get("/iserver/marketdata/snapshot?conids=1&fields=31")
        .await;
    assert_eq!(snapshot.status, 500);
    assert_eq!(
        snapshot.json(),
        json!({"error": "Please query /accounts first"})
    );
    let orders = api.get("/iserver/account/orders").await;
    assert_eq!(orders.status, 500);
    assert_eq!(
        api.get(&format!("/portfolio/{ACCT}/positions/0"))
            .await
            .status,
        500
    );
    api.prime().await;
    assert_eq!(api.get("/iserver/account/orders").await.status, 200);
    assert_eq!(
        api.get(&format!("/portfolio/{ACCT}/positions/0"))
            .await
            .status,
        200
    );
    // A re-authentication needs both again.
    api.post(
        "/iserver/auth/ssodh/init",
        json!({"publish": true, "compete": true}),
    )
    .await;
    assert_eq!(api.get("/iserver/account/orders").await.status, 500);
    assert_eq!(
        api.get(&format!("/portfolio/{ACCT}/ledger")).await.status,
        500
    );
}

#[tokio::test]
async fn logout_and_no_session_tickle() {
    let api = Api::plain();
    api.gw.inject(Fault::NoSession);
    let tickle = api.post("/tickle", json!({})).await;
    assert_eq!(
        (tickle.status, tickle.json()),
        (200, json!({"error": "no session"}))
    );
    assert!(api.post("/tickle", json!({})).await.json()["session"].is_string());
    assert_eq!(
        api.post("/logout", json!({})).await.json(),
        json!({"status": true})
    );
    assert_eq!(api.post("/tickle", json!({})).await.status, 401);
}

#[tokio::test]
async fn paths_outside_the_api_redirect_to_login_html() {
    let api = Api::plain();
    for path in ["/iserver/auth/status", "/", "/v1/iserver/accounts"] {
        let resp = api.send(Method::POST, path, Some(&json!({}))).await;
        assert_eq!(resp.status, 302, "{path}");
        assert!(resp.location.starts_with("/sso/Login"), "{path}");
        assert!(resp.content_type.starts_with("text/html"), "{path}");
    }
    let portal = api
        .send(
            Method::POST,
            "/v1/portal/iserver/auth/status",
            Some(&json!({})),
        )
        .await;
    assert_eq!(portal.json()["authenticated"], true);
}

#[tokio::test]
async fn post_without_body_is_411_and_logged() {
    let api = Api::plain();
    let resp = api.send(Method::POST, "/v1/api/tickle", None).await;
    assert_eq!((resp.status, resp.text.as_str()), (411, ""));
    let log = api.gw.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].method.as_str(), log[0].path.as_str(), log[0].status),
        ("POST", "/v1/api/tickle", 411)
    );
    assert_eq!(log[0].body, None);
}

#[tokio::test]
async fn ssodh_init_flags_as_query_parameters_leave_no_bridge() {
    let api = Api::new(
        Setup::ten_etfs()
            .no_rate_limits()
            .session(SessionState::NoBridge),
    );
    let resp = api
        .post(
            "/iserver/auth/ssodh/init?publish=true&compete=true",
            json!({}),
        )
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["authenticated"], false);
    assert_eq!(api.get("/iserver/accounts").await.status, 400);
}

/// The real gateway before login, offline: the handshake and the login redirect work, API
/// calls never answer.
#[tokio::test]
async fn unanswered_holds_api_calls_open_but_redirects_the_root() {
    let api = Api::new(Setup::ten_etfs().session(SessionState::Unanswered));
    let impatient = crate::support::client_for(&api.gw, std::time::Duration::from_millis(300));
    let err = impatient
        .post(format!("{}/v1/api/iserver/auth/status", api.gw.url()))
        .json(&json!({}))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    let root = api.send(Method::GET, "/", None).await;
    assert_eq!(root.status, 302);
    assert_eq!(api.gw.requests()[0].status, 0, "logged as never answered");
}

/// Says on stderr that part of a test was skipped (a skipped check must never pass silently).
#[allow(clippy::print_stderr)]
fn notice(text: &str) {
    eprintln!("{text}");
}
