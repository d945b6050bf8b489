//! What the fake gateway starts with: accounts, holdings, contracts, prices and the knobs
//! that turn its quirks on and off.

use std::collections::BTreeMap;
use std::time::Duration;

use rust_decimal::Decimal;

/// The brokerage session as the gateway sees it (reference §1, "States and what a client sees").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Nobody logged in: every `/v1/api` call answers 401 `{"error":"not authenticated"}`.
    LoggedOut,
    /// SSO alive, brokerage not bridged: `/portfolio/*` works, `/iserver/*` answers
    /// 400 `Bad Request: no bridge` until `POST /iserver/auth/ssodh/init`.
    NoBridge,
    /// Timed out but still connected (`connected:true, authenticated:false`); `ssodh/init`
    /// fixes it. Other `/iserver/*` calls answer 401.
    TimedOut,
    /// The same username is logged in elsewhere: `competing:true`, `/iserver/accounts` is `{}`.
    /// `ssodh/init` with `"compete":true` takes the session over.
    Competing,
    /// Logged in and bridged.
    Authenticated,
    /// What IBKR's real gateway does before anyone logs in on a machine that cannot reach
    /// IBKR, or after it lost its connection: TLS works, `GET /` redirects to the login page,
    /// but every `/v1/api` call is held open with no answer (proxied to IBKR's servers).
    Unanswered,
}

/// When accepted orders fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FillMode {
    /// At acceptance (the place answer still says `PreSubmitted`).
    Immediate,
    /// After the order was shown working this many times by order status or live orders.
    AfterStatusPolls(u32),
    /// Only when the test calls [`crate::FakeGateway::fill_all`].
    Manual,
}

/// One tradable contract. Several contracts may share a symbol; that makes the symbol
/// ambiguous in `secdef/search` and `trsrv/stocks`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    /// IBKR contract id.
    pub conid: i64,
    /// Ticker symbol.
    pub symbol: String,
    /// Primary listing exchange (`ARCA`, `NASDAQ`, `TSE`, ...).
    pub exchange: String,
    /// Trading currency.
    pub currency: String,
    /// Company or fund name.
    pub name: String,
    /// Security type: `STK`, or `CASH` for a currency pair.
    pub sec_type: String,
}

impl Contract {
    /// A stock or ETF; its name defaults to `"<SYMBOL> ETF"`. Give the symbol as IBKR spells
    /// it (`BRK B`, with a space): the gateway shows and finds only that spelling.
    pub fn new(conid: i64, symbol: &str, exchange: &str, currency: &str) -> Contract {
        Contract {
            conid,
            symbol: symbol.to_owned(),
            exchange: exchange.to_owned(),
            currency: currency.to_owned(),
            name: format!("{symbol} ETF"),
            sec_type: "STK".to_owned(),
        }
    }

    /// A currency pair on IDEALPRO (`CASH`), e.g. `Contract::cash_pair(12087792, "EUR",
    /// "USD")` for EUR.USD: its price is in `quote` per unit of `base`, and its currency is
    /// `quote`. Only currency conversion orders (`isCcyConv`) trade it here.
    pub fn cash_pair(conid: i64, base: &str, quote: &str) -> Contract {
        Contract {
            conid,
            symbol: format!("{base}.{quote}"),
            exchange: "IDEALPRO".to_owned(),
            currency: quote.to_owned(),
            name: format!("{base}.{quote}"),
            sec_type: "CASH".to_owned(),
        }
    }

    /// A currency pair.
    pub fn is_cash(&self) -> bool {
        self.sec_type == "CASH"
    }

    /// The pair's two currencies, `(base, quote)`.
    pub fn pair(&self) -> Option<(&str, &str)> {
        self.is_cash()
            .then(|| self.symbol.split_once('.'))
            .flatten()
    }

    /// Replaces the name.
    #[must_use]
    pub fn named(mut self, name: &str) -> Contract {
        name.clone_into(&mut self.name);
        self
    }
}

/// A holding at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    /// Account id.
    pub account: String,
    /// Contract id (must be one of [`Setup::contracts`]).
    pub conid: i64,
    /// Shares (may be fractional).
    pub quantity: Decimal,
    /// Average price per share.
    pub avg_price: Decimal,
}

