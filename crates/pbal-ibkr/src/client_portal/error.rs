//! Why a Client Portal call failed, with what the user can do about it. Messages never hold
//! cookies, tokens or full account numbers.

/// A Client Portal gateway error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// The client could not be configured (bad URL, certificate file, unsafe TLS choice).
    #[error("gateway configuration: {message}")]
    Config {
        /// What is wrong.
        message: String,
    },
    /// Nothing answers at the gateway's address.
    #[error(
        "cannot reach the Client Portal gateway at {url} ({detail}). Start it with \
         `bin/run.sh root/conf.yaml` and log in at https://localhost:5000 in a browser on this machine"
    )]
    Unreachable {
        /// The gateway URL (no credentials).
        url: String,
        /// The transport error.
        detail: String,
    },
    /// The gateway completed the TLS handshake but its API did not answer: nobody has logged
    /// in yet, or it lost its connection to IBKR (the real gateway then holds API calls open).
    #[error(
        "the gateway at {login_url} accepted the connection but its API did not answer within \
         {seconds} s: nobody has logged in to it yet, or it lost its connection to IBKR. Open \
         {login_url} in a browser on this machine, log in (with 2FA), wait for \"Client login \
         succeeds\", then run pbal again"
    )]
    NoAnswer {
        /// Where to log in (the gateway's address without the API path).
        login_url: String,
        /// How long pbal waited in total.
        seconds: u64,
    },
    /// The TLS handshake failed on the gateway's certificate.
    #[error("the gateway at {url} was not trusted: {detail}")]
    Certificate {
        /// The gateway URL.
        url: String,
        /// Which check refused it.
        problem: CertificateProblem,
        /// What is wrong.
        detail: String,
    },
    /// [`GatewayTls::InsecureLocalhost`](super::GatewayTls::InsecureLocalhost) for a gateway
    /// that is not on this machine.
    #[error(
        "accepting any certificate is only allowed for a gateway on this machine (a loopback \
         host), not {host}"
    )]
    InsecureNotLoopback {
        /// The gateway's host.
        host: String,
    },
    /// No brokerage login (HTTP 401).
    #[error(
        "the gateway has no logged-in session: open the gateway's address (https://localhost:5000) \
         in a browser on this machine, log in with 2FA, wait for \"Client login succeeds\", then run pbal again"
    )]
    NotAuthenticated,
    /// The SSO session is alive but the brokerage session is not bridged or timed out, and
    /// `ssodh/init` did not restore it.
    #[error(
        "the gateway is logged in but its brokerage session is not connected ({detail}); \
         log in again in the browser and run pbal again"
    )]
    NoBridge {
        /// What the gateway said.
        detail: String,
    },
    /// The same username is logged in elsewhere (TWS, mobile, web).
    #[error(
        "another session (TWS, IBKR Mobile or the web portal) is using this username; log out \
         there, then log in to the gateway again"
    )]
    Competing,
    /// The caller's IP is not in the gateway's `ips.allow`.
    #[error(
        "the gateway refused this machine (\"Access Denied\"): add its IP to `ips.allow` in root/conf.yaml"
    )]
    AccessDenied,
    /// HTTP 429: the IP is in IBKR's penalty box. Never retried.
    #[error(
        "{endpoint}: rate limited by IBKR (HTTP 429). The gateway blocks this machine for 10-15 \
         minutes; wait at least that long before running pbal again"
    )]
    RateLimited {
        /// The endpoint (account numbers masked).
        endpoint: String,
    },
    /// A web page came back where JSON was expected.
    #[error(
        "{endpoint}: the gateway answered with a web page, not JSON: the session has lapsed or \
         the URL lacks /v1/api; log in again"
    )]
    Html {
        /// The endpoint (account numbers masked).
        endpoint: String,
    },
    /// The gateway reported an error (with any HTTP status, 200 included).
    #[error("{endpoint}: {message}{}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Api {
        /// The endpoint (account numbers masked).
        endpoint: String,
        /// HTTP status, when not 200.
        status: Option<u16>,
        /// The gateway's message.
        message: String,
    },
    /// The reply could not be understood.
    #[error("{endpoint}: unexpected reply from the gateway: {message}")]
    Decode {
        /// The endpoint (account numbers masked).
        endpoint: String,
        /// What was wrong.
        message: String,
    },
    /// A read timed out or the connection dropped.
    #[error("{endpoint}: no answer from the gateway ({detail})")]
    Transport {
        /// The endpoint (account numbers masked).
        endpoint: String,
        /// The transport error.
        detail: String,
    },
    /// An order POST got no answer, or a 5xx: the order may or may not exist. Never re-sent
    /// blindly.
    #[error(
        "the gateway {detail} to the order for {symbol} (client order id {c_oid}); it may have \
         been placed. Run the same command again: pbal looks for this id among the live orders \
         before placing anything"
    )]
    OrderOutcomeUnknown {
        /// Symbol.
        symbol: String,
        /// The order's client order id.
        c_oid: String,
        /// What came back: "gave no answer", "answered HTTP 500 (…)".
        detail: String,
    },
    /// A question whose message id is not on the allow-list: the order was not placed.
    #[error(
        "IBKR asked about the {symbol} order ({ids}): {text}\nThe order was NOT placed: \
         question {first} is not among the allowed ones"
    )]
    UnknownQuestion {
        /// Symbol.
        symbol: String,
        /// The question's message ids, comma-separated.
        ids: String,
        /// The first message id.
        first: String,
        /// The question text.
        text: String,
    },
    /// A question without message ids: pbal cannot tell it apart, so it can never be allowed.
    #[error(
        "IBKR asked about the {symbol} order without saying which question it is (no \
         messageIds): {text}\nThe order was NOT placed: pbal answers only questions it can \
         tell apart by their message id, so no allowed id can confirm this one. Read IBKR's \
         text, place the order in Client Portal if it is what you want, or try again later"
    )]
    QuestionWithoutId {
        /// Symbol.
        symbol: String,
        /// The question text (empty when IBKR gave none).
        text: String,
    },
    /// IBKR's advanced order reject (the Web API's `AdvancedOrderReject` answer to a
    /// placement): the order was not placed.
    #[error(
        "IBKR rejected the {symbol} order{}: {text}\nThe order was NOT placed",
        message_id.as_ref().map(|id| format!(" ({id})")).unwrap_or_default()
    )]
    AdvancedReject {
        /// Symbol.
        symbol: String,
        /// IBKR's message id of the reject, when given.
        message_id: Option<String>,
        /// IBKR's text.
        text: String,
    },
    /// A question from the account's own Precautionary Settings: the order was not placed.
    #[error(
        "IBKR stopped the {symbol} order on this account's own Precautionary Settings \
         ({setting}, {id}): {text}\nThe order was NOT placed: pbal never overrules these limits \
         by itself. If the order is what you want, allow question {id}, or change the limit \
         in Client Portal (Settings, Precautionary Settings)"
    )]
    Precautionary {
        /// Symbol.
        symbol: String,
        /// The message id (o163, o383, o451).
        id: String,
        /// Which setting.
        setting: String,
        /// IBKR's question text.
        text: String,
    },
    /// IBKR has no market data for a market order's contract (o354).
    #[error(
        "IBKR has no market data for {symbol} (o354): {text}\nThe market order was NOT placed: \
         pbal never confirms a market order without market data (it could fill at any price). \
         Check the market-data subscription, or place a limit order"
    )]
    NoMarketData {
        /// Symbol.
        symbol: String,
        /// IBKR's question text.
        text: String,
    },
    /// The order was rejected.
    #[error("IBKR rejected the {symbol} order: {message}")]
    Rejected {
        /// Symbol.
        symbol: String,
        /// IBKR's message.
        message: String,
    },
    /// A symbol matches several contracts.
    #[error(
        "{symbol} matches several contracts; put the right conid in the targets file \
         (`[{symbol}] conid = ...`):\n{candidates}"
    )]
    AmbiguousSymbol {
        /// Symbol.
        symbol: String,
        /// One line per candidate.
        candidates: String,
    },
    /// IBKR lists no currency pair between two currencies.
    #[error(
        "IBKR lists no currency pair to convert {from} into {to} (looked for {to}.{from} and \
         {from}.{to} among IBKR's currency pairs of {from} and of {to})"
    )]
    NoCurrencyPair {
        /// The currency converted from.
        from: String,
        /// The currency converted into.
        to: String,
    },
    /// A symbol matches no stock contract.
    #[error("{symbol}: no stock contract found at IBKR; check the symbol or give its conid")]
    UnknownSymbol {
        /// Symbol.
        symbol: String,
    },
    /// No price arrived in time.
    #[error(
        "no market price for {symbols} after {seconds} s (market data subscription? the snapshot \
         pre-flight?); give prices in the targets file or try again"
    )]
    NoPrice {
        /// Symbols, comma-separated.
        symbols: String,
        /// How long pbal waited.
        seconds: u64,
    },
}

