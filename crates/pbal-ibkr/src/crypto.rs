//! The TLS set-up both network clients share: one crypto provider, named explicitly, and the
//! operating system's trust store for IBKR's public servers.
//!
//! reqwest is built without a provider of its own (`rustls-no-provider`), so every client is
//! handed a complete rustls configuration: nothing depends on a process-wide default that
//! another crate could install or leave ambiguous.

use std::sync::Arc;

use rustls::ClientConfig;
use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;

/// ring: a far lighter build than aws-lc-rs, and every signature scheme IBKR's servers and
/// gateway certificate use.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client configuration that checks the server's certificate with `verifier`.
pub(crate) fn client_config(
    verifier: Arc<dyn ServerCertVerifier>,
    provider: Arc<CryptoProvider>,
) -> Result<ClientConfig, rustls::Error> {
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// A client configuration trusting what the operating system trusts (as a browser would).
pub(crate) fn system_config() -> Result<ClientConfig, rustls::Error> {
    let provider = provider();
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone())?;
    client_config(Arc::new(verifier), provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_configuration_builds_with_the_named_provider() {
        let config = system_config().expect("system trust store");
        assert!(!config.crypto_provider().cipher_suites.is_empty());
        // The same suites as ring's own default: no aws-lc-rs provider hides behind it.
        assert_eq!(
            config.crypto_provider().cipher_suites.len(),
            rustls::crypto::ring::default_provider().cipher_suites.len()
        );
    }
}
