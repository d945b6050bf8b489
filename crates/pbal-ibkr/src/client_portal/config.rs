//! Where the gateway is and how its certificate is trusted.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Url, redirect};

use super::error::GatewayError;
use super::pacing::PacingConfig;

/// The default gateway address.
pub const DEFAULT_GATEWAY_URL: &str = "https://localhost:5000/v1/api";

/// How the gateway's certificate is checked.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum GatewayTls {
    /// Only this certificate (PEM) is accepted, whatever name it carries: the gateway ships a
    /// self-signed certificate, so pinning it is the safe default.
    Pinned {
        /// The certificate, PEM.
        pem: Vec<u8>,
    },
    /// Any certificate, only for a loopback host, with no proxy and no redirects.
    InsecureLocalhost,
    /// The system's trust store (a gateway behind a real certificate).
    System,
}

/// The gateway's base URL, checked: http(s) with a host, no credentials, no query; a URL
/// without a path gets `/v1/api`. Its own type, so the HTTP client's URL type is not part of
/// pbal-ibkr's API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayUrl(Url);

impl GatewayUrl {
    /// `url` checked, with `/v1/api` appended when it has no path.
    ///
    /// # Errors
    /// [`GatewayError::Config`] when the URL does not parse, is not http(s), has no host or
    /// carries credentials.
    pub fn parse(url: &str) -> Result<Self, GatewayError> {
        normalize_url(url).map(Self)
    }

    /// The URL's text (`https://localhost:5000/v1/api`).
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// `https` or `http`.
    #[must_use]
    pub fn scheme(&self) -> &str {
        self.0.scheme()
    }

    /// The host, as written (`localhost`, `127.0.0.1`, `[::1]`).
    #[must_use]
    pub fn host(&self) -> &str {
        self.0.host_str().unwrap_or_default()
    }

    /// The port, or the scheme's default one.
    #[must_use]
    pub fn port(&self) -> Option<u16> {
        self.0.port_or_known_default()
    }

    /// The host is this machine.
    #[must_use]
    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.0)
    }

    pub(crate) fn url(&self) -> &Url {
        &self.0
    }
}

impl std::fmt::Display for GatewayUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for GatewayUrl {
    type Err = GatewayError;

    fn from_str(url: &str) -> Result<Self, GatewayError> {
        Self::parse(url)
    }
}

/// Client settings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GatewayConfig {
    /// Base URL, ending in `/v1/api`.
    pub base_url: GatewayUrl,
    /// Certificate trust.
    pub tls: GatewayTls,
    /// Time limit of one request.
    pub request_timeout: Duration,
    /// Sent with every request (the gateway rejects requests without one).
    pub user_agent: String,
    /// Rate limits.
    pub pacing: PacingConfig,
    /// How long to wait for a market-data snapshot to fill in.
    pub snapshot_timeout: Duration,
    /// Pause between snapshot polls.
    pub snapshot_poll: Duration,
    /// Restart the brokerage session with `compete: true`, taking it over from another
    /// session of the same username: per IBKR's spec that can disconnect the user's TWS,
    /// IBKR Mobile or web login. Off unless the user asks for it.
    pub take_over_session: bool,
}

impl GatewayConfig {
    /// Settings for `url`; a URL without a path gets `/v1/api` appended.
    ///
    /// # Errors
    /// When the URL does not parse or is not http(s).
    pub fn new(url: &str, tls: GatewayTls) -> Result<Self, GatewayError> {
        Ok(Self {
            base_url: GatewayUrl::parse(url)?,
            tls,
            request_timeout: Duration::from_secs(15),
            user_agent: concat!("pbal/", env!("CARGO_PKG_VERSION")).to_owned(),
            pacing: PacingConfig::default(),
            snapshot_timeout: Duration::from_secs(15),
            snapshot_poll: Duration::from_millis(700),
            take_over_session: false,
        })
    }

    /// The host is this machine.
    #[must_use]
    pub fn is_loopback(&self) -> bool {
        self.base_url.is_loopback()
    }

