//! `pbal gateway trust`: pin the local gateway's self-signed certificate.

use anyhow::{Context, Result};
use pbal_ibkr::client_portal::PresentedCertificate;

use super::connect::saved_certificate_path;
use super::{GatewayCommand, GatewayCommandArgs};
use crate::output::{emit, write_file};

pub(crate) fn run(args: &GatewayCommandArgs) -> Result<()> {
    let GatewayCommand::Trust(args) = &args.command;
    let certificate = super::block_on(async {
        Ok(pbal_ibkr::client_portal::presented_certificate(&args.gateway).await?)
    })?;
    let path = match &args.output {
        Some(path) => path.clone(),
        None => saved_certificate_path().context("no data directory: pass -o FILE")?,
    };
    emit(
        &describe(&args.gateway, &certificate, jiff::Timestamp::now()),
        None,
    )?;
    if !args.yes {
        super::confirm("Trust this certificate? Type yes: ", "yes", "saved")?;
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    write_file(&path, certificate.pem.as_bytes())?;
    emit(
        &format!(
            "Saved to {}. pbal trade, status and cancel now trust only this certificate (its \
             dates and name are not checked; the gateway must prove it holds its key).\n",
            path.display()
        ),
        None,
    )
}

/// What the user checks before trusting: subject, validity, fingerprint.
fn describe(gateway: &str, certificate: &PresentedCertificate, now: jiff::Timestamp) -> String {
    let summary = &certificate.summary;
    let unknown = || "(unreadable)".to_owned();
    let date = |t: Option<jiff::Timestamp>| t.map_or_else(unknown, |t| t.to_string());
    let mut out = format!(
        "The gateway at {gateway} presents this certificate:\n  \
         Subject:  {}\n  Issuer:   {}\n  Valid:    {} to {}\n  SHA-256:  {}\n",
        summary.subject.clone().unwrap_or_else(unknown),
        if summary.is_self_signed() {
            "the subject itself (self-signed)".to_owned()
        } else {
            summary.issuer.clone().unwrap_or_else(unknown)
        },
        date(summary.not_before),
        date(summary.not_after),
        certificate.sha256,
    );
    if certificate.is_ibkr_shipped() {
        out.push_str(
            "This is the certificate IBKR ships with every Client Portal gateway. It expired on \
             2019-05-11 and is not named localhost: that is expected, and pbal pins the \
             certificate itself, so neither matters.\n",
        );
    } else if summary.is_expired_at(now) {
        out.push_str(
            "This certificate has expired. pbal pins the certificate itself, so its dates do \
             not matter; check the fingerprint.\n",
        );
    }
    out.push_str(
        "Compare the fingerprint with the gateway's own keystore, e.g.\n  \
         keytool -list -v -keystore root/vertx.jks -storepass mywebapi | grep SHA256\n",
    );
    out
}
