//! What the fake gateway saw and did, for tests to assert on.

use rust_decimal::Decimal;

/// One HTTP request the gateway received.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    /// HTTP method (`GET`, `POST`, `DELETE`).
    pub method: String,
    /// Full path, including `/v1/api` when the caller sent it.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Request body parsed as JSON (`None` when empty or not JSON).
    pub body: Option<serde_json::Value>,
    /// Status answered; 0 when the gateway never answered (a [`crate::Fault::HangAfterAccept`]).
    pub status: u16,
    /// The JSON body answered (`None` for an empty, HTML or unsent answer), so a test can hold
    /// the fake's answers to the spec's models.
    pub response: Option<serde_json::Value>,
}

/// Order side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `BUY`.
    Buy,
    /// `SELL`.
    Sell,
}

impl Side {
    /// `BUY` or `SELL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }
}

/// Order status (reference §4 live orders).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    /// Accepted, not yet working at the exchange.
    PreSubmitted,
    /// Working.
    Submitted,
    /// Fully filled.
    Filled,
    /// Cancel requested, not yet confirmed.
    PendingCancel,
    /// Cancelled.
    Cancelled,
}

impl OrderStatus {
    /// The status text IBKR uses (`PreSubmitted`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PreSubmitted => "PreSubmitted",
            OrderStatus::Submitted => "Submitted",
            OrderStatus::Filled => "Filled",
            OrderStatus::PendingCancel => "PendingCancel",
            OrderStatus::Cancelled => "Cancelled",
        }
    }

    /// The snake_case name the live-orders `filters` parameter uses.
    pub fn filter_name(self) -> &'static str {
        match self {
            OrderStatus::PreSubmitted => "pre_submitted",
            OrderStatus::Submitted => "submitted",
            OrderStatus::Filled => "filled",
            OrderStatus::PendingCancel => "pending_cancel",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// Still working (can fill or be cancelled).
    pub fn is_working(self) -> bool {
        matches!(self, OrderStatus::PreSubmitted | OrderStatus::Submitted)
    }
}

/// An order the gateway accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    /// Gateway order id (a string on place/reply, a number on cancel and status).
    pub order_id: u64,
    /// The client order id (`cOID`), echoed as `local_order_id` and `order_ref`.
    pub c_oid: Option<String>,
    /// Account id.
    pub account: String,
    /// Contract id.
    pub conid: i64,
    /// Symbol of the contract.
    pub symbol: String,
    /// Side.
    pub side: Side,
    /// Quantity ordered; for a currency conversion (`isCcyConv`) the `fxQty`: the amount of
    /// the currency converted from (the pair's quote currency for a BUY, its base for a SELL).
    pub quantity: Decimal,
    /// A currency conversion order (`isCcyConv: true`, sized by `fxQty`).
    pub currency_conversion: bool,
    /// Order type as sent (`LMT`, `MKT`, ...).
    pub order_type: String,
    /// Limit price, if sent.
    pub price: Option<Decimal>,
    /// Time in force as sent.
    pub tif: String,
    /// Current status.
    pub status: OrderStatus,
    /// Quantity filled.
    pub filled: Decimal,
    /// Average fill price, once filled.
    pub avg_fill_price: Option<Decimal>,
}
