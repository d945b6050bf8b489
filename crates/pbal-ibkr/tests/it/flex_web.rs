//! Flex Web Service client against an in-process fake of IBKR's service.
//!
//! Most tests use tiny real durations; the `*_on_paused_clock` tests check IBKR-sized waits
//! on tokio's paused clock (loopback sockets answer without the runtime ever idling, so the
//! clock only jumps while the client sleeps).

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pbal_ibkr::flex_web::{
    FlexErrorCode, FlexStage, FlexToken, FlexWebConfig, FlexWebError, fetch_statement,
};
use tokio::time::Instant;

const TOKEN: &str = "987654321098765432109876";
const QUERY_ID: &str = "490027";
const REFERENCE: &str = "1234567890";
const USER_AGENT: &str = "pbal-test/1.0";
const STATEMENT_XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<FlexQueryResponse queryName=\"pbal\" type=\"AF\"><FlexStatements count=\"1\">\
<FlexStatement accountId=\"U1234567\"><OpenPositions>\
<OpenPosition symbol=\"VTI\" position=\"10\" markPrice=\"250.5\"/>\
</OpenPositions></FlexStatement></FlexStatements></FlexQueryResponse>\n";

/// What the fake answers to one request.
#[derive(Clone, Debug)]
enum Answer {
    /// HTTP 200 with this body.
    Body(Vec<u8>),
    /// `<FlexStatementResponse>` with `<Status>`, `<ErrorCode>` and `<ErrorMessage>`.
    Code(&'static str, u16, &'static str),
    /// SendRequest success with a `<Url>` pointing at the fake's GetStatement.
    Reference,
    /// SendRequest success with this `<Url>`.
    ReferenceAt(String),
    /// An HTTP status with a short body.
    Status(u16),
    /// Echo the request's query string back (a hostile or broken server).
    EchoQuery,
    /// Answer only after this long.
    Slow(Duration),
}

/// One request the fake saw.
#[derive(Clone, Debug)]
struct Seen {
    endpoint: &'static str,
    params: HashMap<String, String>,
    user_agent: Option<String>,
    at: Instant,
}

#[derive(Default)]
struct FakeState {
    send: VecDeque<Answer>,
    get: VecDeque<Answer>,
    seen: Vec<Seen>,
    get_url: String,
}

/// The fake Flex Web Service: answers are played in order, the last one repeats forever.
#[derive(Clone, Default)]
struct Fake(Arc<Mutex<FakeState>>);

impl Fake {
    fn seen(&self) -> Vec<Seen> {
        self.0.lock().unwrap().seen.clone()
    }

    fn seen_at(&self, endpoint: &str) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.endpoint == endpoint)
            .collect()
    }

    fn next(
        &self,
        endpoint: &'static str,
        params: HashMap<String, String>,
        headers: &HeaderMap,
    ) -> Answer {
        let mut state = self.0.lock().unwrap();
        state.seen.push(Seen {
            endpoint,
            params,
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            at: Instant::now(),
        });
        let queue = if endpoint == "SendRequest" {
            &mut state.send
        } else {
            &mut state.get
        };
        if queue.len() > 1 {
            queue.pop_front().unwrap()
        } else {
            queue.front().cloned().unwrap_or(Answer::Status(404))
        }
    }
}

fn reply_xml(status: &str, code: u16, message: &str) -> String {
    format!(
        "<FlexStatementResponse timestamp='01 October, 2021 10:38 AM EDT'><Status>{status}</Status>\
         <ErrorCode>{code}</ErrorCode><ErrorMessage>{message}</ErrorMessage></FlexStatementResponse>"
    )
}

