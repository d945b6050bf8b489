//! What the gateway returns, in typed form. Parsed by hand from loose JSON (see `json.rs`):
//! only the fields pbal needs are required, everything else is optional or ignored.

use rust_decimal::Decimal;
use serde::Serialize;

pub use super::order_state::OrderState;

/// `POST /iserver/auth/status`.
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct AuthStatus {
    /// The brokerage session is authenticated.
    pub authenticated: bool,
    /// The gateway is connected to IBKR.
    pub connected: bool,
    /// Another session uses the same username.
    pub competing: bool,
    /// The gateway's message, if any.
    pub message: String,
}

/// `GET /iserver/accounts`.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct BrokerageAccounts {
    /// Account ids.
    pub accounts: Vec<String>,
    /// The selected account.
    pub selected: Option<String>,
    /// Accounts whose orders must carry `manualOrderTime`.
    pub needs_manual_order_time: Vec<String>,
    /// A paper-trading login.
    pub is_paper: bool,
}

/// One account of `GET /portfolio/accounts`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PortfolioAccount {
    /// Account id.
    pub id: String,
    /// Base currency.
    pub currency: Option<String>,
}

/// One row of `GET /portfolio/{acct}/positions/{page}`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GatewayPosition {
    /// Contract id.
    pub conid: String,
    /// Ticker (or the contract description in the slim form).
    pub symbol: String,
    /// Quantity (may be fractional).
    pub quantity: Decimal,
    /// Market price.
    pub price: Decimal,
    /// Market value.
    pub value: Decimal,
    /// Currency.
    pub currency: String,
    /// Asset class (STK, OPT, …).
    pub asset_class: String,
    /// Unrealized P&L.
    pub unrealized_pnl: Option<Decimal>,
    /// Primary exchange.
    pub listing_exchange: Option<String>,
}

/// One currency of `GET /portfolio/{acct}/ledger` (`BASE` = the base-currency total).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LedgerEntry {
    /// ISO currency or `BASE`.
    pub currency: String,
    /// Cash balance (negative: margin loan).
    pub cash: Decimal,
    /// Settled cash.
    pub settled_cash: Option<Decimal>,
    /// Rate to the base currency.
    pub exchange_rate: Option<Decimal>,
}

/// A contract a symbol may mean.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ContractCandidate {
    /// Contract id.
    pub conid: String,
    /// Symbol as IBKR spells it (`BRK B`, whatever spelling was asked for).
    pub symbol: String,
    /// Company or fund name.
    pub name: String,
    /// Primary exchange.
    pub exchange: String,
}

/// A market-data snapshot of one contract.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Quote {
    /// Last price (field 31; a "C" prefix means the previous close).
    pub last: Option<Decimal>,
    /// Bid (84).
    pub bid: Option<Decimal>,
    /// Ask (86).
    pub ask: Option<Decimal>,
    /// Prior close (7741) or close (7296).
    pub close: Option<Decimal>,
    /// Market-data availability code (6509), e.g. `RpB` real-time, `D` delayed.
    pub availability: Option<String>,
    /// The letter before the last price (31): `C` = it is the previous close (no trade since
    /// the market closed), `H` = trading is halted.
    pub last_prefix: Option<char>,
}

/// Whether a contract can trade now, as its snapshot tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum MarketState {
    /// A live price from an open market.
    Open,
    /// Only the previous close (`C` prefix) or frozen data (6509 `Z`/`Y`): the market is
    /// closed, and an order would wait for the next open.
    Closed,
    /// Trading is halted (`H` prefix).
    Halted,
}

impl Quote {
    /// Open, closed or halted, from the price prefix and the availability code.
    #[must_use]
    pub fn market_state(&self) -> MarketState {
        let frozen = self
            .availability
            .as_deref()
            .and_then(|a| a.chars().next())
            .is_some_and(|c| matches!(c, 'Z' | 'Y'));
        match self.last_prefix {
            Some('H') => MarketState::Halted,
            Some('C') => MarketState::Closed,
            _ if frozen => MarketState::Closed,
            _ => MarketState::Open,
        }
    }