/// A request-rate limit on one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointLimit {
    /// Path after `/v1/api`, matched exactly (e.g. `/iserver/account/orders`).
    pub path: String,
    /// Requests allowed per window.
    pub max: u32,
    /// Window length.
    pub per: Duration,
}

/// Rate limits (reference §5). A request over a limit gets 429 with an empty body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Global requests per second; `None` turns the global limit off.
    pub global_per_sec: Option<u32>,
    /// Penalty box after the global limit is exceeded: every request answers 429 until it
    /// ends. The real gateway uses 10–15 minutes; the default here is 2 s.
    pub penalty: Duration,
    /// Per-endpoint limits. Exceeding one answers 429 for that request only.
    pub endpoints: Vec<EndpointLimit>,
}

impl Limits {
    /// The reference's limits: 10 req/s global (2 s penalty), `/portfolio/accounts`,
    /// `/portfolio/subaccounts` and `/iserver/account/orders` 1 per 5 s, `/tickle` 1/s,
    /// snapshot 10/s, `/sso/validate` 1/min.
    pub fn reference() -> Limits {
        let limit = |path: &str, max, secs| EndpointLimit {
            path: path.to_owned(),
            max,
            per: Duration::from_secs(secs),
        };
        Limits {
            global_per_sec: Some(10),
            penalty: Duration::from_secs(2),
            endpoints: vec![
                limit("/portfolio/accounts", 1, 5),
                limit("/portfolio/subaccounts", 1, 5),
                limit("/iserver/account/orders", 1, 5),
                limit("/tickle", 1, 1),
                limit("/iserver/marketdata/snapshot", 10, 1),
                limit("/sso/validate", 1, 60),
            ],
        }
    }

    /// No limits at all.
    pub fn off() -> Limits {
        Limits {
            global_per_sec: None,
            penalty: Duration::ZERO,
            endpoints: Vec::new(),
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::reference()
    }
}

/// Everything the fake gateway starts with. Fields are public; the builder methods are
/// shortcuts.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Account ids; `DU…` ids are paper accounts.
    pub accounts: Vec<String>,
    /// Base currency of every account (the ledger's `BASE` entry is in it).
    pub base_currency: String,
    /// Accounts whose `/portfolio/accounts` row names another base currency (the ledger's
    /// `BASE` is still summed in [`Setup::base_currency`]): a login mixing base currencies.
    pub account_base_currencies: BTreeMap<String, String>,
    /// Exchange rate to the base currency per currency (missing means 1).
    pub exchange_rates: BTreeMap<String, Decimal>,
    /// Cash per (account, currency).
    pub cash: BTreeMap<(String, String), Decimal>,
    /// Contracts the gateway knows.
    pub contracts: Vec<Contract>,
    /// Holdings at start.
    pub positions: Vec<Holding>,
    /// Last price per conid (also the market-order fill price).
    pub prices: BTreeMap<i64, Decimal>,
    /// Prefix for snapshot field 31 per conid (`"C"` previous close, `"H"` halted).
    pub last_prefixes: BTreeMap<i64, String>,
    /// Conids the account may not trade ("No trading permissions.").
    pub no_permission: Vec<i64>,
    /// Question messageIds asked, in order, for every placement (unless suppressed), after
    /// the ones the order itself raises: o354 when the conid has no price (no market data),
    /// o10151 for a market order. Default: o10153 (cap price). Add o163/o383/o451 to play an
    /// account whose Precautionary Settings the order exceeds.
    pub questions: Vec<String>,
    /// When orders fill.
    pub fills: FillMode,
    /// The first `GET /iserver/account/orders` of a session (and after an account switch) is
    /// incomplete: the older half of the rows at most (`snapshot: false`).
    pub live_orders_warmup: bool,
    /// How many snapshot calls per conid answer only `conid`/`conidEx` (reference: the first).
    pub snapshot_preflight_calls: u32,
    /// Rows per positions page.
    pub positions_page_size: usize,
    /// Positions pages keep showing the holdings of before fills until
    /// `POST /portfolio/{acct}/positions/invalidate`.
    pub positions_lag: bool,
    /// Positions rows in the slim form, without `ticker`, `name` and `listingExchange`.
    pub slim_positions: bool,
    /// Fields left out of one conid's position row (all are optional in the spec:
    /// `mktPrice`, `mktValue`, `currency`, `conid`, ...).
    pub position_gaps: BTreeMap<i64, Vec<String>>,
    /// Order errors answered with HTTP 200 come inside the array (`[{"error":..}]`) instead
    /// of bare.
    pub errors_in_array: bool,
    /// Any other request between a question and its reply drops the pending order
    /// (reference §4 "Reply immediately, with nothing in between").
    pub strict_replies: bool,
    /// A question unanswered for this long is dropped.
    pub reply_timeout: Duration,
    /// Fractional order quantities are accepted (`acctProps.supportsFractions`).
    pub allow_fractions: bool,
    /// Commission per order, in the contract's currency (charged on fills, shown by whatif).
    pub commission: Decimal,
    /// Rate limits.
    pub limits: Limits,
    /// Session state at start.
    pub session: SessionState,
    /// The certificate served.
    pub certificate: crate::FakeCertificate,
    /// Cash accounts (`tradingType` `STKCASH`): whatif and placement refuse a buy that the
    /// account's cash, less its working buys, cannot pay, with IBKR's "YOUR ORDER IS NOT
    /// ACCEPTED…" text. Other accounts are margin accounts and may borrow.
    pub cash_accounts: Vec<String>,
    /// After a fill, the ledger keeps showing the cash of before it for this many reads (the
    /// portfolio endpoints are cached and lag fills).
    pub ledger_lag: u32,
    /// Minimum price variation (tick) per conid; 0.01 when missing. A limit price off the
    /// tick is refused, and the contract rules' `incrementRules` show it.
    pub price_increments: BTreeMap<i64, Decimal>,
    /// The exchanges are in their regular session. When not, snapshots show the previous
    /// close (field 31 prefixed `C`, 6509 `Z` frozen) and orders are accepted but wait for
    /// the open (they do not fill).
    pub market_open: bool,
}

