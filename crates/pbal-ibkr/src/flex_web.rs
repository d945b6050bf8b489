//! Client for IBKR's Flex Web Service (v3): `SendRequest`, then poll `GetStatement`.
//!
//! The token travels only in the request query strings. It never appears in errors (reqwest
//! errors have their URL stripped, response excerpts are redacted), in `Debug`/`Display`
//! output or in tracing events.

mod error;
mod response;

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use reqwest::{StatusCode, Url, redirect};
use tokio::time::{Instant, sleep, timeout_at};

use error::RetryKind;
pub use error::{FlexErrorCode, FlexStage, FlexWebError, HttpError};
use response::{BodyError, Reply, StatementBody};

/// IBKR's documented Flex Web Service root; `SendRequest` is appended to it.
pub const DEFAULT_BASE_URL: &str =
    "https://ndcdyn.interactivebrokers.com/AccountManagement/FlexWebService";

/// Hosts the service may send us to (its `<Url>` reply and redirects), besides the base host.
const IBKR_DOMAIN_SUFFIX: &str = ".interactivebrokers.com";
const MAX_REDIRECTS: usize = 5;
/// Characters of a bad body quoted in errors.
const EXCERPT_CHARS: usize = 120;

/// How to talk to the Flex Web Service. [`FlexWebConfig::default`] follows IBKR's guidance.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FlexWebConfig {
    /// Service root; `/SendRequest` is appended. Must be `https://`, except for loopback
    /// hosts (tests), which may use `http://`.
    pub base_url: String,
    /// `User-Agent` header; IBKR rejects requests without one.
    pub user_agent: String,
    /// Wait before the first `GetStatement`, and the first backoff step.
    pub poll_initial: Duration,
    /// Upper bound of the exponential backoff between polls.
    pub poll_max: Duration,
    /// Give up (with [`FlexWebError::Timeout`]) when the statement is not ready by then.
    pub overall_timeout: Duration,
    /// Flex Web Service protocol version (`v` parameter); pbal speaks version 3.
    pub version: u8,
    /// Base pause after a 1018 "too many requests" reply; the n-th consecutive one waits n
    /// times as long. IBKR asks for at least 10 seconds.
    pub rate_limit_wait: Duration,
    /// Retries per call for transient codes (1001, 1004–1009, 1021) and 1018. Code 1019
    /// ("generation in progress") is polled until `overall_timeout` instead.
    pub max_retries: u32,
    /// Limit for one HTTP request, from connecting to the last body byte.
    pub request_timeout: Duration,
    /// Largest statement accepted, in bytes.
    pub max_statement_bytes: usize,
}

impl Default for FlexWebConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            user_agent: concat!("pbal/", env!("CARGO_PKG_VERSION")).to_owned(),
            poll_initial: Duration::from_secs(2),
            poll_max: Duration::from_secs(30),
            overall_timeout: Duration::from_secs(600),
            version: 3,
            rate_limit_wait: Duration::from_secs(15),
            max_retries: 5,
            request_timeout: Duration::from_secs(60),
            max_statement_bytes: 256 * 1024 * 1024,
        }
    }
}

/// A Flex Web Service token. It is a secret: `Debug` and `Display` print `FlexToken(***)`.
#[derive(Clone, PartialEq, Eq)]
pub struct FlexToken(String);

impl FlexToken {
    /// Checks the token's shape (surrounding whitespace, e.g. a newline from a file, is
    /// removed). The error never contains the token.
    ///
    /// # Errors
    /// [`FlexWebError::MalformedToken`] when the trimmed token is empty, longer than 128
    /// characters, or has anything but ASCII letters and digits.
    pub fn new(token: impl Into<String>) -> Result<Self, FlexWebError> {
        let mut token = token.into();
        let trimmed = token.trim();
        let reason = if trimmed.is_empty() {
            Some("it is empty")
        } else if !trimmed.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Some("it may contain only ASCII letters and digits")
        } else if trimmed.len() > 128 {
            Some("it is longer than 128 characters")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(FlexWebError::MalformedToken { reason });
        }
        if trimmed.len() != token.len() {
            token = trimmed.to_owned();
        }
        Ok(Self(token))
    }
}

impl FromStr for FlexToken {
    type Err = FlexWebError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl fmt::Debug for FlexToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FlexToken(***)")
    }
}