    /// The price pbal plans with: last, else the bid/ask midpoint, else the close.
    #[must_use]
    pub fn price(&self) -> Option<Decimal> {
        let positive = |p: Option<Decimal>| p.filter(|p| *p > Decimal::ZERO);
        positive(self.last)
            .or_else(|| {
                let (bid, ask) = (positive(self.bid)?, positive(self.ask)?);
                Some((bid.checked_add(ask)? / Decimal::TWO).round_dp(4))
            })
            .or_else(|| positive(self.close))
    }
}

/// `POST /iserver/account/{acct}/orders/whatif`: IBKR's preview of one order.
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct WhatIf {
    /// Commission (parsed from e.g. "1 USD").
    #[serde(with = "rust_decimal::serde::str_option")]
    pub commission: Option<Decimal>,
    /// The amount text as IBKR wrote it.
    pub amount_text: Option<String>,
    /// Change of the initial margin requirement.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub initial_margin_change: Option<Decimal>,
    /// Change of the maintenance margin requirement.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub maintenance_margin_change: Option<Decimal>,
    /// Equity with loan after the order.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub equity_after: Option<Decimal>,
    /// A warning (e.g. "21/You are trying to submit an order without having market data").
    pub warning: Option<String>,
    /// An error: the order would be rejected.
    pub error: Option<String>,
}

/// Market or limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum OrderKind {
    /// Market order.
    Market,
    /// Limit order at this price.
    Limit(Decimal),
}

impl OrderKind {
    /// The limit price of a limit order.
    #[must_use]
    pub fn limit_price(self) -> Option<Decimal> {
        match self {
            Self::Limit(price) => Some(price),
            Self::Market => None,
        }
    }
}

/// One order ticket.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct OrderTicket {
    /// Account id.
    #[serde(skip)]
    pub account: String,
    /// Contract id.
    pub conid: String,
    /// Symbol, as the plan spells it (for messages and the client order id).
    pub symbol: String,
    /// IBKR's own ticker of the conid, sent as the order's `ticker` (the plan's spelling may
    /// differ: `BRK.B` for IBKR's `BRK B`); `None`: no ticker is sent (it is optional).
    #[serde(skip)]
    pub ticker: Option<String>,
    /// Buy or sell.
    pub side: pbal_core::Side,
    /// Whole shares (or the fractional step the contract allows); for a currency conversion,
    /// the amount of the currency converted from.
    pub quantity: Decimal,
    /// Market or limit.
    pub kind: OrderKind,
    /// Client order id: the idempotency key (≤ 64 characters).
    pub c_oid: String,
    /// Orders of this account must carry `manualOrderTime`.
    #[serde(skip)]
    pub manual_order_time: Option<i64>,
    /// A currency conversion on a `CASH` pair ([`CurrencyPair`]): sent with `isCcyConv: true`
    /// and `quantity` as `fxQty`, the amount converted from (IBKR: "To specify the amount of
    /// currency you want to transfer FROM use fxQty").
    pub currency_conversion: bool,
}

impl OrderTicket {
    /// An order of `quantity` of the contract `conid` (the plan's `symbol`) for `account`,
    /// with its client order id `c_oid` (the idempotency key, ≤ 64 characters). No ticker, no
    /// `manualOrderTime`, not a currency conversion: the `with_…` setters add them.
    #[must_use]
    pub fn new(
        account: impl Into<String>,
        conid: impl Into<String>,
        symbol: impl Into<String>,
        side: pbal_core::Side,
        quantity: Decimal,
        kind: OrderKind,
        c_oid: impl Into<String>,
    ) -> Self {
        Self {
            account: account.into(),
            conid: conid.into(),
            symbol: symbol.into(),
            ticker: None,
            side,
            quantity,
            kind,
            c_oid: c_oid.into(),
            manual_order_time: None,
            currency_conversion: false,
        }
    }

    /// With IBKR's own ticker of the conid ([`OrderTicket::ticker`]).
    #[must_use]
    pub fn with_ticker(mut self, ticker: Option<String>) -> Self {
        self.ticker = ticker;
        self
    }

    /// With the `manualOrderTime` the account's orders must carry.
    #[must_use]
    pub fn with_manual_order_time(mut self, manual_order_time: Option<i64>) -> Self {
        self.manual_order_time = manual_order_time;
        self
    }

