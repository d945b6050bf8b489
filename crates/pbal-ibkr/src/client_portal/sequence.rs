//! A live rebalance after the plan was confirmed: the sells placed, their fills awaited, the
//! proceeds awaited in the ledger, the currency conversions (if any) placed and awaited, the
//! buys re-planned with the cash really there (pbal-core's `replan_buys`, capped by the
//! confirmed plan), previewed again, placed and awaited. Every order is placed at most once
//! (an order an earlier run placed is found, not sent). The caller sees and records every step
//! through a [`SequenceObserver`], told before each placement step and able to stop the run.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use pbal_core::{PlanOptions, Portfolio, Targets, Trade};
use rust_decimal::Decimal;

use super::client::Gateway;
use super::error::GatewayError;
use super::fills::{Fill, FillEvent, FillWait};
use super::orders::QuestionPolicy;
use super::placement::{PlaceInTurnError, PlacementError, PlacementEvent};
use super::rebalance::{OrderFill, RebalanceOrder, RebalanceOutcome, proceeds};
use super::types::{LedgerEntry, LiveOrder, WhatIf};
use crate::AccountSelection;

/// An order to place, and IBKR's order id when an earlier run already placed it (not sent
/// again).
pub type PendingOrder = (RebalanceOrder, Option<String>);

/// A currency conversion the buys need: its order and the cash in the target currency the
/// ledger must show before the buys go.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConversionStep {
    /// The conversion order (on IBKR's `CASH` pair), and its earlier placement if any.
    pub order: PendingOrder,
    /// The currency converted into.
    pub to: String,
    /// The cash in `to` the buys need.
    pub needed: Decimal,
}

impl ConversionStep {
    /// A conversion into `to` that must leave at least `needed` of it in the ledger.
    #[must_use]
    pub fn new(order: PendingOrder, to: impl Into<String>, needed: Decimal) -> Self {
        Self {
            order,
            to: to.into(),
            needed,
        }
    }
}

/// What the buys are re-planned from once the sells filled.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Replan {
    /// The portfolio the confirmed plan was made for.
    pub portfolio: Portfolio,
    /// Its targets.
    pub targets: Targets,
    /// Its options.
    pub options: PlanOptions,
    /// The confirmed plan's trades: the re-planned buys never exceed them.
    pub confirmed: Vec<Trade>,
    /// Each symbol's exchange rate to the base currency (1 when absent), to value the fills.
    pub fx_to_base: BTreeMap<String, Decimal>,
    /// The cash the plan was given; `None` plans with all the ledger shows. The buys spend at
    /// most this plus what the sells raised, and never more than the ledger shows.
    pub cash: Option<Decimal>,
}

impl Replan {
    /// The re-plan of `confirmed`, made for `portfolio` and `targets` under `options`.
    #[must_use]
    pub fn new(
        portfolio: Portfolio,
        targets: Targets,
        options: PlanOptions,
        confirmed: Vec<Trade>,
    ) -> Self {
        Self {
            portfolio,
            targets,
            options,
            confirmed,
            fx_to_base: BTreeMap::new(),
            cash: None,
        }
    }
}

/// The run: the account, the confirmed orders, how to answer IBKR's questions, how long to
/// wait.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Sequence {
    /// The account.
    pub account: String,
    /// The account's base currency (the ledger's cash is valued in it).
    pub base_currency: Option<String>,
    /// Which of IBKR's reply questions are answered "yes".
    pub policy: QuestionPolicy,
    /// How long to wait for each round's fills.
    pub fill_wait: FillWait,
    /// Ledger reads (one a second) while waiting for proceeds or converted cash.
    pub ledger_polls: u32,
    /// The pause between ledger reads.
    pub ledger_poll: Duration,
    /// The sells.
    pub sells: Vec<PendingOrder>,
    /// The buys as confirmed (re-planned after the sells when there are sells).
    pub buys: Vec<PendingOrder>,
    /// Currency conversions, placed after the sells' proceeds arrived and before the buys.
    pub conversions: Vec<ConversionStep>,
    /// The market is closed: place only what needs no re-plan (the sells when there are any,
    /// else the buys), to wait at IBKR for the open.
    pub queue_for_open: bool,
    /// What the buys are re-planned from.
    pub replan: Replan,
}