impl fmt::Display for FlexToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FlexToken(***)")
    }
}

/// Runs a Flex Query through the Web Service and returns the statement bytes (XML, or CSV/TEXT
/// if the query is set up that way).
///
/// Calls `SendRequest`, waits `poll_initial`, then polls `GetStatement` with exponential
/// backoff while IBKR answers 1019. Transient codes and 1018 are retried a bounded number of
/// times; every other code is returned as [`FlexWebError::Service`] with advice.
///
/// # Errors
/// Before any request: [`FlexWebError::InvalidQueryId`] for a query ID that is not 1 to 32
/// ASCII letters and digits, [`FlexWebError::InvalidConfig`] for an unusable setting (empty or
/// non-printable user agent, version 0, a zero duration, `poll_max` below `poll_initial`, a
/// zero size limit, a base URL with a query or fragment), [`FlexWebError::UnsafeUrl`] for a
/// base URL the token may not be sent to, and [`FlexWebError::Client`] when the HTTP client
/// cannot be built. Then:
/// - [`FlexWebError::Transport`] or [`FlexWebError::RequestTimedOut`]: a request failed, or
///   took longer than `request_timeout`;
/// - [`FlexWebError::HttpStatus`]: a non-2xx answer;
/// - [`FlexWebError::StatementTooLarge`]: a body over `max_statement_bytes`;
/// - [`FlexWebError::Service`]: an IBKR error code that is not retried, or whose retries ran
///   out;
/// - [`FlexWebError::MalformedResponse`] or [`FlexWebError::TruncatedStatement`]: a body that
///   is neither a reply nor a statement, or a statement cut short;
/// - [`FlexWebError::UnsafeUrl`]: a `GetStatement` URL from IBKR on an untrusted host;
/// - [`FlexWebError::Timeout`]: `overall_timeout` ran out.
pub async fn fetch_statement(
    config: &FlexWebConfig,
    token: &FlexToken,
    query_id: &str,
) -> Result<Vec<u8>, FlexWebError> {
    validate_query_id(query_id)?;
    let send_url = validate_config(config)?;
    let client = build_client(config, &send_url)?;
    let deadline = Instant::now()
        .checked_add(config.overall_timeout)
        .ok_or_else(|| FlexWebError::InvalidConfig {
            field: "overall_timeout",
            reason: "is too large".to_owned(),
        })?;
    let mut session = Session {
        config,
        token,
        client,
        base_host: host_of(&send_url),
        deadline,
        requests: 0,
        last_code: None,
    };
    // The deadline also bounds a request that hangs within its own request timeout.
    let result = timeout_at(deadline, session.run(&send_url, query_id)).await;
    result.unwrap_or_else(|_| Err(session.timeout_error()))
}

/// State of one `fetch_statement` call.
struct Session<'a> {
    config: &'a FlexWebConfig,
    token: &'a FlexToken,
    client: reqwest::Client,
    base_host: String,
    deadline: Instant,
    requests: u32,
    last_code: Option<FlexErrorCode>,
}

/// Retry bookkeeping for one stage.
#[derive(Default)]
struct Attempts {
    /// Backoff exponent: replies waited on so far.
    waits: u32,
    /// Transient and rate-limit retries, bounded by `max_retries`.
    retries: u32,
    /// Consecutive 1018 replies.
    rate_limited: u32,
    /// Whether the one retry granted to 1020 at `GetStatement` was used.
    retried_invalid_request: bool,
}

