//! `pbal trade`, `status`, `cancel` and `gateway trust` driven against the in-process fake
//! Client Portal gateway (HTTPS on loopback, the reference's quirks included).

use std::collections::BTreeSet;
use std::path::PathBuf;

use pbal_fake_gateway::{FakeGateway, Fault, FillMode, SessionState, Setup, Side};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::common::Pbal;

const ACCOUNT: &str = "DU1234567";

/// A pbal environment pointed at a fake gateway whose certificate it trusts.
struct Live {
    pbal: Pbal,
    gateway: FakeGateway,
    cert: PathBuf,
}

impl Live {
    fn new(setup: Setup) -> Self {
        let pbal = Pbal::new();
        let gateway = FakeGateway::start(setup);
        let cert = pbal.write("gateway.pem", &gateway.cert_pem());
        Self {
            pbal,
            gateway,
            cert,
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.pbal.home.path().join("data")
    }

    /// Runs `pbal <command> --gateway … --gateway-cert … <args>` with `stdin`.
    fn run(&self, command: &str, args: &[&str], stdin: &str) -> (i32, String, String) {
        let url = self.gateway.url();
        let cert = self.cert.display().to_string();
        let mut all = vec![command];
        if command == "gateway" {
            all.extend(args);
        } else {
            all.extend(["--gateway", url.as_str(), "--gateway-cert", cert.as_str()]);
            all.extend(args);
        }
        let out = self
            .pbal
            .cmd()
            .env("PBAL_DATA_DIR", self.data_dir())
            .args(&all)
            .write_stdin(stdin)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    fn journal(&self) -> Vec<Value> {
        std::fs::read_to_string(self.data_dir().join("journal.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn events(&self) -> Vec<String> {
        self.journal()
            .iter()
            .map(|e| e["event"].as_str().unwrap().to_owned())
            .collect()
    }

    fn order_posts(&self) -> usize {
        self.gateway
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/orders"))
            .count()
    }
}

fn fast() -> Setup {
    // The reference's rate limits stay on (pbal must pace itself, across runs too); the
    // penalty box is the fake's short one. Orders fill when placed unless a test says not.
    Setup::ten_etfs().fills(FillMode::Immediate)
}

#[test]
fn buys_with_the_ledger_cash_after_a_preview_and_answers_known_questions() {
    let live = Live::new(fast());
    let (code, stdout, stderr) = live.run("trade", &["--yes", "--as-of", "2026-11-25"], "");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("IBKR's preview (whatif)"), "{stdout}");
    for id in ["o163", "o354", "o383", "o451", "o10151", "o10153", "p12"] {
        assert!(stdout.contains(id), "allow-list not shown: {stdout}");
    }
    let orders = live.gateway.orders();
    assert!(!orders.is_empty());
    assert!(
        orders.iter().all(|o| o.side == Side::Buy),
        "buy-only sold: {orders:?}"
    );
    // Never more than the ledger's 10,000 (orders filled at the snapshot price).
    let spent: Decimal = orders
        .iter()
        .map(|o| o.quantity * o.avg_fill_price.unwrap())
        .sum();
    assert!(spent <= Decimal::from(10_000), "spent {spent}");
    assert!(spent > Decimal::from(9_000), "left too much: {spent}");
    // Every order is pbal's, each id once.
    let ids: BTreeSet<_> = orders.iter().map(|o| o.c_oid.clone().unwrap()).collect();
    assert_eq!(ids.len(), orders.len());
    assert!(
        ids.iter()
            .all(|c| c.starts_with("pbal-20261125-") && c.len() <= 64)
    );
    // Three questions per order, all on the default allow-list, all answered yes.
    let events = live.events();
    assert_eq!(events.first().map(String::as_str), Some("plan"));
    assert_eq!(events.last().map(String::as_str), Some("rebalance"));
    let questions = live
        .journal()
        .into_iter()
        .filter(|e| e["event"] == "question");
    assert!(questions.clone().count() >= 3 * orders.len());
    assert!(questions.into_iter().all(|q| q["answer"] == "yes"));
    // The journal holds no account number.
    let raw = std::fs::read_to_string(live.data_dir().join("journal.jsonl")).unwrap();
    assert!(!raw.contains(ACCOUNT), "{raw}");
}

#[test]
fn dry_run_previews_every_order_and_places_none() {
    let live = Live::new(fast());
    let (code, stdout, stderr) = live.run("trade", &["--dry-run", "-s", "full", "--cash", "0"], "");
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Dry run: nothing was placed."), "{stdout}");
    assert!(stdout.contains("SELL"), "{stdout}");
    assert_eq!(live.order_posts(), 0);
    let whatifs = live
        .gateway
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/orders/whatif"))
        .count();
    assert!(whatifs >= 2, "one whatif per order");
    assert!(live.gateway.orders().is_empty());
    assert!(live.events().is_empty(), "a dry run writes no journal");
}

#[test]
fn places_nothing_unless_the_account_id_is_typed() {
    let live = Live::new(fast());
    let (code, _, stderr) = live.run("trade", &[], "yes\n");
    assert_eq!(code, 1);
    assert!(
        stderr.contains("not confirmed: nothing was placed"),
        "{stderr}"
    );
    assert_eq!(live.order_posts(), 0);

    let (code, _, stderr) = live.run("trade", &["--fill-timeout", "5"], &format!("{ACCOUNT}\n"));
    assert_eq!(code, 0, "{stderr}");
    assert!(!live.gateway.orders().is_empty());
}

#[test]
fn full_rebalance_sells_first_then_buys_with_the_real_cash() {
    // Fills arrive later: each order shows working twice before it fills.
    let live = Live::new(fast().fills(FillMode::AfterStatusPolls(2)));
    let (code, stdout, stderr) = live.run("trade", &["--yes", "-s", "full", "--cash", "0"], "");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let orders = live.gateway.orders();
    let first_buy = orders.iter().position(|o| o.side == Side::Buy).unwrap();
    assert!(first_buy > 0, "no sells: {orders:?}");
    assert!(
        orders[first_buy..].iter().all(|o| o.side == Side::Buy),
        "{orders:?}"
    );
    assert!(stdout.contains("Cash after the sells"), "{stdout}");
    assert!(stdout.contains("Waiting for the sells to fill"), "{stdout}");
    assert!(
        orders
            .iter()
            .all(|o| o.status == pbal_fake_gateway::OrderStatus::Filled)
    );
    // Cash never below zero at the gateway.
    assert!(live.gateway.ledger_cash(ACCOUNT, "USD") >= Decimal::ZERO);
}

#[test]
fn an_unknown_question_stops_with_the_order_unplaced() {
    let live = Live::new(fast());
    live.gateway.inject(Fault::UnknownQuestion);
    let (code, _, stderr) = live.run("trade", &["--yes"], "");
    assert_eq!(code, 1);
    assert!(
        stderr.contains("o99999") && stderr.contains("NOT placed"),
        "{stderr}"
    );
    assert!(live.gateway.orders().is_empty());
    let declined = live
        .journal()
        .into_iter()
        .filter(|e| e["event"] == "question" && e["answer"] == "no")
        .count();
    assert_eq!(declined, 1);
    assert!(!live.events().contains(&"rebalance".to_owned()));

    // Allowing it lets the next run through.
    live.gateway.inject(Fault::UnknownQuestion);
    let (code, _, stderr) = live.run("trade", &["--yes", "--allow-question", "o99999"], "");
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_rerun_after_a_lost_answer_never_places_an_order_twice() {
    let live = Live::new(fast().fills(FillMode::Manual));
    live.gateway.inject(Fault::HangAfterAccept { times: 1 });
    let args = ["--yes", "--request-timeout", "2", "--fill-timeout", "1"];
    let (code, _, stderr) = live.run("trade", &args, "");
    assert_eq!(code, 1);
    assert!(stderr.contains("may have been placed"), "{stderr}");
    assert_eq!(
        live.gateway.orders().len(),
        1,
        "the gateway accepted the first order"
    );
    assert!(live.events().contains(&"order_failed".to_owned()));

    let (code, stdout, stderr) = live.run("trade", &args, "");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("placed by an earlier run"), "{stdout}");
    let orders = live.gateway.orders();
    let ids: BTreeSet<_> = orders.iter().map(|o| o.c_oid.clone()).collect();
    assert_eq!(
        ids.len(),
        orders.len(),
        "an order was placed twice: {orders:?}"
    );
    assert!(live.events().contains(&"order_found".to_owned()));
}

#[test]
fn refuses_orders_above_max_order_before_placing_anything() {
    let live = Live::new(fast());
    let (code, _, stderr) = live.run("trade", &["--yes", "--max-order", "100"], "");
    assert_eq!(code, 1);
    assert!(stderr.contains("above --max-order 100"), "{stderr}");
    assert_eq!(live.order_posts(), 0);
}

#[test]
fn session_problems_explain_what_to_do() {
    let live = Live::new(fast().session(SessionState::LoggedOut));
    let (code, _, stderr) = live.run("status", &[], "");
    assert_eq!(code, 1);
    assert!(stderr.contains("log in"), "{stderr}");

    live.gateway.set_session(SessionState::Competing);
    let (code, _, stderr) = live.run("status", &[], "");
    assert_eq!(code, 1);
    assert!(stderr.contains("another session"), "{stderr}");

    // Not bridged: pbal restarts the brokerage session itself.
    live.gateway.set_session(SessionState::NoBridge);
    let (code, stdout, stderr) = live.run("status", &[], "");
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Account: DU1234567 (paper)"), "{stdout}");
    assert!(
        live.gateway
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/iserver/auth/ssodh/init"))
    );
}

#[test]
fn a_429_is_never_retried() {
    let live = Live::new(fast());
    live.gateway
        .inject(Fault::status_429("marketdata/snapshot"));
    let (code, _, stderr) = live.run("trade", &["--dry-run"], "");
    assert_eq!(code, 1);
    assert!(
        stderr.contains("429") && stderr.contains("wait"),
        "{stderr}"
    );
    let snapshots = live
        .gateway
        .requests()
        .iter()
        .filter(|r| r.path.contains("marketdata/snapshot"))
        .count();
    assert_eq!(snapshots, 1);
}

#[test]
fn reads_survive_a_503_burst() {
    let live = Live::new(fast());
    live.gateway.inject(Fault::Status503 {
        path_contains: "/ledger".into(),
        times: 2,
    });
    let (code, _, stderr) = live.run("status", &[], "");
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn status_shows_open_orders_and_cancel_cancels_only_pbals() {
    let live = Live::new(fast().fills(FillMode::Manual));
    let (code, _, stderr) = live.run("trade", &["--yes", "--fill-timeout", "1"], "");
    assert_eq!(code, 0, "{stderr}");
    let placed = live.gateway.orders().len();
    assert!(placed > 0);

    let (code, stdout, stderr) = live.run("status", &["--format", "json"], "");
    assert_eq!(code, 0, "{stderr}");
    let status: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(status["open_orders"].as_array().unwrap().len(), placed);
    assert_eq!(status["last_rebalance"].as_str().map(str::len), Some(10));

    let (code, stdout, stderr) = live.run("cancel", &["--yes"], "");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("Cancelled {placed} order(s).")),
        "{stdout}"
    );
    assert!(
        live.gateway
            .orders()
            .iter()
            .all(|o| o.status == pbal_fake_gateway::OrderStatus::Cancelled)
    );
}

#[test]
fn trust_pins_the_gateway_certificate() {
    let live = Live::new(fast());
    // Without a pinned certificate the system roots reject the self-signed one.
    let url = live.gateway.url();
    let out = live
        .pbal
        .cmd()
        .env("PBAL_DATA_DIR", live.data_dir())
        .args(["status", "--gateway", &url])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("pbal gateway trust"), "{stderr}");

    let (code, stdout, stderr) = live.run("gateway", &["trust", "--gateway", &url, "--yes"], "");
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("SHA-256"), "{stdout}");
    let saved = std::fs::read_to_string(live.data_dir().join("gateway.pem")).unwrap();
    let squash = |s: &str| s.split_whitespace().collect::<String>();
    assert_eq!(squash(&saved), squash(&live.gateway.cert_pem()));

    // Now plain `pbal status` trusts it.
    let out = live
        .pbal
        .cmd()
        .env("PBAL_DATA_DIR", live.data_dir())
        .args(["status", "--gateway", &url])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The insecure mode accepts the unverified certificate on loopback...
    let out = live
        .pbal
        .cmd()
        .env("PBAL_DATA_DIR", live.pbal.home.path().join("other"))
        .args(["status", "--gateway", &url, "--insecure-localhost"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // ...and only there.
    let out = live
        .pbal
        .cmd()
        .args([
            "status",
            "--gateway",
            "https://192.0.2.1:5000",
            "--insecure-localhost",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}
