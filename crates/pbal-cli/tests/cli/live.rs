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

/// Every test's requests, and the fake's answers to them, are held to IBKR's spec models
/// (`pbal_fake_gateway::spec`) when it ends.
impl Drop for Live {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let found = pbal_fake_gateway::spec::violations(&self.gateway.requests());
        assert!(
            found.is_empty(),
            "requests or answers off IBKR's spec:\n{}",
            found.join("\n")
        );
    }
}

/// The contract test in one place: a run touching the order, question, status, cancel,
/// positions and ledger routes conforms, and the check is not vacuous (it sees those routes).
#[test]
fn every_request_and_answer_follows_ibkrs_spec() {
    let live = Live::new(
        fast()
            .fills(FillMode::Manual)
            .questions(&["o10153", "o163"]),
    );
    let (code, stdout, stderr) = live.run(
        "trade",
        &[
            "--yes",
            "-s",
            "full",
            "--cash-total",
            "0",
            "--order-type",
            "lmt",
            "--allow-question",
            "o163",
            "--fill-timeout",
            "1",
        ],
        "",
    );
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    let (code, _, stderr) = live.run("cancel", &["--yes"], "");
    assert_eq!(code, 0, "{stderr}");
    let requests = live.gateway.requests();
    for route in [
        "/orders/whatif",
        "/iserver/reply/",
        "/iserver/account/order/status/",
        "/ledger",
        "/positions/",
        "/iserver/account/orders",
    ] {
        assert!(
            requests
                .iter()
                .any(|r| r.path.contains(route) && r.response.is_some()),
            "no {route} answer recorded"
        );
    }
    assert!(requests.iter().any(|r| r.method == "DELETE"), "no cancel");
    assert_eq!(
        pbal_fake_gateway::spec::violations(&requests),
        Vec::<String>::new()
    );
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
    assert!(
        stdout.contains("answers \"yes\" to: o10151, o10153, o403, p12.")
            && stdout.contains("Precautionary Settings (o163, o383, o451)"),
        "allow-list not shown: {stdout}"
    );
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
    // Two questions per market order (o10151, o10153), on the default list, answered yes.
    let events = live.events();
    assert_eq!(events.first().map(String::as_str), Some("plan"));
    assert_eq!(events.last().map(String::as_str), Some("rebalance"));
    let questions = live
        .journal()
        .into_iter()
        .filter(|e| e["event"] == "question");
    assert_eq!(questions.clone().count(), 2 * orders.len());
    assert!(questions.into_iter().all(|q| q["answer"] == "yes"));
    // The journal holds no account number.
    let raw = std::fs::read_to_string(live.data_dir().join("journal.jsonl")).unwrap();
    assert!(!raw.contains(ACCOUNT), "{raw}");
}

#[test]
fn dry_run_previews_every_order_and_places_none() {
    let live = Live::new(fast());
    let (code, stdout, stderr) = live.run(
        "trade",
        &["--dry-run", "-s", "full", "--cash-total", "0"],
        "",
    );
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
    let (code, stdout, stderr) =
        live.run("trade", &["--yes", "-s", "full", "--cash-total", "0"], "");
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
    // The session is kept alive while waiting for fills.
    assert!(
        live.gateway
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/tickle"))
    );
}

#[test]
fn an_unknown_question_stops_with_the_order_unplaced() {
    let live = Live::new(fast());
    live.gateway.inject(Fault::UnknownQuestion);
    let (code, _, stderr) = live.run("trade", &["--yes"], "");
    assert_eq!(code, 1);
    assert!(
        stderr.contains("o99999")
            && stderr.contains("NOT placed")
            && stderr.contains("allow it with --allow-question o99999 and run again"),
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
    // The lost answer is looked up at once: the order is there, so the run goes on.
    let (code, stdout, stderr) = live.run("trade", &args, "");
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("the gateway gave no answer; the live orders, read at once, list it"),
        "{stdout}"
    );
    let first = live.gateway.orders();
    assert!(first.len() > 1, "the run went on: {first:?}");
    assert!(live.events().contains(&"order_found".to_owned()));

    // The orders stay working (manual fills): an honest ending, exit 3, no "Done.".
    let (code, stdout, stderr) = live.run("trade", &args, "");
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    assert!(stdout.contains("placed by an earlier run"), "{stdout}");
    assert!(
        stdout.contains("Summary:") && stdout.contains("working") && !stdout.contains("Done."),
        "{stdout}"
    );
    assert!(stderr.contains("not every order filled"), "{stderr}");
    assert!(!live.events().contains(&"rebalance".to_owned()));
    let orders = live.gateway.orders();
    assert_eq!(orders.len(), first.len(), "{orders:?}");
    let ids: BTreeSet<_> = orders.iter().map(|o| o.c_oid.clone()).collect();
    assert_eq!(
        ids.len(),
        orders.len(),
        "an order was placed twice: {orders:?}"
    );
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
    assert_eq!(code, 3, "orders still working: {stderr}");
    let placed = live.gateway.orders().len();
    assert!(placed > 0);

    let (code, stdout, stderr) = live.run("status", &["--format", "json"], "");
    assert_eq!(code, 0, "{stderr}");
    let status: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(status["open_orders"].as_array().unwrap().len(), placed);
    assert!(
        status["last_rebalance"].is_null(),
        "an unfilled rebalance is not complete: {status}"
    );

    let (code, stdout, stderr) = live.run("cancel", &["--yes"], "");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "Cancelled {placed} order{}.",
            if placed == 1 { "" } else { "s" }
        )),
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
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("loopback")
            && stderr.contains("--insecure-localhost is only for a gateway on this machine"),
        "{stderr}"
    );
}

/// IBKR's shipped certificate (expired, not named localhost) when the fake serves it: `trust`
/// says so plainly, and the pinned certificate then works for every command.
#[test]
fn trust_explains_ibkrs_expired_certificate() {
    let live = Live::new(fast().session(SessionState::Unanswered));
    let url = live.gateway.url();
    let (code, stdout, stderr) = live.run("gateway", &["trust", "--gateway", &url, "--yes"], "");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("Subject:") && stdout.contains("Valid:") && stdout.contains("SHA-256:"),
        "{stdout}"
    );
    assert!(live.gateway.requests().is_empty(), "handshake only");
    if !live.gateway.serves_shipped_certificate() {
        notice("SKIPPED (partly): IBKR's shipped certificate is not beside the workspace");
        return;
    }
    assert!(
        stdout.contains("Client Portal Web API")
            && stdout.contains("2019-05-11T16:26:02Z")
            && stdout.contains("expired on 2019-05-11")
            && stdout.contains("that is expected"),
        "{stdout}"
    );
    live.gateway.set_session(SessionState::Authenticated);
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
}

/// A gateway that completes TLS but never answers the API (not logged in, or cut off from
/// IBKR): one bounded wait, then what to do, exit 1.
#[test]
fn an_unanswered_gateway_gets_login_instructions() {
    let live = Live::new(fast().session(SessionState::Unanswered));
    for (command, args) in [
        ("status", &["--request-timeout", "2"][..]),
        ("trade", &["--request-timeout", "2", "--dry-run"][..]),
    ] {
        let (code, _, stderr) = live.run(command, args, "");
        assert_eq!(code, 1, "{stderr}");
        assert!(
            stderr.contains("did not answer within 2 s")
                && stderr.contains(&format!("Open {}", live.gateway.url()))
                && stderr.contains("log in"),
            "{stderr}"
        );
    }
    assert_eq!(
        live.gateway.requests().len(),
        2,
        "one request per run, no retries"
    );
}