impl Session<'_> {
    async fn run(&mut self, send_url: &Url, query_id: &str) -> Result<Vec<u8>, FlexWebError> {
        let (reference_code, statement_url) = self.send_request(send_url, query_id).await?;
        // IBKR answers 1020 when GetStatement follows SendRequest too closely.
        self.wait(self.config.poll_initial).await?;
        self.get_statement(&statement_url, &reference_code).await
    }

    async fn send_request(
        &mut self,
        send_url: &Url,
        query_id: &str,
    ) -> Result<(String, Url), FlexWebError> {
        let stage = FlexStage::SendRequest;
        let mut attempts = Attempts::default();
        loop {
            let body = self.get(stage, send_url, query_id).await?;
            match response::parse_reply(&body) {
                Ok(Reply::Success {
                    reference_code,
                    url,
                }) => {
                    let statement_url = match url {
                        Some(url) => self.statement_url(&url)?,
                        None => sibling_url(send_url, "GetStatement"),
                    };
                    tracing::debug!(requests = self.requests, "Flex statement requested");
                    return Ok((reference_code, statement_url));
                }
                Ok(Reply::Problem { code, message }) => {
                    self.retry_or_fail(stage, code, &message, &mut attempts)
                        .await?;
                }
                Err(problem) => return Err(self.body_error(stage, problem, &body)),
            }
        }
    }

    async fn get_statement(
        &mut self,
        statement_url: &Url,
        reference_code: &str,
    ) -> Result<Vec<u8>, FlexWebError> {
        let stage = FlexStage::GetStatement;
        let mut attempts = Attempts::default();
        loop {
            let body = self.get(stage, statement_url, reference_code).await?;
            match response::classify_statement(&body) {
                Ok(StatementBody::Statement) => {
                    tracing::debug!(
                        requests = self.requests,
                        bytes = body.len(),
                        "Flex statement received"
                    );
                    return Ok(body);
                }
                Ok(StatementBody::Reply(Reply::Problem { code, message })) => {
                    self.retry_or_fail(stage, code, &message, &mut attempts)
                        .await?;
                }
                Ok(StatementBody::Reply(Reply::Success { .. })) => {
                    return Err(self.body_error(
                        stage,
                        BodyError::Malformed(
                            "got a SendRequest-style success reply instead of the statement"
                                .to_owned(),
                        ),
                        &body,
                    ));
                }
                Err(problem) => return Err(self.body_error(stage, problem, &body)),
            }
        }
    }

    /// Waits as the code requires, or turns it into an error.
    async fn retry_or_fail(
        &mut self,
        stage: FlexStage,
        code: u16,
        message: &str,
        attempts: &mut Attempts,
    ) -> Result<(), FlexWebError> {
        let code = FlexErrorCode::from_code(code);
        self.last_code = Some(code);
        let mut kind = code.retry_kind();
        if code == FlexErrorCode::InvalidRequest
            && stage == FlexStage::GetStatement
            && !attempts.retried_invalid_request
        {
            attempts.retried_invalid_request = true;
            kind = RetryKind::Transient;
        }
        let bounded_retry_left = attempts.retries < self.config.max_retries;
        let delay = match kind {
            RetryKind::Poll => backoff(self.config, attempts.waits),
            RetryKind::Transient if bounded_retry_left => {
                attempts.retries += 1;
                backoff(self.config, attempts.waits)
            }
            RetryKind::RateLimit if bounded_retry_left => {
                attempts.retries += 1;
                attempts.rate_limited += 1;
                self.config
                    .rate_limit_wait
                    .saturating_mul(attempts.rate_limited)
                    .max(backoff(self.config, attempts.waits))
            }
            _ => {
                return Err(FlexWebError::Service {
                    stage,
                    code,
                    message: redact(message, &self.token.0),
                });
            }
        };
        if kind != RetryKind::RateLimit {
            attempts.rate_limited = 0;
        }
        attempts.waits = attempts.waits.saturating_add(1);
        tracing::info!(
            %stage,
            code = code.code(),
            wait_ms = delay.as_millis() as u64,
            "Flex Web Service not ready, retrying"
        );
        self.wait(delay).await
    }

    /// Sleeps, unless that would overrun the deadline (then fails at once).
    async fn wait(&self, delay: Duration) -> Result<(), FlexWebError> {
        if Instant::now()
            .checked_add(delay)
            .is_none_or(|end| end > self.deadline)
        {
            return Err(self.timeout_error());
        }
        sleep(delay).await;
        Ok(())
    }

    fn timeout_error(&self) -> FlexWebError {
        FlexWebError::Timeout {
            timeout: self.config.overall_timeout,
            requests: self.requests,
            last_code: self.last_code,
        }
    }

    /// One GET with `t`, `q` and `v`; returns the body of a 2xx response.
    async fn get(&mut self, stage: FlexStage, url: &Url, q: &str) -> Result<Vec<u8>, FlexWebError> {
        self.requests += 1;
        tracing::debug!(%stage, request = self.requests, "calling Flex Web Service");
        let version = self.config.version.to_string();
        let transport = |e: reqwest::Error| transport_error(stage, self.config, e);
        let mut response = self
            .client
            .get(url.clone())
            .query(&[("t", self.token.0.as_str()), ("q", q), ("v", &version)])
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        if !status.is_success() {
            return Err(FlexWebError::HttpStatus {
                stage,
                status: status.as_u16(),
                advice: http_advice(status),
            });
        }
        let limit = self.config.max_statement_bytes;
        let too_large = FlexWebError::StatementTooLarge { limit_bytes: limit };
        if response
            .content_length()
            .is_some_and(|len| len > limit as u64)
        {
            return Err(too_large);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > limit {
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Checks the `<Url>` IBKR returned before the token is sent there.
    fn statement_url(&self, raw: &str) -> Result<Url, FlexWebError> {
        let url = parse_safe_url(raw)?;
        if is_trusted_host(&url, &self.base_host) {
            Ok(url)
        } else {
            Err(FlexWebError::UnsafeUrl {
                url: display_url(&url),
                reason: "the GetStatement URL in IBKR's reply is on neither the configured \
                         host nor an interactivebrokers.com host",
            })
        }
    }

    fn body_error(&self, stage: FlexStage, problem: BodyError, body: &[u8]) -> FlexWebError {
        match problem {
            BodyError::Malformed(reason) => FlexWebError::MalformedResponse {
                stage,
                reason: redact(&reason, &self.token.0),
                excerpt: response::excerpt(body, EXCERPT_CHARS, &self.token.0),
            },
            BodyError::Truncated(reason) => FlexWebError::TruncatedStatement {
                received_bytes: body.len(),
                reason: redact(&reason, &self.token.0),
            },
        }
    }
}

/// Backoff before retry number `step + 1`: `poll_initial · 2^(step+1)`, capped at `poll_max`.
fn backoff(config: &FlexWebConfig, step: u32) -> Duration {
    let factor = 1u32.checked_shl(step.saturating_add(1)).unwrap_or(u32::MAX);
    config
        .poll_initial
        .saturating_mul(factor)
        .min(config.poll_max)
}

fn transport_error(stage: FlexStage, config: &FlexWebConfig, e: reqwest::Error) -> FlexWebError {
    // The URL holds the token in its query string.
    let source = HttpError::new(e);
    if source.is_timeout() {
        FlexWebError::RequestTimedOut {
            stage,
            timeout: config.request_timeout,
            source,
        }
    } else {
        FlexWebError::Transport { stage, source }
    }
}

fn http_advice(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 | 403 => {
            "access denied; check the token and its IP restriction, and that the User-Agent is set"
        }
        404 => "no Flex Web Service at this address; check the base URL",
        429 => "too many requests; wait a minute and try again",
        500..=599 => {
            "IBKR's service has a problem (it may be in maintenance, often at weekends); \
             try again later"
        }
        _ => "unexpected HTTP status; try again later",
    }
}

fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        text.to_owned()
    } else {
        text.replace(secret, "***")
    }
}

