//! `pbal gateway trust`: fetch the gateway's certificate once (loopback only), show its
//! SHA-256 fingerprint for the user to compare, and return it as PEM to pin from then on.

use reqwest::Method;

use super::config::{GatewayConfig, GatewayTls};
use super::error::GatewayError;

/// The certificate a gateway presented.
#[derive(Debug, Clone)]
pub struct PresentedCertificate {
    /// DER bytes.
    pub der: Vec<u8>,
    /// SHA-256 of the DER, as colon-separated hex (what browsers show).
    pub sha256: String,
    /// PEM text, ready to save for `--gateway-cert`.
    pub pem: String,
}

/// Connects to the gateway at `url` without verifying its certificate (loopback only) and
/// returns the certificate it presents.
///
/// # Errors
/// A non-loopback URL, an unreachable gateway, or no certificate (plain http).
pub async fn presented_certificate(url: &str) -> Result<PresentedCertificate, GatewayError> {
    let config = GatewayConfig::new(url, GatewayTls::InsecureLocalhost)?;
    if config.base_url.scheme() != "https" {
        return Err(GatewayError::Config {
            message: "the gateway URL is not https: there is no certificate to trust".into(),
        });
    }
    let client = config.build_client(true)?;
    let target = config.url("tickle")?;
    let response = client
        .request(Method::POST, target)
        .json(&serde_json::json!({}))
        .send()
        .await
        .map_err(|e| GatewayError::Unreachable {
            url: config.base_url.to_string(),
            detail: e.to_string(),
        })?;
    let der = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .map(<[u8]>::to_vec)
        .ok_or_else(|| GatewayError::Config {
            message: "the gateway presented no certificate".into(),
        })?;
    Ok(PresentedCertificate {
        sha256: fingerprint(&der),
        pem: pem::encode(&pem::Pem::new("CERTIFICATE", der.clone())),
        der,
    })
}

/// SHA-256 of `der` as `AB:CD:…`.
#[must_use]
pub fn fingerprint(der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    digest
        .as_ref()
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
