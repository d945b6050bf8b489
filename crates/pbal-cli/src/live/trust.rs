//! `pbal gateway trust`: pin the local gateway's self-signed certificate.

use std::io::Write as _;

use anyhow::{Context, Result};

use super::connect::saved_certificate_path;
use super::{GatewayCommand, GatewayCommandArgs};
use crate::output::write_atomically;

pub(crate) fn run(args: &GatewayCommandArgs) -> Result<()> {
    let GatewayCommand::Trust(args) = &args.command;
    let certificate = super::block_on(async {
        Ok(pbal_ibkr::client_portal::presented_certificate(&args.gateway).await?)
    })?;
    let path = match &args.output {
        Some(path) => path.clone(),
        None => saved_certificate_path().context("no data directory: pass -o FILE")?,
    };
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "The gateway at {} presents a certificate with SHA-256 fingerprint\n  {}\n\
         Compare it with the gateway's own keystore, e.g.\n  \
         keytool -list -v -keystore root/vertx.jks -storepass mywebapi | grep SHA256",
        args.gateway, certificate.sha256
    )?;
    if !args.yes {
        super::confirm("Trust this certificate? Type yes: ", "yes", "saved")?;
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    write_atomically(&path, certificate.pem.as_bytes())?;
    writeln!(
        stdout,
        "Saved to {}. pbal trade, status and cancel now trust only this certificate.",
        path.display()
    )?;
    Ok(())
}
