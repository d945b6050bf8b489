//! `pbal fetch` and `pbal plan --flex-query` against a stand-in Flex Web Service.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;

use crate::common::{Pbal, fixture};

const TOKEN: &str = "1234567890abcdef1234";

/// Serves SendRequest and GetStatement on 127.0.0.1: one "in progress" reply, then `statement`.
fn start_fake(statement: String) -> (String, Arc<Mutex<Vec<String>>>) {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let (tx, rx) = std::sync::mpsc::channel();
    let log = seen.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}/AccountManagement/FlexWebService", listener.local_addr().unwrap());
            let get_url = format!("{base}/GetStatement");
            tx.send(base).unwrap();
            let polls = Arc::new(Mutex::new(0u32));
            let router = Router::new()
                .route(
                    "/AccountManagement/FlexWebService/SendRequest",
                    get(move |State(log): State<Arc<Mutex<Vec<String>>>>, Query(q): Query<Vec<(String, String)>>| {
                        let get_url = get_url.clone();
                        async move {
                            log.lock().unwrap().push(format!("send {q:?}"));
                            format!(
                                "<FlexStatementResponse><Status>Success</Status><ReferenceCode>42</ReferenceCode><Url>{get_url}</Url></FlexStatementResponse>"
                            )
                        }
                    }),
                )
                .route(
                    "/AccountManagement/FlexWebService/GetStatement",
                    get(move |State(log): State<Arc<Mutex<Vec<String>>>>| {
                        let polls = polls.clone();
                        let statement = statement.clone();
                        async move {
                            log.lock().unwrap().push("get".to_owned());
                            let mut n = polls.lock().unwrap();
                            *n += 1;
                            if *n == 1 {
                                "<FlexStatementResponse><Status>Warn</Status><ErrorCode>1019</ErrorCode><ErrorMessage>Statement generation in progress. Please try again shortly.</ErrorMessage></FlexStatementResponse>".to_owned()
                            } else {
                                statement
                            }
                        }
                    }),
                )
                .with_state(log);
            axum::serve(listener, router).await.unwrap();
        });
    });
    (rx.recv().unwrap(), seen)
}

#[test]
fn plan_straight_from_a_flex_query() {
    let statement = std::fs::read_to_string(fixture("positions-custom.csv")).unwrap();
    let (url, seen) = start_fake(statement);
    let pbal = Pbal::new();
    let out = pbal
        .cmd()
        .env("PBAL_FLEX_TOKEN", TOKEN)
        .env("PBAL_FLEX_URL", &url)
        .env("PBAL_FLEX_POLL_MS", "1")
        .args(["plan", "--flex-query", "490027", "-c", "5000", "-f", "csv"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("VCR,BUY,10"), "{stdout}");
    assert!(!stderr.contains(TOKEN));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(
        seen[0].contains("490027") && seen[0].contains("\"v\", \"3\""),
        "{seen:?}"
    );
}

#[test]
fn fetch_writes_the_statement_and_needs_the_token_in_the_environment() {
    let (url, _) = start_fake(
        "\"Symbol\",\"PositionValue\",\"MarkPrice\"\n\"VTI\",\"100\",\"10\"\n".to_owned(),
    );
    let pbal = Pbal::new();
    let target = pbal.home.path().join("statement.csv");
    let out = pbal
        .cmd()
        .env("PBAL_FLEX_TOKEN", TOKEN)
        .env("PBAL_FLEX_URL", &url)
        .env("PBAL_FLEX_POLL_MS", "1")
        .args(["fetch", "--query", "1", "-o", target.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .contains("\"VTI\"")
    );

    let (code, _, stderr) = pbal.run(&["fetch", "--query", "1"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("PBAL_FLEX_TOKEN"), "{stderr}");
}
