//! A reqwest client that trusts exactly the fake's certificate, and response helpers.

use std::time::Duration;

use pbal_fake_gateway::{FakeCertificate, FakeGateway, Setup};
use reqwest::{Certificate, Client, Method, redirect};
use serde_json::Value;

pub(crate) const ACCT: &str = "DU1234567";
pub(crate) const VTI: i64 = pbal_fake_gateway::TEN_ETF_CONIDS[0];

/// One answer: status, content type and text.
#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) content_type: String,
    pub(crate) location: String,
    pub(crate) text: String,
}

impl Resp {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }
}

/// The fake plus a client for it.
pub(crate) struct Api {
    pub(crate) gw: FakeGateway,
    client: Client,
}

/// These tests' own reqwest clients use rustls' process default (reqwest brings no provider
/// of its own: the workspace builds it with `rustls-no-provider`).
pub(crate) fn install_crypto_provider() {
    // Already installed by an earlier test of this process: the same provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub(crate) fn client_for(gw: &FakeGateway, timeout: Duration) -> Client {
    install_crypto_provider();
    let cert = Certificate::from_pem(gw.cert_pem().as_bytes()).unwrap();
    Client::builder()
        .tls_certs_only([cert])
        .redirect(redirect::Policy::none())
        .no_proxy()
        .user_agent("pbal-fake-gateway-tests")
        .timeout(timeout)
        .build()
        .unwrap()
}

impl Api {
    pub(crate) fn new(setup: Setup) -> Api {
        // These tests are about the API, and reqwest's standard checks refuse IBKR's expired
        // certificate: a generated one (TLS is tested with the shipped one in session.rs).
        let gw = FakeGateway::start(setup.certificate(FakeCertificate::Generated));
        let client = client_for(&gw, Duration::from_secs(10));
        Api { gw, client }
    }

    /// Ten ETFs, no rate limits, no questions, no warm-up: the plain path.
    pub(crate) fn plain() -> Api {
        Api::new(
            Setup::ten_etfs()
                .no_rate_limits()
                .questions(&[])
                .live_orders_warmup(false),
        )
    }

    pub(crate) async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Resp {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.gw.url()));
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let (content_type, location) = (header("content-type"), header("location"));
        Resp {
            status: response.status().as_u16(),
            content_type,
            location,
            text: response.text().await.unwrap(),
        }
    }

    /// GET under `/v1/api`.
    pub(crate) async fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, &format!("/v1/api{path}"), None)
            .await
    }

    /// POST a JSON body under `/v1/api`.
    pub(crate) async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(Method::POST, &format!("/v1/api{path}"), Some(&body))
            .await
    }

    /// DELETE under `/v1/api`.
    pub(crate) async fn delete(&self, path: &str) -> Resp {
        self.send(Method::DELETE, &format!("/v1/api{path}"), None)
            .await
    }

    /// Primes both prerequisites.
    pub(crate) async fn prime(&self) {
        assert_eq!(self.get("/iserver/accounts").await.status, 200);
        assert_eq!(self.get("/portfolio/accounts").await.status, 200);
    }
}
