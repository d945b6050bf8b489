//! The transport: one request at a time through the pacer, the gateway's failure modes turned
//! into [`GatewayError`]s, idempotent GETs retried at most twice on 5xx, order POSTs never.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::config::GatewayConfig;
use super::error::GatewayError;
use super::json;
use super::pacing::{Limited, Pacer};

/// A Client Portal gateway client. Calls are sequential (`&self` methods awaited one by one);
/// sharing one client between tasks is safe, since the pacer serialises the accounting.
#[derive(Debug)]
pub struct Gateway {
    pub(crate) config: GatewayConfig,
    http: reqwest::Client,
    pacer: Pacer,
    /// `/iserver/accounts` was read in this session (required before orders and snapshots).
    pub(crate) iserver_primed: AtomicBool,
    /// `/portfolio/accounts` was read (required before `/portfolio/{acct}/*`).
    pub(crate) portfolio_primed: AtomicBool,
}

/// Whether a failed request may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// A read: retried at most twice on 5xx or a dropped connection.
    Idempotent,
    /// An order or reply: never re-sent automatically.
    Never,
}

/// Retries of an idempotent request after a 5xx (the reference's advice).
const MAX_RETRIES: u32 = 2;

impl Gateway {
    /// A client for the gateway in `config`.
    ///
    /// # Errors
    /// When the TLS settings are unsafe (insecure mode for a remote host) or invalid.
    pub fn new(config: GatewayConfig) -> Result<Self, GatewayError> {
        let http = config.build_client(false)?;
        let pacer = Pacer::new(config.pacing.clone());
        Ok(Self {
            config,
            http,
            pacer,
            iserver_primed: AtomicBool::new(false),
            portfolio_primed: AtomicBool::new(false),
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    pub(crate) async fn get(
        &self,
        path: &str,
        query: &[(&str, String)],
        limited: Option<Limited>,
    ) -> Result<Value, GatewayError> {
        self.request(Method::GET, path, query, None, limited, Retry::Idempotent)
            .await
    }

    pub(crate) async fn post(
        &self,
        path: &str,
        body: &Value,
        limited: Option<Limited>,
        retry: Retry,
    ) -> Result<Value, GatewayError> {
        self.request(Method::POST, path, &[], Some(body), limited, retry)
            .await
    }

    pub(crate) async fn delete(&self, path: &str) -> Result<Value, GatewayError> {
        self.request(Method::DELETE, path, &[], None, None, Retry::Never)
            .await
    }

    /// Sends one request with the gateway's error handling; returns the JSON body (`null` when
    /// empty). A JSON `{"error":..}` with HTTP 200 is returned as is: callers decide.
    pub(crate) async fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        limited: Option<Limited>,
        retry: Retry,
    ) -> Result<Value, GatewayError> {
        let endpoint = shown_endpoint(&method, path);
        let url = self.config.url(path)?;
        let mut retries = 0;
        let mut reprimed = false;
        loop {
            let outcome = self
                .send_once(method.clone(), url.clone(), query, body, limited)
                .await;
            let (status, text) = match outcome {
                Ok(reply) => reply,
                Err(e) => {
                    if let Some((problem, detail)) = super::tls::certificate_problem(&e) {
                        return Err(GatewayError::Certificate {
                            url: self.config.base_url.to_string(),
                            problem,
                            detail,
                        });
                    }
                    if e.is_connect() {
                        return Err(GatewayError::Unreachable {
                            url: self.config.base_url.to_string(),
                            detail: root_cause(&e),
                        });
                    }
                    // A timeout is not retried: a gateway that does not answer (not logged
                    // in, or cut off from IBKR) would only multiply the wait.
                    if retry == Retry::Idempotent && retries < MAX_RETRIES && !e.is_timeout() {
                        retries += 1;
                        backoff(retries).await;
                        continue;
                    }
                    return Err(GatewayError::Transport {
                        endpoint,
                        detail: root_cause(&e),
                    });
                }
            };
            tracing::debug!(%endpoint, status = status.as_u16(), "gateway reply");
            let value = parse_body(&text);
            let message = value
                .as_ref()
                .and_then(json::error_message)
                .unwrap_or_else(|| text.trim().chars().take(200).collect());
            match status.as_u16() {
                200..=299 => {}
                300..=399 => return Err(GatewayError::Html { endpoint }),
                401 => return Err(GatewayError::NotAuthenticated),
                429 => return Err(GatewayError::RateLimited { endpoint }),
                403 | 404 if text.contains("Access Denied") => {
                    return Err(GatewayError::AccessDenied);
                }
                400 if message.contains("no bridge") => {
                    return Err(GatewayError::NoBridge { detail: message });
                }
                500..=599 if message.contains("accounts first") && !reprimed => {
                    // A new session (after a re-login) forgot the priming. The gateway refused
                    // before acting, so sending again is safe even for an order.
                    reprimed = true;
                    let portfolio = message.contains("portfolio") || path.starts_with("portfolio");
                    self.prime_raw(portfolio).await?;
                    continue;
                }
                500..=599 if retry == Retry::Idempotent && retries < MAX_RETRIES => {
                    retries += 1;
                    backoff(retries).await;
                    continue;
                }
                _ => {
                    return Err(GatewayError::Api {
                        endpoint,
                        status: Some(status.as_u16()),
                        message: nonempty(message, status),
                    });
                }
            }
            return match value {
                Some(v) => Ok(v),
                None if text.trim().is_empty() => Ok(Value::Null),
                None if looks_like_html(&text) => Err(GatewayError::Html { endpoint }),
                None => Err(GatewayError::Decode {
                    endpoint,
                    message: format!(
                        "not JSON: {}",
                        text.trim().chars().take(120).collect::<String>()
                    ),
                }),
            };
        }
    }

    async fn send_once(
        &self,
        method: Method,
        url: reqwest::Url,
        query: &[(&str, String)],
        body: Option<&Value>,
        limited: Option<Limited>,
    ) -> Result<(StatusCode, String), reqwest::Error> {
        self.pacer.wait(limited).await;
        let mut request = self.http.request(method.clone(), url);
        if !query.is_empty() {
            request = request.query(query);
        }
        // IBKR answers 411 to a POST without a body.
        if let Some(body) = body {
            request = request.json(body);
        } else if method == Method::POST {
            request = request.json(&json!({}));
        }
        let answer = async {
            let response = request.send().await?;
            let status = response.status();
            let text = response.text().await?;
            Ok((status, text))
        }
        .await;
        self.pacer.answered(limited).await;
        answer
    }

    /// `GET /iserver/accounts` or `/portfolio/accounts`, without the error mapping of
    /// [`Self::request`] (which calls it).
    async fn prime_raw(&self, portfolio: bool) -> Result<(), GatewayError> {
        let (path, limited) = if portfolio {
            ("portfolio/accounts", Some(Limited::PortfolioAccounts))
        } else {
            ("iserver/accounts", None)
        };
        let endpoint = format!("GET {path}");
        let url = self.config.url(path)?;
        match self.send_once(Method::GET, url, &[], None, limited).await {
            Ok((status, _)) if status.is_success() => {
                let flag = if portfolio {
                    &self.portfolio_primed
                } else {
                    &self.iserver_primed
                };
                flag.store(true, Ordering::Relaxed);
                Ok(())
            }
            Ok((status, text)) => Err(GatewayError::Api {
                endpoint,
                status: Some(status.as_u16()),
                message: text.chars().take(200).collect(),
            }),
            Err(e) => Err(GatewayError::Transport {
                endpoint,
                detail: root_cause(&e),
            }),
        }
    }
}

/// The endpoint as logs and errors show it: account numbers masked.
pub(crate) fn shown_endpoint(method: &Method, path: &str) -> String {
    let masked: Vec<String> = path
        .split('/')
        .map(|segment| {
            let letters = segment.chars().take_while(char::is_ascii_uppercase).count();
            let digits = segment.len() - letters;
            if (1..=3).contains(&letters)
                && digits >= 4
                && segment[letters..].chars().all(|c| c.is_ascii_digit())
            {
                super::error::mask_account(segment)
            } else {
                segment.to_owned()
            }
        })
        .collect();
    format!("{method} {}", masked.join("/"))
}

fn parse_body(text: &str) -> Option<Value> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return None;
    }
    serde_json::from_str(trimmed).ok()
}

