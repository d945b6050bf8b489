//! Reference §0 and §5: rate limits, penalty box, injected faults.

use std::time::Duration;

use pbal_fake_gateway::{Fault, Limits, Setup};
use serde_json::json;

use crate::support::Api;

#[tokio::test]
async fn global_limit_then_penalty_box() {
    let limits = Limits {
        global_per_sec: Some(3),
        penalty: Duration::from_millis(300),
        endpoints: Vec::new(),
    };
    let api = Api::new(Setup::ten_etfs().limits(limits));
    for _ in 0..3 {
        assert_eq!(
            api.post("/iserver/auth/status", json!({})).await.status,
            200
        );
    }
    let limited = api.post("/iserver/auth/status", json!({})).await;
    assert_eq!((limited.status, limited.text.as_str()), (429, ""));
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    // The window is clear, but the box held until its end; now both are over.
    assert_eq!(
        api.post("/iserver/auth/status", json!({})).await.status,
        200
    );
}

#[tokio::test]
async fn penalty_box_covers_every_endpoint() {
    let limits = Limits {
        global_per_sec: Some(2),
        penalty: Duration::from_secs(30),
        endpoints: Vec::new(),
    };
    let api = Api::new(Setup::ten_etfs().limits(limits));
    api.get("/sso/validate").await;
    api.get("/sso/validate").await;
    assert_eq!(api.get("/sso/validate").await.status, 429);
    assert_eq!(api.post("/tickle", json!({})).await.status, 429);
    assert_eq!(api.get("/portfolio/accounts").await.status, 429);
}

#[tokio::test]
async fn reference_endpoint_limits() {
    let api = Api::new(Setup::ten_etfs());
    assert_eq!(api.post("/tickle", json!({})).await.status, 200);
    let second = api.post("/tickle", json!({})).await;
    assert_eq!((second.status, second.text.as_str()), (429, ""));
    assert_eq!(api.get("/portfolio/accounts").await.status, 200);
    assert_eq!(api.get("/portfolio/accounts").await.status, 429);
    api.get("/iserver/accounts").await;
    assert_eq!(api.get("/iserver/account/orders").await.status, 200);
    assert_eq!(api.get("/iserver/account/orders").await.status, 429);
    // Other endpoints are unaffected.
    assert_eq!(
        api.post("/iserver/auth/status", json!({})).await.status,
        200
    );
}

#[tokio::test]
async fn counted_status_faults() {
    let api = Api::plain();
    api.gw.inject(Fault::Status429 {
        path_contains: "/tickle".to_owned(),
        times: 2,
    });
    api.gw.inject(Fault::status_503("/iserver/accounts"));
    assert_eq!(api.post("/tickle", json!({})).await.status, 429);
    assert_eq!(api.post("/tickle", json!({})).await.status, 429);
    assert_eq!(api.post("/tickle", json!({})).await.status, 200);
    assert_eq!(api.get("/iserver/accounts").await.status, 503);
    assert_eq!(api.get("/iserver/accounts").await.status, 200);
}

#[tokio::test]
async fn html_and_error_with_200_faults() {
    let api = Api::plain();
    api.gw.inject(Fault::html("/portfolio/accounts"));
    api.gw
        .inject(Fault::error_with_200("/iserver/accounts", "Internal error"));
    let html = api.get("/portfolio/accounts").await;
    assert_eq!(html.status, 200);
    assert!(html.content_type.starts_with("text/html"));
    assert!(html.text.starts_with("<!DOCTYPE html>"));
    let error = api.get("/iserver/accounts").await;
    assert_eq!(
        (error.status, error.json()),
        (200, json!({"error": "Internal error"}))
    );
    assert_eq!(api.get("/portfolio/accounts").await.status, 200);
}
