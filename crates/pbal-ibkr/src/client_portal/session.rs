//! Session checks: auth status, bringing up the brokerage session, keeping it alive.

use std::sync::atomic::Ordering;

use serde_json::{Value, json};

use super::client::{Gateway, Retry};
use super::error::GatewayError;
use super::json;
use super::pacing::Limited;
use super::types::AuthStatus;

/// The longest the session check may take in total, whatever the request timeout.
const SESSION_CHECK_LIMIT: std::time::Duration = std::time::Duration::from_secs(25);

impl Gateway {
    /// `POST /iserver/auth/status`.
    ///
    /// # Errors
    /// Transport and session errors (401: nobody logged in).
    pub async fn auth_status(&self) -> Result<AuthStatus, GatewayError> {
        let value = self
            .post("iserver/auth/status", &json!({}), None, Retry::Idempotent)
            .await?;
        Ok(parse_auth(&value))
    }

    /// `POST /iserver/auth/ssodh/init`: (re)starts the brokerage session, with `compete`
    /// only when [`GatewayConfig::take_over_session`](super::GatewayConfig) says so.
    ///
    /// # Errors
    /// Transport and session errors.
    pub async fn init_brokerage_session(&self) -> Result<AuthStatus, GatewayError> {
        // `publish` must be true (else 500); `compete` always goes along (ibeam #73), true
        // only on the user's word: it can disconnect their TWS or mobile login.
        let compete = self.config.take_over_session;
        let value = self
            .post(
                "iserver/auth/ssodh/init",
                &json!({"publish": true, "compete": compete}),
                None,
                Retry::Never,
            )
            .await?;
        self.iserver_primed.store(false, Ordering::Relaxed);
        self.portfolio_primed.store(false, Ordering::Relaxed);
        Ok(parse_auth(&value))
    }

    /// `POST /tickle`: keeps the session alive.
    ///
    /// # Errors
    /// [`GatewayError::NotAuthenticated`] when the gateway says "no session" (HTTP 200).
    pub async fn tickle(&self) -> Result<(), GatewayError> {
        let value = self
            .post(
                "tickle",
                &json!({}),
                Some(Limited::Tickle),
                Retry::Idempotent,
            )
            .await?;
        if json::error_message(&value).is_some() {
            return Err(GatewayError::NotAuthenticated);
        }
        Ok(())
    }

    /// Makes sure the brokerage session is usable: authenticated, bridged, not competing.
    /// A timed-out or unbridged session is restored with `ssodh/init` once.
    ///
    /// # Errors
    /// What the user must do, as a [`GatewayError`].
    pub async fn ensure_session(&self) -> Result<AuthStatus, GatewayError> {
        // One bound for the whole check, however many calls it takes: a gateway that holds
        // API calls open gets a clear answer within it, never a multiple of it.
        let limit = self.config.request_timeout.min(SESSION_CHECK_LIMIT);
        let no_answer = || GatewayError::NoAnswer {
            login_url: self.config.login_url(),
            seconds: limit.as_secs().max(1),
        };
        match tokio::time::timeout(limit, self.check_session()).await {
            Ok(Err(GatewayError::Transport { detail, .. })) if detail.contains("timed out") => {
                Err(no_answer())
            }
            Ok(result) => result,
            Err(_elapsed) => Err(no_answer()),
        }
    }

    async fn check_session(&self) -> Result<AuthStatus, GatewayError> {
        let status = match self.auth_status().await {
            Ok(status) => status,
            Err(GatewayError::NoBridge { .. }) => self.reinit().await?,
            Err(e) => return Err(e),
        };
        // Re-initialising with `compete` takes the session away from the user's TWS or
        // mobile login: only when they said so.
        let status = if status.competing && self.config.take_over_session {
            self.reinit().await?
        } else {
            status
        };
        if status.competing {
            return Err(GatewayError::Competing);
        }
        let status = if !status.authenticated && status.connected {
            self.reinit().await?
        } else {
            status
        };
        if status.competing {
            return Err(GatewayError::Competing);
        }
        if !status.authenticated {
            return Err(if status.connected {
                GatewayError::NoBridge {
                    detail: if status.message.is_empty() {
                        "not authenticated after ssodh/init".to_owned()
                    } else {
                        status.message
                    },
                }
            } else {
                GatewayError::NotAuthenticated
            });
        }
        Ok(status)
    }

    async fn reinit(&self) -> Result<AuthStatus, GatewayError> {
        tracing::info!("brokerage session not ready; calling ssodh/init");
        match self.init_brokerage_session().await {
            Ok(_) | Err(GatewayError::Api { .. } | GatewayError::NoBridge { .. }) => {}
            Err(e) => return Err(e),
        }
        // The gateway needs a moment to bridge.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        match self.auth_status().await {
            Err(GatewayError::NoBridge { detail }) => Err(GatewayError::NoBridge { detail }),
            other => other,
        }
    }
}

fn parse_auth(value: &Value) -> AuthStatus {
    AuthStatus {
        authenticated: json::flag(value.get("authenticated")),
        connected: json::flag(value.get("connected")),
        competing: json::flag(value.get("competing")),
        message: json::text(value.get("message"))
            .or_else(|| json::text(value.get("fail")))
            .unwrap_or_default(),
    }
}