async fn respond(
    fake: &Fake,
    endpoint: &'static str,
    params: HashMap<String, String>,
    headers: HeaderMap,
) -> Response {
    let raw_query = params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let answer = fake.next(endpoint, params, &headers);
    let get_url = fake.0.lock().unwrap().get_url.clone();
    let success = |url: &str| {
        format!(
            "<FlexStatementResponse timestamp=\"28 August, 2012 10:37 AM EDT\">\n<Status>Success</Status>\
             <ReferenceCode>{REFERENCE}</ReferenceCode>\n<Url>{url}</Url></FlexStatementResponse>"
        )
    };
    match answer {
        Answer::Body(body) => body.into_response(),
        Answer::Code(status, code, message) => reply_xml(status, code, message).into_response(),
        Answer::Reference => success(&get_url).into_response(),
        Answer::ReferenceAt(url) => success(&url).into_response(),
        Answer::Status(code) => (StatusCode::from_u16(code).unwrap(), "error").into_response(),
        Answer::EchoQuery => format!("<html>bad request {raw_query}</html>").into_response(),
        Answer::Slow(delay) => {
            tokio::time::sleep(delay).await;
            reply_xml("Fail", 1009, "slow").into_response()
        }
    }
}

/// Starts the fake on 127.0.0.1:0 and returns it with a client config pointing at it.
async fn start(send: Vec<Answer>, get_answers: Vec<Answer>) -> (Fake, FlexWebConfig) {
    let fake = Fake::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!(
        "http://{}/AccountManagement/FlexWebService",
        listener.local_addr().unwrap()
    );
    {
        let mut state = fake.0.lock().unwrap();
        state.send = send.into();
        state.get = get_answers.into();
        state.get_url = format!("{base}/GetStatement");
    }
    let router = Router::new()
        .route(
            "/AccountManagement/FlexWebService/SendRequest",
            get(
                |State(fake): State<Fake>,
                 Query(p): Query<HashMap<String, String>>,
                 h: HeaderMap| async move { respond(&fake, "SendRequest", p, h).await },
            ),
        )
        .route(
            "/AccountManagement/FlexWebService/GetStatement",
            get(
                |State(fake): State<Fake>,
                 Query(p): Query<HashMap<String, String>>,
                 h: HeaderMap| async move { respond(&fake, "GetStatement", p, h).await },
            ),
        )
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let mut config = FlexWebConfig::default();
    config.base_url = base;
    USER_AGENT.clone_into(&mut config.user_agent);
    config.poll_initial = Duration::from_millis(1);
    config.poll_max = Duration::from_millis(4);
    config.overall_timeout = Duration::from_secs(20);
    config.version = 3;
    config.rate_limit_wait = Duration::from_millis(30);
    config.max_retries = 3;
    config.request_timeout = Duration::from_secs(10);
    config.max_statement_bytes = 1024 * 1024;
    (fake, config)
}

fn token() -> FlexToken {
    FlexToken::new(TOKEN).unwrap()
}

/// The error must not reveal the token, in any of its forms or its source chain.
fn assert_no_token(err: &FlexWebError) {
    let mut texts = vec![err.to_string(), format!("{err:?}"), format!("{err:#?}")];
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        texts.push(s.to_string());
        texts.push(format!("{s:?}"));
        source = s.source();
    }
    for text in texts {
        assert!(!text.contains(TOKEN), "token leaked: {text}");
        assert!(!text.contains("?t="), "query string leaked: {text}");
    }
}

fn in_progress() -> Answer {
    Answer::Code(
        "Warn",
        1019,
        "Statement generation in progress. Please try again shortly.",
    )
}

