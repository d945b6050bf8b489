//! HTTP plumbing: the runtime thread, the single handler, and the checks every request
//! passes before routing (rate limits, the `/v1/api` prefix, 411, faults), plus the log.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body as HttpBody, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, Uri, header};
use axum_server::tls_rustls::RustlsConfig;
use serde_json::Value;
use tokio::sync::oneshot;

use crate::fault::Fault;
use crate::reply::{Body, Reply};
use crate::routes::{self, Request};
use crate::state::Gateway;

/// The gateway state shared by the handler and the test's handle.
pub(crate) type Shared = Arc<Mutex<Gateway>>;

/// Locks the state; a panic in another handler must not hide the log from the test.
pub(crate) fn lock(shared: &Shared) -> MutexGuard<'_, Gateway> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How long a hung order POST sleeps before it answers (clients time out well before).
const HANG: Duration = Duration::from_mins(1);

/// Serves `listener` on a new thread with its own multi-thread runtime until `stop` fires.
pub(crate) fn spawn(
    shared: Shared,
    listener: std::net::TcpListener,
    tls: RustlsConfig,
) -> (oneshot::Sender<()>, JoinHandle<()>) {
    let (stop, stopped) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("fake-gateway".to_owned())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("fake-gateway-worker")
                .enable_all()
                .build()
                .expect("the fake gateway builds its runtime");
            runtime.block_on(async move {
                let server = axum_server::from_tcp_rustls(listener, tls)
                    .expect("the fake gateway serves its bound listener");
                let app = Router::new().fallback(handle).with_state(shared);
                tokio::spawn(async move {
                    // Only ends with the runtime; errors have nobody to go to.
                    let _ = server.serve(app.into_make_service()).await;
                });
                let _ = stopped.await;
            });
            // Drops hung handlers and open connections without waiting for them.
            runtime.shutdown_background();
        })
        .expect("the fake gateway starts its thread");
    (stop, thread)
}

async fn handle(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<HttpBody> {
    let reply = {
        let mut gw = lock(&shared);
        process(&mut gw, &method, &uri, &headers, &body)
    };
    if reply.hang {
        tokio::time::sleep(HANG).await;
    }
    into_response(reply)
}

/// Runs the checks in the order the gateway applies them and logs the request.
fn process(
    gw: &mut Gateway,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Reply {
    let path = uri.path();
    let api_path = path
        .strip_prefix("/v1/api")
        .or_else(|| path.strip_prefix("/v1/portal"))
        .filter(|rest| rest.starts_with('/'));
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let reply = if !gw.limiter.allow(&gw.setup.limits, api_path, Instant::now()) {
        Reply::empty(429)
    } else if let Some(api_path) = api_path {
        api(gw, method, uri, api_path, headers, body, json.clone())
    } else {
        // Reference §1: outside the API router the login handlers answer, never JSON.
        Reply::login_redirect()
    };
    let status = if reply.hang { 0 } else { reply.status };
    let response = match &reply.body {
        Body::Json(value) if !reply.hang => Some(value.clone()),
        _ => None,
    };
    gw.record(method.as_str(), path, uri.query(), json, status, response);
    reply
}

fn api(
    gw: &mut Gateway,
    method: &Method,
    uri: &Uri,
    api_path: &str,
    headers: &HeaderMap,
    body: &Bytes,
    json: Option<Value>,
) -> Reply {
    if method == Method::POST {
        // Reference §0: IBKR answers 411 when Content-Length is missing; give every POST `{}`.
        if !headers.contains_key(header::CONTENT_LENGTH) || body.is_empty() {
            return Reply::empty(411);
        }
        if json.is_none() {
            return Reply::error(400, "Bad Request: malformed JSON body");
        }
    }
    if gw.session == crate::SessionState::Unanswered {
        let mut reply = Reply::empty(504);
        reply.hang = true;
        return reply;
    }
    if let Some(reply) = fault_reply(gw, uri.path()) {
        return reply;
    }
    let query = Query::<HashMap<String, String>>::try_from_uri(uri)
        .map(|Query(q)| q)
        .unwrap_or_default();
    let request = Request {
        method: method.as_str().to_owned(),
        path: api_path.to_owned(),
        query,
        body: json,
    };
    routes::route(gw, &request)
}

/// Fires the first armed path fault matching `path`.
fn fault_reply(gw: &mut Gateway, path: &str) -> Option<Reply> {
    let count_down = |times: &mut u32| {
        *times = times.saturating_sub(1);
        *times == 0
    };
    let fault = gw.take_fault(|fault| match fault {
        Fault::Status429 {
            path_contains,
            times,
        }
        | Fault::Status503 {
            path_contains,
            times,
        } if *times > 0 && path.contains(path_contains.as_str()) => Some(count_down(times)),
        Fault::Html { path_contains } | Fault::ErrorWith200 { path_contains, .. }
            if path.contains(path_contains.as_str()) =>
        {
            Some(true)
        }
        _ => None,
    })?;
    Some(match fault {
        Fault::Status429 { .. } => Reply::empty(429),
        Fault::Status503 { .. } => Reply::error(503, "Service Unavailable"),
        Fault::Html { .. } => Reply::html(),
        Fault::ErrorWith200 { message, .. } => Reply::bare_error(200, &message),
        Fault::HangAfterAccept { .. }
        | Fault::UnknownQuestion
        | Fault::NoSession
        | Fault::AdvancedReject { .. }
        | Fault::QuestionWithoutIds
        | Fault::ErrorOnPlace { .. }
        | Fault::SessionEndsAfter { .. } => return None,
    })
}

fn into_response(reply: Reply) -> Response<HttpBody> {
    let (content_type, body) = match reply.body {
        Body::Json(value) => (
            Some("application/json;charset=utf-8"),
            HttpBody::from(value.to_string()),
        ),
        Body::Html(html) => (Some("text/html;charset=utf-8"), HttpBody::from(html)),
        Body::Empty => (None, HttpBody::empty()),
    };
    let mut response = Response::new(body);
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    if let Some(content_type) = content_type {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    if let Some(location) = reply.location {
        headers.insert(header::LOCATION, HeaderValue::from_static(location));
    }
    response
}
