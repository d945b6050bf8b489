//! Errors of the Flex Web Service client, and IBKR's documented error codes with advice.

use std::fmt;
use std::time::Duration;

/// Which of the two Flex Web Service calls was in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlexStage {
    /// `SendRequest`: asks IBKR to generate the statement and returns a reference code.
    SendRequest,
    /// `GetStatement`: downloads the statement for a reference code.
    GetStatement,
}

impl fmt::Display for FlexStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SendRequest => "SendRequest",
            Self::GetStatement => "GetStatement",
        })
    }
}

/// An `<ErrorCode>` from IBKR's `FlexStatementResponse`, one variant per documented code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlexErrorCode {
    /// 1001: statement could not be generated at this time.
    StatementNotGenerated,
    /// 1003: statement is not available.
    StatementNotAvailable,
    /// 1004: statement is incomplete at this time.
    StatementIncomplete,
    /// 1005: settlement data is not ready.
    SettlementDataNotReady,
    /// 1006: FIFO P/L data is not ready.
    FifoPnlNotReady,
    /// 1007: MTM P/L data is not ready.
    MtmPnlNotReady,
    /// 1008: MTM and FIFO P/L data is not ready.
    MtmAndFifoPnlNotReady,
    /// 1009: the server is under heavy load.
    ServerBusy,
    /// 1010: legacy Flex Queries are no longer supported.
    LegacyQueryUnsupported,
    /// 1011: the Flex Web Service account is inactive.
    ServiceInactive,
    /// 1012: the token has expired.
    TokenExpired,
    /// 1013: IP restriction (the token is bound to other IP addresses).
    IpRestricted,
    /// 1014: the query is invalid.
    InvalidQuery,
    /// 1015: the token is invalid.
    InvalidToken,
    /// 1016: the account is invalid.
    InvalidAccount,
    /// 1017: the reference code is invalid.
    InvalidReferenceCode,
    /// 1018: too many requests from this token.
    TooManyRequests,
    /// 1019: statement generation in progress.
    GenerationInProgress,
    /// 1020: invalid request or unable to validate the request.
    InvalidRequest,
    /// 1021: statement could not be retrieved at this time.
    StatementNotRetrievable,
    /// A code IBKR does not document (yet).
    Other(u16),
}

/// How the client reacts to a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RetryKind {
    /// The statement is being generated: keep polling until the overall timeout.
    Poll,
    /// A transient failure: retry a bounded number of times with backoff.
    Transient,
    /// Rate limit: wait at least the configured rate-limit pause, bounded retries.
    RateLimit,
    /// Retrying cannot help.
    Fatal,
}

impl FlexErrorCode {
    /// Maps IBKR's numeric code.
    pub fn from_code(code: u16) -> Self {
        match code {
            1001 => Self::StatementNotGenerated,
            1003 => Self::StatementNotAvailable,
            1004 => Self::StatementIncomplete,
            1005 => Self::SettlementDataNotReady,
            1006 => Self::FifoPnlNotReady,
            1007 => Self::MtmPnlNotReady,
            1008 => Self::MtmAndFifoPnlNotReady,
            1009 => Self::ServerBusy,
            1010 => Self::LegacyQueryUnsupported,
            1011 => Self::ServiceInactive,
            1012 => Self::TokenExpired,
            1013 => Self::IpRestricted,
            1014 => Self::InvalidQuery,
            1015 => Self::InvalidToken,
            1016 => Self::InvalidAccount,
            1017 => Self::InvalidReferenceCode,
            1018 => Self::TooManyRequests,
            1019 => Self::GenerationInProgress,
            1020 => Self::InvalidRequest,
            1021 => Self::StatementNotRetrievable,
            other => Self::Other(other),
        }
    }

    /// IBKR's numeric code.
    pub fn code(self) -> u16 {
        match self {
            Self::StatementNotGenerated => 1001,
            Self::StatementNotAvailable => 1003,
            Self::StatementIncomplete => 1004,
            Self::SettlementDataNotReady => 1005,
            Self::FifoPnlNotReady => 1006,
            Self::MtmPnlNotReady => 1007,
            Self::MtmAndFifoPnlNotReady => 1008,
            Self::ServerBusy => 1009,
            Self::LegacyQueryUnsupported => 1010,
            Self::ServiceInactive => 1011,
            Self::TokenExpired => 1012,
            Self::IpRestricted => 1013,
            Self::InvalidQuery => 1014,
            Self::InvalidToken => 1015,
            Self::InvalidAccount => 1016,
            Self::InvalidReferenceCode => 1017,
            Self::TooManyRequests => 1018,
            Self::GenerationInProgress => 1019,
            Self::InvalidRequest => 1020,
            Self::StatementNotRetrievable => 1021,
            Self::Other(code) => code,
        }
    }

