//! `--convert-currency`: the currency conversions a plan needs, as IBKR orders on its `CASH`
//! pairs (`isCcyConv`, sized by `fxQty`), and their run: placed before the buys like any other
//! order (a deterministic client order id, journalled, never sent twice), their fills awaited,
//! and the ledger read again until it shows the converted cash; only then do the buys go.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result};
use pbal_ibkr::client_portal::QuestionPolicy;
use rust_decimal::Decimal;

use super::connect::Connection;
use super::currency::{self, Balance, Conversion, Shortfall};
use super::fills;
use super::orders::{Existing, PlannedOrder, TicketBook};
use super::summary::Summary;
use super::trade::{LEDGER_POLLS, place_all, record_fills, say, stop};
use crate::journal::Journal;
use crate::output::warn;

/// A conversion and its order.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub(crate) conversion: Conversion,
    pub(crate) order: PlannedOrder,
}

/// The conversions from the base currency that cover `shortfalls`, each on the `CASH` pair
/// IBKR lists for the two currencies, sized at the ledger's exchange rates.
pub(crate) async fn plan(
    conn: &Connection,
    book: &TicketBook<'_>,
    shortfalls: &[Shortfall],
    balances: &BTreeMap<String, Balance>,
    base: Option<&str>,
) -> Result<Vec<Planned>> {
    let from = base.context(
        "the account's base currency is unknown, so pbal cannot choose what to convert from. \
         Nothing was placed",
    )?;
    let ledger = conn.gateway.ledger(&conn.account).await?;
    let mut rates: BTreeMap<String, Decimal> = ledger
        .iter()
        .filter(|e| e.currency != "BASE")
        .filter_map(|e| Some((e.currency.clone(), e.exchange_rate?)))
        .collect();
    rates.insert(from.to_owned(), Decimal::ONE);
    let mut planned = Vec::new();
    for conversion in currency::conversions(shortfalls, balances, from, &rates)? {
        let pair = conn
            .gateway
            .currency_pair(&conversion.from, &conversion.to)
            .await?;
        let order = book.conversion(&pair, conversion.amount, conversion.amount);
        planned.push(Planned { conversion, order });
    }
    Ok(planned)
}

/// What a conversion run needs besides the conversions.
pub(crate) struct Run<'a> {
    pub(crate) conn: &'a Connection,
    pub(crate) policy: &'a QuestionPolicy,
    pub(crate) journal: &'a Journal,
    pub(crate) timeout: Duration,
}

/// Places the conversions (those an earlier run placed are found, not placed again), waits
/// for their fills, then reads the ledger (clearing the gateway's cache each second, bounded)
/// until every converted currency covers its buys. `Ok(Some(error))` ends the run with the
/// summary: `later` (the buys) was not placed.
pub(crate) async fn run(
    run: &Run<'_>,
    conversions: &[(Planned, Existing)],
    summary: &mut Summary,
    later: &[(PlannedOrder, Existing)],
) -> Result<Option<anyhow::Error>> {
    let orders: Vec<(PlannedOrder, Existing)> = conversions
        .iter()
        .map(|(p, e)| (p.order.clone(), e.clone()))
        .collect();
    let account = &run.conn.account;
    say("Converting currencies:");
    let (placement, failure) =
        place_all(&run.conn.gateway, account, &orders, run.policy, run.journal).await?;
    if let Some(failure) = failure {
        return Ok(stop(
            summary,
            &placement,
            failure,
            later,
            "the currency conversion did not go through",
        )
        .err());
    }
    say("Waiting for the conversion to fill:");
    let outcomes = fills::wait(&run.conn.gateway, account, placement.placed, run.timeout).await?;
    record_fills(run.journal, &outcomes)?;
    summary.waited(&outcomes);
    if outcomes.iter().any(|o| !o.is_filled()) {
        summary.not_placed(
            later.iter().map(|(o, _)| o),
            "the currency conversion has not filled",
        );
        say(&summary.render());
        return Ok(Some(summary.incomplete(
            "the buys were NOT placed because the currency conversion has not filled; run `pbal \
             trade` again once it has (it is not placed twice)",
        )));
    }
    let mut short = Vec::new();
    let (_, arrived) = run
        .conn
        .gateway
        .wait_for_ledger(
            account,
            LEDGER_POLLS,
            Duration::from_secs(1),
            &mut |ledger| {
                short = conversions
                    .iter()
                    .map(|(p, _)| &p.conversion)
                    .filter_map(|c| {
                        let cash = ledger
                            .iter()
                            .find(|e| e.currency == c.to)
                            .map_or(Decimal::ZERO, |e| e.cash);
                        (cash < c.buys).then(|| {
                            format!(
                                "{} {} of {} needed",
                                c.to,
                                cash.round_dp(2),
                                c.buys.round_dp(2)
                            )
                        })
                    })
                    .collect();
                short.is_empty()
            },
        )
        .await?;
    if arrived {
        say("The ledger shows the converted cash.");
        return Ok(None);
    }
    warn(&format!(
        "after {LEDGER_POLLS} s the ledger shows {}",
        short.join(", ")
    ));
    summary.not_placed(
        later.iter().map(|(o, _)| o),
        "the ledger does not show the converted cash",
    );
    say(&summary.render());
    Ok(Some(summary.incomplete(&format!(
        "the conversion filled but the ledger shows {}; no buy was placed. Run `pbal trade` \
         again once it does",
        short.join(", ")
    ))))
}