#[tokio::test]
async fn statement_after_pending_polls() {
    let (fake, config) = start(
        vec![Answer::Reference],
        vec![
            in_progress(),
            Answer::Code("Fail", 1019, "Statement generation in progress."),
            in_progress(),
            Answer::Body(STATEMENT_XML.into()),
        ],
    )
    .await;
    let bytes = fetch_statement(&config, &token(), QUERY_ID).await.unwrap();
    assert_eq!(bytes, STATEMENT_XML.as_bytes());

    let seen = fake.seen();
    assert_eq!(seen.len(), 5, "{seen:#?}");
    assert_eq!(seen[0].endpoint, "SendRequest");
    assert_eq!(seen[0].params["q"], QUERY_ID);
    for s in &seen {
        assert_eq!(s.params["t"], TOKEN);
        assert_eq!(s.params["v"], "3");
        assert_eq!(s.user_agent.as_deref(), Some(USER_AGENT));
    }
    let polls = fake.seen_at("GetStatement");
    assert_eq!(polls.len(), 4);
    assert!(polls.iter().all(|s| s.params["q"] == REFERENCE));
    // Polls back off: each gap is at least the (growing, capped) backoff.
    for (pair, min_ms) in polls.windows(2).zip([2, 4, 4]) {
        assert!(pair[1].at - pair[0].at >= Duration::from_millis(min_ms));
    }
}

#[tokio::test]
async fn csv_statement_is_returned_as_is() {
    let csv = "\"ClientAccountID\",\"Symbol\",\"Quantity\"\n\"U1234567\",\"VTI\",\"10\"\n";
    let (_fake, config) = start(vec![Answer::Reference], vec![Answer::Body(csv.into())]).await;
    let bytes = fetch_statement(&config, &token(), QUERY_ID).await.unwrap();
    assert_eq!(bytes, csv.as_bytes());
}

#[tokio::test]
async fn get_statement_url_defaults_next_to_send_request() {
    let no_url = format!(
        "<FlexStatementResponse><Status>Success</Status><ReferenceCode>{REFERENCE}</ReferenceCode></FlexStatementResponse>"
    );
    let (fake, config) = start(
        vec![Answer::Body(no_url.into())],
        vec![Answer::Body(STATEMENT_XML.into())],
    )
    .await;
    fetch_statement(&config, &token(), QUERY_ID).await.unwrap();
    assert_eq!(fake.seen_at("GetStatement").len(), 1);
}

#[tokio::test]
async fn pending_forever_times_out() {
    let (fake, mut config) = start(vec![Answer::Reference], vec![in_progress()]).await;
    config.overall_timeout = Duration::from_millis(150);
    let err = fetch_statement(&config, &token(), QUERY_ID)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("1019"), "{err}");
    let FlexWebError::Timeout {
        timeout,
        requests,
        last_code,
    } = err
    else {
        panic!("expected Timeout, got {err:?}");
    };
    assert_eq!(timeout, Duration::from_millis(150));
    assert_eq!(last_code, Some(FlexErrorCode::GenerationInProgress));
    // The deadline may cut off a request the fake has not yet recorded.
    let seen = fake.seen().len();
    assert!(
        requests as usize == seen || requests as usize == seen + 1,
        "{requests} vs {seen}"
    );
    // 150 ms with waits of 1, 2, then 4 ms: several polls, but never a tight loop.
    let polls = fake.seen_at("GetStatement").len();
    assert!((2..=40).contains(&polls), "{polls} polls");
}

#[tokio::test]
async fn rate_limit_waits_then_succeeds() {
    let (fake, config) = start(
        vec![
            Answer::Code(
                "Fail",
                1018,
                "Too many requests have been made from this token.",
            ),
            Answer::Reference,
        ],
        vec![
            Answer::Code(
                "Fail",
                1018,
                "Too many requests have been made from this token.",
            ),
            Answer::Body(STATEMENT_XML.into()),
        ],
    )
    .await;
    fetch_statement(&config, &token(), QUERY_ID).await.unwrap();
    for endpoint in ["SendRequest", "GetStatement"] {
        let seen = fake.seen_at(endpoint);
        assert_eq!(seen.len(), 2, "{endpoint}");
        assert!(
            seen[1].at - seen[0].at >= config.rate_limit_wait,
            "{endpoint} retried after {:?}",
            seen[1].at - seen[0].at
        );
    }
}

