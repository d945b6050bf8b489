//! Connecting: the client, a usable session, and the account.

use anyhow::{Context, Result, bail};
use pbal_ibkr::client_portal::{Gateway, GatewayConfig, GatewayError, GatewayTls};

use super::GatewayArgs;
use crate::output::warn;

/// A connected gateway and the account to work on.
pub(crate) struct Connection {
    pub(crate) gateway: Gateway,
    pub(crate) account: String,
    /// The account's base currency.
    pub(crate) base_currency: Option<String>,
    /// Every account's base currency as `/portfolio/accounts` gives it (`None`: not given).
    pub(crate) base_currencies: Vec<(String, Option<String>)>,
    /// Orders of this account must carry `manualOrderTime`.
    pub(crate) needs_manual_order_time: bool,
    pub(crate) is_paper: bool,
    /// Every account of the login, as IBKR lists them.
    pub(crate) accounts: Vec<String>,
    /// The login's accounts whose orders must carry `manualOrderTime`.
    pub(crate) manual_order_time: Vec<String>,
}

/// Builds the client, checks the session (restoring an unbridged one) and picks the account.
pub(crate) async fn connect(args: &GatewayArgs) -> Result<Connection> {
    connect_to(args, false).await
}

/// [`connect`]; with `all` a login of several accounts needs no `--account` (the household
/// is traded account by account, each selected before its orders are read).
pub(crate) async fn connect_to(args: &GatewayArgs, all: bool) -> Result<Connection> {
    let tls = if let Some(path) = &args.gateway_cert {
        let pem = std::fs::read(path)
            .with_context(|| format!("cannot read the gateway certificate {}", path.display()))?;
        GatewayTls::Pinned { pem }
    } else if args.insecure_localhost {
        GatewayTls::InsecureLocalhost
    } else if let Some(saved) = saved_certificate() {
        let pem = std::fs::read(&saved).with_context(|| {
            format!(
                "cannot read the saved gateway certificate {}",
                saved.display()
            )
        })?;
        GatewayTls::Pinned { pem }
    } else {
        GatewayTls::System
    };
    let mut config = GatewayConfig::new(&args.gateway, tls)?;
    config.request_timeout = std::time::Duration::from_secs(args.request_timeout);
    // The gateway's limits count every request from this machine, whichever pbal run or data
    // directory sent it: the pacing state is kept per gateway address in the temp directory.
    let address = format!(
        "{}-{}",
        config.base_url.host(),
        config.base_url.port().unwrap_or(0)
    )
    .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_");
    config.pacing.state_file =
        Some(std::env::temp_dir().join(format!("pbal-pacing-{address}.json")));
    config.take_over_session = args.take_over_session;
    if args.take_over_session {
        warn(
            "--take-over-session: if another session (TWS, IBKR Mobile, the web portal) uses \
             this username, pbal takes the brokerage session from it, which disconnects it",
        );
    }
    let gateway = Gateway::new(config)?;
    match gateway.ensure_session().await {
        Err(e @ GatewayError::Competing) if !args.take_over_session => {
            return Err(anyhow::Error::new(e).context(
                "another session holds this username's brokerage session; log out there, or \
                 run again with --take-over-session to take it (that disconnects the other \
                 session)",
            ));
        }
        other => other?,
    };
    let accounts = gateway.brokerage_accounts().await?;
    let account = match &args.account {
        Some(id) => {
            if !accounts.accounts.iter().any(|a| a == id) {
                bail!(
                    "account {id} is not in this login's accounts: {}",
                    accounts.accounts.join(", ")
                );
            }
            id.clone()
        }
        None if accounts.accounts.len() == 1 || (all && !accounts.accounts.is_empty()) => {
            accounts.accounts[0].clone()
        }
        None => bail!(
            "this login has several accounts; choose one with --account ID: {}",
            accounts.accounts.join(", ")
        ),
    };
    // Live orders are the selected account's: select ours before anything reads them.
    if accounts.accounts.len() > 1 || accounts.selected.as_deref() != Some(account.as_str()) {
        gateway.select_account(&account).await?;
    }
    let portfolio_accounts = gateway.portfolio_accounts().await?;
    let base_currency = portfolio_accounts
        .iter()
        .find(|a| a.id == account)
        .and_then(|a| a.currency.clone());
    if base_currency.is_none() {
        warn("the gateway did not give the account's base currency");
    }
    let base_currencies = accounts
        .accounts
        .iter()
        .map(|id| {
            let currency = portfolio_accounts
                .iter()
                .find(|a| &a.id == id)
                .and_then(|a| a.currency.clone());
            (id.clone(), currency)
        })
        .collect();
    Ok(Connection {
        needs_manual_order_time: accounts.needs_manual_order_time.contains(&account),
        is_paper: accounts.is_paper || account.starts_with("DU"),
        manual_order_time: accounts.needs_manual_order_time.clone(),
        accounts: accounts.accounts,
        gateway,
        account,
        base_currency,
        base_currencies,
    })
}

/// Where `pbal gateway trust` saves the certificate.
pub(crate) fn saved_certificate_path() -> Option<std::path::PathBuf> {
    crate::journal::data_dir().map(|d| d.join("gateway.pem"))
}

fn saved_certificate() -> Option<std::path::PathBuf> {
    saved_certificate_path().filter(|p| p.exists())
}