impl Default for Setup {
    fn default() -> Setup {
        Setup {
            accounts: Vec::new(),
            base_currency: "USD".to_owned(),
            account_base_currencies: BTreeMap::new(),
            exchange_rates: BTreeMap::new(),
            cash: BTreeMap::new(),
            contracts: Vec::new(),
            positions: Vec::new(),
            prices: BTreeMap::new(),
            last_prefixes: BTreeMap::new(),
            no_permission: Vec::new(),
            questions: vec!["o10153".to_owned()],
            fills: FillMode::Manual,
            live_orders_warmup: true,
            snapshot_preflight_calls: 1,
            positions_page_size: 100,
            positions_lag: true,
            slim_positions: false,
            position_gaps: BTreeMap::new(),
            errors_in_array: false,
            strict_replies: true,
            reply_timeout: Duration::from_secs(10),
            allow_fractions: false,
            commission: Decimal::ZERO,
            limits: Limits::reference(),
            session: SessionState::Authenticated,
            certificate: crate::FakeCertificate::default(),
            cash_accounts: Vec::new(),
            ledger_lag: 0,
            market_open: true,
            price_increments: BTreeMap::new(),
        }
    }
}

/// Conids of [`Setup::ten_etfs`], in order VTI VEA VWO BND BNDX VNQ VXUS VIG VYM VTIP.
pub const TEN_ETF_CONIDS: [i64; 10] = [
    12_340_001, 12_340_002, 12_340_003, 12_340_004, 12_340_005, 12_340_006, 12_340_007, 12_340_008,
    12_340_009, 12_340_010,
];

impl Setup {
    /// An empty gateway (no accounts), authenticated, reference limits and quirks.
    pub fn new() -> Setup {
        Setup::default()
    }

