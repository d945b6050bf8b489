//! Certificate checks for the gateway's TLS.
//!
//! IBKR ships every gateway with the same self-signed certificate, named "Client Portal Web
//! API" (not `localhost`) and expired since 2019. Making it a trust root still fails on its
//! dates and name, so pinning compares the presented end-entity certificate itself (DER) with
//! the pinned one, ignores validity and names, and still checks the handshake signature with
//! that certificate's key: only a server holding the pinned certificate's private key gets
//! through.

use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, OtherError, SignatureScheme};

use super::error::CertificateProblem;

/// Why the presented certificate was refused (shown in the transport error).
#[derive(Debug, thiserror::Error)]
#[error("the gateway presented a different certificate than the pinned one")]
pub(crate) struct NotPinned;

/// Why the capturing handshake stops (it only wants the certificate).
#[derive(Debug, thiserror::Error)]
#[error("certificate captured; handshake stopped on purpose")]
pub(crate) struct Captured;

/// What the verifier does with the presented end-entity certificate.
#[derive(Debug)]
enum Check {
    /// Accept exactly this certificate (DER), whatever its dates and names.
    Pinned(Vec<u8>),
    /// Accept any certificate (`GatewayTls::InsecureLocalhost`, loopback only): what `curl -k`
    /// does, with the handshake still signed by the presented key.
    Any,
    /// Record it and refuse it, so `pbal gateway trust` learns the certificate from the
    /// handshake alone and never sends a request over an unverified connection.
    Capture(Mutex<Option<Vec<u8>>>),
}

/// The gateway's certificate verifier: pinning or capturing decides on the certificate; the
/// handshake signatures are checked with its key either way.
#[derive(Debug)]
pub(crate) struct GatewayVerifier {
    check: Check,
    provider: Arc<CryptoProvider>,
}

impl GatewayVerifier {
    /// Accepts exactly `pinned_der`.
    pub(crate) fn pinned(pinned_der: Vec<u8>, provider: Arc<CryptoProvider>) -> Self {
        Self {
            check: Check::Pinned(pinned_der),
            provider,
        }
    }

    /// Accepts whatever certificate the server presents.
    pub(crate) fn any(provider: Arc<CryptoProvider>) -> Self {
        Self {
            check: Check::Any,
            provider,
        }
    }

    /// Records the presented certificate and refuses it.
    pub(crate) fn capturing(provider: Arc<CryptoProvider>) -> Self {
        Self {
            check: Check::Capture(Mutex::new(None)),
            provider,
        }
    }

    /// The certificate of the last handshake, if one got that far (capturing only).
    pub(crate) fn captured(&self) -> Option<Vec<u8>> {
        match &self.check {
            Check::Capture(captured) => captured
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
            Check::Pinned(_) | Check::Any => None,
        }
    }
}

impl ServerCertVerifier for GatewayVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let refuse = |why: Arc<dyn std::error::Error + Send + Sync>| {
            Err(Error::InvalidCertificate(CertificateError::Other(
                OtherError(why),
            )))
        };
        match &self.check {
            // Dates and names are ignored on purpose (see the module docs); identity is the
            // exact certificate, and the signature checks below prove the key.
            Check::Pinned(pinned) if end_entity.as_ref() == pinned.as_slice() => {
                Ok(ServerCertVerified::assertion())
            }
            Check::Pinned(_) => refuse(Arc::new(NotPinned)),
            Check::Any => Ok(ServerCertVerified::assertion()),
            Check::Capture(captured) => {
                *captured.lock().unwrap_or_else(PoisonError::into_inner) =
                    Some(end_entity.as_ref().to_vec());
                refuse(Arc::new(Captured))
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The DER of the first `CERTIFICATE` block of a PEM text.
pub(crate) fn first_certificate_der(pem_text: &[u8]) -> Option<Vec<u8>> {
    pem::parse_many(pem_text)
        .ok()?
        .into_iter()
        .find(|block| block.tag() == "CERTIFICATE")
        .map(pem::Pem::into_contents)
}

/// What went wrong with the certificate, and in words, when `error` is a TLS certificate
/// failure.
pub(crate) fn certificate_problem(
    error: &(dyn std::error::Error + 'static),
) -> Option<(CertificateProblem, String)> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<Error>() {
            return Some(describe(found));
        }
        // hyper-rustls wraps the rustls error in (nested) io::Errors, whose `source()` skips
        // the wrapped error itself.
        next = match e
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

fn describe(error: &Error) -> (CertificateProblem, String) {
    match error {
        Error::InvalidCertificate(CertificateError::Other(other))
            if other.0.downcast_ref::<NotPinned>().is_some() =>
        {
            (CertificateProblem::NotThePinnedOne, NotPinned.to_string())
        }
        Error::InvalidCertificate(CertificateError::BadSignature) => (
            CertificateProblem::BadSignature,
            "the handshake was not signed with the pinned certificate's key (a server \
             presenting a copy of the certificate without its key)"
                .to_owned(),
        ),
        Error::InvalidCertificate(problem) => (
            CertificateProblem::NotTrusted,
            format!("{problem:?}. IBKR's gateway presents its own self-signed certificate: pin it"),
        ),
        other => (CertificateProblem::Tls, format!("TLS: {other}")),
    }
}
