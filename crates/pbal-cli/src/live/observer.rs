//! What `pbal trade` does while pbal-ibkr runs the confirmed rebalance
//! (`Gateway::run_sequence`): every placement step and fill goes to the journal before it
//! happens (an error stops the run), progress goes to stdout and stderr, and re-planned buys
//! become tickets under the contracts' rules.

use std::collections::BTreeMap;

use anyhow::Result;
use pbal_core::Trade;
use pbal_ibkr::client_portal::{
    self, Gateway, LiveOrder, OrderFill, PlaceEvent, PlacementError, PlacementEvent, Round,
    SequenceObserver, Step,
};
use serde_json::json;

use super::fills;
use super::orders::apply_contract_rules;
use super::orders::{self, Existing, PlannedOrder, TicketBook};
use super::preview::preview_table;
use crate::journal::Journal;
use crate::output::{say, warn};
use crate::progress::Spinner;

/// The CLI's side of a rebalance run.
pub(super) struct Observer<'a> {
    pub(super) journal: &'a Journal,
    pub(super) book: &'a TicketBook<'a>,
    pub(super) contract_rules: &'a mut BTreeMap<String, client_portal::ContractRules>,
    /// IBKR's tickers by conid, as looked up for the first orders.
    pub(super) tickers: &'a mut BTreeMap<String, Option<String>>,
    /// The spinner of the wait for fills under way.
    pub(super) spinner: Option<Spinner>,
}