impl Sequence {
    /// A run for `account` re-planning from `replan`, with no orders yet, IBKR's default
    /// questions allowed, fills awaited up to `fill_timeout`, the ledger read 15 times a
    /// second apart.
    #[must_use]
    pub fn new(account: impl Into<String>, replan: Replan, fill_timeout: Duration) -> Self {
        Self {
            account: account.into(),
            base_currency: None,
            policy: QuestionPolicy::default(),
            fill_wait: FillWait::new(fill_timeout),
            ledger_polls: 15,
            ledger_poll: Duration::from_secs(1),
            sells: Vec::new(),
            buys: Vec::new(),
            conversions: Vec::new(),
            queue_for_open: false,
            replan,
        }
    }
}

/// A round of placements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Round {
    /// Orders placed while the market is closed, for the open.
    QueueForOpen,
    /// The sells.
    Sells,
    /// The currency conversions.
    Conversions,
    /// The buys.
    Buys,
}

/// A step of the run, for the caller to show.
#[derive(Debug)]
#[non_exhaustive]
pub enum Step<'a> {
    /// A round of placements starts.
    Placing(Round),
    /// The wait for a round's fills starts.
    Waiting {
        /// The round.
        round: Round,
        /// Orders waited for.
        orders: usize,
    },
    /// An order's state changed during a wait.
    FillChanged {
        /// The order.
        order: &'a RebalanceOrder,
        /// Where it stands.
        fill: &'a Fill,
    },
    /// Tickling the session during a wait failed (the wait goes on).
    KeepAliveFailed(&'a GatewayError),
    /// A wait for fills ended; `open` orders were not final and stay working at IBKR.
    WaitEnded {
        /// Orders not final.
        open: usize,
        /// The wait's limit.
        timeout: Duration,
    },
    /// The ledger did not show the sells' proceeds in time; the buys are re-planned with
    /// what it shows.
    ProceedsLate {
        /// Ledger reads made.
        polls: u32,
        /// The cash it shows (base currency).
        cash: Decimal,
        /// The cash expected.
        expected: Decimal,
    },
    /// The ledger shows the converted cash.
    ConvertedCashArrived,
    /// The ledger did not show the converted cash in time: each short currency, its cash and
    /// the cash needed.
    ConvertedCashLate {
        /// Ledger reads made.
        polls: u32,
        /// `(currency, cash, needed)`.
        short: &'a [(String, Decimal, Decimal)],
    },
    /// The buys were re-planned with `budget`.
    BuysReplanned {
        /// The cash they may spend (base currency).
        budget: Decimal,
    },
    /// IBKR's preview of the re-planned buys.
    BuysPreviewed {
        /// The buys.
        orders: &'a [RebalanceOrder],
        /// The preview of each.
        previews: &'a [WhatIf],
    },
}

/// What the caller does during the run: shows steps, records placements and fills (an error
/// stops the run before the step), and turns re-planned trades into orders.
pub trait SequenceObserver {
    /// The caller's error (stops the run; returned as [`SequenceError::Observer`]).
    type Error;