/// IBKR's real gateway, started from `../shared/ibkr-gateway` (Java needed): pbal gets past
/// its TLS with the pinned shipped certificate and explains the unanswered API (nobody can
/// log in offline). Skipped with a notice where Java or the gateway is missing.
#[test]
fn the_real_gateway_is_trusted_and_its_silence_explained() {
    let Some(gateway) = real_gateway::RealGateway::start() else {
        return;
    };
    let pbal = Pbal::new();
    let data = pbal.home.path().join("data");
    let url = gateway.url();
    let run = |args: &[&str]| {
        let out = pbal
            .cmd()
            .env("PBAL_DATA_DIR", &data)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, stdout, stderr) = run(&["gateway", "trust", "--gateway", &url, "--yes"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("IBKR ships with every Client Portal gateway")
            && stdout.contains("13:DA:F8:9A:07:12:B9:62"),
        "{stdout}"
    );
    for args in [
        &["status", "--gateway", &url, "--request-timeout", "3"][..],
        &[
            "trade",
            "--dry-run",
            "--gateway",
            &url,
            "--request-timeout",
            "3",
        ][..],
    ] {
        let (code, stdout, stderr) = run(args);
        assert_eq!(code, 1, "{args:?}\n{stdout}\n{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            stderr.contains("accepted the connection but its API did not answer within 3 s")
                && stderr.contains("log in"),
            "{args:?}: past TLS, the bounded message: {stderr}"
        );
    }
}

/// Starting and stopping IBKR's gateway for one test.
mod real_gateway {
    use std::io::{BufRead as _, BufReader};
    use std::path::PathBuf;
    use std::process::{Child, Command, Stdio};
    use std::sync::mpsc;
    use std::time::Duration;

    /// How long the gateway may take to say it is ready (5-10 s on a quiet machine).
    const STARTUP: Duration = Duration::from_secs(60);

    pub(super) struct RealGateway {
        child: Child,
        port: u16,
        _dir: tempfile::TempDir,
    }

    fn gateway_dir() -> PathBuf {
        std::env::var_os("PBAL_IBKR_GATEWAY_DIR").map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ibkr-gateway"),
            PathBuf::from,
        )
    }

    fn skip(why: &str) -> Option<RealGateway> {
        super::notice(&format!("SKIPPED the real-gateway test: {why}"));
        None
    }

    impl RealGateway {
        /// Unzips the gateway to a temporary directory, gives it a free port and waits for
        /// "Open https://localhost:PORT to login"; `None` (with a notice) when it cannot run.
        pub(super) fn start() -> Option<RealGateway> {
            let zip = gateway_dir().join("clientportal.gw.zip");
            if !zip.is_file() {
                return skip(&format!("{} not found", zip.display()));
            }
            let has = |program: &str, arg: &str| {
                Command::new(program)
                    .arg(arg)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            };
            if !has("java", "-version") {
                return skip("no java (apt-get install -y openjdk-17-jre-headless)");
            }
            if !has("unzip", "-v") {
                return skip("no unzip");
            }
            let dir = tempfile::tempdir().unwrap();
            let unzipped = Command::new("unzip")
                .args(["-q", &zip.display().to_string(), "-d"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(unzipped.success());
            let root = dir.path().join("clientportal.gw");
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let conf = root.join("root/conf.yaml");
            let text = std::fs::read_to_string(&conf).unwrap();
            let text: String = text
                .lines()
                .map(|l| {
                    if l.trim_start().starts_with("listenPort:") {
                        format!("listenPort: {port}\n")
                    } else {
                        format!("{l}\n")
                    }
                })
                .collect();
            std::fs::write(&conf, text).unwrap();
            let mut child = {
                use std::os::unix::process::CommandExt as _;
                Command::new("bash")
                    .args(["bin/run.sh", "root/conf.yaml"])
                    .current_dir(&root)
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    // Its own process group, so the java it starts is stopped with it.
                    .process_group(0)
                    .spawn()
                    .unwrap()
            };
            let stdout = child.stdout.take().unwrap();
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                // Drains to the end, so the gateway never blocks on a full pipe.
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
            let gateway = RealGateway {
                child,
                port,
                _dir: dir,
            };
            let deadline = std::time::Instant::now() + STARTUP;
            let wanted = format!("Open https://localhost:{port} to login");
            let mut seen = Vec::new();
            loop {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                match rx.recv_timeout(left) {
                    Ok(line) if line.contains(&wanted) => break,
                    Ok(line) => seen.push(line),
                    Err(mpsc::RecvTimeoutError::Timeout | mpsc::RecvTimeoutError::Disconnected) => {
                        panic!(
                            "the real gateway did not get ready within {STARTUP:?}:\n{}",
                            seen.join("\n")
                        )
                    }
                }
            }
            // The line can come just before the port accepts connections.
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the real gateway announced port {port} but does not listen on it"
                );
                std::thread::sleep(Duration::from_millis(200));
            }
            Some(gateway)
        }

        pub(super) fn url(&self) -> String {
            format!("https://localhost:{}", self.port)
        }
    }

    impl Drop for RealGateway {
        fn drop(&mut self) {
            // The whole process group: bash and the java it started.
            let _ = Command::new("kill")
                .args(["-TERM", "--", &format!("-{}", self.child.id())])
                .status();
            let _ = self.child.wait();
        }
    }
}

/// The account's own Precautionary Settings are never overruled by default: the run stops
/// with the order unplaced and IBKR's text; naming the id lets the next run through.
#[test]
fn a_precautionary_question_stops_the_run_unless_named() {
    let live = Live::new(fast().questions(&["o163", "o10153"]));
    let (code, _, stderr) = live.run("trade", &["--yes"], "");
    assert_ne!(code, 0);
    assert!(
        stderr.contains("Precautionary Settings (price percentage constraint, o163)")
            && stderr.contains("exceeds the Percentage constraint of 3%")
            && stderr.contains("NOT placed")
            && stderr.contains("--allow-question o163"),
        "{stderr}"
    );
    assert!(live.gateway.orders().is_empty());
    assert!(
        live.journal()
            .iter()
            .any(|e| e["event"] == "question" && e["answer"] == "no")
    );
    let (code, stdout, stderr) = live.run("trade", &["--yes", "--allow-question", "o163"], "");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(!live.gateway.orders().is_empty());
}

#[test]
fn trade_help_lists_the_confirmed_questions_and_why() {
    let pbal = Pbal::new();
    let (code, stdout, _) = pbal.run(&["trade", "--help"]);
    assert_eq!(code, 0);
    let help = stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "o10151 (a market order)",
        "o10153 (IBKR may cap the price",
        "o163, o383 and o451, the account's own Precautionary Settings",
        "o354 (no market data) is never confirmed for a market order",
    ] {
        assert!(help.contains(needle), "{needle}: {help}");
    }
}

/// A cash account with no spare cash: IBKR's preview refuses the buys until the sells' money
/// is there. pbal says that is expected, places the sells, waits for the fills and for the
/// (lagging) ledger to show the proceeds, previews the buys again, then places them.
#[test]
fn a_cash_account_buys_with_the_sells_proceeds_once_the_ledger_shows_them() {
    let setup = fast()
        .fills(FillMode::AfterStatusPolls(1))
        .cash(ACCOUNT, "USD", Decimal::ZERO)
        .cash_account(ACCOUNT)
        .ledger_lag(2);
    let live = Live::new(setup);
    let (code, stdout, stderr) = live.run("trade", &["--dry-run", "-s", "full"], "");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("YOUR ORDER IS NOT ACCEPTED")
            && stdout.contains("for lack of cash today. That is expected"),
        "{stdout}"
    );
    assert_eq!(live.order_posts(), 0);

    let (code, stdout, stderr) = live.run("trade", &["--yes", "-s", "full"], "");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Cash after the sells") && stdout.contains("Done."),
        "{stdout}"
    );
    let orders = live.gateway.orders();
    let first_buy = orders.iter().position(|o| o.side == Side::Buy).unwrap();
    assert!(first_buy > 0 && orders[first_buy..].iter().all(|o| o.side == Side::Buy));
    assert!(
        orders
            .iter()
            .all(|o| o.status == pbal_fake_gateway::OrderStatus::Filled)
    );
    assert!(live.gateway.ledger_cash(ACCOUNT, "USD") >= Decimal::ZERO);
    // The ledger was read again (cache cleared each time) until it showed the proceeds.
    let requests = live.gateway.requests();
    let first_buy_post = requests
        .iter()
        .position(|r| {
            r.path.ends_with("/orders")
                && r.body
                    .as_ref()
                    .is_some_and(|b| b["orders"][0]["side"] == "BUY")
        })
        .unwrap();
    let last_sell_post = requests
        .iter()
        .rposition(|r| {
            r.path.ends_with("/orders")
                && r.body
                    .as_ref()
                    .is_some_and(|b| b["orders"][0]["side"] == "SELL")
        })
        .unwrap();
    let between = &requests[last_sell_post..first_buy_post];
    let count = |suffix: &str| between.iter().filter(|r| r.path.ends_with(suffix)).count();
    assert!(count("/ledger") >= 3, "polled the lagging ledger");
    assert!(count("/positions/invalidate") >= 2);
    assert!(count("/orders/whatif") >= 1, "buys previewed again");
    // Previews never carry the client order id; nothing carries a referrer.
    assert!(requests.iter().all(|r| {
        r.body.as_ref().is_none_or(|b| {
            b["orders"][0].get("referrer").is_none()
                && (!r.path.ends_with("/whatif") || b["orders"][0].get("cOID").is_none())
        })
    }));
}