fn looks_like_html(text: &str) -> bool {
    let t = text.trim_start().to_ascii_lowercase();
    t.starts_with("<!doctype") || t.starts_with("<html") || t.starts_with('<')
}

fn nonempty(message: String, status: StatusCode) -> String {
    if message.is_empty() {
        status.canonical_reason().unwrap_or("no message").to_owned()
    } else {
        message
    }
}

pub(crate) fn root_cause(e: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = e;
    while let Some(next) = source.source() {
        source = next;
    }
    if e.is_timeout() {
        "timed out".to_owned()
    } else {
        source.to_string()
    }
}

/// 0.5 s, 1 s, … plus up to 250 ms of jitter so parallel clients do not retry in step.
async fn backoff(attempt: u32) {
    let jitter = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
            % 250,
    );
    let millis = 500 * u64::from(attempt) + jitter;
    tokio::time::sleep(Duration::from_millis(millis)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_never_show_account_numbers() {
        assert_eq!(
            shown_endpoint(&Method::GET, "portfolio/U1234567/positions/0"),
            "GET portfolio/U***567/positions/0"
        );
        assert_eq!(
            shown_endpoint(&Method::POST, "iserver/account/DU7654321/orders"),
            "POST iserver/account/DU***321/orders"
        );
        assert_eq!(
            shown_endpoint(&Method::GET, "iserver/contract/265598/info"),
            "GET iserver/contract/265598/info"
        );
    }
}