fn validate_query_id(query_id: &str) -> Result<(), FlexWebError> {
    let ok =
        (1..=32).contains(&query_id.len()) && query_id.bytes().all(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(FlexWebError::InvalidQueryId {
            length: query_id.chars().count(),
        })
    }
}

/// Checks every setting and returns the `SendRequest` URL.
fn validate_config(config: &FlexWebConfig) -> Result<Url, FlexWebError> {
    let invalid = |field, reason: &str| FlexWebError::InvalidConfig {
        field,
        reason: reason.to_owned(),
    };
    if config.user_agent.is_empty()
        || !config
            .user_agent
            .bytes()
            .all(|b| (b' '..=b'~').contains(&b))
    {
        return Err(invalid(
            "user_agent",
            "must be non-empty printable ASCII (IBKR requires a User-Agent)",
        ));
    }
    if config.version == 0 {
        return Err(invalid("version", "must be at least 1 (pbal uses 3)"));
    }
    // Zero durations would turn retries into a tight loop against IBKR.
    for (field, value) in [
        ("poll_initial", config.poll_initial),
        ("rate_limit_wait", config.rate_limit_wait),
        ("overall_timeout", config.overall_timeout),
        ("request_timeout", config.request_timeout),
    ] {
        if value.is_zero() {
            return Err(invalid(field, "must be greater than zero"));
        }
    }
    if config.poll_max < config.poll_initial {
        return Err(invalid("poll_max", "must be at least poll_initial"));
    }
    if config.max_statement_bytes == 0 {
        return Err(invalid("max_statement_bytes", "must be greater than zero"));
    }
    let base = parse_safe_url(&config.base_url)?;
    if base.query().is_some() || base.fragment().is_some() {
        return Err(invalid(
            "base_url",
            "must not have a query string or fragment",
        ));
    }
    let mut send_url = base;
    send_url
        .path_segments_mut()
        .map_err(|()| invalid("base_url", "must be a hierarchical URL"))?
        .pop_if_empty()
        .push("SendRequest");
    Ok(send_url)
}