/// When the planned sells cannot pay for the buys, IBKR's refusal stops the run before
/// anything is placed.
#[test]
fn a_cash_account_refusal_the_sells_do_not_cover_stops_before_placing() {
    let setup = fast()
        .cash(ACCOUNT, "USD", Decimal::ZERO)
        .cash_account(ACCOUNT);
    let live = Live::new(setup);
    let (code, stdout, stderr) = live.run("trade", &["--yes", "--cash", "5000"], "");
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("IBKR's preview rejects") && stderr.contains("Nothing was placed"),
        "{stderr}"
    );
    assert_eq!(live.order_posts(), 0);
}

/// A login with several accounts: pbal selects the chosen account before reading live
/// orders, so status, the duplicate guard and cancel see that account's orders.
#[test]
fn several_accounts_select_the_chosen_one_before_reading_orders() {
    const OTHER: &str = "DU7654321";
    let live = Live::new(
        fast()
            .fills(FillMode::Manual)
            .account(OTHER)
            .cash(OTHER, "USD", Decimal::from(10_000))
            .position(
                OTHER,
                pbal_fake_gateway::TEN_ETF_CONIDS[0],
                Decimal::from(5),
                Decimal::from(250),
            ),
    );
    let (code, _, stderr) = live.run("status", &[], "");
    assert_eq!(code, 1);
    assert!(stderr.contains("choose one with --account"), "{stderr}");

    let (code, _, stderr) = live.run(
        "trade",
        &["--account", OTHER, "--yes", "--fill-timeout", "1"],
        "",
    );
    assert_eq!(code, 3, "{stderr}");
    let placed = live.gateway.orders();
    assert!(!placed.is_empty() && placed.iter().all(|o| o.account == OTHER));
    let selections: Vec<_> = live
        .gateway
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/iserver/account") && r.method == "POST")
        .collect();
    assert!(!selections.is_empty());
    assert!(
        selections
            .iter()
            .all(|r| r.body.as_ref().unwrap()["acctId"] == OTHER)
    );

    let (code, stdout, stderr) = live.run("status", &["--account", OTHER, "--format", "json"], "");
    assert_eq!(code, 0, "{stderr}");
    let status: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        status["open_orders"].as_array().unwrap().len(),
        placed.len()
    );
    let (code, stdout, _) = live.run("status", &["--account", ACCOUNT, "--format", "json"], "");
    assert_eq!(code, 0);
    let status: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(status["open_orders"].as_array().unwrap().len(), 0);

    let (code, stdout, stderr) = live.run("cancel", &["--account", OTHER, "--yes"], "");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "Cancelled {} order{}.",
            placed.len(),
            if placed.len() == 1 { "" } else { "s" }
        )),
        "{stdout}"
    );
}

/// A closed market (IBKR shows only the previous close): pbal stops before placing anything
/// and says when the market opens; a dry run warns.
#[test]
fn a_closed_market_stops_before_placing_and_says_when_it_opens() {
    let live = Live::new(fast().market_closed());
    let (code, _, stderr) = live.run("trade", &["--yes"], "");
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("is closed: IBKR shows only the previous close")
            && stderr.contains("open")
            && stderr.contains("Nothing was placed")
            && stderr.contains("--queue-for-open"),
        "{stderr}"
    );
    assert_eq!(live.order_posts(), 0);
    let (code, stdout, stderr) = live.run("trade", &["--dry-run"], "");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("Dry run") && stderr.contains("is closed"),
        "{stderr}"
    );
}

/// `--queue-for-open` with sells and buys: only the sells are queued; the buys, which need
/// the sells' proceeds, are left for a run after the open. Exit 3.
#[test]
fn queue_for_open_places_only_the_sells_and_says_what_it_left() {
    let live = Live::new(fast().market_closed());
    let (code, stdout, stderr) = live.run(
        "trade",
        &[
            "--yes",
            "-s",
            "full",
            "--cash-total",
            "0",
            "--queue-for-open",
        ],
        "",
    );
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    let orders = live.gateway.orders();
    assert!(!orders.is_empty() && orders.iter().all(|o| o.side == Side::Sell));
    assert!(
        orders
            .iter()
            .all(|o| o.status != pbal_fake_gateway::OrderStatus::Filled)
    );
    assert!(
        stdout.contains("queued at IBKR for the next open")
            && stdout.contains("not placed")
            && stdout.contains("left for later"),
        "{stdout}"
    );

    // A buy-only plan needs no re-planning: its buys are queued.
    let live = Live::new(fast().market_closed());
    let (code, stdout, stderr) = live.run("trade", &["--yes", "--queue-for-open"], "");
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    let orders = live.gateway.orders();
    assert!(!orders.is_empty() && orders.iter().all(|o| o.side == Side::Buy));
    assert!(!stdout.contains("not placed"), "{stdout}");
}

/// A halted contract stops the run, with or without --queue-for-open.
#[test]
fn a_halted_contract_stops_the_run() {
    let bndx = pbal_fake_gateway::TEN_ETF_CONIDS[4];
    let live = Live::new(fast().last_prefix(bndx, "H"));
    let (code, _, stderr) = live.run("trade", &["--yes", "--queue-for-open"], "");
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("trading in BNDX is halted") && stderr.contains("Nothing was placed"),
        "{stderr}"
    );
    assert_eq!(live.order_posts(), 0);
}

/// Says on stderr that part of a test was skipped (a skipped check must never pass silently).
#[allow(clippy::print_stderr)]
fn notice(text: &str) {
    eprintln!("{text}");
}

/// A buy that would take a currency below zero (IBKR lends it at interest) is shown with the
/// plan, and pbal stops before placing anything.
#[test]
fn a_buy_overdrawing_a_currency_stops_before_placing() {
    let live = Live::new(
        fast()
            .contract(pbal_fake_gateway::Contract::new(555, "EXS1", "IBIS", "EUR"))
            .exchange_rate("EUR", Decimal::new(11, 1))
            .price(555, Decimal::from(100))
            .position(ACCOUNT, 555, Decimal::from(10), Decimal::from(90)),
    );
    let (code, stdout, stderr) = live.run("trade", &["--dry-run"], "");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("Currencies: the plan would take a currency balance below zero (EUR 0 now"),
        "{stdout}"
    );
    // Under the plan, what the EUR orders need from the ledger's USD.
    assert!(
        stdout.contains("  EUR: buys ") && stdout.contains(" EUR from USD, about "),
        "{stdout}"
    );
    let (code, _, stderr) = live.run("trade", &["--yes"], "");
    assert_eq!(code, 1);
    assert!(
        stderr.contains("IBKR would lend the difference")
            && stderr.contains("Run with --convert-currency")
            && stderr.contains("Nothing was placed"),
        "{stderr}"
    );
    assert_eq!(live.order_posts(), 0);
}

/// IBKR's EUR.USD pair (IDEALPRO) in the fake, and a EUR ETF held with no EUR cash.
const EUR_USD: i64 = 12_087_792;

