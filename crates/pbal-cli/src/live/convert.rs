//! `--convert-currency`: the currency conversions a plan needs, as IBKR orders on its `CASH`
//! pairs (`isCcyConv`, sized by `fxQty`). pbal-ibkr's `run_sequence` places them before the
//! buys like any other order (a deterministic client order id, journalled, never sent twice),
//! waits for their fills and for the ledger to show the converted cash; only then do the buys
//! go.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use pbal_ibkr::client_portal::Quote;
use rust_decimal::Decimal;

use super::connect::Connection;
use super::currency::{self, Balance, Conversion, Shortfall};
use super::orders::{PlannedOrder, TicketBook};

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
        // IBKR: request the pair's market data (a snapshot) before previewing or placing an
        // order on it; without it the order meets o354 (no market data).
        let quotes = conn
            .gateway
            .quotes(std::slice::from_ref(&pair.conid))
            .await?;
        if quotes.get(&pair.conid).and_then(Quote::price).is_none() {
            bail!(
                "IBKR gives no market data for the currency pair {} (conid {}), so the \
                 conversion (a market order) cannot be placed safely. Check the account's \
                 market-data permissions for IDEALPRO currencies. Nothing was placed",
                pair.symbol,
                pair.conid
            );
        }
        let order = book.conversion(&pair, conversion.amount, conversion.amount);
        planned.push(Planned { conversion, order });
    }
    Ok(planned)
}
