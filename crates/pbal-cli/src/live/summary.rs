//! How a trade run ended, order by order: "Done." only when every order filled; otherwise
//! a summary of what filled, what is still working, what was refused or not placed, and
//! exit code 3 ([`Incomplete`]).

use std::fmt::Write as _;

use super::fills::Outcome;
use super::orders::PlannedOrder;

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

/// What happened to each order of the run.
#[derive(Debug, Default)]
pub(crate) struct Summary {
    rows: Vec<(State, String)>,
}

fn line(order: &PlannedOrder) -> String {
    order.describe()
}

impl Summary {
    /// Orders pbal waited for, as they stood at the end of the wait.
    pub(crate) fn waited(&mut self, outcomes: &[Outcome]) {
        for o in outcomes {
            let price = o
                .average_price
                .map(|p| format!(" @ {}", p.normalize()))
                .unwrap_or_default();
            let (state, text) = if o.is_filled() {
                (
                    State::Filled,
                    format!("{} (order {}){price}", line(&o.order), o.order_id),
                )
            } else if o.status.is_final() {
                (
                    State::Refused,
                    format!(
                        "{} (order {}): {} with {} filled",
                        line(&o.order),
                        o.order_id,
                        o.status,
                        o.filled.normalize()
                    ),
                )
            } else {
                (
                    State::Working,
                    format!(
                        "{} (order {}): {} with {} filled; it stays at IBKR",
                        line(&o.order),
                        o.order_id,
                        o.status,
                        o.filled.normalize()
                    ),
                )
            };
            self.rows.push((state, text));
        }
    }

    /// Orders placed whose fills pbal did not wait for.
    pub(crate) fn placed(&mut self, placed: &[(String, PlannedOrder)]) {
        for (order_id, order) in placed {
            self.rows.push((
                State::Working,
                format!(
                    "{} (order {order_id}): placed; it stays at IBKR",
                    line(order)
                ),
            ));
        }
    }

    /// Orders queued for the next open.
    pub(crate) fn queued(&mut self, placed: &[(String, PlannedOrder)]) {
        for (order_id, order) in placed {
            self.rows.push((
                State::Working,
                format!(
                    "{} (order {order_id}): queued at IBKR for the next open",
                    line(order)
                ),
            ));
        }
    }

    /// An order IBKR refused (or pbal stopped at).
    pub(crate) fn refused(&mut self, order: &PlannedOrder, why: &str) {
        self.rows
            .push((State::Refused, format!("{}: {why}", line(order))));
    }

    /// Orders of the plan not placed, and why.
    pub(crate) fn not_placed<'a>(
        &mut self,
        orders: impl IntoIterator<Item = &'a PlannedOrder>,
        why: &str,
    ) {
        for order in orders {
            self.rows
                .push((State::NotPlaced, format!("{} ({why})", line(order))));
        }
    }

    /// Nothing happened yet.
    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Every order of the run filled.
    pub(crate) fn all_filled(&self) -> bool {
        self.rows.iter().all(|(state, _)| *state == State::Filled)
    }

    /// The summary for people.
    pub(crate) fn render(&self) -> String {
        let mut out = String::from("Summary:\n");
        let mut rows: Vec<&(State, String)> = self.rows.iter().collect();
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
        let filled = self
            .rows
            .iter()
            .filter(|(state, _)| *state == State::Filled)
            .count();
        anyhow::Error::new(Incomplete(format!(
            "not every order filled ({filled} of {} did): {why}. The rebalance is not recorded \
             as complete (the 90-day reminder counts from the last complete one); `pbal \
             status` shows working orders, `pbal cancel` cancels pbal's",
            self.rows.len()
        )))
    }
}