    /// What the user should do about this code.
    pub fn advice(self) -> &'static str {
        match self {
            Self::StatementNotGenerated
            | Self::StatementNotAvailable
            | Self::StatementIncomplete
            | Self::StatementNotRetrievable => {
                "IBKR could not produce the statement right now; try again in a few minutes"
            }
            Self::SettlementDataNotReady
            | Self::FifoPnlNotReady
            | Self::MtmPnlNotReady
            | Self::MtmAndFifoPnlNotReady => {
                "IBKR has not finished its end-of-day processing for the query's period; \
                 try again later or set the query's period to end on an earlier day"
            }
            Self::ServerBusy => "IBKR's server is under heavy load; try again in a few minutes",
            Self::LegacyQueryUnsupported => {
                "legacy Flex Queries are no longer supported; recreate it as an Activity Flex \
                 Query under Performance & Reports > Flex Queries in the IBKR Portal"
            }
            Self::ServiceInactive => {
                "the Flex Web Service is not enabled for this account; enable it under \
                 Performance & Reports > Flex Queries > Flex Web Service Configuration"
            }
            Self::TokenExpired => {
                "the token has expired; generate a new one under Performance & Reports > \
                 Flex Queries > Flex Web Service Configuration and store it again"
            }
            Self::IpRestricted => {
                "the token only works from other IP addresses; run pbal from an allowed \
                 address, or generate a token whose IP restriction includes this machine's \
                 public IP address"
            }
            Self::InvalidQuery => {
                "IBKR does not know this query ID for the token's account; copy the numeric \
                 Query ID shown next to the query under Performance & Reports > Flex Queries"
            }
            Self::InvalidToken => {
                "the token is not valid; copy the current token again (generating a new token \
                 invalidates the old one)"
            }
            Self::InvalidAccount => {
                "the account is not valid for this token; check that the query belongs to the \
                 account the token was generated for"
            }
            Self::InvalidReferenceCode => {
                "IBKR rejected the reference code it issued (it may have expired); run the \
                 fetch again"
            }
            Self::TooManyRequests => {
                "too many requests with this token (IBKR allows about one per second and ten \
                 per minute); wait a minute and try again, and don't run fetches in parallel"
            }
            Self::GenerationInProgress => {
                "the statement is still being generated; try again in a few minutes or allow \
                 a longer timeout"
            }
            Self::InvalidRequest => {
                "IBKR could not validate the request; try again in a minute, and if it \
                 persists check the token and the query ID"
            }
            Self::Other(_) => "see IBKR's Flex Web Service documentation for this code",
        }
    }

    /// The client's retry policy for this code.
    pub(super) fn retry_kind(self) -> RetryKind {
        match self {
            Self::GenerationInProgress => RetryKind::Poll,
            Self::TooManyRequests => RetryKind::RateLimit,
            Self::StatementNotGenerated
            | Self::StatementIncomplete
            | Self::SettlementDataNotReady
            | Self::FifoPnlNotReady
            | Self::MtmPnlNotReady
            | Self::MtmAndFifoPnlNotReady
            | Self::ServerBusy
            | Self::StatementNotRetrievable => RetryKind::Transient,
            _ => RetryKind::Fatal,
        }
    }
}

impl fmt::Display for FlexErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// An HTTP failure below the Flex Web Service (connection, TLS, timeout), its URL (which
/// holds the token) stripped. Opaque, so the HTTP client is not part of pbal-ibkr's API.
#[derive(Debug)]
pub struct HttpError(HttpFailure);

#[derive(Debug)]
enum HttpFailure {
    Http(reqwest::Error),
    /// The TLS configuration handed to the client could not be built.
    Tls(rustls::Error),
}

impl HttpError {
    pub(crate) fn new(error: reqwest::Error) -> Self {
        Self(HttpFailure::Http(error.without_url()))
    }

    pub(crate) fn tls(error: rustls::Error) -> Self {
        Self(HttpFailure::Tls(error))
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(&self.0, HttpFailure::Http(e) if e.is_timeout())
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            HttpFailure::Http(e) => e.fmt(f),
            HttpFailure::Tls(e) => write!(f, "TLS set-up: {e}"),
        }
    }
}