/// Which check refused the gateway's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateProblem {
    /// Not the pinned certificate ([`GatewayTls::Pinned`](super::GatewayTls::Pinned)).
    NotThePinnedOne,
    /// The pinned certificate, but the handshake was not signed with its key.
    BadSignature,
    /// Not trusted by the system's trust store (IBKR's shipped certificate is self-signed).
    NotTrusted,
    /// Another TLS failure.
    Tls,
}

impl GatewayError {
    /// Whether the session must be re-established (login or `ssodh/init`).
    #[must_use]
    pub fn is_session_error(&self) -> bool {
        matches!(
            self,
            Self::NotAuthenticated | Self::NoBridge { .. } | Self::Competing | Self::Html { .. }
        )
    }
}

/// `U1234567` → `U***567`: enough to tell accounts apart in logs, not enough to identify one.
#[must_use]
pub fn mask_account(account: &str) -> String {
    let chars: Vec<char> = account.chars().collect();
    if chars.len() <= 4 {
        return "***".to_owned();
    }
    let prefix: String = chars
        .iter()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let suffix: String = chars[chars.len() - 3..].iter().collect();
    format!("{prefix}***{suffix}")
}

#[cfg(test)]
mod tests {
    use super::{CertificateProblem, GatewayError, mask_account};

