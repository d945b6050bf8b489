//! A typed async client for IBKR's Client Portal gateway (the local `/v1/api` REST service).
//!
//! What it owns, because order safety depends on it:
//! - **pacing** below the gateway's limits (10 requests/s overall, 1 per 5 s for live orders
//!   and portfolio accounts, …): a 429 puts the whole machine in a 10–15 minute penalty box
//!   and is never retried;
//! - **retries** only for reads (at most twice on 5xx); an order or reply POST is never sent
//!   again automatically: a lost answer becomes [`GatewayError::OrderOutcomeUnknown`], and the
//!   caller looks for the order's client order id among the live orders;
//! - **questions** answered only when every message id is on an allow-list;
//! - the gateway's loose JSON (string-or-number ids, formatted amounts, errors with HTTP 200,
//!   HTML from a lapsed session);
//! - **TLS** pinned to the gateway's certificate, or unverified only on loopback;
//! - **no secrets in logs**: there are no credentials to log (the gateway holds the session),
//!   and account numbers in logged paths are masked.

mod account;
mod certificate;
mod client;
mod config;
mod error;
mod fills;
mod json;
mod market;
mod order_state;
mod orders;
mod pacing;
mod placement;
mod rebalance;
mod sequence;
mod session;
mod settle;
mod tls;
mod trust;
mod types;

use std::collections::BTreeMap;

use rust_decimal::Decimal;

pub use account::PositionsRead;
pub use certificate::{CertificateSummary, IBKR_SHIPPED_FINGERPRINT};
pub use client::Gateway;
pub use config::{DEFAULT_GATEWAY_URL, GatewayConfig, GatewayTls, GatewayUrl};
pub use error::{CertificateProblem, GatewayError, mask_account};
pub use fills::{Fill, FillEvent, FillWait};
pub use market::{ContractRules, same_symbol, symbol_spellings};
pub use orders::{
    CASH_QUANTITY_QUESTIONS, DEFAULT_ALLOWED_QUESTIONS, NO_MARKET_DATA_QUESTION,
    PRECAUTIONARY_QUESTIONS, QuestionPolicy,
};
pub use pacing::PacingConfig;
pub use placement::{PlaceInTurnError, Placement, PlacementError, PlacementEvent};
pub use rebalance::{OrderFate, OrderFill, RebalanceOrder, RebalanceOutcome, proceeds};
pub use sequence::{
    ConversionStep, PendingOrder, Replan, Round, Sequence, SequenceEnd, SequenceError,
    SequenceObserver, SequenceOutcome, Step,
};
pub use trust::{PresentedCertificate, fingerprint, presented_certificate};
pub use types::{
    AuthStatus, BrokerageAccounts, ContractCandidate, CurrencyPair, GatewayPosition, LedgerEntry,
    LiveOrder, MarketState, OrderKind, OrderState, OrderStatus, OrderTicket, PlaceEvent, Placed,
    PortfolioAccount, Quote, WhatIf,
};

use crate::{CashBalance, Position, Statement};

/// The gateway's positions and ledger as a [`Statement`], so the same planning path serves
/// exports and the live account. Values are converted with the ledger's exchange rates.
#[must_use]
pub fn statement(
    account: &str,
    base_currency: Option<&str>,
    positions: &[GatewayPosition],
    ledger: &[LedgerEntry],
) -> Statement {
    let rates: BTreeMap<&str, Decimal> = ledger
        .iter()
        .filter(|e| e.currency != "BASE")
        .filter_map(|e| Some((e.currency.as_str(), e.exchange_rate?)))
        .filter(|(_, rate)| *rate > Decimal::ZERO)
        .collect();
    let rate_of = |currency: &str| {
        if Some(currency) == base_currency {
            Some(Decimal::ONE)
        } else {
            rates.get(currency).copied()
        }
    };
    let positions = positions
        .iter()
        .zip(1u64..)
        .map(|(p, line)| {
            let fx = rate_of(&p.currency);
            Position {
                account: Some(account.to_owned()),
                symbol: p.symbol.clone(),
                conid: Some(p.conid.clone()),
                asset_class: Some(p.asset_class.clone()),
                sub_category: None,
                currency: Some(p.currency.clone()),
                quantity: p.quantity,
                price: p.price,
                value: p.value,
                value_base: fx
                    .and_then(|f| p.value.checked_mul(f))
                    .map(|v| v.round_dp(4)),
                fx_rate_to_base: fx,
                multiplier: Decimal::ONE,
                unrealized_pnl: p.unrealized_pnl,
                listing_exchange: p.listing_exchange.clone(),
                lots: Vec::new(),
                line,
            }
        })
        .collect();
    Statement {
        base_currency: base_currency.map(str::to_owned),
        accounts: vec![account.to_owned()],
        account_aliases: BTreeMap::new(),
        positions,
        cash: ledger
            .iter()
            .map(|e| CashBalance {
                account: Some(account.to_owned()),
                currency: e.currency.clone(),
                amount: e.cash,
            })
            .collect(),
        trades: Vec::new(),
        skipped: Vec::new(),
        source: format!("gateway account {}", mask_account(account)),
        kind: crate::ExportKind::Gateway,
        report_date: None,
    }
}