    /// Paper account `DU1234567` in USD holding ten ETFs (see [`TEN_ETF_CONIDS`]) with prices
    /// and USD 10,000 cash.
    pub fn ten_etfs() -> Setup {
        const ACCOUNT: &str = "DU1234567";
        // (symbol, exchange, name, price in cents, shares, average price in cents)
        let rows: [(&str, &str, &str, i64, i64, i64); 10] = [
            (
                "VTI",
                "ARCA",
                "VANGUARD TOTAL STOCK MKT ETF",
                29_012,
                40,
                25_000,
            ),
            (
                "VEA",
                "ARCA",
                "VANGUARD FTSE DEVELOPED ETF",
                5_234,
                120,
                4_800,
            ),
            (
                "VWO",
                "ARCA",
                "VANGUARD FTSE EMERGING MARKE",
                4_567,
                80,
                4_300,
            ),
            (
                "BND",
                "NASDAQ",
                "VANGUARD TOTAL BOND MARKET",
                7_281,
                100,
                7_500,
            ),
            (
                "BNDX",
                "NASDAQ",
                "VANGUARD TOTAL INTL BOND ETF",
                4_920,
                60,
                5_100,
            ),
            ("VNQ", "ARCA", "VANGUARD REAL ESTATE ETF", 8_845, 30, 9_000),
            (
                "VXUS",
                "NASDAQ",
                "VANGUARD TOTAL INTL STOCK",
                6_310,
                50,
                5_900,
            ),
            (
                "VIG",
                "ARCA",
                "VANGUARD DIVIDEND APPREC ETF",
                19_533,
                20,
                17_000,
            ),
            (
                "VYM",
                "ARCA",
                "VANGUARD HIGH DVD YIELD ETF",
                12_876,
                25,
                11_000,
            ),
            (
                "VTIP",
                "NASDAQ",
                "VANGUARD SHORT-TERM INFLATION",
                4_995,
                40,
                4_900,
            ),
        ];
        let mut setup = Setup::new()
            .account(ACCOUNT)
            .cash(ACCOUNT, "USD", Decimal::new(10_000, 0));
        for ((symbol, exchange, name, price, shares, avg), conid) in
            rows.into_iter().zip(TEN_ETF_CONIDS)
        {
            setup = setup
                .contract(Contract::new(conid, symbol, exchange, "USD").named(name))
                .price(conid, Decimal::new(price, 2))
                .position(
                    ACCOUNT,
                    conid,
                    Decimal::new(shares, 0),
                    Decimal::new(avg, 2),
                );
        }
        setup
    }

    /// Adds an account.
    #[must_use]
    pub fn account(mut self, id: &str) -> Setup {
        self.accounts.push(id.to_owned());
        self
    }

    /// Adds an account whose base currency is `currency` (see
    /// [`Setup::account_base_currencies`]).
    #[must_use]
    pub fn account_in(mut self, id: &str, currency: &str) -> Setup {
        self.accounts.push(id.to_owned());
        self.account_base_currencies
            .insert(id.to_owned(), currency.to_owned());
        self
    }

    /// Sets the cash of an account in a currency.
    #[must_use]
    pub fn cash(mut self, account: &str, currency: &str, amount: Decimal) -> Setup {
        self.cash
            .insert((account.to_owned(), currency.to_owned()), amount);
        self
    }

    /// Sets the exchange rate of a currency to the base currency.
    #[must_use]
    pub fn exchange_rate(mut self, currency: &str, rate: Decimal) -> Setup {
        self.exchange_rates.insert(currency.to_owned(), rate);
        self
    }

    /// Adds a contract (a second contract with the same symbol makes it ambiguous).
    #[must_use]
    pub fn contract(mut self, contract: Contract) -> Setup {
        self.contracts.push(contract);
        self
    }

    /// Adds a holding.
    #[must_use]
    pub fn position(
        mut self,
        account: &str,
        conid: i64,
        quantity: Decimal,
        avg_price: Decimal,
    ) -> Setup {
        self.positions.push(Holding {
            account: account.to_owned(),
            conid,
            quantity,
            avg_price,
        });
        self
    }

    /// Sets the last price of a conid.
    #[must_use]
    pub fn price(mut self, conid: i64, price: Decimal) -> Setup {
        self.prices.insert(conid, price);
        self
    }

    /// Prefixes snapshot field 31 of a conid (`"C"` or `"H"`).
    #[must_use]
    pub fn last_prefix(mut self, conid: i64, prefix: &str) -> Setup {
        self.last_prefixes.insert(conid, prefix.to_owned());
        self
    }

    /// Makes orders on this conid fail with "No trading permissions.".
    #[must_use]
    pub fn no_permission(mut self, conid: i64) -> Setup {
        self.no_permission.push(conid);
        self
    }

