//! The gateway's certificate and rustls configuration.
//!
//! By default the fake presents what every real user's gateway presents: the certificate IBKR
//! ships in `root/vertx.jks` (self-signed, "Client Portal Web API", no `localhost` name,
//! expired since 2019-05-11), read at run time from IBKR's files next to the workspace
//! ([`shipped_certificate_dir`]). Those files are IBKR's and are never copied into this
//! repository, so on a machine without them the fake falls back to a fresh certificate for
//! `localhost` and `127.0.0.1` ([`crate::FakeGateway::serves_shipped_certificate`] says
//! which one it serves).

use std::path::PathBuf;
use std::sync::Arc;

use axum_server::tls_rustls::RustlsConfig;
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Which certificate the fake serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FakeCertificate {
    /// IBKR's shipped certificate when its files are found, else a generated one.
    #[default]
    Shipped,
    /// A fresh self-signed certificate for `localhost` and `127.0.0.1`.
    Generated,
}

/// Environment variable naming the directory of IBKR's gateway files.
pub const GATEWAY_DIR_ENV: &str = "PBAL_IBKR_GATEWAY_DIR";

/// The directory holding IBKR's `shipped-cert.pem` and `shipped-key.pem`: `$PBAL_IBKR_GATEWAY_DIR`,
/// else `shared/ibkr-gateway` beside the workspace. `None` when the files are not there (a
/// clean clone on CI).
pub fn shipped_certificate_dir() -> Option<PathBuf> {
    let dir = std::env::var_os(GATEWAY_DIR_ENV).map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/ibkr-gateway"
            ))
        },
        PathBuf::from,
    );
    (dir.join("shipped-cert.pem").is_file() && dir.join("shipped-key.pem").is_file()).then_some(dir)
}

/// The certificate PEM, the server config, and whether it is IBKR's shipped certificate.
///
/// The provider is chosen explicitly (ring, as pbal-ibkr's client): a process-wide default is
/// never relied on, so no other crate's rustls features can make `ServerConfig::builder()`
/// ambiguous.
pub(crate) fn server_config(choice: FakeCertificate) -> (String, RustlsConfig, bool) {
    let shipped = match choice {
        FakeCertificate::Shipped => shipped_certificate_dir().and_then(|dir| load(&dir)),
        FakeCertificate::Generated => None,
    };
    let is_shipped = shipped.is_some();
    let (pem, cert, key) = shipped.unwrap_or_else(generated);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("rustls accepts the certificate and key");
    // The real gateway speaks HTTP/1.1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    (pem, RustlsConfig::from_config(Arc::new(config)), is_shipped)
}

type Loaded = (String, CertificateDer<'static>, PrivateKeyDer<'static>);

/// IBKR's certificate and PKCS#8 key; `None` when unreadable.
fn load(dir: &std::path::Path) -> Option<Loaded> {
    let cert_text = std::fs::read_to_string(dir.join("shipped-cert.pem")).ok()?;
    let key_text = std::fs::read_to_string(dir.join("shipped-key.pem")).ok()?;
    let cert = pem::parse(&cert_text).ok()?;
    let key = pem::parse(&key_text).ok()?;
    if cert.tag() != "CERTIFICATE" || key.tag() != "PRIVATE KEY" {
        return None;
    }
    Some((
        cert_text,
        CertificateDer::from(cert.into_contents()),
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.into_contents())),
    ))
}

fn generated() -> Loaded {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("rcgen generates a self-signed certificate");
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    (certified.cert.pem(), certified.cert.der().clone(), key)
}