fn with_eur_etf() -> Setup {
    fast()
        .contract(pbal_fake_gateway::Contract::new(555, "EXS1", "IBIS", "EUR"))
        .contract(pbal_fake_gateway::Contract::cash_pair(
            EUR_USD, "EUR", "USD",
        ))
        .exchange_rate("EUR", Decimal::new(11, 1))
        .price(555, Decimal::from(100))
        .price(EUR_USD, Decimal::new(11, 1))
        .position(ACCOUNT, 555, Decimal::from(10), Decimal::from(90))
}

fn conversions(live: &Live) -> Vec<pbal_fake_gateway::OrderRecord> {
    live.gateway
        .orders()
        .into_iter()
        .filter(|o| o.currency_conversion)
        .collect()
}

/// `--convert-currency`: the conversion is in the plan and the preview, placed before the
/// buys as IBKR documents it (`isCcyConv`, the amount in `fxQty`, no `quantity`), its fill
/// awaited and the ledger read again; no currency ends below zero.
#[test]
fn convert_currency_places_the_conversion_before_the_buys() {
    let live = Live::new(with_eur_etf());
    let (code, stdout, stderr) = live.run("trade", &["--dry-run", "--convert-currency"], "");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("Currency conversions (--convert-currency), placed before the buys:")
            && stdout.contains("to EUR (BUY EUR.USD, IDEALPRO): about EUR")
            && stdout.contains("at about 1.1 USD per EUR"),
        "{stdout}"
    );
    assert!(
        stdout.contains("| convert USD "),
        "the preview shows it: {stdout}"
    );
    assert_eq!(live.order_posts(), 0);

    let (code, stdout, stderr) = live.run("trade", &["--yes", "--convert-currency"], "");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("The ledger shows the converted cash."),
        "{stdout}"
    );
    let orders = live.gateway.orders();
    assert!(orders[0].currency_conversion, "converted first: {orders:?}");
    assert_eq!((orders[0].conid, orders[0].side), (EUR_USD, Side::Buy));
    assert_eq!(conversions(&live).len(), 1);
    assert!(
        orders[1..]
            .iter()
            .all(|o| !o.currency_conversion && o.side == Side::Buy)
    );
    assert!(orders.iter().any(|o| o.conid == 555), "{orders:?}");
    let body = live
        .gateway
        .requests()
        .into_iter()
        .find(|r| {
            r.path.ends_with("/orders")
                && r.body
                    .as_ref()
                    .is_some_and(|b| b["orders"][0]["isCcyConv"] == true)
        })
        .and_then(|r| r.body)
        .unwrap();
    let order = &body["orders"][0];
    assert!(
        order.get("quantity").is_none() && order["fxQty"].is_number(),
        "{order}"
    );
    assert!(
        order["cOID"].as_str().unwrap().starts_with("pbal-"),
        "{order}"
    );
    for currency in ["EUR", "USD"] {
        let cash = live.gateway.ledger_cash(ACCOUNT, currency);
        assert!(cash >= Decimal::ZERO, "{currency} {cash}");
    }
    assert_eq!(live.events().last().map(String::as_str), Some("rebalance"));
    // The spec's flow: the pair from /iserver/currency/pairs (no CASH security search), its
    // snapshot before the preview, and the cash-quantity questions confirmed for it.
    let requests = live.gateway.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.path.ends_with("/iserver/currency/pairs"))
    );
    assert!(
        !requests
            .iter()
            .any(|r| r.query.as_deref().is_some_and(|q| q.contains("CASH")))
    );
    let snapshot = requests.iter().position(|r| {
        r.path.contains("marketdata/snapshot")
            && r.query
                .as_deref()
                .is_some_and(|q| q.contains(&EUR_USD.to_string()))
    });
    let preview = requests.iter().position(|r| {
        r.path.ends_with("/orders/whatif")
            && r.body
                .as_ref()
                .is_some_and(|b| b["orders"][0]["isCcyConv"] == true)
    });
    assert!(snapshot.unwrap() < preview.unwrap(), "snapshot first");
    let asked: BTreeSet<String> = live
        .journal()
        .into_iter()
        .filter(|e| e["event"] == "question" && e["answer"] == "yes")
        .flat_map(|e| {
            e["message_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        asked.contains("o10223") && asked.contains("o10164"),
        "{asked:?}"
    );
}

/// IBKR lists USD.JPY, not JPY.USD: a JPY ETF is paid by SELLING USD.JPY, still sized by
/// `fxQty` in the currency converted from (USD, the pair's base), as IBKR documents `fxQty`.
const USD_JPY: i64 = 15_016_059;

fn with_jpy_etf() -> Setup {
    fast()
        .contract(pbal_fake_gateway::Contract::new(777, "TOPX", "TSEJ", "JPY"))
        .contract(pbal_fake_gateway::Contract::cash_pair(
            USD_JPY, "USD", "JPY",
        ))
        .exchange_rate("JPY", Decimal::new(8, 3))
        .price(777, Decimal::from(2_500))
        .price(USD_JPY, Decimal::from(125))
        .position(ACCOUNT, 777, Decimal::from(10), Decimal::from(2_400))
}

/// The SELL side of a conversion (issue 20 item 1): shown and previewed as a sale of USD.JPY,
/// placed before the buys with `isCcyConv`, `fxQty` in USD and no `quantity`; the JPY it
/// brings pays the JPY buy and no currency ends below zero.
#[test]
fn convert_currency_sells_the_pair_ibkr_lists_the_other_way() {
    let live = Live::new(with_jpy_etf());
    let (code, stdout, stderr) = live.run("trade", &["--dry-run", "--convert-currency"], "");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("to JPY (SELL USD.JPY, IDEALPRO)"),
        "{stdout}"
    );
    assert_eq!(live.order_posts(), 0);

    let (code, stdout, stderr) = live.run("trade", &["--yes", "--convert-currency"], "");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("The ledger shows the converted cash."),
        "{stdout}"
    );
    let orders = live.gateway.orders();
    let conversion = &orders[0];
    assert!(
        conversion.currency_conversion,
        "converted first: {orders:?}"
    );
    assert_eq!((conversion.conid, conversion.side), (USD_JPY, Side::Sell));
    assert_eq!(conversions(&live).len(), 1);
    let topx = orders.iter().find(|o| o.conid == 777).expect("the JPY buy");
    // fxQty is USD: at 125 JPY per USD it brings at least what the buy costs in JPY.
    let jpy_cost = topx.quantity * topx.avg_fill_price.unwrap();
    assert!(
        conversion.quantity * Decimal::from(125) >= jpy_cost
            && conversion.quantity < Decimal::from(10_000),
        "fxQty {} USD for {jpy_cost} JPY",
        conversion.quantity
    );
    let body = live
        .gateway
        .requests()
        .into_iter()
        .filter_map(|r| r.body.filter(|_| r.path.ends_with("/orders")))
        .find(|b| b["orders"][0]["isCcyConv"] == true)
        .unwrap();
    let order = &body["orders"][0];
    assert!(
        order["side"] == "SELL" && order.get("quantity").is_none() && order["fxQty"].is_number(),
        "{order}"
    );
    for currency in ["JPY", "USD"] {
        let cash = live.gateway.ledger_cash(ACCOUNT, currency);
        assert!(cash >= Decimal::ZERO, "{currency} {cash}");
    }
}