/// `base` with its last path segment replaced by `name` (`.../SendRequest` → `.../GetStatement`).
fn sibling_url(base: &Url, name: &str) -> Url {
    let mut url = base.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop().push(name);
    }
    url
}

/// Parses a URL the token may be sent to: https, or http to a loopback host; no credentials.
fn parse_safe_url(raw: &str) -> Result<Url, FlexWebError> {
    let shown = raw.split(['?', '#']).next().unwrap_or_default().to_owned();
    let url = Url::parse(raw).map_err(|_| FlexWebError::UnsafeUrl {
        url: shown.clone(),
        reason: "it is not a valid absolute URL",
    })?;
    let refuse = |reason| FlexWebError::UnsafeUrl {
        url: display_url(&url),
        reason,
    };
    if url.host_str().is_none_or(str::is_empty) {
        return Err(refuse("it has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("it must not contain credentials"));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(refuse(
            "plain http is allowed only for loopback hosts; use https",
        )),
        _ => Err(refuse("only https URLs are supported")),
    }
}

fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn host_of(url: &Url) -> String {
    url.host_str().unwrap_or_default().to_ascii_lowercase()
}

/// The configured host, or any IBKR host over https.
fn is_trusted_host(url: &Url, base_host: &str) -> bool {
    let host = host_of(url);
    host == base_host || (url.scheme() == "https" && host.ends_with(IBKR_DOMAIN_SUFFIX))
}

/// A URL for messages: no credentials, query or fragment.
fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    // Cannot fail for URLs with a host, which is all this module shows.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

