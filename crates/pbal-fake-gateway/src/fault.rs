//! Faults a test arms to make the next request(s) misbehave.

/// A fault; each fires on the next matching request(s) and then disarms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer 429 with an empty body to the next `times` requests whose path contains
    /// `path_contains`.
    Status429 {
        /// Substring of the request path.
        path_contains: String,
        /// How many requests.
        times: u32,
    },
    /// Answer 503 `{"error":"Service Unavailable","statusCode":503}` to the next `times`
    /// matching requests.
    Status503 {
        /// Substring of the request path.
        path_contains: String,
        /// How many requests.
        times: u32,
    },
    /// Accept (and record) the next `times` orders but never answer that POST: the handler
    /// sleeps 60 s, so the client times out.
    HangAfterAccept {
        /// How many accepted orders.
        times: u32,
    },
    /// The next matching request gets a 200 HTML login page (a lapsed session).
    Html {
        /// Substring of the request path.
        path_contains: String,
    },
    /// The next matching request gets HTTP 200 `{"error": message}`.
    ErrorWith200 {
        /// Substring of the request path.
        path_contains: String,
        /// The error text.
        message: String,
    },
    /// The next placement first asks a question with messageId `o99999`.
    UnknownQuestion,
    /// The next tickle answers `{"error":"no session"}` with HTTP 200.
    NoSession,
    /// The next placement gets the spec's `AdvancedOrderReject` (HTTP 200): `text` and
    /// `message_id` as given, the rejected ticket's `order_id`, `req_id`, `dismissable`,
    /// `options`, `type`, `prompt`. Nothing is placed.
    AdvancedReject {
        /// IBKR's message id of the reject.
        message_id: String,
        /// IBKR's text.
        text: String,
    },
    /// The next placement first asks a question without `messageIds` (optional in the spec).
    QuestionWithoutIds,
    /// Answer the next order POST with HTTP `status` (`{"error":..,"statusCode":..}`):
    /// after accepting (and recording) the order when `accepted`, as a gateway that fails
    /// after passing it on; else before anything happened.
    ErrorOnPlace {
        /// The 5xx status.
        status: u16,
        /// The order was accepted before the error.
        accepted: bool,
    },
    /// The login ends in the middle of a run: once `orders` more orders of `account` have
    /// been accepted (each answered normally), the session is logged out, so every later
    /// request gets 401 until the test logs in again ([`crate::FakeGateway::set_session`]).
    SessionEndsAfter {
        /// The account whose orders count.
        account: String,
        /// How many of its orders are accepted first.
        orders: u32,
    },
}

impl Fault {
    /// 429 on the next request whose path contains `path_contains`.
    pub fn status_429(path_contains: &str) -> Fault {
        Fault::Status429 {
            path_contains: path_contains.to_owned(),
            times: 1,
        }
    }

    /// 503 on the next request whose path contains `path_contains`.
    pub fn status_503(path_contains: &str) -> Fault {
        Fault::Status503 {
            path_contains: path_contains.to_owned(),
            times: 1,
        }
    }

    /// HTML on the next request whose path contains `path_contains`.
    pub fn html(path_contains: &str) -> Fault {
        Fault::Html {
            path_contains: path_contains.to_owned(),
        }
    }

    /// HTTP 200 `{"error": message}` on the next request whose path contains `path_contains`.
    pub fn error_with_200(path_contains: &str, message: &str) -> Fault {
        Fault::ErrorWith200 {
            path_contains: path_contains.to_owned(),
            message: message.to_owned(),
        }
    }
}
