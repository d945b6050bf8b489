//! Accounts, positions and cash.

use std::sync::atomic::Ordering;

use serde_json::{Value, json};

use super::client::{Gateway, Retry};
use super::error::GatewayError;
use super::json;
use super::pacing::Limited;
use super::types::{BrokerageAccounts, GatewayPosition, LedgerEntry, PortfolioAccount};

/// The positions of an account as read, with what had to be filled in or left out.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct PositionsRead {
    /// The positions.
    pub positions: Vec<GatewayPosition>,
    /// Rows whose missing fields were filled in: the position and how.
    pub filled: Vec<String>,
    /// Rows left out (no conid, no quantity, no price to be found), each with why.
    pub left_out: Vec<String>,
}

/// Pages read at most (100 positions each): a guard against a gateway that never says `[]`.
const MAX_POSITION_PAGES: u32 = 100;

impl Gateway {
    /// `GET /iserver/accounts`: the brokerage accounts; also the required first call of a
    /// session before orders, snapshots and live orders.
    ///
    /// # Errors
    /// Transport and session errors; [`GatewayError::Competing`] when the reply is `{}`.
    pub async fn brokerage_accounts(&self) -> Result<BrokerageAccounts, GatewayError> {
        let value = self.get("iserver/accounts", &[], None).await?;
        check_error("GET iserver/accounts", &value)?;
        let accounts: Vec<String> = value
            .get("accounts")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| json::text(Some(v))).collect())
            .unwrap_or_default();
        if accounts.is_empty() {
            // ibeam #40: a competing session makes this `{}`.
            return Err(GatewayError::Competing);
        }
        let needs_manual_order_time = value
            .get("acctProps")
            .and_then(Value::as_object)
            .map(|props| {
                props
                    .iter()
                    .filter(|(_, p)| json::flag(p.get("allowCustomerTime")))
                    .map(|(id, _)| id.clone())
                    .collect()
            })
            .unwrap_or_default();
        self.iserver_primed.store(true, Ordering::Relaxed);
        Ok(BrokerageAccounts {
            selected: json::text(value.get("selectedAccount")),
            is_paper: json::flag(value.get("isPaper")),
            accounts,
            needs_manual_order_time,
        })
    }

    /// `POST /iserver/account {"acctId":..}`: makes `account` the selected one, so live
    /// orders (and with them the duplicate guard, fill waits, status and cancel) show its
    /// orders, whatever another session selected.
    ///
    /// # Errors
    /// Transport and session errors; an account the login does not have.
    pub async fn select_account(&self, account: &str) -> Result<(), GatewayError> {
        self.prime_iserver().await?;
        let value = self
            .post(
                "iserver/account",
                &json!({ "acctId": account }),
                None,
                Retry::Idempotent,
            )
            .await?;
        check_error("POST iserver/account", &value)
    }

    /// `GET /portfolio/accounts` (1 per 5 s): required before `/portfolio/{acct}/*`.
    ///
    /// # Errors
    /// Transport and session errors.
    pub async fn portfolio_accounts(&self) -> Result<Vec<PortfolioAccount>, GatewayError> {
        let value = self
            .get("portfolio/accounts", &[], Some(Limited::PortfolioAccounts))
            .await?;
        check_error("GET portfolio/accounts", &value)?;
        self.portfolio_primed.store(true, Ordering::Relaxed);
        Ok(value
            .as_array()
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| {
                        Some(PortfolioAccount {
                            id: json::text(r.get("accountId"))
                                .or_else(|| json::text(r.get("id")))?,
                            currency: json::text(r.get("currency")),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    pub(crate) async fn prime_portfolio(&self) -> Result<(), GatewayError> {
        if !self.portfolio_primed.load(Ordering::Relaxed) {
            self.portfolio_accounts().await?;
        }
        Ok(())
    }

    pub(crate) async fn prime_iserver(&self) -> Result<(), GatewayError> {
        if !self.iserver_primed.load(Ordering::Relaxed) {
            self.brokerage_accounts().await?;
        }
        Ok(())
    }

    /// Every position of `account` that can be read ([`Gateway::positions_read`]).
    ///
    /// # Errors
    /// Transport and session errors.
    pub async fn positions(&self, account: &str) -> Result<Vec<GatewayPosition>, GatewayError> {
        Ok(self.positions_read(account).await?.positions)
    }

    /// Every position of `account`, all pages, fresh (the cache is invalidated first, since
    /// it lags fills). The spec makes every field of a row optional: a missing `mktPrice`,
    /// `mktValue`, `currency` or ticker is filled from the market-data snapshot and the
    /// contract's info, a missing `conid` from the row's ticker when IBKR lists one stock
    /// contract for it; a row without `position`, without a `conid` its ticker names, or whose
    /// price cannot be found, is left out and named in [`PositionsRead::left_out`], never the
    /// end of the run.
    ///
    /// # Errors
    /// Transport and session errors.
    pub async fn positions_read(&self, account: &str) -> Result<PositionsRead, GatewayError> {
        let rows = self.position_rows(account).await?;
        let mut read = PositionsRead::default();
        for (endpoint, row) in rows {
            match self.complete_position(&row).await? {
                Ok((position, filled)) => {
                    if !filled.is_empty() {
                        read.filled.push(format!(
                            "{} (conid {}): {}",
                            position.symbol,
                            position.conid,
                            filled.join(", ")
                        ));
                    }
                    read.positions.push(position);
                }
                Err(why) => read.left_out.push(format!("{endpoint}: {why}")),
            }
        }
        Ok(read)
    }

    /// A position from a row whose optional fields may be missing: `Ok((position, what was
    /// filled in))`, or `Err(why it is left out)`.
    async fn complete_position(
        &self,
        row: &Value,
    ) -> Result<Result<(GatewayPosition, Vec<&'static str>), String>, GatewayError> {
        let named = json::text(row.get("ticker")).or_else(|| json::text(row.get("contractDesc")));
        let shown = || named.clone().unwrap_or_else(|| row.to_string());
        let mut filled = Vec::new();
        let conid = match (json::text(row.get("conid")), &named) {
            (Some(conid), _) => conid,
            // No conid: the row's ticker names it when IBKR lists one stock contract for it.
            (None, Some(ticker)) => match self.resolve_conid(ticker).await {
                Ok(found) => {
                    filled.push("conid looked up by its ticker");
                    found.conid
                }
                Err(
                    e @ (GatewayError::UnknownSymbol { .. } | GatewayError::AmbiguousSymbol { .. }),
                ) => {
                    return Ok(Err(format!(
                        "the position {ticker} has no conid, and its ticker does not name one \
                         contract ({e}); left out of the plan"
                    )));
                }
                Err(e) => return Err(e),
            },
            (None, None) => {
                return Ok(Err(format!(
                    "the position {} has no conid and no ticker; left out of the plan",
                    shown()
                )));
            }
        };
        let Some(quantity) = json::decimal(row.get("position")) else {
            return Ok(Err(format!(
                "the position {} (conid {conid}) has no quantity; left out of the plan",
                shown()
            )));
        };
        let mut symbol = named.clone();
        let mut currency = json::text(row.get("currency"));
        if symbol.is_none() || currency.is_none() {
            let info = self.contract_info(&conid).await?;
            if symbol.is_none() {
                symbol = info.0;
                filled.push("ticker from the contract info");
            }
            if currency.is_none() {
                currency = info.1;
                filled.push("currency from the contract info");
            }
        }
        let (Some(symbol), Some(currency)) = (symbol, currency) else {
            return Ok(Err(format!(
                "the position {} (conid {conid}) has no ticker or currency, and IBKR's contract \
                 info gives none; left out of the plan",
                shown()
            )));
        };
        let value = json::decimal(row.get("mktValue"));
        let mut price = json::decimal(row.get("mktPrice"));
        if price.is_none()
            && let Some(v) = value
            && !quantity.is_zero()
        {
            price = v.checked_div(quantity);
            filled.push("price from mktValue");
        }
        if price.is_none() {
            price = self
                .quotes(std::slice::from_ref(&conid))
                .await?
                .get(&conid)
                .and_then(super::types::Quote::price);
            filled.push("price from the market-data snapshot");
        }
        let Some(price) = price else {
            return Ok(Err(format!(
                "the position {symbol} (conid {conid}) has no mktPrice and no snapshot price; \
                 left out of the plan"
            )));
        };
        let value = if let Some(v) = value {
            v
        } else {
            filled.push("value as quantity times price");
            quantity
                .checked_mul(price)
                .ok_or_else(|| GatewayError::Decode {
                    endpoint: "positions".to_owned(),
                    message: format!("{symbol}: the position's value overflows"),
                })?
        };
        Ok(Ok((
            GatewayPosition {
                symbol,
                quantity,
                price,
                value,
                currency,
                asset_class: json::text(row.get("assetClass")).unwrap_or_else(|| "STK".to_owned()),
                unrealized_pnl: json::decimal(row.get("unrealizedPnl")),
                listing_exchange: json::text(row.get("listingExchange")),
                conid,
            },
            filled,
        )))
    }

    /// `GET /iserver/contract/{conid}/info`: the contract's symbol and currency.
    pub(crate) async fn contract_info(
        &self,
        conid: &str,
    ) -> Result<(Option<String>, Option<String>), GatewayError> {
        self.prime_iserver().await?;
        let path = format!("iserver/contract/{conid}/info");
        let value = self.get(&path, &[], None).await?;
        check_error(&path, &value)?;
        Ok((
            json::text(value.get("symbol")),
            json::text(value.get("currency")),
        ))
    }

    /// The raw rows of every positions page, with the endpoint each came from.
    async fn position_rows(&self, account: &str) -> Result<Vec<(String, Value)>, GatewayError> {
        self.prime_portfolio().await?;
        let invalidate = format!("portfolio/{account}/positions/invalidate");
        // The cache lags fills; clearing it is worth a try, but a gateway without the call
        // (or a refusal) is no reason to stop: the pages below are still read.
        match self
            .post(&invalidate, &json!({}), None, Retry::Idempotent)
            .await
        {
            Ok(_)
            | Err(
                GatewayError::Api { .. } | GatewayError::Decode { .. } | GatewayError::Html { .. },
            ) => {}
            Err(e) => return Err(e),
        }
        let mut positions = Vec::new();
        for page in 0..MAX_POSITION_PAGES {
            let path = format!("portfolio/{account}/positions/{page}");
            let value = self.get(&path, &[], None).await?;
            let endpoint = super::client::shown_endpoint(&reqwest::Method::GET, &path);
            check_error(&endpoint, &value)?;
            let Some(rows) = value.as_array() else {
                return Err(GatewayError::Decode {
                    endpoint,
                    message: "expected a list of positions".into(),
                });
            };
            if rows.is_empty() {
                return Ok(positions);
            }
            positions.extend(rows.iter().map(|row| (endpoint.clone(), row.clone())));
        }
        Ok(positions)
    }

    /// `POST /portfolio/{acct}/positions/invalidate`: clears the gateway's portfolio cache,
    /// which lags fills. A refusal is no reason to stop (the next read is merely older).
    ///
    /// # Errors
    /// Transport and session errors.
    pub async fn invalidate_portfolio(&self, account: &str) -> Result<(), GatewayError> {
        self.prime_portfolio().await?;
        let path = format!("portfolio/{account}/positions/invalidate");
        match self.post(&path, &json!({}), None, Retry::Idempotent).await {
            Ok(_)
            | Err(
                GatewayError::Api { .. } | GatewayError::Decode { .. } | GatewayError::Html { .. },
            ) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `GET /portfolio/{acct}/ledger`: cash per currency and the `BASE` total.
    ///
    /// # Errors
    /// Transport and session errors.
    pub async fn ledger(&self, account: &str) -> Result<Vec<LedgerEntry>, GatewayError> {
        self.prime_portfolio().await?;
        let path = format!("portfolio/{account}/ledger");
        let value = self.get(&path, &[], None).await?;
        let endpoint = super::client::shown_endpoint(&reqwest::Method::GET, &path);
        check_error(&endpoint, &value)?;
        let Some(map) = value.as_object() else {
            return Err(GatewayError::Decode {
                endpoint,
                message: "expected an object keyed by currency".into(),
            });
        };
        let mut entries = Vec::new();
        for (key, entry) in map {
            let Some(cash) = json::decimal(entry.get("cashbalance")) else {
                continue;
            };
            entries.push(LedgerEntry {
                currency: if key.eq_ignore_ascii_case("BASE") {
                    "BASE".to_owned()
                } else {
                    json::text(entry.get("currency")).unwrap_or_else(|| key.clone())
                },
                cash,
                settled_cash: json::decimal(entry.get("settledcash")),
                exchange_rate: json::decimal(entry.get("exchangerate")),
            });
        }
        Ok(entries)
    }
}

/// An `{"error":..}` body (any HTTP status) as an error.
pub(crate) fn check_error(endpoint: &str, value: &Value) -> Result<(), GatewayError> {
    if value.is_object()
        && let Some(message) = json::error_message(value)
    {
        if message.contains("no session") || message.contains("not authenticated") {
            return Err(GatewayError::NotAuthenticated);
        }
        return Err(GatewayError::Api {
            endpoint: endpoint.to_owned(),
            status: None,
            message,
        });
    }
    Ok(())
}