impl SequenceObserver for Observer<'_> {
    type Error = anyhow::Error;

    fn step(&mut self, step: Step<'_>) {
        match step {
            Step::Placing(round) => say(match round {
                Round::QueueForOpen => "The market is closed; queueing for the open:",
                Round::Sells => "Placing sells:",
                Round::Conversions => "Converting currencies:",
                _ => "Placing buys:",
            }),
            Step::Waiting { round, orders } => {
                say(match round {
                    Round::Sells => "Waiting for the sells to fill:",
                    Round::Conversions => "Waiting for the conversion to fill:",
                    _ => "Waiting for the buys to fill:",
                });
                self.spinner = Some(crate::progress::spinner(&format!(
                    "waiting for {} to fill",
                    crate::ui::count(orders, "order", "orders")
                )));
            }
            Step::FillChanged { order, fill } => {
                let line = fills::progress(order, fill);
                match &self.spinner {
                    Some(spinner) => spinner.println(&line),
                    None => crate::ui::progress(&line),
                }
            }
            Step::KeepAliveFailed(e) => warn(&format!("keeping the gateway session alive: {e}")),
            Step::WaitEnded { open, timeout } => {
                if open > 0 {
                    warn(&format!(
                        "{} not finished after {} s; {} working at IBKR",
                        crate::ui::count(open, "order", "orders"),
                        timeout.as_secs(),
                        if open == 1 { "it stays" } else { "they stay" }
                    ));
                }
                self.spinner = None;
            }
            Step::ProceedsLate {
                polls,
                cash,
                expected,
            } => warn(&format!(
                "after {polls} s the ledger shows {} cash, less than the {} expected after the \
                 sells; the buys are re-planned with what it shows",
                cash.round_dp(2),
                expected.round_dp(2)
            )),
            Step::ConvertedCashArrived => say("The ledger shows the converted cash."),
            Step::ConvertedCashLate { polls, short } => warn(&format!(
                "after {polls} s the ledger shows {}",
                short_cash(short)
            )),
            Step::BuysReplanned { budget } => say(&format!(
                "Cash after the sells: {}; buys re-planned with it.",
                budget.round_dp(2)
            )),
            Step::BuysPreviewed { orders, previews } => say(&preview_table(orders, previews)),
            _ => {}
        }
    }

    fn placement(&mut self, order: &PlannedOrder, event: &PlacementEvent<'_>) -> Result<()> {
        let journal = self.journal;
        match event {
            PlacementEvent::Found {
                ticket, order_id, ..
            }
            | PlacementEvent::AlreadyThere {
                ticket, order_id, ..
            } => {
                journal.append(
                    "order_found",
                    json!({"c_oid": ticket.c_oid, "order_id": order_id}),
                )?;
                let by = if matches!(event, PlacementEvent::Found { .. }) {
                    "placed by an earlier run"
                } else {
                    "already at IBKR"
                };
                say(&format!(
                    "  {order}: {by} (order {order_id}); not placed again"
                ));
            }
            PlacementEvent::FoundAfterUnknown {
                ticket,
                order_id,
                state,
                detail,
                ..
            } => {
                journal.append(
                    "order_found",
                    json!({"c_oid": ticket.c_oid, "order_id": order_id, "status": state}),
                )?;
                say(&format!(
                    "  {order}: the gateway {detail}; the live orders, read at once, list it: \
                     placed (order {order_id}, {state}); not sent again"
                ));
            }
            PlacementEvent::Sending { ticket, .. } => journal.append(
                "order_sent",
                json!({"c_oid": ticket.c_oid, "symbol": ticket.symbol,
                       "side": ticket.side.as_str(),
                       "quantity": ticket.quantity.normalize().to_string()}),
            )?,
            PlacementEvent::Question { ticket, event, .. } => {
                let (answer, ids, text) = match event {
                    PlaceEvent::Confirmed { message_ids, text } => ("yes", message_ids, text),
                    PlaceEvent::Declined { message_ids, text } => ("no", message_ids, text),
                    // A step pbal-ibkr may add later: not one this version shows.
                    _ => return Ok(()),
                };
                say(&format!(
                    "  {order}: IBKR asked [{}]: {text} -> {answer}",
                    ids.join(",")
                ));
                journal.append(
                    "question",
                    json!({"c_oid": ticket.c_oid, "message_ids": ids, "answer": answer,
                           "text": text}),
                )?;
            }
            PlacementEvent::Placed {
                ticket,
                order_id,
                state,
                ..
            } => {
                journal.append(
                    "order_placed",
                    json!({"c_oid": ticket.c_oid, "order_id": order_id, "status": state}),
                )?;
                say(&format!("  {order}: placed (order {order_id}, {state})"));
            }
            PlacementEvent::Failed { ticket, error, .. } => {
                if matches!(
                    error,
                    PlacementError::Gateway(_) | PlacementError::NotListedAfterUnknown { .. }
                ) {
                    journal.append(
                        "order_failed",
                        json!({"c_oid": ticket.c_oid, "error": error.to_string()}),
                    )?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn fills(&mut self, outcomes: &[OrderFill]) -> Result<()> {
        for o in outcomes {
            self.journal.append(
                "fill",
                json!({
                    "c_oid": o.order.ticket.c_oid, "order_id": o.order_id, "status": o.status,
                    "filled": o.filled.normalize().to_string(),
                    "average_price": o.average_price.map(|p| p.normalize().to_string()),
                }),
            )?;
        }
        Ok(())
    }

    async fn buy_orders(
        &mut self,
        gateway: &Gateway,
        trades: &[Trade],
    ) -> Result<Vec<PlannedOrder>> {
        let ruled = apply_contract_rules(
            gateway,
            self.book,
            self.book.tickets(trades)?,
            self.contract_rules,
        )
        .await?;
        orders::with_ibkr_tickers(gateway, ruled, self.tickers).await
    }

    fn placed_before(
        &mut self,
        order: &mut PlannedOrder,
        live: &[LiveOrder],
    ) -> Result<Option<String>> {
        let dead = orders::dead_in_journal(self.journal);
        Ok(match orders::existing(order, live, &dead)? {
            Existing::Placed(order_id) => Some(order_id),
            Existing::None => None,
        })
    }
}

/// The converted currencies the ledger does not show enough of, in words.
pub(super) fn short_cash(
    short: &[(String, rust_decimal::Decimal, rust_decimal::Decimal)],
) -> String {
    short
        .iter()
        .map(|(to, cash, needed)| {
            format!("{to} {} of {} needed", cash.round_dp(2), needed.round_dp(2))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error of a placement round that stopped at `order`, `placed` orders of the round in.
pub(super) fn placement_error(
    order: &PlannedOrder,
    error: PlacementError,
    placed: usize,
) -> anyhow::Error {
    match error {
        PlacementError::Gateway(e) => anyhow::Error::new(e).context(format!(
            "stopped at {order}; {} of this run {} placed",
            crate::ui::count(placed, "earlier order", "earlier orders"),
            if placed == 1 { "was" } else { "were" }
        )),
        PlacementError::KnownNotLive { c_oid } => anyhow::anyhow!(
            "IBKR already knows order id {c_oid} ({order}) but does not list it as a live order \
             (cancelled earlier today?); it was not placed again"
        ),
        other => anyhow::Error::new(other),
    }
}