#[tokio::test]
async fn persistent_rate_limit_gives_up_after_bounded_retries() {
    let (fake, mut config) = start(
        vec![Answer::Code("Fail", 1018, "Too many requests.")],
        vec![],
    )
    .await;
    config.max_retries = 2;
    config.rate_limit_wait = Duration::from_millis(5);
    let err = fetch_statement(&config, &token(), QUERY_ID)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            FlexWebError::Service {
                stage: FlexStage::SendRequest,
                code: FlexErrorCode::TooManyRequests,
                ..
            }
        ),
        "{err:?}"
    );
    let seen = fake.seen();
    assert_eq!(seen.len(), 3);
    // Linear growth: 5 ms, then 10 ms.
    assert!(seen[1].at - seen[0].at >= Duration::from_millis(5));
    assert!(seen[2].at - seen[1].at >= Duration::from_millis(10));
}

#[tokio::test]
async fn fatal_codes_fail_at_once_with_ibkr_text_and_advice() {
    let cases: [(u16, &str, FlexErrorCode, &str); 10] = [
        (
            1003,
            "Statement is not available.",
            FlexErrorCode::StatementNotAvailable,
            "try again",
        ),
        (
            1010,
            "Legacy Flex Queries are no longer supported.",
            FlexErrorCode::LegacyQueryUnsupported,
            "Activity Flex Query",
        ),
        (
            1011,
            "Service account is inactive.",
            FlexErrorCode::ServiceInactive,
            "enable it",
        ),
        (
            1012,
            "Token has expired.",
            FlexErrorCode::TokenExpired,
            "generate a new one",
        ),
        (
            1013,
            "IP restriction.",
            FlexErrorCode::IpRestricted,
            "IP address",
        ),
        (
            1014,
            "Query is invalid.",
            FlexErrorCode::InvalidQuery,
            "Query ID",
        ),
        (
            1015,
            "Token is invalid.",
            FlexErrorCode::InvalidToken,
            "copy the current token",
        ),
        (
            1016,
            "Account in invalid.",
            FlexErrorCode::InvalidAccount,
            "account",
        ),
        (
            1020,
            "Invalid request or unable to validate request.",
            FlexErrorCode::InvalidRequest,
            "check the token",
        ),
        (
            1099,
            "Something new.",
            FlexErrorCode::Other(1099),
            "documentation",
        ),
    ];
    for (code, text, expected, advice) in cases {
        let (fake, config) = start(
            vec![Answer::Body(reply_xml("Fail", code, text).into())],
            vec![],
        )
        .await;
        let err = fetch_statement(&config, &token(), QUERY_ID)
            .await
            .unwrap_err();
        let FlexWebError::Service {
            stage,
            code: got,
            ref message,
        } = err
        else {
            panic!("{code}: expected Service, got {err:?}");
        };
        assert_eq!(stage, FlexStage::SendRequest);
        assert_eq!(got, expected);
        assert_eq!(message, text);
        let shown = err.to_string();
        assert!(shown.contains(&code.to_string()), "{shown}");
        assert!(shown.contains(text), "{shown}");
        assert!(shown.contains(advice), "{code}: {shown}");
        assert_eq!(fake.seen().len(), 1, "{code} must not be retried");
        assert_no_token(&err);
    }
}

#[tokio::test]
async fn expired_reference_code_at_get_statement_is_fatal() {
    let (fake, config) = start(
        vec![Answer::Reference],
        vec![Answer::Code("Fail", 1017, "Reference code is invalid.")],
    )
    .await;
    let err = fetch_statement(&config, &token(), QUERY_ID)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        FlexWebError::Service {
            stage: FlexStage::GetStatement,
            code: FlexErrorCode::InvalidReferenceCode,
            ..
        }
    ));
    assert_eq!(fake.seen_at("GetStatement").len(), 1);
}

