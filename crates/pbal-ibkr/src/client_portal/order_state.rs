//! An order's state as IBKR names it (reference §4: Inactive, PendingSubmit, PreSubmitted,
//! Submitted, Filled, PendingCancel, PreCancelled, Cancelled, WarnState), parsed from the
//! gateway's texts: CamelCase in order status and live orders, snake_case in the live-orders
//! filters, any case. A text IBKR adds later is kept as [`OrderState::Other`].

use std::fmt;

use serde::{Serialize, Serializer};

/// The state of an order at IBKR.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OrderState {
    /// Sent, not yet acknowledged by IBKR.
    PendingSubmit,
    /// Accepted by IBKR, not yet at the exchange (also: queued for the next open, simulated).
    PreSubmitted,
    /// Working at the exchange.
    Submitted,
    /// Completely filled.
    Filled,
    /// A cancellation was requested and not yet confirmed.
    PendingCancel,
    /// Cancelled by IBKR before it reached the exchange.
    PreCancelled,
    /// Cancelled.
    Cancelled,
    /// Not working: rejected, or waiting for something IBKR needs (e.g. an answer).
    Inactive,
    /// Working, with a warning IBKR attached.
    WarnState,
    /// A state pbal does not know, as IBKR wrote it (empty when none was given).
    Other(String),
}

impl OrderState {
    /// The state of an order from IBKR's text (`Filled`, `pre_submitted`, `FILLED`, …).
    #[must_use]
    pub fn parse(text: &str) -> Self {
        let key: String = text
            .trim()
            .chars()
            .filter(|c| *c != '_' && *c != ' ')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match key.as_str() {
            "pendingsubmit" => Self::PendingSubmit,
            "presubmitted" => Self::PreSubmitted,
            "submitted" => Self::Submitted,
            "filled" => Self::Filled,
            "pendingcancel" => Self::PendingCancel,
            "precancelled" => Self::PreCancelled,
            "cancelled" | "canceled" => Self::Cancelled,
            "inactive" => Self::Inactive,
            "warnstate" => Self::WarnState,
            _ => Self::Other(text.trim().to_owned()),
        }
    }

    /// IBKR's name of the state.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::PendingSubmit => "PendingSubmit",
            Self::PreSubmitted => "PreSubmitted",
            Self::Submitted => "Submitted",
            Self::Filled => "Filled",
            Self::PendingCancel => "PendingCancel",
            Self::PreCancelled => "PreCancelled",
            Self::Cancelled => "Cancelled",
            Self::Inactive => "Inactive",
            Self::WarnState => "WarnState",
            Self::Other(text) => text,
        }
    }

    /// The order changes no more: filled, cancelled or inactive.
    #[must_use]
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Filled | Self::Cancelled | Self::PreCancelled | Self::Inactive
        )
    }

    /// Completely filled.
    #[must_use]
    pub fn is_filled(&self) -> bool {
        *self == Self::Filled
    }
}

impl fmt::Display for OrderState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for OrderState {
    fn from(text: &str) -> Self {
        Self::parse(text)
    }
}

impl Serialize for OrderState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::OrderState;

    #[test]
    fn parses_ibkrs_texts_in_any_form() {
        let states = [
            OrderState::PendingSubmit,
            OrderState::PreSubmitted,
            OrderState::Submitted,
            OrderState::Filled,
            OrderState::PendingCancel,
            OrderState::PreCancelled,
            OrderState::Cancelled,
            OrderState::Inactive,
            OrderState::WarnState,
        ];
        for state in states {
            assert_eq!(OrderState::parse(state.as_str()), state);
            assert_eq!(OrderState::parse(&state.as_str().to_uppercase()), state);
            assert_eq!(state.to_string(), state.as_str());
        }
        assert_eq!(OrderState::parse("pre_submitted"), OrderState::PreSubmitted);
        assert_eq!(
            OrderState::parse("pending_cancel"),
            OrderState::PendingCancel
        );
        assert_eq!(
            OrderState::parse(" ApiPending "),
            OrderState::Other("ApiPending".to_owned())
        );
        assert_eq!(OrderState::parse("").to_string(), "");
        assert!(OrderState::Filled.is_final() && OrderState::Filled.is_filled());
        assert!(OrderState::Inactive.is_final() && !OrderState::Inactive.is_filled());
        assert!(!OrderState::PreSubmitted.is_final());
        assert!(!OrderState::Other("x".to_owned()).is_final());
        assert_eq!(
            serde_json::to_string(&OrderState::PendingCancel).unwrap(),
            "\"PendingCancel\""
        );
    }
}
