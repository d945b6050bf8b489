//! The answer a route produces, before it becomes an HTTP response.

use serde_json::{Value, json};

/// Body of an answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Body {
    Json(Value),
    Empty,
    Html(&'static str),
}

/// An answer: status, body, an optional redirect target, and whether to hang instead.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Body,
    pub(crate) location: Option<&'static str>,
    /// Never answer (sleep ~60 s): the gateway accepted an order but the POST times out.
    pub(crate) hang: bool,
}

/// The login page the web-app handlers serve (and a lapsed session returns).
pub(crate) const LOGIN_HTML: &str = "<!DOCTYPE html><html><head><title>Client Portal Login</title></head>\
<body><h1>Interactive Brokers</h1><p>Please log in.</p><form action=\"/sso/Login\"></form></body></html>";

impl Reply {
    /// 200 with a JSON body.
    pub(crate) fn ok(body: Value) -> Reply {
        Reply::with_status(200, body)
    }

    /// A JSON body with any status.
    pub(crate) fn with_status(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body: Body::Json(body),
            location: None,
            hang: false,
        }
    }

    /// `{"error": message, "statusCode": status}`.
    pub(crate) fn error(status: u16, message: &str) -> Reply {
        Reply::with_status(status, json!({"error": message, "statusCode": status}))
    }

    /// `{"error": message}` with any status (IBKR's bare form, often with 200).
    pub(crate) fn bare_error(status: u16, message: &str) -> Reply {
        Reply::with_status(status, json!({ "error": message }))
    }

    /// A status with an empty body (429, 411).
    pub(crate) fn empty(status: u16) -> Reply {
        Reply {
            status,
            body: Body::Empty,
            location: None,
            hang: false,
        }
    }

    /// A 200 HTML page.
    pub(crate) fn html() -> Reply {
        Reply {
            status: 200,
            body: Body::Html(LOGIN_HTML),
            location: None,
            hang: false,
        }
    }

    /// A 302 to the login page, as for any path outside the API router.
    pub(crate) fn login_redirect() -> Reply {
        Reply {
            status: 302,
            body: Body::Html(LOGIN_HTML),
            location: Some("/sso/Login?forwardTo=22&RL=1&ip2loc=US"),
            hang: false,
        }
    }
}
