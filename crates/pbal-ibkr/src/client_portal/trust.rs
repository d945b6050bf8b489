//! `pbal gateway trust`: learn the local gateway's certificate from a TLS handshake alone
//! (loopback only; no API call, which would hang on a gateway nobody has logged in to), so
//! the user can compare its fingerprint and pin it from then on.

use std::sync::Arc;
use std::time::Duration;

use super::certificate::CertificateSummary;
use super::config::GatewayConfig;
use super::error::GatewayError;
use super::tls;

/// How long the handshake may take (the gateway is on this machine).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The certificate a gateway presented.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PresentedCertificate {
    /// DER bytes.
    pub der: Vec<u8>,
    /// SHA-256 of the DER, as colon-separated hex (what browsers show).
    pub sha256: String,
    /// PEM text, ready to save for `--gateway-cert`.
    pub pem: String,
    /// Subject, issuer and validity.
    pub summary: CertificateSummary,
}

impl PresentedCertificate {
    /// The certificate of `der`.
    #[must_use]
    pub fn from_der(der: Vec<u8>) -> Self {
        Self {
            sha256: fingerprint(&der),
            pem: pem::encode(&pem::Pem::new("CERTIFICATE", der.clone())),
            summary: CertificateSummary::from_der(&der),
            der,
        }
    }

    /// The certificate IBKR ships with every gateway (expired since 2019, by design).
    #[must_use]
    pub fn is_ibkr_shipped(&self) -> bool {
        self.sha256 == super::certificate::IBKR_SHIPPED_FINGERPRINT
    }
}

/// Opens a TLS connection to the gateway at `url` (loopback only), takes the certificate it
/// presents during the handshake and closes the connection: nothing is sent over it.
///
/// # Errors
/// A non-loopback or plain-http URL; nothing listening; no TLS handshake within 10 s.
pub async fn presented_certificate(url: &str) -> Result<PresentedCertificate, GatewayError> {
    let config = GatewayConfig::new(url, super::GatewayTls::System)?;
    if !config.is_loopback() {
        return Err(GatewayError::Config {
            message: format!(
                "only the certificate of a gateway on this machine (loopback) is read, not {}",
                config.base_url.host()
            ),
        });
    }
    if config.base_url.scheme() != "https" {
        return Err(GatewayError::Config {
            message: "the gateway URL is not https: there is no certificate to trust".into(),
        });
    }
    let provider = crate::crypto::provider();
    let verifier = Arc::new(tls::GatewayVerifier::capturing(provider.clone()));
    let client_config = crate::crypto::client_config(verifier.clone(), provider).map_err(|e| {
        GatewayError::Config {
            message: format!("TLS set-up: {e}"),
        }
    })?;
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(client_config)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(HANDSHAKE_TIMEOUT)
        .timeout(HANDSHAKE_TIMEOUT)
        .build()
        .map_err(|e| GatewayError::Config {
            message: format!("cannot build the HTTP client: {e}"),
        })?;
    // The verifier refuses every certificate after recording it, so this request never gets
    // past the handshake: its error is expected whenever a certificate was captured.
    let root = config
        .base_url
        .url()
        .join("/")
        .map_err(|e| GatewayError::Config {
            message: e.to_string(),
        })?;
    let outcome = client.get(root).send().await;
    match (verifier.captured(), outcome) {
        (Some(der), _) => Ok(PresentedCertificate::from_der(der)),
        (None, Ok(_)) => Err(GatewayError::Config {
            message: "the gateway presented no certificate".into(),
        }),
        (None, Err(e)) => Err(GatewayError::Unreachable {
            url: config.base_url.to_string(),
            detail: if e.is_timeout() {
                "no TLS handshake within 10 s".to_owned()
            } else {
                super::client::root_cause(&e)
            },
        }),
    }
}

/// SHA-256 of `der` as `AB:CD:…`.
#[must_use]
pub fn fingerprint(der: &[u8]) -> String {
    let digest = <sha2::Sha256 as sha2::Digest>::digest(der);
    digest
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn fingerprint_of_empty_input() {
        // SHA-256("") is a published constant.
        assert!(fingerprint(b"").starts_with("E3:B0:C4:42:98:FC:1C:14"));
    }

    #[tokio::test]
    async fn refuses_remote_hosts() {
        let err = super::presented_certificate("https://10.1.2.3:5000")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("loopback"), "{err}");
    }
}