    /// Sets the questions asked for every placement.
    #[must_use]
    pub fn questions(mut self, message_ids: &[&str]) -> Setup {
        self.questions = message_ids.iter().map(|&id| id.to_owned()).collect();
        self
    }

    /// Sets when orders fill.
    #[must_use]
    pub fn fills(mut self, mode: FillMode) -> Setup {
        self.fills = mode;
        self
    }

    /// Turns the live-orders warm-up (an incomplete first answer) on or off.
    #[must_use]
    pub fn live_orders_warmup(mut self, on: bool) -> Setup {
        self.live_orders_warmup = on;
        self
    }

    /// Sets how many snapshot calls per conid answer without data.
    #[must_use]
    pub fn snapshot_preflight_calls(mut self, calls: u32) -> Setup {
        self.snapshot_preflight_calls = calls;
        self
    }

    /// Sets the positions page size.
    #[must_use]
    pub fn positions_page_size(mut self, rows: usize) -> Setup {
        self.positions_page_size = rows.max(1);
        self
    }

    /// Turns the positions cache lag on or off.
    #[must_use]
    pub fn positions_lag(mut self, on: bool) -> Setup {
        self.positions_lag = on;
        self
    }

    /// Leaves `fields` out of the position row of `conid` (the spec makes them optional).
    #[must_use]
    pub fn position_without(mut self, conid: i64, fields: &[&str]) -> Setup {
        self.position_gaps
            .entry(conid)
            .or_default()
            .extend(fields.iter().map(|f| (*f).to_owned()));
        self
    }

    /// Serves positions in the slim form.
    #[must_use]
    pub fn slim_positions(mut self, on: bool) -> Setup {
        self.slim_positions = on;
        self
    }

    /// Puts HTTP-200 order errors inside the array.
    #[must_use]
    pub fn errors_in_array(mut self, on: bool) -> Setup {
        self.errors_in_array = on;
        self
    }

    /// Turns strict replies (drop the pending order on any other request) on or off.
    #[must_use]
    pub fn strict_replies(mut self, on: bool) -> Setup {
        self.strict_replies = on;
        self
    }

    /// Accepts fractional quantities.
    #[must_use]
    pub fn allow_fractions(mut self, on: bool) -> Setup {
        self.allow_fractions = on;
        self
    }

    /// Sets the commission per order.
    #[must_use]
    pub fn commission(mut self, amount: Decimal) -> Setup {
        self.commission = amount;
        self
    }

    /// Replaces the rate limits.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Setup {
        self.limits = limits;
        self
    }

    /// Turns every rate limit off.
    #[must_use]
    pub fn no_rate_limits(self) -> Setup {
        self.limits(Limits::off())
    }

    /// Sets (or replaces) one endpoint's limit.
    #[must_use]
    pub fn endpoint_limit(mut self, path: &str, max: u32, per: Duration) -> Setup {
        self.limits.endpoints.retain(|limit| limit.path != path);
        self.limits.endpoints.push(EndpointLimit {
            path: path.to_owned(),
            max,
            per,
        });
        self
    }

    /// Makes an account a cash account (see [`Setup::cash_accounts`]).
    #[must_use]
    pub fn cash_account(mut self, id: &str) -> Setup {
        self.cash_accounts.push(id.to_owned());
        self
    }

    /// Sets how many ledger reads after a fill still show the cash of before it.
    #[must_use]
    pub fn ledger_lag(mut self, reads: u32) -> Setup {
        self.ledger_lag = reads;
        self
    }

    /// Sets a conid's minimum price variation (see [`Setup::price_increments`]).
    #[must_use]
    pub fn price_increment(mut self, conid: i64, increment: Decimal) -> Setup {
        self.price_increments.insert(conid, increment);
        self
    }

    /// Closes the market (see [`Setup::market_open`]).
    #[must_use]
    pub fn market_closed(mut self) -> Setup {
        self.market_open = false;
        self
    }

    /// Chooses the certificate served.
    #[must_use]
    pub fn certificate(mut self, certificate: crate::FakeCertificate) -> Setup {
        self.certificate = certificate;
        self
    }

    /// Sets the session state at start.
    #[must_use]
    pub fn session(mut self, state: SessionState) -> Setup {
        self.session = state;
        self
    }
}