    pub(crate) fn build_client(&self, tls_info: bool) -> Result<reqwest::Client, GatewayError> {
        let config_error = |message: String| GatewayError::Config { message };
        let scheme = self.base_url.scheme();
        if scheme == "http" && !self.is_loopback() {
            return Err(config_error(
                "plain http is only allowed for a gateway on this machine (localhost)".into(),
            ));
        }
        let mut builder = reqwest::Client::builder()
            .user_agent(self.user_agent.clone())
            .timeout(self.request_timeout)
            .connect_timeout(self.request_timeout)
            // The gateway never redirects API calls; a redirect means a wrong path (login page).
            .redirect(redirect::Policy::none())
            .tls_info(tls_info);
        if self.is_loopback() {
            builder = builder.no_proxy();
        }
        let provider = crate::crypto::provider();
        let verifier: Arc<dyn rustls::client::danger::ServerCertVerifier> = match &self.tls {
            GatewayTls::Pinned { pem } => {
                let der = super::tls::first_certificate_der(pem).ok_or_else(|| {
                    config_error("the gateway certificate file holds no PEM certificate".into())
                })?;
                // Only this exact certificate, whatever its dates and name (IBKR's shipped one
                // is expired and not named localhost); the handshake signature is still
                // checked with its key.
                Arc::new(super::tls::GatewayVerifier::pinned(der, provider.clone()))
            }
            GatewayTls::InsecureLocalhost => {
                if !self.is_loopback() {
                    return Err(GatewayError::InsecureNotLoopback {
                        host: self.base_url.host().to_owned(),
                    });
                }
                let port = self.base_url.port().unwrap_or(5000);
                builder = builder.resolve(
                    "localhost",
                    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
                );
                Arc::new(super::tls::GatewayVerifier::any(provider.clone()))
            }
            GatewayTls::System => Arc::new(
                rustls_platform_verifier::Verifier::new(provider.clone())
                    .map_err(|e| config_error(format!("TLS set-up: {e}")))?,
            ),
        };
        let tls = crate::crypto::client_config(verifier, provider)
            .map_err(|e| config_error(format!("TLS set-up: {e}")))?;
        builder = builder.tls_backend_preconfigured(tls);
        builder
            .build()
            .map_err(|e| config_error(format!("cannot build the HTTP client: {e}")))
    }

    /// Where a person logs in: the gateway's address without the API path.
    #[must_use]
    pub fn login_url(&self) -> String {
        let mut url = self.base_url.url().clone();
        url.set_path("/");
        url.as_str().trim_end_matches('/').to_owned()
    }

    /// The full URL of an API path (`iserver/accounts`).
    pub(crate) fn url(&self, path: &str) -> Result<Url, GatewayError> {
        let base = self.base_url.as_str().trim_end_matches('/');
        Url::parse(&format!("{base}/{}", path.trim_start_matches('/'))).map_err(|e| {
            GatewayError::Config {
                message: format!("bad path {path}: {e}"),
            }
        })
    }
}

fn normalize_url(raw: &str) -> Result<Url, GatewayError> {
    let mut url = Url::parse(raw.trim()).map_err(|e| GatewayError::Config {
        message: format!("{raw:?} is not a URL ({e}); e.g. https://localhost:5000"),
    })?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(GatewayError::Config {
            message: format!("{raw:?}: the gateway URL must be https://host:port"),
        });
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(GatewayError::Config {
            message: "the gateway URL must not carry credentials".into(),
        });
    }
    if url.path().trim_matches('/').is_empty() {
        url.set_path("/v1/api");
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    url.host_str().is_some_and(|host| {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost")
            || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_prefix_added_only_when_missing() {
        let plain = GatewayConfig::new("https://localhost:5000", GatewayTls::InsecureLocalhost);
        assert_eq!(
            plain.unwrap().base_url.as_str(),
            "https://localhost:5000/v1/api"
        );
        let full = GatewayConfig::new("https://localhost:5000/v1/api/", GatewayTls::System);
        assert_eq!(
            full.unwrap().url("iserver/accounts").unwrap().as_str(),
            "https://localhost:5000/v1/api/iserver/accounts"
        );
        assert!(GatewayConfig::new("ftp://x", GatewayTls::System).is_err());
        assert!(GatewayConfig::new("https://u:p@localhost:5000", GatewayTls::System).is_err());
    }

    #[test]
    fn insecure_only_on_loopback() {
        let remote = GatewayConfig::new("https://10.0.0.5:5000", GatewayTls::InsecureLocalhost);
        assert!(matches!(
            remote.unwrap().build_client(false),
            Err(GatewayError::InsecureNotLoopback { host }) if host == "10.0.0.5"
        ));
        for host in [
            "https://127.0.0.1:5000",
            "https://[::1]:5000",
            "https://localhost:5000",
        ] {
            let local = GatewayConfig::new(host, GatewayTls::InsecureLocalhost).unwrap();
            assert!(local.build_client(false).is_ok(), "{host}");
        }
        let http = GatewayConfig::new("http://10.0.0.5:5000", GatewayTls::System).unwrap();
        assert!(http.build_client(false).is_err());
    }
}
