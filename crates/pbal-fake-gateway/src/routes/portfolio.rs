//! Portfolio endpoints (reference §2): accounts, paged positions, ledger, summary.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::format::{self, num};
use crate::reply::Reply;
use crate::state::Gateway;

fn unknown_account(acct: &str) -> Reply {
    Reply::error(400, &format!("Bad Request: account {acct} not found"))
}

/// `GET /portfolio/accounts` (and subaccounts): primes `/portfolio/{id}/*`.
pub(super) fn accounts(gw: &mut Gateway) -> Reply {
    gw.portfolio_primed = true;
    let rows: Vec<Value> = gw
        .setup
        .accounts
        .iter()
        .map(|id| {
            json!({
                "id": id, "accountId": id, "accountVan": id, "accountTitle": "Fake Account",
                "displayName": id, "accountAlias": null, "accountStatus": 1_644_814_800_000_u64,
                "currency": gw.setup.account_base_currencies.get(id).unwrap_or(&gw.setup.base_currency), "type": if id.starts_with("DU") { "DEMO" } else { "INDIVIDUAL" },
                "tradingType": if gw.setup.cash_accounts.contains(id) { "STKCASH" } else { "PMRGN" }, "businessType": "IB_PROSERVE", "ibEntity": "IBLLC-US",
                "faclient": false, "clearingStatus": "O", "covestor": false, "noClientTrading": false,
                "trackVirtualFXPortfolio": true, "brokerageAccess": true,
                "parent": {"mmc": [], "accountId": "", "isMParent": false, "isMChild": false, "isMultiplex": false},
                "desc": id
            })
        })
        .collect();
    Reply::ok(Value::Array(rows))
}

fn position_rows(gw: &Gateway, acct: &str) -> Vec<Value> {
    let book = if gw.setup.positions_lag {
        &gw.served
    } else {
        &gw.holdings
    };
    book.iter()
        .filter(|((account, _), lot)| account == acct && !lot.quantity.is_zero())
        .map(|((_, conid), lot)| {
            let price = gw.market_price(*conid).unwrap_or(lot.avg_price);
            let value = lot.quantity.checked_mul(price).unwrap_or_default();
            let cost = lot.quantity.checked_mul(lot.avg_price).unwrap_or_default();
            let contract = gw.contract(*conid);
            let symbol = contract.map_or("", |c| c.symbol.as_str());
            let mut row = json!({
                "acctId": acct,
                "conid": conid,
                "contractDesc": symbol,
                "position": num(lot.quantity),
                "mktPrice": num(price),
                "mktValue": num(value),
                "currency": contract.map_or(gw.setup.base_currency.as_str(), |c| c.currency.as_str()),
                "avgCost": num(lot.avg_price),
                "avgPrice": num(lot.avg_price),
                "realizedPnl": 0.0,
                "unrealizedPnl": num(value.checked_sub(cost).unwrap_or_default()),
                "exchs": null,
                "expiry": null,
                "multiplier": 0.0,
                "strike": "0",
                "exerciseStyle": null,
                "conExchMap": [],
                "assetClass": "STK",
                "undConid": 0,
                "model": "",
                "ticker": symbol,
                "name": contract.map_or("", |c| c.name.as_str()),
                "listingExchange": contract.map_or("", |c| c.exchange.as_str()),
                "pageSize": gw.setup.positions_page_size
            });
            if gw.setup.slim_positions
                && let Some(row) = row.as_object_mut()
            {
                // Reference §2: the slim form lacks these three.
                for key in ["ticker", "name", "listingExchange"] {
                    row.remove(key);
                }
            }
            if let (Some(gaps), Some(row)) =
                (gw.setup.position_gaps.get(conid), row.as_object_mut())
            {
                for key in gaps {
                    row.remove(key);
                }
            }
            row
        })
        .collect()
}

/// `GET /portfolio/{acct}/positions/{page}`: pages from 0; past the end `[]`.
pub(super) fn positions(gw: &Gateway, acct: &str, page: &str) -> Reply {
    if !gw.is_account(acct) {
        return unknown_account(acct);
    }
    let Ok(page) = page.parse::<usize>() else {
        return Reply::error(400, "Bad Request: invalid page");
    };
    let size = gw.setup.positions_page_size.max(1);
    let rows: Vec<Value> = position_rows(gw, acct)
        .into_iter()
        .skip(page.saturating_mul(size))
        .take(size)
        .collect();
    Reply::ok(Value::Array(rows))
}

/// `POST /portfolio/{acct}/positions/invalidate`: refreshes the cache, returns page 0.
pub(super) fn invalidate(gw: &mut Gateway, acct: &str) -> Reply {
    if !gw.is_account(acct) {
        return unknown_account(acct);
    }
    gw.served = gw.holdings.clone();
    positions(gw, acct, "0")
}