/// With sells, the conversion waits for their fills (their proceeds may be what it converts)
/// and goes before the buys.
#[test]
fn convert_currency_after_the_sells_before_the_buys() {
    let live = Live::new(with_eur_etf().fills(FillMode::AfterStatusPolls(1)));
    let (code, stdout, stderr) = live.run(
        "trade",
        &[
            "--yes",
            "--convert-currency",
            "-s",
            "full",
            "--cash-total",
            "0",
        ],
        "",
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let orders = live.gateway.orders();
    let conversion = orders.iter().position(|o| o.currency_conversion).unwrap();
    assert!(conversion > 0, "no sells before it: {orders:?}");
    assert!(
        orders[..conversion].iter().all(|o| o.side == Side::Sell),
        "{orders:?}"
    );
    assert!(
        orders[conversion + 1..]
            .iter()
            .all(|o| o.side == Side::Buy && !o.currency_conversion)
    );
    assert!(
        orders[conversion + 1..].iter().any(|o| o.conid == 555),
        "{orders:?}"
    );
    for currency in ["EUR", "USD"] {
        let cash = live.gateway.ledger_cash(ACCOUNT, currency);
        assert!(cash >= Decimal::ZERO, "{currency} {cash}");
    }
}

/// A crash after IBKR accepted the conversion: the next run finds it by its client order id
/// (still working) or sees the converted cash (filled), and never converts twice.
#[test]
fn a_rerun_after_a_lost_conversion_answer_does_not_convert_twice() {
    for fills in [FillMode::Manual, FillMode::Immediate] {
        let live = Live::new(with_eur_etf().fills(fills));
        live.gateway.inject(Fault::HangAfterAccept { times: 1 });
        let args = [
            "--yes",
            "--convert-currency",
            "--request-timeout",
            "2",
            "--fill-timeout",
            "2",
        ];
        // The lost answer is looked up at once: the conversion is there, not sent again.
        let (code, stdout, stderr) = live.run("trade", &args, "");
        assert!(
            stdout.contains("the gateway gave no answer; the live orders, read at once, list it"),
            "{stdout}\n{stderr}"
        );
        assert_eq!(conversions(&live).len(), 1, "converted twice: {stdout}");
        if fills == FillMode::Manual {
            assert_eq!(code, 3, "{stdout}\n{stderr}");
            assert_eq!(live.gateway.orders().len(), 1, "no buy before it fills");
        } else {
            assert_eq!(code, 0, "{stdout}\n{stderr}");
        }

        let (code, stdout, stderr) = live.run("trade", &args, "");
        assert_eq!(conversions(&live).len(), 1, "converted twice: {stdout}");
        if fills == FillMode::Manual {
            assert_eq!(code, 3, "{stdout}\n{stderr}");
            assert!(stdout.contains("placed by an earlier run"), "{stdout}");
            assert!(
                stderr.contains("the currency conversion has not filled"),
                "{stderr}"
            );
            assert_eq!(
                live.gateway.orders().len(),
                1,
                "no buy before the conversion fills"
            );
        } else {
            assert_eq!(code, 0, "{stdout}\n{stderr}");
            assert!(live.gateway.ledger_cash(ACCOUNT, "EUR") >= Decimal::ZERO);
        }
    }
}

/// `--fractional` only for contracts whose rules allow fractions: otherwise pbal stops before
/// placing anything; with the rules' consent the fractional orders go through.
#[test]
fn fractional_quantities_follow_the_contract_rules() {
    let live = Live::new(fast());
    let (code, _, stderr) = live.run("trade", &["--yes", "--fractional"], "");
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("allow whole shares only") && stderr.contains("Nothing was placed"),
        "{stderr}"
    );
    assert_eq!(live.order_posts(), 0);

    let live = Live::new(fast().allow_fractions(true));
    let (code, stdout, stderr) = live.run("trade", &["--yes", "--fractional"], "");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let orders = live.gateway.orders();
    assert!(
        orders.iter().any(|o| !o.quantity.fract().is_zero()),
        "{orders:?}"
    );
    assert!(orders.iter().all(|o| o.quantity.scale() <= 4));
}

/// Limit prices land on the contract's price increment (IBKR refuses others): a 0.05 tick
/// turns VIG's 195.53 buy limit into 195.55, shown in the preview and placed.
#[test]
fn limit_prices_follow_the_contract_price_increment() {
    let vig = pbal_fake_gateway::TEN_ETF_CONIDS[7];
    let live = Live::new(fast().price_increment(vig, Decimal::new(5, 2)));
    let (code, stdout, stderr) = live.run("trade", &["--yes", "--order-type", "lmt"], "");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("LMT 195.55"), "{stdout}");
    let order = live
        .gateway
        .orders()
        .into_iter()
        .find(|o| o.conid == vig)
        .unwrap();
    assert_eq!(order.price, Some(Decimal::new(19_555, 2)));
}

/// IBKR's spelling of Berkshire's class B shares, and its conid.
const BRK_CONID: i64 = 72_063_691;

fn with_brk() -> Setup {
    fast()
        .contract(
            pbal_fake_gateway::Contract::new(BRK_CONID, "BRK B", "NYSE", "USD")
                .named("BERKSHIRE HATHAWAY INC-CL B"),
        )
        .price(BRK_CONID, Decimal::from(480))
        .position(ACCOUNT, BRK_CONID, Decimal::from(10), Decimal::from(400))
}

/// The targets file says `BRK.B`, IBKR's positions and orders say `BRK B`: matched by conid,
/// the position is the target (bought, never sold as an untargeted holding), and an earlier
/// run's working order on that conid stops a new one.
#[test]
fn targets_positions_and_the_duplicate_guard_match_by_conid() {
    let live = Live::new(with_brk().fills(FillMode::Manual));
    let targets = live.pbal.write("t.toml", "\"BRK.B\" = 100\n");
    let targets = targets.display().to_string();
    let (code, stdout, stderr) = live.run(
        "trade",
        &["--yes", "--targets", &targets, "--fill-timeout", "1"],
        "",
    );
    assert_eq!(code, 3, "working orders end with 3: {stdout}\n{stderr}");
    assert!(
        stdout.contains("BRK.B is IBKR's BRK B (conid 72063691); matched by contract id"),
        "{stdout}"
    );
    assert!(
        stdout.contains("The position BRK B is the targets' BRK.B"),
        "{stdout}"
    );
    let orders = live.gateway.orders();
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!((orders[0].conid, orders[0].side), (BRK_CONID, Side::Buy));
    // 10,000 cash at 480: 20 shares.
    assert_eq!(orders[0].quantity, Decimal::from(20));
    assert!(orders[0].c_oid.as_deref().unwrap().contains("-B-BRK_B-20"));
    // The order carries IBKR's own ticker of the conid, not the targets' spelling.
    let tickers: Vec<Value> = live
        .gateway
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.contains("/orders"))
        .map(|r| r.body.unwrap()["orders"][0]["ticker"].clone())
        .collect();
    assert!(!tickers.is_empty());
    assert!(tickers.iter().all(|t| t == "BRK B"), "{tickers:?}");

    // Another quantity the next run: the working order (IBKR's `BRK B`) is the same contract.
    let (code, _, stderr) = live.run(
        "trade",
        &["--yes", "--targets", &targets, "--cash-total", "5000"],
        "",
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("an earlier pbal order is still working: BUY 20 BRK B")
            && stderr.contains("Nothing new was placed for BRK.B"),
        "{stderr}"
    );
    assert_eq!(live.gateway.orders().len(), 1);
}

/// Targets IBKR does not know, or that several contracts answer to, are all named before
/// anything else happens, with what to do.
#[test]
fn unresolvable_and_ambiguous_targets_are_named() {
    let live = Live::new(
        with_brk()
            .contract(pbal_fake_gateway::Contract::new(
                900_003, "TWIN", "NYSE", "USD",
            ))
            .contract(pbal_fake_gateway::Contract::new(
                900_004, "TWIN", "NASDAQ", "USD",
            )),
    );
    let targets = live
        .pbal
        .write("t.toml", "\"BRK/B\" = 40\n\"ZZZ.A\" = 30\nTWIN = 30\n");
    let (code, _, stderr) = live.run(
        "trade",
        &["--dry-run", "--targets", &targets.display().to_string()],
        "",
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("cannot match the targets to IBKR contracts")
            && stderr
                .contains("ZZZ.A: IBKR lists no stock contract for it (searched as ZZZ.A, ZZZ A)")
            && stderr.contains("TWIN matches several contracts")
            && stderr.contains("conid 900003")
            && stderr.contains("conid 900004")
            && stderr.contains("`conid = N`")
            && !stderr.contains("BRK"),
        "{stderr}"
    );
    assert_eq!(live.order_posts(), 0);
}