fn build_client(config: &FlexWebConfig, send_url: &Url) -> Result<reqwest::Client, FlexWebError> {
    let base_host = host_of(send_url);
    // Redirects may only lead where the token could be sent anyway.
    let policy = redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else if parse_safe_url(attempt.url().as_str())
            .is_ok_and(|url| is_trusted_host(&url, &base_host))
        {
            attempt.follow()
        } else {
            attempt.error("refusing a redirect to an untrusted or non-https host")
        }
    });
    let tls = crate::crypto::system_config().map_err(|e| FlexWebError::Client {
        source: HttpError::tls(e),
    })?;
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .user_agent(config.user_agent.clone())
        .timeout(config.request_timeout)
        .connect_timeout(config.request_timeout)
        .redirect(policy)
        .build()
        .map_err(|e| FlexWebError::Client {
            source: HttpError::new(e),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_never_printed() {
        let token = FlexToken::new(" 123456789012345678901234\n").unwrap();
        assert_eq!(token.0, "123456789012345678901234");
        assert_eq!(format!("{token:?}"), "FlexToken(***)");
        assert_eq!(format!("{token}"), "FlexToken(***)");
        let err = FlexToken::new("12345 secret-part").unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
        assert!(!format!("{err:?}").contains("secret"), "{err:?}");
        assert!(FlexToken::new("  ").is_err());
        assert!("x".repeat(129).parse::<FlexToken>().is_err());
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let config = FlexWebConfig {
            poll_initial: Duration::from_secs(2),
            poll_max: Duration::from_secs(30),
            ..FlexWebConfig::default()
        };
        let steps: Vec<u64> = (0..6).map(|s| backoff(&config, s).as_secs()).collect();
        assert_eq!(steps, [4, 8, 16, 30, 30, 30]);
        assert_eq!(backoff(&config, u32::MAX), Duration::from_secs(30));
    }

    #[test]
    fn send_request_url_is_built_from_the_base() {
        let url = validate_config(&FlexWebConfig::default()).unwrap();
        assert_eq!(
            url.as_str(),
            "https://ndcdyn.interactivebrokers.com/AccountManagement/FlexWebService/SendRequest"
        );
        let slash = FlexWebConfig {
            base_url: "http://127.0.0.1:8080/svc/".to_owned(),
            ..FlexWebConfig::default()
        };
        assert_eq!(
            validate_config(&slash).unwrap().as_str(),
            "http://127.0.0.1:8080/svc/SendRequest"
        );
        assert_eq!(
            sibling_url(&validate_config(&slash).unwrap(), "GetStatement").as_str(),
            "http://127.0.0.1:8080/svc/GetStatement"
        );
    }

    #[test]
    fn only_https_or_loopback_http() {
        for ok in [
            "https://example.com/x",
            "http://127.0.0.1:1/x",
            "http://[::1]:1/x",
            "http://localhost/x",
        ] {
            assert!(parse_safe_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://example.com/x",
            "http://10.0.0.1/x",
            "ftp://example.com/x",
            "https://user:pw@example.com/x",
            "not a url",
            "file:///etc/passwd",
        ] {
            let err = parse_safe_url(bad).unwrap_err();
            assert!(
                matches!(err, FlexWebError::UnsafeUrl { .. }),
                "{bad}: {err}"
            );
            assert!(!err.to_string().contains("pw"), "{err}");
        }
    }

    #[test]
    fn trusted_statement_hosts() {
        let url = |s| Url::parse(s).unwrap();
        let base = "ndcdyn.interactivebrokers.com";
        assert!(is_trusted_host(
            &url("https://gdcdyn.interactivebrokers.com/a"),
            base
        ));
        assert!(is_trusted_host(
            &url("https://NDCDYN.interactivebrokers.com/a"),
            base
        ));
        assert!(!is_trusted_host(
            &url("https://interactivebrokers.com.evil.test/a"),
            base
        ));
        assert!(!is_trusted_host(&url("https://evil.test/a"), base));
        assert!(is_trusted_host(&url("http://127.0.0.1:9/a"), "127.0.0.1"));
    }

    #[test]
    fn config_validation() {
        let check = |config: FlexWebConfig, field: &str| match validate_config(&config) {
            Err(FlexWebError::InvalidConfig { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        };
        let d = FlexWebConfig::default;
        check(
            FlexWebConfig {
                user_agent: String::new(),
                ..d()
            },
            "user_agent",
        );
        check(
            FlexWebConfig {
                user_agent: "bad\nagent".to_owned(),
                ..d()
            },
            "user_agent",
        );
        check(FlexWebConfig { version: 0, ..d() }, "version");
        check(
            FlexWebConfig {
                poll_initial: Duration::ZERO,
                ..d()
            },
            "poll_initial",
        );
        check(
            FlexWebConfig {
                rate_limit_wait: Duration::ZERO,
                ..d()
            },
            "rate_limit_wait",
        );
        check(
            FlexWebConfig {
                poll_max: Duration::from_secs(1),
                ..d()
            },
            "poll_max",
        );
        check(
            FlexWebConfig {
                base_url: "https://example.com/x?y=1".to_owned(),
                ..d()
            },
            "base_url",
        );
    }

    #[tokio::test]
    async fn huge_durations_are_errors_not_panics() {
        let config = FlexWebConfig {
            overall_timeout: Duration::MAX,
            poll_max: Duration::MAX,
            ..FlexWebConfig::default()
        };
        let token = FlexToken::new("1").unwrap();
        let err = fetch_statement(&config, &token, "1").await.unwrap_err();
        assert!(
            matches!(
                err,
                FlexWebError::InvalidConfig {
                    field: "overall_timeout",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn query_id_shape() {
        assert!(validate_query_id("490027").is_ok());
        for bad in ["", "49 0027", "1;2", &"9".repeat(33)] {
            assert!(matches!(
                validate_query_id(bad),
                Err(FlexWebError::InvalidQueryId { .. })
            ));
        }
    }

    #[test]
    fn error_messages_carry_code_text_and_advice() {
        let err = FlexWebError::Service {
            stage: FlexStage::GetStatement,
            code: FlexErrorCode::TokenExpired,
            message: "Token has expired.".to_owned(),
        };
        let text = err.to_string();
        assert!(text.contains("1012"), "{text}");
        assert!(text.contains("Token has expired."), "{text}");
        assert!(text.contains("generate a new one"), "{text}");
        for code in 1001..=1021 {
            let mapped = FlexErrorCode::from_code(code);
            assert_eq!(mapped.code(), code);
            if code != 1002 {
                assert!(!matches!(mapped, FlexErrorCode::Other(_)), "{code}");
            }
        }
    }
}