fn stock_value(gw: &Gateway, acct: &str, currency: &str) -> Decimal {
    gw.holdings
        .iter()
        .filter(|((account, conid), _)| {
            account == acct && gw.contract(*conid).is_some_and(|c| c.currency == currency)
        })
        .filter_map(|((_, conid), lot)| {
            lot.quantity
                .checked_mul(gw.market_price(*conid).unwrap_or(lot.avg_price))
        })
        .fold(Decimal::ZERO, |sum, v| sum.checked_add(v).unwrap_or(sum))
}

fn currencies(gw: &Gateway, acct: &str) -> BTreeSet<String> {
    let mut set: BTreeSet<String> = gw
        .cash
        .keys()
        .filter(|(account, _)| account == acct)
        .map(|(_, currency)| currency.clone())
        .collect();
    for (account, conid) in gw.holdings.keys() {
        if account == acct
            && let Some(contract) = gw.contract(*conid)
        {
            set.insert(contract.currency.clone());
        }
    }
    set
}

/// `GET /portfolio/{acct}/ledger`: one entry per currency plus `BASE`.
pub(super) fn ledger(gw: &mut Gateway, acct: &str) -> Reply {
    if !gw.is_account(acct) {
        return unknown_account(acct);
    }
    // While the ledger lags a fill it shows the cash of before it.
    let stale = gw.ledger_stale_reads > 0;
    gw.ledger_stale_reads = gw.ledger_stale_reads.saturating_sub(1);
    let gw: &Gateway = gw;
    let cash_of = |currency: &str| {
        if stale {
            gw.served_cash
                .get(&(acct.to_owned(), currency.to_owned()))
                .copied()
                .unwrap_or_default()
        } else {
            gw.ledger_cash(acct, currency)
        }
    };
    let timestamp = format::now_s();
    let entry = |currency: &str, cash: Decimal, stocks: Decimal, rate: Decimal| {
        json!({
            "acctcode": acct,
            "currency": currency,
            "cashbalance": num(cash),
            "settledcash": num(cash),
            "netliquidationvalue": num(cash.checked_add(stocks).unwrap_or(cash)),
            "stockmarketvalue": num(stocks),
            "exchangerate": num(rate),
            "unrealizedpnl": 0.0,
            "realizedpnl": 0.0,
            "interest": 0.0,
            "dividends": 0.0,
            "commoditymarketvalue": 0.0,
            "futuremarketvalue": 0.0,
            "key": "LedgerList",
            "timestamp": timestamp,
            "severity": 0
        })
    };
    let mut out = Map::new();
    let (mut base_cash, mut base_stocks) = (Decimal::ZERO, Decimal::ZERO);
    for currency in currencies(gw, acct) {
        let cash = cash_of(&currency);
        let stocks = stock_value(gw, acct, &currency);
        let rate = gw.rate(&currency);
        base_cash = cash
            .checked_mul(rate)
            .and_then(|v| base_cash.checked_add(v))
            .unwrap_or(base_cash);
        base_stocks = stocks
            .checked_mul(rate)
            .and_then(|v| base_stocks.checked_add(v))
            .unwrap_or(base_stocks);
        let mut value = entry(&currency, cash, stocks, rate);
        value["endofbundle"] = json!(1);
        out.insert(currency, value);
    }
    out.insert(
        "BASE".to_owned(),
        entry("BASE", base_cash, base_stocks, Decimal::ONE),
    );
    Reply::ok(Value::Object(out))
}

/// `GET /portfolio/{acct}/summary`: lower-case keys, each repeated with `-c` and `-s`.
pub(super) fn summary(gw: &Gateway, acct: &str) -> Reply {
    if !gw.is_account(acct) {
        return unknown_account(acct);
    }
    let cash = gw.ledger_cash(acct, "BASE");
    let stocks = currencies(gw, acct)
        .iter()
        .filter_map(|c| stock_value(gw, acct, c).checked_mul(gw.rate(c)))
        .fold(Decimal::ZERO, |sum, v| sum.checked_add(v).unwrap_or(sum));
    let netliq = cash.checked_add(stocks).unwrap_or(cash);
    let timestamp = format::now_ms();
    let base = gw.setup.base_currency.as_str();
    let mut out = Map::new();
    let amounts = [
        ("netliquidation", netliq),
        ("totalcashvalue", cash),
        ("settledcash", cash),
        ("availablefunds", cash),
        ("buyingpower", cash),
        ("equitywithloanvalue", netliq),
        ("grosspositionvalue", stocks),
        ("excessliquidity", cash),
        ("initmarginreq", Decimal::ZERO),
        ("maintmarginreq", Decimal::ZERO),
    ];
    for (key, amount) in amounts {
        let value = json!({"amount": num(amount), "currency": base, "isNull": false,
            "timestamp": timestamp, "value": null, "severity": 0});
        for suffix in ["", "-c", "-s"] {
            out.insert(format!("{key}{suffix}"), value.clone());
        }
    }
    out.insert(
        "accountcode".to_owned(),
        json!({"amount": 0.0, "currency": null, "isNull": false, "timestamp": timestamp,
            "value": acct, "severity": 0}),
    );
    Reply::ok(Value::Object(out))
}
