//! An in-process fake of the IBKR Client Portal gateway, for tests of pbal's client and CLI.
//!
//! [`FakeGateway::start`] serves HTTPS on `127.0.0.1:<free port>` with the certificate IBKR
//! ships with every gateway when IBKR's files are beside the workspace (self-signed, expired,
//! not named `localhost`: pin it by comparing the certificate itself), else with a fresh
//! self-signed one ([`FakeCertificate`], [`shipped_certificate_dir`]). It runs on its own thread with its own
//! multi-thread tokio runtime, so sync (`assert_cmd`) and async (`#[tokio::test]`) tests can use
//! it alike, and it shuts down on drop. The rustls `ServerConfig` names the aws-lc-rs
//! provider explicitly, so it works whichever rustls providers other crates enable.
//!
//! It follows `/work/shared/reference/ibkr-client-portal-api.md` ("ref") quirks included; it
//! stands in for the real gateway and is built to that reference, not to any client.
//!
//! # Behaviour, by reference section
//!
//! **§0 conventions**
//! - Routes answer under `/v1/api` and `/v1/portal`. Any other path gets a 302 to
//!   `/sso/Login?...` with an HTML body (§1 "Missing `/v1/api` prefix"), never JSON.
//! - A POST without `Content-Length` or with an empty body gets 411 (empty body); a POST body
//!   that is not JSON gets 400.
//! - JSON types are as the reference shows: `order_id` a string on place/reply, a number on
//!   cancel and status; `conid` a string in secdef/search; snapshot, whatif and order-status
//!   values are strings; positions `strike` `"0"`, `multiplier` `0.0`.
//! - Errors are `{"error":..,"statusCode":N}` or bare `{"error":..}`; order errors come with
//!   HTTP 200 where the reference says so; a 429 has an empty body and no Retry-After.
//!
//! **§1 session** ([`SessionState`], [`FakeGateway::set_session`])
//! - `POST /iserver/auth/status`, `POST /tickle` (with `iserver.authStatus`, `hmds` "no
//!   bridge"), `POST /logout` (→ logged out), `GET /sso/validate` (`LOGIN_TYPE` 2 for `DU`
//!   accounts), `POST /iserver/reauthenticate` (`{"message":"triggered"}`).
//! - `POST /iserver/auth/ssodh/init`: `publish` must be true in the JSON body (else 500); a
//!   `compete` flag must be there (true or false; 400 without it), and a competing session
//!   is taken over only with `compete:true`. It starts a new brokerage session. Flags
//!   sent only as query parameters answer 200 but leave the session unbridged.
//! - LoggedOut: every API call 401 `{"error":"not authenticated","statusCode":401}`.
//!   NoBridge: `/portfolio/*` works, `/iserver/*` 400 `Bad Request: no bridge` (ssodh/init
//!   excepted). TimedOut: `connected:true, authenticated:false`, other `/iserver/*` 401.
//!   Competing: `competing:true`, `/iserver/accounts` answers `{}`. Unanswered (the real
//!   gateway before login when IBKR is out of reach): every `/v1/api` call hangs.
//! - Every new session (ssodh/init, logout, [`FakeGateway::set_session`]) forgets the
//!   prerequisites, question suppressions, snapshot streams and the live-orders warm-up.
//! - Prerequisites: `/iserver/account/*`, `/iserver/marketdata/*` and `/iserver/reply/*` need
//!   `GET /iserver/accounts` first in the session (500 `{"error":"Please query /accounts
//!   first"}`); `/portfolio/{id}/*` needs `GET /portfolio/accounts` (500, fake's wording).
//! - [`Fault::NoSession`]: the next tickle answers 200 `{"error":"no session"}`.
//! - [`Fault::Html`]: a lapsed session answering a 200 HTML page.
//!
//! **§2 accounts and portfolio**
//! - `GET /iserver/accounts` (`acctProps`, `aliases`, `selectedAccount`, `isPaper`).
//! - `GET /portfolio/accounts` and `/portfolio/subaccounts`.
//! - `GET /portfolio/{acct}/positions/{page}`: pages of [`Setup::positions_page_size`]
//!   (default 100) from 0; pages past the end `[]`; numbers are floats. With
//!   [`Setup::positions_lag`] (default on) pages keep showing pre-fill holdings until
//!   `POST /portfolio/{acct}/positions/invalidate`, which refreshes and returns page 0.
//!   [`Setup::slim_positions`] drops `ticker`, `name` and `listingExchange`;
//!   [`Setup::position_without`] drops any field of one row (all optional in the spec).
//! - `GET /portfolio/{acct}/ledger`: one entry per currency (with `endofbundle`) plus `BASE`
//!   (sum at [`Setup::exchange_rates`]); `timestamp` in seconds.
//! - `GET /portfolio/{acct}/summary`: lower-case keys repeated with `-c`/`-s`, ms timestamps.
//!
//! **§3 contracts and prices**
//! - `GET|POST /iserver/secdef/search?symbol=&secType=`: one row per [`Contract`] with the
//!   symbol (several rows make it ambiguous) and the `secType` asked for, `conid` a string,
//!   `description` the exchange. Only IBKR's own spelling matches: `BRK B` (a space), never
//!   `BRK.B`; positions, live orders and status show that spelling too. Currency pairs
//!   ([`Contract::cash_pair`]) are `CASH` rows named `EUR.USD`.
//! - `GET /trsrv/stocks?symbols=`: grouped by name, `conid` an int, `isUS` = USD.
//! - `GET /iserver/contract/{conid}/info` (snake_case) and `/info-and-rules` (+ `rules`).
//! - `GET /iserver/marketdata/snapshot`: the first [`Setup::snapshot_preflight_calls`] calls
//!   per conid and session answer only `conid`/`conidEx`; later ones every field requested so
//!   far (fields persist), as strings with commas (`"1,300"`); field 31 carries
//!   [`Setup::last_prefixes`] (`C`/`H`); 6509 is `RpB` (or `N` without a price). With the
//!   market closed ([`Setup::market_closed`]) 31 carries `C` and 6509 is `ZpB` (frozen), and
//!   accepted orders wait for the open instead of filling. Up to 100
//!   conids and 50 fields. `POST /iserver/marketdata/unsubscribe` and `GET .../unsubscribeall`
//!   restart the pre-flight.
//!
//! **§4 orders**
//! - `POST /iserver/account/{acct}/orders` takes `{"orders":[..]}` only. Validation, in order:
//!   400 "conid or conidex is required", 400 "Invalid Side (must be 'BUY' or 'SELL').", 400
//!   "Unknown order type", 200 "no sec defs returned for conid N", 200 "null time in force is
//!   not supported for this order", 200 "invalid order size" (fake's wording), fractions
//!   unless [`Setup::allow_fractions`], 200 "invalid order price fields" (LMT without price),
//!   200 "The price does not conform to the minimum price variation for this contract."
//!   (a limit off [`Setup::price_increments`]),
//!   a `ticker` other than the conid's own symbol (optional; fake's wording),
//!   200 "No trading permissions." ([`Setup::no_permission`]), a cOID over 64 characters;
//!   currency conversions: `isCcyConv: true` only on a `CASH` pair, sized by `fxQty` (the
//!   amount converted from: the pair's quote currency for a BUY, its base for a SELL) and
//!   never `quantity`; `fxQty` without `isCcyConv`, or a plain order on a pair, is refused
//!   (fake's wordings); the fill moves the ledger in both currencies at the pair's price
//!   (commission in the quote currency) and no position;
//!   a reused cOID gets 200 `"Order couldn't be submitted: Local order ID=<cOID> is already
//!   registered."`. HTTP-200 errors are bare, or inside the array with
//!   [`Setup::errors_in_array`].
//! - Then the questions not suppressed are asked in turn: o354 when the conid has no price
//!   (no market data), o10151 for a market order, then [`Setup::questions`] (default o10153;
//!   tests add o163/o383/o451 for precautionary limits), each as `[{"id":<fresh UUID>,"message":[..],"isSuppressed":false,
//!   "messageIds":[..],"messageOptions":["Yes","No"]}]`. `POST /iserver/reply/{id}` with
//!   `{"confirmed":true}` asks the next or accepts; `confirmed:false` drops the order (200
//!   bare error, fake's wording). A reply to an unknown or stale id gets 400
//!   `{"error":"reply id not found: '<id>'"}`. With [`Setup::strict_replies`] (default) any
//!   other request in between drops the pending order; so does [`Setup::reply_timeout`].
//! - Accepted: `[{"order_id":"<n>","order_status":"PreSubmitted","encrypt_message":"1",
//!   "local_order_id":"<cOID>"}]`. [`FillMode`] decides when it fills.
//! - `POST /iserver/questions/suppress` (≤ 51 ids, `{"status":"submitted"}`) lasts for the
//!   session; `/iserver/questions/suppress/reset` undoes it.
//! - `POST /iserver/account/{acct}/orders/whatif`: formatted strings (`"1,977.60 USD (10
//!   Shares)"`), `warn` "21/..." without a price, places nothing.
//! - `POST /iserver/account {"acctId":..}` selects the account (`{"set":true,"acctId":..}`);
//!   `GET /iserver/account/orders` shows only the selected account's orders (the first account
//!   until one is selected; `accountId` is ignored), and switching restarts the warm-up.
//! - `GET /iserver/account/orders`: with [`Setup::live_orders_warmup`] the first call of a
//!   session is incomplete (the older half of the rows, `snapshot: false`); `force=true` answers empty; then this session's orders plus working
//!   ones with `order_ref` = cOID; `filters` (snake_case statuses) honoured.
//! - `GET /iserver/account/order/status/{id}`: snake_case strings, `side` B/S; 503 for unknown
//!   orders and orders of earlier sessions.
//! - `DELETE /iserver/account/{acct}/order/{id}`: `{"msg":"Request was submitted",
//!   "order_id":<number>,..}`, `-1` cancels all; unknown or no longer working: 200
//!   `{"error":"OrderID N doesn't exist"}`. The order shows PendingCancel once, then Cancelled.
//!
//! **§5 rate limits** ([`Limits`]): global 10 req/s; exceeding it answers 429 (empty body) and
//! opens a penalty box in which every request answers 429 for [`Limits::penalty`] (default 2 s;
//! the real one lasts 10–15 min). Per endpoint: `/portfolio/accounts`, `/portfolio/subaccounts`,
//! `/iserver/account/orders` 1 per 5 s, `/tickle` 1/s, snapshot 10/s, `/sso/validate` 1/min;
//! exceeding one answers 429 for that request. [`Setup::no_rate_limits`] turns them off.
//! Faults [`Fault::Status429`], [`Fault::Status503`], [`Fault::ErrorWith200`],
//! [`Fault::HangAfterAccept`] (order recorded, POST never answered) and
//! [`Fault::ErrorOnPlace`] (a 5xx on an order POST, before or after accepting it) simulate the
//! rest; [`Fault::AdvancedReject`] (the spec's `AdvancedOrderReject`) and
//! [`Fault::QuestionWithoutIds`] the spec's rarer placement answers.
//!   [`Fault::SessionEndsAfter`] logs the session out after an account's Nth accepted order
//!   (a login ending in the middle of a run).
//! - `GET /iserver/currency/pairs?currency=X`: `{"X":[{"symbol","conid","ccyPair"}]}`;
//!   `secdef/search` refuses a `secType` other than STK, IND and BOND (400). An order on a
//!   currency pair without a snapshot of it in the session meets o354 (and its whatif the
//!   "21/" warning); a conversion asks o10223 and o10164 (cash quantity).
//!
//! [`spec::violations`] holds every recorded request and answer ([`RequestRecord::response`])
//! to IBKR's OpenAPI models, written by hand.
//!
//! Not simulated: the IP allow-list, `portfolio2`, order modification, brackets, websockets.

