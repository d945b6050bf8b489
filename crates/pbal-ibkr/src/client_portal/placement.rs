//! Placing a rebalance's orders one at a time (IBKR: "send one ticket at a time and finish its
//! replies first"), each at most once: an order an earlier run placed is not sent again, and an
//! id IBKR already knows is looked up among the live orders. The first refusal stops the round;
//! what was placed stays placed. The caller records each step through a callback, before the
//! step happens, and may stop the round from it.

use super::client::Gateway;
use super::error::GatewayError;
use super::orders::QuestionPolicy;
use super::types::{OrderState, OrderTicket, PlaceEvent, Placed};

/// A step of a placement round, in order.
#[derive(Debug)]
#[non_exhaustive]
pub enum PlacementEvent<'a> {
    /// An earlier run placed it (the caller found its client order id among the live
    /// orders): it is not sent.
    Found {
        /// Position in the round.
        index: usize,
        /// The order.
        ticket: &'a OrderTicket,
        /// IBKR's order id.
        order_id: &'a str,
    },
    /// About to be sent: record it now, so that a crash leaves a trail.
    Sending {
        /// Position in the round.
        index: usize,
        /// The order.
        ticket: &'a OrderTicket,
    },
    /// A reply question IBKR asked, and the answer given.
    Question {
        /// Position in the round.
        index: usize,
        /// The order.
        ticket: &'a OrderTicket,
        /// The question and the answer.
        event: &'a PlaceEvent,
    },
    /// Accepted.
    Placed {
        /// Position in the round.
        index: usize,
        /// The order.
        ticket: &'a OrderTicket,
        /// IBKR's order id.
        order_id: &'a str,
        /// Its state at acceptance.
        state: &'a OrderState,
    },
    /// IBKR already had its client order id (an earlier run placed it), and lists it as live.
    AlreadyThere {
        /// Position in the round.
        index: usize,
        /// The order.
        ticket: &'a OrderTicket,
        /// IBKR's order id.
        order_id: &'a str,
    },
    /// Its POST got no answer or a 5xx, and the live orders, read at once, list its client
    /// order id: it was placed (and is not sent again).
    FoundAfterUnknown {
        /// Position in the round.
        index: usize,
        /// The order.
        ticket: &'a OrderTicket,
        /// IBKR's order id.
        order_id: &'a str,
        /// Its state as listed.
        state: &'a OrderState,
        /// What came back instead of an answer.
        detail: &'a str,
    },
    /// Refused, or its outcome unknown: the round stops here.
    Failed {
        /// Position in the round.
        index: usize,
        /// The order.
        ticket: &'a OrderTicket,
        /// Why.
        error: &'a PlacementError,
    },
}

/// Why an order of the round was not placed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlacementError {
    /// The gateway refused it, or its answer was lost ([`GatewayError::OrderOutcomeUnknown`]:
    /// look for its client order id before trying again).
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// Its POST got no answer or a 5xx and the live orders, read at once, do not list its
    /// client order id: most likely not placed, but it may still appear; not sent again.
    #[error(
        "the gateway {detail} to the order for {symbol}; pbal read the live orders at once and \
         IBKR does not list its client order id {c_oid}: most likely it was not placed, but it \
         may still appear. It was NOT sent again. Check the open orders before running again \
         (a rerun looks for this id first and never places it twice)"
    )]
    NotListedAfterUnknown {
        /// Symbol.
        symbol: String,
        /// The client order id.
        c_oid: String,
        /// What came back instead of an answer.
        detail: String,
    },
    /// IBKR already knows its client order id but does not list it as a live order
    /// (cancelled earlier today?); it was not placed again.
    #[error(
        "IBKR already knows order id {c_oid} but does not list it as a live order (cancelled \
         earlier today?); it was not placed again"
    )]
    KnownNotLive {
        /// The client order id.
        c_oid: String,
    },
}

/// What a placement round did.
#[derive(Debug)]
#[non_exhaustive]
pub struct Placement {
    /// `(position in the round, IBKR's order id)` of each order placed now or before.
    pub placed: Vec<(usize, String)>,
    /// The order the round stopped at and why; the orders after it were not sent.
    pub failure: Option<(usize, PlacementError)>,
}