impl std::error::Error for HttpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0 {
            HttpFailure::Http(e) => std::error::Error::source(e),
            HttpFailure::Tls(_) => None,
        }
    }
}

/// Why fetching a Flex statement failed.
///
/// No variant carries the token: messages taken from responses have it redacted, and
/// HTTP errors have their URL (whose query string holds the token) stripped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlexWebError {
    /// A [`FlexWebConfig`](super::FlexWebConfig) value cannot be used.
    #[error("invalid Flex Web Service setting `{field}`: {reason}")]
    InvalidConfig {
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The token text has the wrong shape (its value is never shown).
    #[error(
        "the Flex Web Service token is malformed: {reason}; copy it again from Performance & \
         Reports > Flex Queries > Flex Web Service Configuration"
    )]
    MalformedToken {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The query ID is not the numeric ID IBKR shows next to the query.
    #[error(
        "invalid Flex Query ID ({length} characters): expected the Query ID of 1 to 32 ASCII \
         letters or digits shown next to the query under Performance & Reports > Flex Queries"
    )]
    InvalidQueryId {
        /// Length of what was given (the value itself is not shown: it may be a pasted token).
        length: usize,
    },
    /// A URL (configured, or the `Url` IBKR returned) would be unsafe to send the token to.
    #[error("refusing to send the Flex token to {url}: {reason}")]
    UnsafeUrl {
        /// The URL, without any query string.
        url: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// The HTTP client could not be set up.
    #[error("could not set up the HTTP client")]
    Client {
        /// The underlying error (with no URL).
        source: HttpError,
    },
    /// The request could not be sent or its response not read.
    #[error("could not reach IBKR's Flex Web Service during {stage}")]
    Transport {
        /// The call in progress.
        stage: FlexStage,
        /// The underlying error, stripped of its URL.
        source: HttpError,
    },
    /// A single HTTP request took longer than the configured request timeout.
    #[error(
        "IBKR's Flex Web Service did not answer {stage} within {timeout:?}; check your \
         connection and try again"
    )]
    RequestTimedOut {
        /// The call in progress.
        stage: FlexStage,
        /// The per-request timeout.
        timeout: Duration,
        /// The underlying error, stripped of its URL.
        source: HttpError,
    },
    /// The server answered with a non-success HTTP status.
    #[error("IBKR's Flex Web Service answered {stage} with HTTP {status}: {advice}")]
    HttpStatus {
        /// The call in progress.
        stage: FlexStage,
        /// The HTTP status code.
        status: u16,
        /// What the user can do.
        advice: &'static str,
    },
    /// IBKR reported an error code.
    #[error("IBKR Flex Web Service error {code} during {stage}: {message:?}; {}", code.advice())]
    Service {
        /// The call in progress.
        stage: FlexStage,
        /// The error code.
        code: FlexErrorCode,
        /// IBKR's `<ErrorMessage>` text.
        message: String,
    },
    /// The response was neither a statement nor a `FlexStatementResponse`.
    #[error(
        "unexpected response from IBKR's Flex Web Service during {stage}: {reason} \
         (response starts with {excerpt:?})"
    )]
    MalformedResponse {
        /// The call in progress.
        stage: FlexStage,
        /// What is wrong.
        reason: String,
        /// The first bytes of the body, lossily decoded and with the token redacted.
        excerpt: String,
    },
    /// The statement was cut off before its end.
    #[error("the Flex statement is truncated after {received_bytes} bytes: {reason}; try again")]
    TruncatedStatement {
        /// How many bytes arrived.
        received_bytes: usize,
        /// What is missing.
        reason: String,
    },
    /// The statement is larger than the configured limit.
    #[error("the Flex statement is larger than the {limit_bytes}-byte limit")]
    StatementTooLarge {
        /// The configured limit.
        limit_bytes: usize,
    },
    /// The statement was still not ready when the overall timeout ran out.
    #[error(
        "the Flex statement was not ready within {timeout:?} ({requests} requests; last \
         status: {}); try again later or allow a longer timeout",
        last_code.map_or_else(|| "none".to_owned(), |c| format!("{c}, {}", c.advice()))
    )]
    Timeout {
        /// The overall timeout.
        timeout: Duration,
        /// How many HTTP requests were made.
        requests: u32,
        /// The last IBKR code seen, if any.
        last_code: Option<FlexErrorCode>,
    },
}