mod fault;
mod format;
mod limits;
mod records;
mod reply;
mod routes;
mod server;
mod setup;
pub mod spec;
mod state;
mod tls;

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::thread::JoinHandle;

use rust_decimal::Decimal;
use tokio::sync::oneshot;

pub use fault::Fault;
pub use records::{OrderRecord, OrderStatus, RequestRecord, Side};
pub use setup::{
    Contract, EndpointLimit, FillMode, Holding, Limits, SessionState, Setup, TEN_ETF_CONIDS,
};
pub use tls::{FakeCertificate, GATEWAY_DIR_ENV, shipped_certificate_dir};

use server::{Shared, lock};
use state::Gateway;

/// A running fake gateway; dropping it shuts it down.
#[derive(Debug)]
pub struct FakeGateway {
    shared: Shared,
    addr: SocketAddr,
    cert_pem: String,
    shipped: bool,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeGateway {
    /// Binds `127.0.0.1:0`, makes a certificate and starts serving on its own thread.
    /// The port is listening when this returns.
    ///
    /// # Panics
    /// If the loopback port, the certificate or the runtime cannot be set up (a broken test
    /// machine, not a test failure to handle).
    pub fn start(setup: Setup) -> FakeGateway {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .expect("the fake gateway binds a loopback port");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let (cert_pem, tls, shipped) = tls::server_config(setup.certificate);
        let shared: Shared = std::sync::Arc::new(std::sync::Mutex::new(Gateway::new(setup)));
        let (stop, thread) = server::spawn(shared.clone(), listener, tls);
        FakeGateway {
            shared,
            addr,
            cert_pem,
            shipped,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `https://127.0.0.1:PORT` (no path, no trailing slash).
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The server certificate, PEM.
    pub fn cert_pem(&self) -> String {
        self.cert_pem.clone()
    }

    /// It serves IBKR's shipped certificate (not a generated one).
    pub fn serves_shipped_certificate(&self) -> bool {
        self.shipped
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.shared).requests.clone()
    }

    /// Every order the gateway accepted, in order, with its current status.
    pub fn orders(&self) -> Vec<OrderRecord> {
        lock(&self.shared)
            .orders
            .iter()
            .map(|o| o.record.clone())
            .collect()
    }

    /// Switches the session state; this starts a new brokerage session (prerequisites,
    /// suppressions, snapshot streams and the live-orders warm-up start over).
    pub fn set_session(&self, state: SessionState) {
        lock(&self.shared).new_session(state);
    }

    /// The current session state.
    pub fn session(&self) -> SessionState {
        lock(&self.shared).session
    }

    /// Fills every working order at its limit price (other types at the last price), updating
    /// holdings and ledger cash. Orders without a price stay working.
    pub fn fill_all(&self) {
        let mut gw = lock(&self.shared);
        for index in 0..gw.orders.len() {
            gw.fill(index);
        }
    }

    /// Arms a fault.
    pub fn inject(&self, fault: Fault) {
        lock(&self.shared).faults.push(fault);
    }

    /// Ledger cash of an account in a currency; `"BASE"` is the base-currency total.
    pub fn ledger_cash(&self, account: &str, currency: &str) -> Decimal {
        lock(&self.shared).ledger_cash(account, currency)
    }

    /// Current shares of a conid in an account (what positions show after invalidate).
    pub fn position(&self, account: &str, conid: i64) -> Decimal {
        lock(&self.shared)
            .holdings
            .get(&(account.to_owned(), conid))
            .map_or(Decimal::ZERO, |lot| lot.quantity)
    }

    /// Opens or closes the market (see [`Setup::market_open`]).
    pub fn set_market_open(&self, open: bool) {
        lock(&self.shared).setup.market_open = open;
    }

    /// Changes the last price of a conid.
    pub fn set_price(&self, conid: i64, price: Decimal) {
        lock(&self.shared).setup.prices.insert(conid, price);
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        lock(&self.shared).requests.clear();
    }
}

impl Drop for FakeGateway {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // A panic on the server thread already showed in the test output.
            let _ = thread.join();
        }
    }
}