impl Gateway {
    /// Places `orders` in turn: `(ticket, Some(order id))` marks one an earlier run placed
    /// (not sent again). Reply questions are answered by `policy`. Each step is told to
    /// `on_event` before it happens (`Sending` before the POST); an error from it stops the
    /// round at once and is returned as `Err`.
    ///
    /// ```no_run
    /// # async fn example(
    /// #     gateway: &pbal_ibkr::client_portal::Gateway,
    /// #     tickets: Vec<pbal_ibkr::client_portal::OrderTicket>,
    /// # ) -> Result<(), Box<dyn std::error::Error>> {
    /// use pbal_ibkr::client_portal::{PlacementEvent, QuestionPolicy};
    /// let account = "DU1234567";
    /// let live = gateway.live_orders(account).await?;
    /// let orders: Vec<_> = tickets
    ///     .into_iter()
    ///     .map(|t| {
    ///         let before = live.iter().find(|o| o.c_oid.as_deref() == Some(t.c_oid.as_str()));
    ///         let before = before.map(|o| o.order_id.clone());
    ///         (t, before)
    ///     })
    ///     .collect();
    /// let placement = gateway
    ///     .place_in_turn(account, &orders, &QuestionPolicy::default(), &mut |event| {
    ///         if let PlacementEvent::Sending { ticket, .. } = event {
    ///             println!("sending {}", ticket.c_oid); // a journal entry, in a real program
    ///         }
    ///         Ok::<(), std::io::Error>(())
    ///     })
    ///     .await?;
    /// if let Some((index, why)) = &placement.failure {
    ///     println!("stopped at order {index}: {why}");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// What `on_event` returned; transport errors while looking up an already known id.
    pub async fn place_in_turn<E>(
        &self,
        account: &str,
        orders: &[(OrderTicket, Option<String>)],
        policy: &QuestionPolicy,
        on_event: &mut dyn FnMut(PlacementEvent<'_>) -> Result<(), E>,
    ) -> Result<Placement, PlaceInTurnError<E>> {
        let mut placed = Vec::new();
        for (index, (ticket, before)) in orders.iter().enumerate() {
            if let Some(order_id) = before {
                on_event(PlacementEvent::Found {
                    index,
                    ticket,
                    order_id,
                })
                .map_err(PlaceInTurnError::Caller)?;
                placed.push((index, order_id.clone()));
                continue;
            }
            on_event(PlacementEvent::Sending { index, ticket })
                .map_err(PlaceInTurnError::Caller)?;
            let mut questions = Vec::new();
            let result = self.place(ticket, policy, &mut |e| questions.push(e)).await;
            for event in &questions {
                on_event(PlacementEvent::Question {
                    index,
                    ticket,
                    event,
                })
                .map_err(PlaceInTurnError::Caller)?;
            }
            let error = match result {
                Ok(Placed::Accepted { order_id, status }) => {
                    on_event(PlacementEvent::Placed {
                        index,
                        ticket,
                        order_id: &order_id,
                        state: &status,
                    })
                    .map_err(PlaceInTurnError::Caller)?;
                    placed.push((index, order_id));
                    continue;
                }
                Err(GatewayError::OrderOutcomeUnknown {
                    symbol,
                    c_oid,
                    detail,
                }) => {
                    // Before anything else: is it there?
                    match self
                        .listed(account, &c_oid)
                        .await
                        .map_err(PlaceInTurnError::Gateway)?
                    {
                        Some(found) => {
                            on_event(PlacementEvent::FoundAfterUnknown {
                                index,
                                ticket,
                                order_id: &found.order_id,
                                state: &found.status,
                                detail: &detail,
                            })
                            .map_err(PlaceInTurnError::Caller)?;
                            placed.push((index, found.order_id.clone()));
                            continue;
                        }
                        None => PlacementError::NotListedAfterUnknown {
                            symbol,
                            c_oid,
                            detail,
                        },
                    }
                }
                Ok(Placed::AlreadyRegistered) => {
                    match self
                        .listed(account, &ticket.c_oid)
                        .await
                        .map_err(PlaceInTurnError::Gateway)?
                    {
                        Some(found) => {
                            on_event(PlacementEvent::AlreadyThere {
                                index,
                                ticket,
                                order_id: &found.order_id,
                            })
                            .map_err(PlaceInTurnError::Caller)?;
                            placed.push((index, found.order_id.clone()));
                            continue;
                        }
                        None => PlacementError::KnownNotLive {
                            c_oid: ticket.c_oid.clone(),
                        },
                    }
                }
                Err(e) => PlacementError::Gateway(e),
            };
            on_event(PlacementEvent::Failed {
                index,
                ticket,
                error: &error,
            })
            .map_err(PlaceInTurnError::Caller)?;
            return Ok(Placement {
                placed,
                failure: Some((index, error)),
            });
        }
        Ok(Placement {
            placed,
            failure: None,
        })
    }
}

/// Why a placement round could not go on at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlaceInTurnError<E> {
    /// The caller's callback stopped it (e.g. the journal could not be written).
    #[error("{0}")]
    Caller(E),
    /// The gateway failed while looking up an order IBKR already knew.
    #[error(transparent)]
    Gateway(GatewayError),
}