/// The spec's advanced order reject (a bare object with `text`, `message_id`, `req_id` and
/// the rejected ticket's `order_id`) is IBKR's refusal, never an acceptance: its text is
/// shown and nothing is placed.
#[test]
fn an_advanced_order_reject_shows_ibkrs_text_and_places_nothing() {
    let live = Live::new(fast());
    live.gateway.inject(Fault::AdvancedReject {
        message_id: "o2137".to_owned(),
        text: "Order rejected: the order size exceeds your account's allowed position".to_owned(),
    });
    let (code, stdout, stderr) = live.run("trade", &["--yes"], "");
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("IBKR rejected the")
            && stderr.contains("(o2137): Order rejected: the order size exceeds")
            && stderr.contains("The order was NOT placed")
            && !stderr.contains("unexpected reply"),
        "{stderr}"
    );
    assert!(live.gateway.orders().is_empty());
    assert_eq!(live.order_posts(), 1, "the run stops at the reject");
    assert!(live.events().contains(&"order_failed".to_owned()));
    assert!(!live.events().contains(&"order_placed".to_owned()));
}

/// A question without `messageIds` (optional in the spec) is declined with its text shown
/// and a clear stop: no `--allow-question` can confirm what has no id.
#[test]
fn a_question_without_message_ids_is_shown_and_stops() {
    let live = Live::new(fast());
    live.gateway.inject(Fault::QuestionWithoutIds);
    let (code, stdout, stderr) = live.run("trade", &["--yes"], "");
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("without saying which question it is (no messageIds)")
            && stderr.contains("needs your attention before it is transmitted")
            && stderr.contains("The order was NOT placed")
            && !stderr.contains("--allow-question  "),
        "{stderr}"
    );
    assert!(live.gateway.orders().is_empty());
    let replies: Vec<_> = live
        .gateway
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/iserver/reply/"))
        .collect();
    assert_eq!(replies.len(), 1, "declined once: {replies:?}");
    assert_eq!(replies[0].body.as_ref().unwrap()["confirmed"], false);
}

/// `pbal cancel` goes on past an order IBKR no longer knows ("OrderID N doesn't exist": it
/// filled or was cancelled since the list was read) and reports each order.
#[test]
fn cancel_goes_on_past_an_order_ibkr_no_longer_knows() {
    let live = Live::new(fast().fills(FillMode::Manual));
    let (code, _, stderr) = live.run("trade", &["--yes", "--fill-timeout", "1"], "");
    assert_eq!(code, 3, "{stderr}");
    let placed = live.gateway.orders();
    assert!(placed.len() >= 2, "{placed:?}");
    let gone = placed[0].order_id;
    live.gateway.inject(Fault::error_with_200(
        &format!("/order/{gone}"),
        &format!("OrderID {gone} doesn't exist"),
    ));
    let (code, stdout, stderr) = live.run("cancel", &["--yes"], "");
    assert_eq!(
        code, 1,
        "the refused order is still open: {stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("IBKR did not cancel it: ") && stdout.contains("doesn't exist"),
        "{stdout}"
    );
    let others = placed.len() - 1;
    assert!(
        stdout.contains(&format!("Cancelled {others} of {} orders.", placed.len())),
        "{stdout}"
    );
    let orders = live.gateway.orders();
    assert!(
        orders[1..]
            .iter()
            .all(|o| o.status == pbal_fake_gateway::OrderStatus::Cancelled),
        "every other order was cancelled: {orders:?}"
    );
    assert!(stderr.contains("1 order is still open"), "{stderr}");
}

/// After `pbal cancel` (and after a re-login, when IBKR no longer lists the cancelled
/// orders), a same-day rerun with the same quantities places the orders again under the next
/// revision of their client order ids; a working order still stands for itself.
#[test]
fn an_order_confirmed_cancelled_never_blocks_its_replacement() {
    let live = Live::new(fast().fills(FillMode::Manual));
    let args = ["--yes", "--fill-timeout", "1", "--as-of", "2026-11-25"];
    let (code, _, stderr) = live.run("trade", &args, "");
    assert_eq!(code, 3, "{stderr}");
    let first = live.gateway.orders();
    let count = first.len();
    assert!(count > 0);

    // A working order is not placed again.
    let (code, stdout, stderr) = live.run("trade", &args, "");
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    assert!(stdout.contains("placed by an earlier run"), "{stdout}");
    assert_eq!(live.gateway.orders().len(), count);

    let (code, stdout, stderr) = live.run("cancel", &["--yes"], "");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let (code, stdout, stderr) = live.run("trade", &args, "");
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    let orders = live.gateway.orders();
    assert_eq!(orders.len(), 2 * count, "replaced once each: {orders:?}");
    for (old, new) in first.iter().zip(&orders[count..]) {
        assert_eq!(
            new.c_oid,
            Some(format!("{}-r2", old.c_oid.as_deref().unwrap())),
            "{orders:?}"
        );
        assert_eq!((new.conid, new.quantity), (old.conid, old.quantity));
    }

    // A re-login: IBKR lists only working orders of earlier sessions; the journal knows.
    let (code, _, stderr) = live.run("cancel", &["--yes"], "");
    assert_eq!(code, 0, "{stderr}");
    live.gateway.set_session(SessionState::Authenticated);
    let (code, stdout, stderr) = live.run("trade", &args, "");
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    let orders = live.gateway.orders();
    assert_eq!(orders.len(), 3 * count, "{orders:?}");
    assert!(
        orders[2 * count..]
            .iter()
            .all(|o| o.c_oid.as_deref().unwrap().ends_with("-r3")),
        "{orders:?}"
    );
    let ids: BTreeSet<_> = orders.iter().map(|o| o.c_oid.clone()).collect();
    assert_eq!(ids.len(), orders.len());
}

/// pbal restarts the brokerage session with `compete: false` unless told
/// `--take-over-session` (which can disconnect the user's TWS or mobile login): a competing
/// session stops the run and names the flag; with it, the session is taken over.
#[test]
fn compete_only_with_take_over_session() {
    let live = Live::new(fast().session(SessionState::TimedOut));
    let (code, _, stderr) = live.run("status", &[], "");
    assert_eq!(code, 0, "a timed-out session is restored: {stderr}");
    let inits = |live: &Live| -> Vec<Value> {
        live.gateway
            .requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/iserver/auth/ssodh/init"))
            .map(|r| r.body.unwrap())
            .collect()
    };
    let sent = inits(&live);
    assert!(!sent.is_empty());
    assert!(sent.iter().all(|b| b["compete"] == false), "{sent:?}");

    live.gateway.clear_requests();
    live.gateway.set_session(SessionState::Competing);
    let (code, _, stderr) = live.run("status", &[], "");
    assert_eq!(code, 1);
    assert!(
        stderr.contains("another session") && stderr.contains("--take-over-session"),
        "{stderr}"
    );
    assert!(inits(&live).iter().all(|b| b["compete"] == false));
    assert_eq!(live.gateway.session(), SessionState::Competing);

    let (code, stdout, stderr) = live.run("status", &["--take-over-session"], "");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stderr.contains("disconnects it"), "{stderr}");
    assert!(inits(&live).iter().any(|b| b["compete"] == true));
    assert_eq!(live.gateway.session(), SessionState::Authenticated);
}

/// A 5xx on an order POST may come after the gateway passed the order on: pbal reads the live
/// orders by client order id at once, says the order is there, and never sends it again.
#[test]
fn a_5xx_on_an_order_post_is_looked_up_never_resent() {
    let live = Live::new(fast());
    live.gateway.inject(Fault::ErrorOnPlace {
        status: 500,
        accepted: true,
    });
    let (code, stdout, stderr) = live.run("trade", &["--yes"], "");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("the gateway answered HTTP 500")
            && stdout.contains("the live orders, read at once, list it: placed (order"),
        "{stdout}"
    );
    let orders = live.gateway.orders();
    let ids: BTreeSet<_> = orders.iter().map(|o| o.c_oid.clone()).collect();
    assert_eq!(ids.len(), orders.len(), "sent twice: {orders:?}");
    assert_eq!(live.order_posts(), orders.len(), "one POST per order");
    assert!(live.events().contains(&"order_found".to_owned()));

    // A 5xx before the order got anywhere: not listed, not re-sent, the user told so.
    let live = Live::new(fast());
    live.gateway.inject(Fault::ErrorOnPlace {
        status: 503,
        accepted: false,
    });
    let (code, stdout, stderr) = live.run("trade", &["--yes"], "");
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("answered HTTP 503")
            && stderr.contains("does not list its client order id")
            && stderr.contains("It was NOT sent again"),
        "{stderr}"
    );
    assert!(live.gateway.orders().is_empty());
    assert_eq!(live.order_posts(), 1);
}