    /// A step, shown.
    fn step(&mut self, step: Step<'_>);

    /// A placement step of `order`, told before it happens (`Sending` before the order is
    /// sent): record it here. An error stops the run; nothing more is sent.
    ///
    /// # Errors
    /// The caller's, to stop the run.
    fn placement(
        &mut self,
        order: &RebalanceOrder,
        event: &PlacementEvent<'_>,
    ) -> Result<(), Self::Error>;

    /// A round's fills as the wait ended.
    ///
    /// # Errors
    /// The caller's, to stop the run.
    fn fills(&mut self, fills: &[OrderFill]) -> Result<(), Self::Error>;

    /// The orders for the re-planned buy `trades` (tickets, contract rules).
    ///
    /// # Errors
    /// The caller's, to stop the run before any buy.
    fn buy_orders(
        &mut self,
        gateway: &Gateway,
        trades: &[Trade],
    ) -> impl Future<Output = Result<Vec<RebalanceOrder>, Self::Error>>;

    /// IBKR's order id of `order` when an earlier run placed it (found among `live`); an
    /// error when that cannot be told safely. The caller may give `order` another client
    /// order id (a replacement of one confirmed cancelled).
    ///
    /// # Errors
    /// The caller's, to stop the run before the buys.
    fn placed_before(
        &mut self,
        order: &mut RebalanceOrder,
        live: &[LiveOrder],
    ) -> Result<Option<String>, Self::Error>;
}

/// Why the run ended.
#[derive(Debug)]
#[non_exhaustive]
pub enum SequenceEnd {
    /// Every order filled.
    Done,
    /// The market is closed; the orders placed wait at IBKR for the open. `later` (with
    /// sells: the conversions and buys, which need the sells' proceeds) were not placed and
    /// are not in the outcome's orders: the caller says when to place them.
    Queued {
        /// Orders left for a run after the open.
        later: Vec<RebalanceOrder>,
    },
    /// A placement round stopped at `order`; what was placed stays placed.
    Stopped {
        /// The round.
        round: Round,
        /// The order it stopped at (not in the outcome's orders).
        order: Box<RebalanceOrder>,
        /// Why.
        error: Box<PlacementError>,
        /// Orders of this round placed before it.
        placed_in_round: usize,
        /// Nothing at all was placed or awaited before it in this run.
        first: bool,
    },
    /// Some sells did not fill: no buy was placed.
    SellsUnfilled,
    /// The conversion did not fill: no buy was placed.
    ConversionUnfilled,
    /// The conversion filled but the ledger does not show the converted cash:
    /// `(currency, cash, needed)`; no buy was placed.
    ConvertedCashMissing(Vec<(String, Decimal, Decimal)>),
    /// IBKR's preview refuses a re-planned buy: no buy was placed.
    BuyPreviewRefused {
        /// The buy's symbol.
        symbol: String,
    },
    /// Every order was placed, but some are still working or ended unfilled.
    Unfilled,
}

/// How the run ended and what became of each order.
#[derive(Debug)]
#[non_exhaustive]
pub struct SequenceOutcome {
    /// Why it ended.
    pub end: SequenceEnd,
    /// Each order and its fate.
    pub orders: RebalanceOutcome,
}

/// Why the run could not go on (orders placed before stay placed).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SequenceError<E> {
    /// The observer stopped it.
    #[error("stopped by the caller")]
    Observer(E),
    /// The gateway failed.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// The ledger's cash could not be valued in the base currency.
    #[error(transparent)]
    Cash(crate::Error),
    /// The buys could not be re-planned.
    #[error(transparent)]
    Replan(pbal_core::Error),
}

type Run<T, E> = Result<T, SequenceError<E>>;

/// What a placement round did: `(IBKR's order id, order)` of those placed, and the failure.
struct RoundResult {
    placed: Vec<(String, RebalanceOrder)>,
    failure: Option<(usize, PlacementError)>,
}

impl Gateway {
    /// Runs `sequence` to its end (see the module's description), telling `observer` each
    /// step. An `Err` means the run could not go on; orders placed before stay placed.
    ///
    /// ```no_run
    /// # async fn example(
    /// #     gateway: &pbal_ibkr::client_portal::Gateway,
    /// #     sequence: pbal_ibkr::client_portal::Sequence,
    /// #     observer: &mut impl pbal_ibkr::client_portal::SequenceObserver,
    /// # ) -> Result<(), Box<dyn std::error::Error>> {
    /// use pbal_ibkr::client_portal::SequenceEnd;
    /// let Ok(outcome) = gateway.run_sequence(&sequence, observer).await else {
    ///     return Err("the run stopped".into());
    /// };
    /// for (order, fate) in &outcome.orders.orders {
    ///     println!("{order}: {fate:?}");
    /// }
    /// if !matches!(outcome.end, SequenceEnd::Done) {
    ///     println!("not every order filled: {:?}", outcome.end);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// The observer's error, a gateway failure, an unreadable ledger, or a failed re-plan.
    pub async fn run_sequence<O: SequenceObserver>(
        &self,
        sequence: &Sequence,
        observer: &mut O,
    ) -> Run<SequenceOutcome, O::Error> {
        let mut outcome = RebalanceOutcome::default();
        let end = self.sequence(sequence, observer, &mut outcome).await?;
        Ok(SequenceOutcome {
            end,
            orders: outcome,
        })
    }