#[tokio::test]
async fn invalid_request_at_get_statement_is_retried_once() {
    let too_soon = Answer::Code(
        "Fail",
        1020,
        "Invalid request or unable to validate request.",
    );
    let (fake, config) = start(
        vec![Answer::Reference],
        vec![too_soon.clone(), Answer::Body(STATEMENT_XML.into())],
    )
    .await;
    fetch_statement(&config, &token(), QUERY_ID).await.unwrap();
    assert_eq!(fake.seen_at("GetStatement").len(), 2);

    let (fake, config) = start(vec![Answer::Reference], vec![too_soon]).await;
    let err = fetch_statement(&config, &token(), QUERY_ID)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        FlexWebError::Service {
            code: FlexErrorCode::InvalidRequest,
            ..
        }
    ));
    assert_eq!(fake.seen_at("GetStatement").len(), 2);
}

#[tokio::test]
async fn transient_codes_are_retried() {
    let (fake, config) = start(
        vec![
            Answer::Code("Fail", 1009, "The server is under heavy load."),
            Answer::Reference,
        ],
        vec![
            Answer::Code(
                "Fail",
                1001,
                "Statement could not be generated at this time.",
            ),
            Answer::Code("Warn", 1004, "Statement is incomplete at this time."),
            Answer::Code(
                "Fail",
                1021,
                "Statement could not be retrieved at this time.",
            ),
            Answer::Body(STATEMENT_XML.into()),
        ],
    )
    .await;
    fetch_statement(&config, &token(), QUERY_ID).await.unwrap();
    assert_eq!(fake.seen_at("SendRequest").len(), 2);
    assert_eq!(fake.seen_at("GetStatement").len(), 4);

    // ...but only max_retries times.
    let (fake, config) = start(
        vec![Answer::Code(
            "Fail",
            1009,
            "The server is under heavy load.",
        )],
        vec![],
    )
    .await;
    let err = fetch_statement(&config, &token(), QUERY_ID)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        FlexWebError::Service {
            code: FlexErrorCode::ServerBusy,
            ..
        }
    ));
    assert_eq!(fake.seen().len() as u32, config.max_retries + 1);
}

#[tokio::test]
async fn http_500_is_reported() {
    let (fake, config) = start(vec![Answer::Status(500)], vec![]).await;
    let err = fetch_statement(&config, &token(), QUERY_ID)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            FlexWebError::HttpStatus {
                stage: FlexStage::SendRequest,
                status: 500,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("HTTP 500"));
    assert_eq!(fake.seen().len(), 1);
    assert_no_token(&err);

    let (_fake, config) = start(vec![Answer::Reference], vec![Answer::Status(503)]).await;
    let err = fetch_statement(&config, &token(), QUERY_ID)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        FlexWebError::HttpStatus {
            stage: FlexStage::GetStatement,
            status: 503,
            ..
        }
    ));
}

#[tokio::test]
async fn garbage_bodies_are_rejected() {
    let (_fake, config) = start(vec![Answer::Body(b"Service Unavailable".to_vec())], vec![]).await;
    let err = fetch_statement(&config, &token(), QUERY_ID)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            FlexWebError::MalformedResponse {
                stage: FlexStage::SendRequest,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("Service Unavailable"), "{err}");

    for body in [
        &b"<!DOCTYPE html><html><body>Maintenance</body></html>"[..],
        b"\x00\x01\x02\xff binary",
        b"",
        b"Please try again later",
    ] {
        let (_fake, config) =
            start(vec![Answer::Reference], vec![Answer::Body(body.to_vec())]).await;
        let err = fetch_statement(&config, &token(), QUERY_ID)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                FlexWebError::MalformedResponse {
                    stage: FlexStage::GetStatement,
                    ..
                }
            ),
            "{}: {err:?}",
            String::from_utf8_lossy(body)
        );
    }
}

#[tokio::test]
async fn truncated_statements_are_rejected() {
    let cut = &STATEMENT_XML[..STATEMENT_XML.len() / 2];
    let bof = "\"BOF\",\"U1234567\",\"pbal\",\"1\"\n\"HEADER\",\"POST\",\"Symbol\"\n\"DATA\",\"POST\",\"VTI\"\n";
    for body in [cut, bof] {
        let (_fake, config) = start(vec![Answer::Reference], vec![Answer::Body(body.into())]).await;
        let err = fetch_statement(&config, &token(), QUERY_ID)
            .await
            .unwrap_err();
        let FlexWebError::TruncatedStatement { received_bytes, .. } = err else {
            panic!("expected TruncatedStatement, got {err:?}");
        };
        assert_eq!(received_bytes, body.len());
    }
}