/// The duplicate guard reads the whole live-orders list (IBKR's first answer of a session can
/// be incomplete) before it decides an order is absent: a rerun in a new session finds every
/// earlier order and posts none.
#[test]
fn the_duplicate_guard_reads_the_full_live_orders_list() {
    let live = Live::new(fast().fills(FillMode::Manual));
    let args = ["--yes", "--fill-timeout", "1"];
    let (code, _, stderr) = live.run("trade", &args, "");
    assert_eq!(code, 3, "{stderr}");
    let placed = live.gateway.orders().len();
    assert!(placed >= 2, "the first answer must be able to hide some");
    live.gateway.set_session(SessionState::Authenticated);
    let posts = live.order_posts();
    let (code, stdout, stderr) = live.run("trade", &args, "");
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    assert_eq!(
        stdout.matches("placed by an earlier run").count(),
        placed,
        "{stdout}"
    );
    assert_eq!(live.order_posts(), posts, "no order POST on the rerun");
    assert_eq!(live.gateway.orders().len(), placed);
}

/// Every field of a position row is optional in the spec: a row without `mktPrice`,
/// `mktValue` and `currency` is completed from the snapshot and the contract info; one without
/// `conid` gets it from its ticker (issue 20 item 3); one with neither is left out with a
/// warning; the run goes on.
#[test]
fn position_rows_with_gaps_are_completed_or_left_out_by_name() {
    let [vti, vea, vwo, ..] = pbal_fake_gateway::TEN_ETF_CONIDS;
    let live = Live::new(
        fast()
            .position_without(vti, &["mktPrice", "mktValue", "currency"])
            .position_without(vea, &["conid"])
            .position_without(vwo, &["conid", "ticker", "contractDesc"]),
    );
    let (code, stdout, stderr) = live.run("trade", &["--dry-run"], "");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Position VTI (conid 12340001): currency from the contract info")
            && stdout.contains("price from the market-data snapshot"),
        "{stdout}"
    );
    assert!(
        stdout.contains("| VTI    | 290.12 | 11,604.80 |"),
        "VTI planned at the snapshot price: {stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "Position VEA (conid {vea}): conid looked up by its ticker"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("| VEA    |  52.34 |  6,280.80 |"),
        "VEA held: {stdout}"
    );
    assert!(
        stderr.contains("has no conid and no ticker; left out of the plan"),
        "{stderr}"
    );
    assert!(!stdout.contains("| VWO "), "VWO left out: {stdout}");
    assert!(stdout.contains("Dry run: nothing was placed."), "{stdout}");
}

/// A login with an individual account and an IRA (issue 20): `--all-accounts` trades both.
mod household {
    use super::*;

    const IRA: &str = "DU7654321";

    fn two_accounts(fills: FillMode) -> Setup {
        fast()
            .fills(fills)
            .account(IRA)
            .cash(IRA, "USD", Decimal::from(4_000))
            .position(
                IRA,
                pbal_fake_gateway::TEN_ETF_CONIDS[0],
                Decimal::from(5),
                Decimal::from(250),
            )
    }

    fn spent_in(orders: &[pbal_fake_gateway::OrderRecord], account: &str) -> Decimal {
        orders
            .iter()
            .filter(|o| o.account == account)
            .map(|o| {
                let amount = o.quantity * o.avg_fill_price.unwrap_or_default();
                if o.side == Side::Buy { amount } else { -amount }
            })
            .sum()
    }

    /// Each account's orders go to that account (its id in the order's path), and neither
    /// spends more than its own ledger cash.
    #[test]
    fn places_each_accounts_orders_in_it_within_its_own_cash() {
        let live = Live::new(two_accounts(FillMode::Immediate));
        let (code, stdout, stderr) = live.run(
            "trade",
            &["--all-accounts", "--yes", "--as-of", "2026-11-25"],
            "",
        );
        assert_eq!(code, 0, "{stdout}\n{stderr}");
        let orders = live.gateway.orders();
        for account in [ACCOUNT, IRA] {
            assert!(
                orders.iter().any(|o| o.account == account),
                "no order in {account}: {orders:?}"
            );
            assert!(stdout.contains(&format!("Account {account}:")), "{stdout}");
        }
        assert!(spent_in(&orders, ACCOUNT) <= Decimal::from(10_000));
        assert!(spent_in(&orders, IRA) <= Decimal::from(4_000));
        // Every order was posted to its own account's path.
        let posts: Vec<_> = live
            .gateway
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/orders"))
            .collect();
        assert_eq!(posts.len(), orders.len());
        for post in &posts {
            let body = post.body.as_ref().unwrap();
            let acct = body["orders"][0]["acctId"].as_str().unwrap();
            assert!(post.path.contains(&format!("/account/{acct}/")), "{post:?}");
        }
        assert!(stdout.contains("cash left"), "{stdout}");
        assert!(stdout.contains("Done."), "{stdout}");
        let raw = std::fs::read_to_string(live.data_dir().join("journal.jsonl")).unwrap();
        assert!(!raw.contains(ACCOUNT) && !raw.contains(IRA), "{raw}");
    }

    /// A rerun of an unfinished household run finds every account's orders by their client
    /// order ids and places none of them again.
    #[test]
    fn a_rerun_places_nothing_twice_in_either_account() {
        let live = Live::new(two_accounts(FillMode::Manual));
        let args = [
            "--all-accounts",
            "--yes",
            "--as-of",
            "2026-11-25",
            "--fill-timeout",
            "1",
        ];
        let (code, stdout, stderr) = live.run("trade", &args, "");
        assert_eq!(code, 3, "{stdout}\n{stderr}");
        let first = live.gateway.orders();
        assert!(first.iter().any(|o| o.account == ACCOUNT));
        assert!(first.iter().any(|o| o.account == IRA));
        let posts = live.order_posts();

        let (code, stdout, stderr) = live.run("trade", &args, "");
        assert_eq!(code, 3, "{stdout}\n{stderr}");
        assert!(stdout.contains("placed by an earlier run"), "{stdout}");
        assert_eq!(live.order_posts(), posts, "an order was sent again");
        assert_eq!(live.gateway.orders().len(), first.len());
    }

    /// A refused order stops the run in its account; the next account gets nothing.
    #[test]
    fn a_refusal_stops_before_the_next_account() {
        let live = Live::new(two_accounts(FillMode::Immediate));
        live.gateway.inject(Fault::AdvancedReject {
            message_id: "o2137".to_owned(),
            text: "Order rejected: the order size exceeds your account's allowed position"
                .to_owned(),
        });
        let (code, stdout, stderr) = live.run(
            "trade",
            &["--all-accounts", "--yes", "--as-of", "2026-11-25"],
            "",
        );
        assert_ne!(code, 0, "{stdout}\n{stderr}");
        assert!(
            stderr.contains("the household trade stopped in account")
                && stderr.contains(&format!("nothing was placed in {IRA}")),
            "{stderr}"
        );
        assert!(live.gateway.orders().iter().all(|o| o.account != IRA));
    }

