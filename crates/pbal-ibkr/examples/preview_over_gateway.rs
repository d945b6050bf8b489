//! A dry run over the Client Portal gateway: read one account's positions and cash, plan equal
//! weights, and ask IBKR to preview each order (`whatif`). Nothing is placed.
//!
//! ```text
//! cargo run -p pbal-ibkr --example preview_over_gateway -- ACCOUNT [GATEWAY_CERT.pem]
//! ```
//!
//! Start IBKR's gateway and log in first. Without a certificate file the gateway's self-signed
//! certificate is accepted on this machine only (`GatewayTls::InsecureLocalhost`);
//! `PBAL_GATEWAY_URL` overrides `https://localhost:5000/v1/api`.

// An example's output is its point.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeSet;

use pbal_core::{PlanOptions, Targets};
use pbal_ibkr::AccountSelection;
use pbal_ibkr::client_portal::{
    DEFAULT_GATEWAY_URL, Gateway, GatewayConfig, GatewayTls, OrderKind, OrderTicket,
};

type Error = Box<dyn std::error::Error>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(account) = args.next() else {
        eprintln!("usage: preview_over_gateway ACCOUNT [GATEWAY_CERT.pem]");
        return std::process::ExitCode::from(2);
    };
    let url = std::env::var("PBAL_GATEWAY_URL").unwrap_or_else(|_| DEFAULT_GATEWAY_URL.into());
    let result = async {
        let tls = match args.next() {
            Some(pem) => GatewayTls::Pinned {
                pem: std::fs::read(pem)?,
            },
            None => GatewayTls::InsecureLocalhost,
        };
        let gateway = Gateway::new(GatewayConfig::new(&url, tls)?)?;
        preview(&gateway, &account).await
    }
    .await;
    match result {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The plan for `account` at equal weights, one line per order with IBKR's preview of it.
/// (`pub(crate)`: the integration tests run it against the fake gateway.)
pub(crate) async fn preview(gateway: &Gateway, account: &str) -> Result<Vec<String>, Error> {
    gateway.ensure_session().await?;
    let base = gateway
        .portfolio_accounts()
        .await?
        .into_iter()
        .find(|a| a.id == account)
        .and_then(|a| a.currency);
    let positions = gateway.positions(account).await?;
    let ledger = gateway.ledger(account).await?;
    // The same Statement an export gives, so planning is the same code.
    let statement =
        pbal_ibkr::client_portal::statement(account, base.as_deref(), &positions, &ledger);
    let holdings = statement.to_holdings(&AccountSelection::Single, &BTreeSet::new())?;
    let cash = statement.cash_in_base(&AccountSelection::Single)?;
    let symbols = holdings
        .portfolio
        .holdings()
        .iter()
        .map(|h| h.symbol.clone());
    let plan = pbal_core::plan(
        &holdings.portfolio,
        &Targets::equal(symbols)?,
        cash,
        &PlanOptions::new(),
    )?;

    let mut lines = vec![format!(
        "{} orders for {} of cash",
        plan.trades.len(),
        cash.normalize()
    )];
    for (n, trade) in plan.trades.iter().enumerate() {
        let Some(conid) = holdings
            .instruments
            .get(&trade.symbol)
            .and_then(|i| i.conid.clone())
        else {
            lines.push(format!("{trade}: no contract id, not previewed"));
            continue;
        };
        let ticket = OrderTicket::new(
            account,
            conid,
            trade.symbol.clone(),
            trade.side,
            trade.quantity,
            OrderKind::Market,
            format!("preview-{n}"),
        );
        // A what-if preview: IBKR checks the order and estimates its cost; nothing is placed.
        let whatif = gateway.whatif(&ticket).await?;
        let verdict = match (&whatif.error, &whatif.warning) {
            (Some(error), _) => format!("would be rejected: {error}"),
            (None, Some(warning)) => format!("ok, warning: {warning}"),
            (None, None) => "ok".to_owned(),
        };
        let commission = whatif
            .commission
            .map_or_else(|| "?".to_owned(), |c| c.to_string());
        lines.push(format!("{trade}: commission {commission}, {verdict}"));
    }
    Ok(lines)
}
