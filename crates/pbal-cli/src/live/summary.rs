//! How a trade run ended, order by order: "Done." only when every order filled; otherwise
//! a summary of what filled, what is still working, what was refused or not placed, and
//! exit code 3 ([`Incomplete`]).

use std::fmt::Write as _;

use pbal_ibkr::client_portal::{OrderFate, RebalanceOrder, RebalanceOutcome};

/// The run ended with orders unfilled, refused or not placed (exit code 3).
#[derive(Debug)]
pub(crate) struct Incomplete(pub(crate) String);

impl std::fmt::Display for Incomplete {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Incomplete {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum State {
    Filled,
    Working,
    Refused,
    NotPlaced,
}

/// What happened to each order of the run: pbal-ibkr's typed outcome, rendered here.
#[derive(Debug, Default)]
pub(crate) struct Summary(pub(crate) RebalanceOutcome);

impl std::ops::Deref for Summary {
    type Target = RebalanceOutcome;
    fn deref(&self) -> &RebalanceOutcome {
        &self.0
    }
}

impl std::ops::DerefMut for Summary {
    fn deref_mut(&mut self) -> &mut RebalanceOutcome {
        &mut self.0
    }
}

/// An order's row: its group and its text.
fn row(order: &RebalanceOrder, fate: &OrderFate) -> (State, String) {
    let price = |p: &Option<rust_decimal::Decimal>| {
        p.map(|p| format!(" @ {}", p.normalize()))
            .unwrap_or_default()
    };
    match fate {
        OrderFate::Filled {
            order_id,
            average_price,
        } => (
            State::Filled,
            format!("{order} (order {order_id}){}", price(average_price)),
        ),
        OrderFate::Ended {
            order_id,
            state,
            filled,
        } => (
            State::Refused,
            format!(
                "{order} (order {order_id}): {state} with {} filled",
                filled.normalize()
            ),
        ),
        OrderFate::Working {
            order_id,
            state,
            filled,
        } => (
            State::Working,
            format!(
                "{order} (order {order_id}): {state} with {} filled; it stays at IBKR",
                filled.normalize()
            ),
        ),
        OrderFate::Placed { order_id } => (
            State::Working,
            format!("{order} (order {order_id}): placed; it stays at IBKR"),
        ),
        OrderFate::Queued { order_id } => (
            State::Working,
            format!("{order} (order {order_id}): queued at IBKR for the next open"),
        ),
        OrderFate::Refused { why } => (State::Refused, format!("{order}: {why}")),
        OrderFate::NotPlaced { why } => (State::NotPlaced, format!("{order} ({why})")),
        // A fate added to the library later reads as not placed until it is rendered here.
        _ => (State::NotPlaced, order.to_string()),
    }
}

impl Summary {
    /// The summary for people: filled, working, refused, not placed.
    pub(crate) fn render(&self) -> String {
        let mut out = String::from("Summary:\n");
        let mut rows: Vec<(State, String)> = self.0.orders.iter().map(|(o, f)| row(o, f)).collect();
        rows.sort_by_key(|(state, _)| *state);
        for (state, text) in rows {
            let label = match state {
                State::Filled => "filled",
                State::Working => "working",
                State::Refused => "refused",
                State::NotPlaced => "not placed",
            };
            let _ = writeln!(out, "  {label:<10} {text}");
        }
        out
    }

    /// The error that ends an incomplete run (after the summary was shown).
    pub(crate) fn incomplete(&self, why: &str) -> anyhow::Error {
        anyhow::Error::new(Incomplete(format!(
            "not every order filled ({} of {} did): {why}. The rebalance is not recorded \
             as complete (the 90-day reminder counts from the last complete one); `pbal \
             status` shows working orders, `pbal cancel` cancels pbal's",
            self.0.filled_count(),
            self.0.orders.len()
        )))
    }
}