    /// The library states what happened; the CLI adds its own flags and commands.
    #[test]
    fn messages_name_no_command_line_flag_or_command() {
        let text = || "IBKR's question".to_owned();
        let errors = [
            GatewayError::UnknownQuestion {
                symbol: "VTI".into(),
                ids: "o99999".into(),
                first: "o99999".into(),
                text: text(),
            },
            GatewayError::QuestionWithoutId {
                symbol: "VTI".into(),
                text: text(),
            },
            GatewayError::Precautionary {
                symbol: "VTI".into(),
                id: "o163".into(),
                setting: "price percentage constraint".into(),
                text: text(),
            },
            GatewayError::NoMarketData {
                symbol: "VTI".into(),
                text: text(),
            },
            GatewayError::InsecureNotLoopback {
                host: "10.0.0.5".into(),
            },
            GatewayError::Certificate {
                url: "https://localhost:5000/v1/api".into(),
                problem: CertificateProblem::NotTrusted,
                detail: "UnknownIssuer".into(),
            },
        ];
        for e in errors {
            let message = e.to_string();
            assert!(
                !message.contains("--") && !message.contains("pbal gateway"),
                "{message}"
            );
        }
    }

    #[test]
    fn account_numbers_are_masked() {
        assert_eq!(mask_account("U1234567"), "U***567");
        assert_eq!(mask_account("DU7654321"), "DU***321");
        assert_eq!(mask_account("U12"), "***");
    }
}