#[tokio::test]
async fn oversized_statement_is_rejected() {
    let (_fake, mut config) = start(
        vec![Answer::Reference],
        vec![Answer::Body(STATEMENT_XML.into())],
    )
    .await;
    config.max_statement_bytes = 100;
    let err = fetch_statement(&config, &token(), QUERY_ID)
        .await
        .unwrap_err();
    assert!(
        matches!(err, FlexWebError::StatementTooLarge { limit_bytes: 100 }),
        "{err:?}"
    );
}

#[tokio::test]
async fn untrusted_get_statement_url_gets_no_token() {
    for url in [
        "https://evil.example/AccountManagement/FlexWebService/GetStatement",
        "http://gdcdyn.interactivebrokers.com/AccountManagement/FlexWebService/GetStatement",
    ] {
        let (fake, config) = start(vec![Answer::ReferenceAt(url.to_owned())], vec![]).await;
        let err = fetch_statement(&config, &token(), QUERY_ID)
            .await
            .unwrap_err();
        assert!(
            matches!(err, FlexWebError::UnsafeUrl { .. }),
            "{url}: {err:?}"
        );
        assert_eq!(fake.seen().len(), 1);
    }
}

#[tokio::test]
async fn insecure_base_url_is_refused_before_any_request() {
    let mut config = FlexWebConfig::default();
    config.base_url =
        "http://ndcdyn.interactivebrokers.com/AccountManagement/FlexWebService".to_owned();
    let err = fetch_statement(&config, &token(), QUERY_ID)
        .await
        .unwrap_err();
    assert!(matches!(err, FlexWebError::UnsafeUrl { .. }), "{err:?}");
    assert!(err.to_string().contains("https"), "{err}");
}

#[tokio::test]
async fn bad_query_id_is_refused_before_any_request() {
    let (fake, config) = start(vec![Answer::Reference], vec![]).await;
    let err = fetch_statement(&config, &token(), "49 0027&t=x")
        .await
        .unwrap_err();
    assert!(
        matches!(err, FlexWebError::InvalidQueryId { .. }),
        "{err:?}"
    );
    assert!(fake.seen().is_empty());
}

#[tokio::test]
async fn token_absent_from_connection_errors() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut config = FlexWebConfig::default();
    config.base_url = format!("http://{addr}/AccountManagement/FlexWebService");
    config.request_timeout = Duration::from_secs(5);
    let err = fetch_statement(&config, &token(), QUERY_ID)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            FlexWebError::Transport {
                stage: FlexStage::SendRequest,
                ..
            }
        ),
        "{err:?}"
    );
    assert_no_token(&err);
    crate::error_chain::assert_each_cause_told_once(&err, 2);
}

#[tokio::test]
async fn token_absent_from_request_timeouts() {
    let (_fake, mut config) = start(vec![Answer::Slow(Duration::from_secs(30))], vec![]).await;
    config.request_timeout = Duration::from_millis(50);
    let err = fetch_statement(&config, &token(), QUERY_ID)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            FlexWebError::RequestTimedOut {
                stage: FlexStage::SendRequest,
                ..
            }
        ),
        "{err:?}"
    );
    assert_no_token(&err);
}

#[tokio::test]
async fn token_echoed_by_the_server_is_redacted() {
    let (_fake, config) = start(vec![Answer::EchoQuery], vec![]).await;
    let err = fetch_statement(&config, &token(), QUERY_ID)
        .await
        .unwrap_err();
    let FlexWebError::MalformedResponse { ref excerpt, .. } = err else {
        panic!("expected MalformedResponse, got {err:?}");
    };
    assert!(excerpt.contains("***"), "{excerpt}");
    assert!(!err.to_string().contains(TOKEN));
    assert!(!format!("{err:?}").contains(TOKEN));
}