    async fn sequence<O: SequenceObserver>(
        &self,
        s: &Sequence,
        observer: &mut O,
        outcome: &mut RebalanceOutcome,
    ) -> Run<SequenceEnd, O::Error> {
        let converting: Vec<PendingOrder> = s.conversions.iter().map(|c| c.order.clone()).collect();
        let mut buys = s.buys.clone();
        if s.queue_for_open {
            // With sells, the buys need their proceeds: they wait for a run after the open.
            let (now, later) = if s.sells.is_empty() {
                (buys.clone(), Vec::new())
            } else {
                (
                    s.sells.clone(),
                    [converting.as_slice(), buys.as_slice()].concat(),
                )
            };
            observer.step(Step::Placing(Round::QueueForOpen));
            let round = self.place_round(s, &now, observer).await?;
            if let Some(stop) = stopped(Round::QueueForOpen, round.failure, &now) {
                return Ok(stop.end(outcome, &round.placed, &now, &later));
            }
            outcome.queued(&round.placed);
            return Ok(SequenceEnd::Queued {
                later: later.into_iter().map(|(o, _)| o).collect(),
            });
        }
        if !s.sells.is_empty() {
            let cash_before = self.ledger_cash(s).await?;
            observer.step(Step::Placing(Round::Sells));
            let round = self.place_round(s, &s.sells, observer).await?;
            if let Some(stop) = stopped(Round::Sells, round.failure, &s.sells) {
                let later = [converting.as_slice(), buys.as_slice()].concat();
                return Ok(stop.end(outcome, &round.placed, &s.sells, &later));
            }
            let fills = self
                .await_fills(s, Round::Sells, round.placed, observer)
                .await?;
            outcome.waited(&fills);
            if fills.iter().any(|o| !o.is_filled()) {
                outcome.not_placed(
                    converting.iter().chain(&buys).map(|(o, _)| o),
                    "the sells have not all filled",
                );
                return Ok(SequenceEnd::SellsUnfilled);
            }
            if !buys.is_empty() {
                let raised = proceeds(&fills, &s.replan.fx_to_base);
                let mut ledger_cash = self
                    .await_proceeds(s, cash_before, raised, observer)
                    .await?;
                if !s.conversions.is_empty() {
                    if let Some(end) = self.convert(s, observer, outcome, &buys).await? {
                        return Ok(end);
                    }
                    ledger_cash = self.ledger_cash(s).await?;
                }
                let budget = match s.replan.cash {
                    None => ledger_cash,
                    Some(amount) => amount
                        .checked_add(raised)
                        .unwrap_or(amount)
                        .min(ledger_cash),
                };
                let sold: Vec<(&str, Decimal)> = fills
                    .iter()
                    .map(|o| (o.order.ticket.symbol.as_str(), o.filled))
                    .collect();
                let r = &s.replan;
                let trades = pbal_core::replan_buys(
                    &r.portfolio,
                    &r.targets,
                    &r.options,
                    &r.confirmed,
                    &sold,
                    budget,
                )
                .map_err(SequenceError::Replan)?;
                let replanned = observer
                    .buy_orders(self, &trades)
                    .await
                    .map_err(SequenceError::Observer)?;
                observer.step(Step::BuysReplanned { budget });
                // The cash is there now: IBKR previews the buys again before any is placed.
                let mut previews = Vec::with_capacity(replanned.len());
                for order in &replanned {
                    previews.push(self.whatif(&order.ticket).await?);
                }
                observer.step(Step::BuysPreviewed {
                    orders: &replanned,
                    previews: &previews,
                });
                if let Some((order, preview)) = replanned
                    .iter()
                    .zip(&previews)
                    .find(|(_, p)| p.error.is_some())
                {
                    let why = preview.error.clone().unwrap_or_default();
                    outcome.refused(order, &format!("IBKR's preview: {why}"));
                    outcome.not_placed(
                        replanned
                            .iter()
                            .filter(|o| o.ticket.c_oid != order.ticket.c_oid),
                        "a buy's preview was refused",
                    );
                    return Ok(SequenceEnd::BuyPreviewRefused {
                        symbol: order.ticket.symbol.clone(),
                    });
                }
                let live = self.live_orders_complete(&s.account).await?;
                buys = Vec::with_capacity(replanned.len());
                for mut order in replanned {
                    let before = observer
                        .placed_before(&mut order, &live)
                        .map_err(SequenceError::Observer)?;
                    buys.push((order, before));
                }
            }
        }
        if s.sells.is_empty()
            && !s.conversions.is_empty()
            && let Some(end) = self.convert(s, observer, outcome, &buys).await?
        {
            return Ok(end);
        }
        if !buys.is_empty() {
            observer.step(Step::Placing(Round::Buys));
            let round = self.place_round(s, &buys, observer).await?;
            if let Some(stop) = stopped(Round::Buys, round.failure, &buys) {
                return Ok(stop.end(outcome, &round.placed, &buys, &[]));
            }
            let fills = self
                .await_fills(s, Round::Buys, round.placed, observer)
                .await?;
            outcome.waited(&fills);
        }
        Ok(if outcome.all_filled() {
            SequenceEnd::Done
        } else {
            SequenceEnd::Unfilled
        })
    }