    /// As a currency conversion on a `CASH` pair ([`OrderTicket::currency_conversion`]).
    #[must_use]
    pub fn with_currency_conversion(mut self, currency_conversion: bool) -> Self {
        self.currency_conversion = currency_conversion;
        self
    }
}

/// A currency pair IBKR trades (`CASH`, e.g. `EUR.USD` on IDEALPRO) and the side of the
/// conversion from one of its currencies into the other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CurrencyPair {
    /// Contract id of the pair.
    pub conid: String,
    /// The pair as IBKR names it, `BASE.QUOTE` (`EUR.USD`).
    pub symbol: String,
    /// The currency converted from.
    pub from: String,
    /// The currency converted into.
    pub to: String,
    /// Buy when `to` is the pair's base currency (buying EUR.USD pays USD for EUR), sell when
    /// it is the quote currency.
    pub side: pbal_core::Side,
}

/// What happened to a placement.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Placed {
    /// Accepted with this order id and status.
    Accepted {
        /// IBKR's order id.
        order_id: String,
        /// State at acceptance (e.g. `PreSubmitted`).
        status: OrderState,
    },
    /// IBKR already has an order with this client order id (an earlier run placed it).
    AlreadyRegistered,
}

/// One step of a placement, for the journal and the progress shown.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum PlaceEvent {
    /// A question was answered yes (its ids were on the allow-list).
    Confirmed {
        /// Message ids.
        message_ids: Vec<String>,
        /// The question.
        text: String,
    },
    /// A question was answered no (an id was not on the allow-list).
    Declined {
        /// Message ids.
        message_ids: Vec<String>,
        /// The question.
        text: String,
    },
}

/// One order of `GET /iserver/account/orders`.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct LiveOrder {
    /// IBKR's order id.
    pub order_id: String,
    /// Client order id (`order_ref`).
    pub c_oid: Option<String>,
    /// Account id.
    #[serde(skip)]
    pub account: Option<String>,
    /// Contract id.
    pub conid: Option<String>,
    /// Ticker.
    pub symbol: String,
    /// BUY or SELL.
    pub side: String,
    /// State (PreSubmitted, Submitted, Filled, Cancelled, …).
    pub status: OrderState,
    /// Total quantity.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub quantity: Option<Decimal>,
    /// Filled quantity.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub filled: Option<Decimal>,
    /// Average fill price.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub average_price: Option<Decimal>,
}

impl LiveOrder {
    /// A live order as the gateway lists it: its id, ticker, side (`BUY`, `SELL`) and state;
    /// the other fields start empty (set them by assignment).
    #[must_use]
    pub fn new(
        order_id: impl Into<String>,
        symbol: impl Into<String>,
        side: impl Into<String>,
        status: OrderState,
    ) -> Self {
        Self {
            order_id: order_id.into(),
            c_oid: None,
            account: None,
            conid: None,
            symbol: symbol.into(),
            side: side.into(),
            status,
            quantity: None,
            filled: None,
            average_price: None,
        }
    }

    /// Filled, cancelled or otherwise finished.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.status.is_final()
    }
}

/// `GET /iserver/account/order/status/{id}`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OrderStatus {
    /// State.
    pub status: OrderState,
    /// Cumulative filled quantity.
    pub filled: Option<Decimal>,
    /// Total size.
    pub total: Option<Decimal>,
    /// Average fill price.
    pub average_price: Option<Decimal>,
}

#[cfg(test)]
mod tests {
    use super::{MarketState, Quote};

    #[test]
    fn market_state_from_prefix_and_availability() {
        let quote = |prefix: Option<char>, availability: &str| Quote {
            last_prefix: prefix,
            availability: Some(availability.to_owned()),
            ..Quote::default()
        };
        assert_eq!(quote(None, "RpB").market_state(), MarketState::Open);
        assert_eq!(quote(None, "DpB").market_state(), MarketState::Open);
        assert_eq!(quote(Some('C'), "RpB").market_state(), MarketState::Closed);
        assert_eq!(quote(None, "ZpB").market_state(), MarketState::Closed);
        assert_eq!(quote(None, "Y").market_state(), MarketState::Closed);
        assert_eq!(quote(Some('H'), "ZpB").market_state(), MarketState::Halted);
    }
}