/// A tracing subscriber that writes every event and span field into a string.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<String>>);

struct FieldWriter<'a>(&'a mut String);

impl tracing::field::Visit for FieldWriter<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        span.record(&mut FieldWriter(&mut self.0.lock().unwrap()));
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        values.record(&mut FieldWriter(&mut self.0.lock().unwrap()));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut out = self.0.lock().unwrap();
        out.push('\n');
        event.record(&mut FieldWriter(&mut out));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn token_absent_from_logs() {
    let capture = Capture::default();
    // current_thread runtime: the thread-local default covers the whole fetch.
    // With a single live dispatcher, tracing computes the interest of callsites that other
    // tests' threads register meanwhile from *their* default (none), caching "never". A
    // second live dispatcher makes it consult every registered one, including ours.
    let _second = tracing::Dispatch::new(Capture::default());
    let _guard = tracing::dispatcher::set_default(&tracing::Dispatch::new(capture.clone()));
    let (_fake, config) = start(
        vec![
            Answer::Code("Fail", 1018, "Too many requests."),
            Answer::Reference,
        ],
        vec![in_progress(), Answer::Body(STATEMENT_XML.into())],
    )
    .await;
    fetch_statement(&config, &token(), QUERY_ID).await.unwrap();
    let logs = capture.0.lock().unwrap().clone();
    assert!(logs.contains("1019") && logs.contains("1018"), "{logs}");
    assert!(!logs.contains(TOKEN), "{logs}");
    assert!(!logs.contains(REFERENCE), "{logs}");
}

/// IBKR-sized waits on a paused clock: loopback replies are ready as soon as they are
/// written, so the clock only jumps while the client sleeps.
#[tokio::test(start_paused = true)]
async fn default_schedule_on_paused_clock() {
    let (fake, test_config) = start(vec![Answer::Reference], vec![in_progress()]).await;
    let mut config = FlexWebConfig::default();
    config.base_url = test_config.base_url;
    // Off the 30 s polling grid, so the deadline never ties with a poll.
    config.overall_timeout = Duration::from_secs(601);
    let started = Instant::now();
    let err = fetch_statement(&config, &token(), QUERY_ID)
        .await
        .unwrap_err();
    assert!(
        matches!(err, FlexWebError::Timeout { requests: 24, .. }),
        "{err:?}"
    );
    let offsets: Vec<u64> = fake
        .seen_at("GetStatement")
        .iter()
        .map(|s| (s.at - started).as_secs())
        .collect();
    // 2 s before the first poll, then 4, 8, 16 and 30 s (the cap) between polls; the poll
    // after 600 s would overrun the 601 s timeout, so the client stops without sleeping.
    let mut expected = vec![2, 6, 14, 30];
    expected.extend((60..=600).step_by(30));
    assert_eq!(offsets, expected);
    assert!(Instant::now() - started < Duration::from_secs(601));
}

#[tokio::test(start_paused = true)]
async fn rate_limit_pauses_on_paused_clock() {
    let busy = Answer::Code(
        "Fail",
        1018,
        "Too many requests have been made from this token.",
    );
    let (fake, test_config) = start(
        vec![busy.clone(), busy, Answer::Reference],
        vec![Answer::Body(STATEMENT_XML.into())],
    )
    .await;
    let mut config = FlexWebConfig::default();
    config.base_url = test_config.base_url;
    let started = Instant::now();
    fetch_statement(&config, &token(), QUERY_ID).await.unwrap();
    let offsets: Vec<u64> = fake
        .seen()
        .iter()
        .map(|s| (s.at - started).as_secs())
        .collect();
    // 15 s, then 30 s after the second 1018; the first poll 2 s after the reference code.
    assert_eq!(offsets, [0, 15, 45, 47]);
}