    /// A dry run shows both accounts' previews and places nothing; a deposit is refused.
    #[test]
    fn a_dry_run_previews_only_and_a_deposit_must_come_first() {
        let live = Live::new(two_accounts(FillMode::Immediate));
        let (code, stdout, stderr) = live.run(
            "trade",
            &["--all-accounts", "--dry-run", "--as-of", "2026-11-25"],
            "",
        );
        assert_eq!(code, 0, "{stdout}\n{stderr}");
        assert!(stdout.contains("Dry run: nothing was placed."), "{stdout}");
        assert_eq!(
            stdout.matches("IBKR's preview (whatif)").count(),
            2,
            "{stdout}"
        );
        assert_eq!(live.order_posts(), 0);

        let (code, _, stderr) = live.run("trade", &["--all-accounts", "--yes", "-c", "1000"], "");
        assert_eq!(code, 1, "{stderr}");
        assert!(stderr.contains("Make the deposit"), "{stderr}");
        assert_eq!(live.order_posts(), 0);
        // --cash-account without a withdrawal, or naming no account of the login.
        let (code, _, stderr) = live.run(
            "trade",
            &["--all-accounts", "--yes", "--cash-account", IRA],
            "",
        );
        assert_eq!(code, 1, "{stderr}");
        assert!(
            stderr.contains("--cash-account names the account a withdrawal"),
            "{stderr}"
        );
        let (code, _, stderr) = live.run(
            "trade",
            &[
                "--all-accounts",
                "--yes",
                "-c",
                "-100",
                "--cash-account",
                "U999",
            ],
            "",
        );
        assert_eq!(code, 1, "{stderr}");
        assert!(
            stderr.contains("--cash-account U999: not an account"),
            "{stderr}"
        );
        assert_eq!(live.order_posts(), 0);
    }

    /// A withdrawal named to an account (`-c -AMOUNT --cash-account ID`) is raised there by
    /// its sells and left there as cash; the other account spends only its own cash.
    #[test]
    fn a_withdrawal_is_raised_in_its_account_and_left_as_cash() {
        let live = Live::new(two_accounts(FillMode::Immediate));
        let (code, stdout, stderr) = live.run(
            "trade",
            &[
                "--all-accounts",
                "--yes",
                "--as-of",
                "2026-11-25",
                "-s",
                "full",
                "-c",
                "-12000",
                "--cash-account",
                ACCOUNT,
            ],
            "",
        );
        assert_eq!(code, 0, "{stdout}\n{stderr}");
        assert!(
            stdout.contains(&format!("Withdrawal: 12000 stays in {ACCOUNT} as cash")),
            "{stdout}"
        );
        let orders = live.gateway.orders();
        assert!(
            orders
                .iter()
                .any(|o| o.account == ACCOUNT && o.side == Side::Sell),
            "10,000 of cash cannot cover 12,000 without a sell: {orders:?}"
        );
        assert!(
            live.gateway.ledger_cash(ACCOUNT, "USD") >= Decimal::from(12_000),
            "the withdrawal was spent: {}",
            live.gateway.ledger_cash(ACCOUNT, "USD")
        );
        assert!(spent_in(&orders, IRA) <= Decimal::from(4_000));
        assert!(
            stdout.contains("(12000 of it for the withdrawal)"),
            "{stdout}"
        );
        // A full rebalance sells and buys in it: the re-planned buys left the withdrawal.
        assert!(
            orders
                .iter()
                .any(|o| o.account == ACCOUNT && o.side == Side::Buy),
            "{orders:?}"
        );
    }

    /// Without `--cash-account` the plan shares the withdrawal out as `pbal plan
    /// --all-accounts -c` does, and each account keeps its part.
    #[test]
    fn a_shared_withdrawal_names_each_accounts_part() {
        let live = Live::new(two_accounts(FillMode::Immediate));
        let (code, stdout, stderr) = live.run(
            "trade",
            &[
                "--all-accounts",
                "--dry-run",
                "--as-of",
                "2026-11-25",
                "-c",
                "-3000",
            ],
            "",
        );
        assert_eq!(code, 0, "{stdout}\n{stderr}");
        let parts: Decimal = stdout
            .lines()
            .filter_map(|l| l.strip_prefix("Withdrawal: "))
            .map(|l| l.split(' ').next().unwrap().parse::<Decimal>().unwrap())
            .sum();
        assert_eq!(parts, Decimal::from(3_000), "{stdout}");
        assert_eq!(live.order_posts(), 0);
    }

    /// The typed confirmation names every account: one id alone, or anything else, places
    /// nothing in any account; the full list places.
    #[test]
    fn the_confirmation_must_name_every_account() {
        let live = Live::new(two_accounts(FillMode::Immediate));
        let args = ["--all-accounts", "--as-of", "2026-11-25"];
        for wrong in [format!("{ACCOUNT}\n"), "yes\n".to_owned(), String::new()] {
            let (code, stdout, stderr) = live.run("trade", &args, &wrong);
            assert_eq!(code, 1, "{wrong:?}: {stdout}\n{stderr}");
            assert!(
                stderr.contains(&format!("Type the account ids ({ACCOUNT},{IRA})")),
                "{stderr}"
            );
            assert!(
                stderr.contains("not confirmed: nothing was placed"),
                "{stderr}"
            );
            assert_eq!(live.order_posts(), 0, "{wrong:?} placed");
        }
        let (code, stdout, stderr) = live.run("trade", &args, &format!("{ACCOUNT},{IRA}\n"));
        assert_eq!(code, 0, "{stdout}\n{stderr}");
        for account in [ACCOUNT, IRA] {
            assert!(live.gateway.orders().iter().any(|o| o.account == account));
        }
    }

    /// The login ends in the middle of the second account's orders (pbal stops there); the
    /// rerun after logging in again finds every order already placed in either account by its
    /// client order id, places none of them again, and places the rest.
    #[test]
    fn a_run_interrupted_in_the_second_account_resumes_without_duplicates() {
        let live = Live::new(two_accounts(FillMode::Manual));
        let args = [
            "--all-accounts",
            "--yes",
            "--as-of",
            "2026-11-25",
            "--fill-timeout",
            "1",
        ];
        live.gateway.inject(Fault::SessionEndsAfter {
            account: IRA.to_owned(),
            orders: 1,
        });
        let (code, stdout, stderr) = live.run("trade", &args, "");
        assert_ne!(code, 0, "{stdout}\n{stderr}");
        assert!(stderr.contains("no logged-in session"), "{stderr}");
        let first = live.gateway.orders();
        let in_ira = |orders: &[pbal_fake_gateway::OrderRecord]| {
            orders.iter().filter(|o| o.account == IRA).count()
        };
        assert!(first.iter().any(|o| o.account == ACCOUNT), "{first:?}");
        assert_eq!(
            in_ira(&first),
            1,
            "stopped after IRA's first order: {first:?}"
        );

        live.gateway.set_session(SessionState::Authenticated);
        let posts = live.order_posts();
        let (code, stdout, stderr) = live.run("trade", &args, "");
        assert_eq!(code, 3, "orders still working: {stdout}\n{stderr}");
        assert_eq!(
            stdout.matches("placed by an earlier run").count(),
            first.len(),
            "{stdout}"
        );
        let all = live.gateway.orders();
        assert!(in_ira(&all) > 1, "the rest of IRA's orders: {all:?}");
        assert_eq!(
            live.order_posts() - posts,
            all.len() - first.len(),
            "one POST per new order, none for the earlier ones"
        );
        let keys: BTreeSet<_> = all.iter().map(|o| (o.account.clone(), o.conid)).collect();
        assert_eq!(keys.len(), all.len(), "an order placed twice: {all:?}");
    }

    /// Accounts of different base currencies are refused by name, not planned in the first
    /// account's currency.
    #[test]
    fn accounts_of_different_base_currencies_are_refused_by_name() {
        let live = Live::new(
            fast()
                .account_in(IRA, "EUR")
                .cash(IRA, "EUR", Decimal::from(4_000)),
        );
        let (code, stdout, stderr) = live.run("trade", &["--all-accounts", "--dry-run"], "");
        assert_eq!(code, 1, "{stdout}\n{stderr}");
        assert!(
            stderr.contains(&format!(
                "different base currencies: {ACCOUNT} (USD), {IRA} (EUR)"
            )) && stderr.contains("trade each with --account ID"),
            "{stderr}"
        );
        assert_eq!(live.order_posts(), 0);
    }

    /// Without --all-accounts a login of several accounts still needs --account.
    #[test]
    fn without_all_accounts_one_must_be_chosen() {
        let live = Live::new(two_accounts(FillMode::Immediate));
        let (code, _, stderr) = live.run("trade", &["--yes"], "");
        assert_eq!(code, 1, "{stderr}");
        assert!(stderr.contains("choose one with --account"), "{stderr}");
        assert_eq!(live.order_posts(), 0);
    }
}
