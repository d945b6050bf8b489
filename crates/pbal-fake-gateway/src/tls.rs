//! The gateway's self-signed certificate and rustls configuration.

use std::sync::Arc;

use axum_server::tls_rustls::RustlsConfig;
use rustls::ServerConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// A fresh certificate for `localhost` and `127.0.0.1`: its PEM and the server config.
///
/// The provider is chosen explicitly: when another crate in the build enables rustls' `ring`
/// next to reqwest's aws-lc-rs, `ServerConfig::builder()` cannot pick a default and panics
/// (reference crates.md).
pub(crate) fn server_config() -> (String, RustlsConfig) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("rcgen generates a self-signed certificate");
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("aws-lc-rs supports the default protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .expect("rustls accepts the rcgen certificate");
    // The real gateway speaks HTTP/1.1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    (
        certified.cert.pem(),
        RustlsConfig::from_config(Arc::new(config)),
    )
}