    /// Places the conversions, waits for their fills, then for the ledger to show the
    /// converted cash. `Some(end)` ends the run: `later` (the buys) was not placed.
    async fn convert<O: SequenceObserver>(
        &self,
        s: &Sequence,
        observer: &mut O,
        outcome: &mut RebalanceOutcome,
        later: &[PendingOrder],
    ) -> Run<Option<SequenceEnd>, O::Error> {
        let orders: Vec<PendingOrder> = s.conversions.iter().map(|c| c.order.clone()).collect();
        // The pairs' market data (a snapshot) just before placing, as IBKR asks: the session
        // may have restarted since the preview.
        let pairs: Vec<String> = orders.iter().map(|(o, _)| o.ticket.conid.clone()).collect();
        self.quotes(&pairs).await?;
        observer.step(Step::Placing(Round::Conversions));
        let round = self.place_round(s, &orders, observer).await?;
        if let Some(stop) = stopped(Round::Conversions, round.failure, &orders) {
            return Ok(Some(stop.end(outcome, &round.placed, &orders, later)));
        }
        let fills = self
            .await_fills(s, Round::Conversions, round.placed, observer)
            .await?;
        outcome.waited(&fills);
        if fills.iter().any(|o| !o.is_filled()) {
            outcome.not_placed(
                later.iter().map(|(o, _)| o),
                "the currency conversion has not filled",
            );
            return Ok(Some(SequenceEnd::ConversionUnfilled));
        }
        let mut short = Vec::new();
        let (_, arrived) = self
            .wait_for_ledger(&s.account, s.ledger_polls, s.ledger_poll, &mut |ledger| {
                short = s
                    .conversions
                    .iter()
                    .filter_map(|c| {
                        let cash = ledger
                            .iter()
                            .find(|e| e.currency == c.to)
                            .map_or(Decimal::ZERO, |e| e.cash);
                        (cash < c.needed).then(|| (c.to.clone(), cash, c.needed))
                    })
                    .collect();
                short.is_empty()
            })
            .await?;
        if arrived {
            observer.step(Step::ConvertedCashArrived);
            return Ok(None);
        }
        observer.step(Step::ConvertedCashLate {
            polls: s.ledger_polls,
            short: &short,
        });
        outcome.not_placed(
            later.iter().map(|(o, _)| o),
            "the ledger does not show the converted cash",
        );
        Ok(Some(SequenceEnd::ConvertedCashMissing(short)))
    }

    /// Places each order not placed before (`place_in_turn`), telling the observer every
    /// step before it happens; stops at the first refusal.
    async fn place_round<O: SequenceObserver>(
        &self,
        s: &Sequence,
        orders: &[PendingOrder],
        observer: &mut O,
    ) -> Run<RoundResult, O::Error> {
        let round: Vec<_> = orders
            .iter()
            .map(|(order, before)| (order.ticket.clone(), before.clone()))
            .collect();
        let done = self
            .place_in_turn(&s.account, &round, &s.policy, &mut |event| {
                let index = match &event {
                    PlacementEvent::Found { index, .. }
                    | PlacementEvent::Sending { index, .. }
                    | PlacementEvent::Question { index, .. }
                    | PlacementEvent::Placed { index, .. }
                    | PlacementEvent::AlreadyThere { index, .. }
                    | PlacementEvent::FoundAfterUnknown { index, .. }
                    | PlacementEvent::Failed { index, .. } => *index,
                };
                match orders.get(index) {
                    Some((order, _)) => observer.placement(order, &event),
                    None => Ok(()),
                }
            })
            .await
            .map_err(|e| match e {
                PlaceInTurnError::Caller(e) => SequenceError::Observer(e),
                PlaceInTurnError::Gateway(e) => SequenceError::Gateway(e),
            })?;
        let placed = done
            .placed
            .iter()
            .filter_map(|(index, id)| Some((id.clone(), orders.get(*index)?.0.clone())))
            .collect();
        Ok(RoundResult {
            placed,
            failure: done.failure,
        })
    }

    /// Waits for `placed` to fill (bounded), with progress to the observer; records the
    /// fills through it.
    async fn await_fills<O: SequenceObserver>(
        &self,
        s: &Sequence,
        round: Round,
        placed: Vec<(String, RebalanceOrder)>,
        observer: &mut O,
    ) -> Run<Vec<OrderFill>, O::Error> {
        let ids: Vec<String> = placed.iter().map(|(id, _)| id.clone()).collect();
        observer.step(Step::Waiting {
            round,
            orders: ids.len(),
        });
        let fills = self
            .wait_for_fills(&s.account, &ids, &s.fill_wait, &mut |event| match event {
                FillEvent::Changed(fill) => {
                    if let Some((_, order)) = placed.iter().find(|(id, _)| *id == fill.order_id) {
                        observer.step(Step::FillChanged { order, fill });
                    }
                }
                FillEvent::KeepAliveFailed(e) => observer.step(Step::KeepAliveFailed(e)),
            })
            .await?;
        let fills: Vec<OrderFill> = placed
            .into_iter()
            .zip(fills)
            .map(|((order_id, order), fill)| OrderFill::new(order_id, order, &fill))
            .collect();
        observer.step(Step::WaitEnded {
            open: fills.iter().filter(|o| !o.status.is_final()).count(),
            timeout: s.fill_wait.timeout,
        });
        observer.fills(&fills).map_err(SequenceError::Observer)?;
        Ok(fills)
    }

    /// Waits (bounded) until the ledger shows the sells' proceeds; the cash it shows.
    async fn await_proceeds<O: SequenceObserver>(
        &self,
        s: &Sequence,
        before: Decimal,
        raised: Decimal,
        observer: &mut O,
    ) -> Run<Decimal, O::Error> {
        // Commissions and rounding: 99% of what the fills raised counts as arrived.
        let expected = before
            .checked_add(raised.checked_mul(Decimal::new(99, 2)).unwrap_or_default())
            .unwrap_or(before);
        let mut cash = before;
        let (_, arrived) = self
            .wait_for_ledger(&s.account, s.ledger_polls, s.ledger_poll, &mut |ledger| {
                cash = cash_in_base(s, ledger).unwrap_or(cash);
                cash >= expected
            })
            .await?;
        if !arrived {
            observer.step(Step::ProceedsLate {
                polls: s.ledger_polls,
                cash,
                expected,
            });
        }
        Ok(cash)
    }

    /// The cash the ledger shows now, in the base currency.
    async fn ledger_cash<E>(&self, s: &Sequence) -> Run<Decimal, E> {
        let ledger = self.ledger(&s.account).await?;
        cash_in_base(s, &ledger).map_err(SequenceError::Cash)
    }
}

/// The cash a ledger shows, in the base currency.
fn cash_in_base(s: &Sequence, ledger: &[LedgerEntry]) -> Result<Decimal, crate::Error> {
    let statement = super::statement(&s.account, s.base_currency.as_deref(), &[], ledger);
    statement.cash_in_base(&AccountSelection::Only(s.account.clone()))
}

/// A round that stopped, before it is turned into the run's end.
struct Stop {
    round: Round,
    index: usize,
    order: RebalanceOrder,
    error: PlacementError,
}

fn stopped(
    round: Round,
    failure: Option<(usize, PlacementError)>,
    orders: &[PendingOrder],
) -> Option<Stop> {
    let (index, error) = failure?;
    let order = orders.get(index)?.0.clone();
    Some(Stop {
        round,
        index,
        order,
        error,
    })
}

impl Stop {
    /// The run ends here: what was placed stays placed (working), the orders after it and
    /// `later` are not placed.
    fn end(
        self,
        outcome: &mut RebalanceOutcome,
        placed: &[(String, RebalanceOrder)],
        orders: &[PendingOrder],
        later: &[PendingOrder],
    ) -> SequenceEnd {
        let first = placed.is_empty() && outcome.is_empty();
        outcome.placed(placed);
        let unsent = orders.get(self.index + 1..).unwrap_or_default();
        outcome.not_placed(unsent.iter().map(|(o, _)| o), "pbal stopped before it");
        outcome.not_placed(later.iter().map(|(o, _)| o), "pbal stopped before it");
        SequenceEnd::Stopped {
            round: self.round,
            order: Box::new(self.order),
            error: Box::new(self.error),
            placed_in_round: placed.len(),
            first,
        }
    }
}
