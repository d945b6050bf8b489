//! Contracts (symbol → conid) and market-data snapshots.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::Value;
use tokio::time::Instant;

use super::account::check_error;
use super::client::Gateway;
use super::error::GatewayError;
use super::json;
use super::pacing::Limited;
use super::types::{ContractCandidate, CurrencyPair, Quote};
use pbal_core::Side;

/// Snapshot fields: last, bid, ask, close, prior close, availability.
const SNAPSHOT_FIELDS: &str = "31,84,86,7296,7741,6509";
/// Conids per snapshot request (IBKR's limit).
const SNAPSHOT_BATCH: usize = 100;

impl Gateway {
    /// The stock contract of `symbol`. Share-class separators differ between spellings
    /// (IBKR writes `BRK B` where others write `BRK.B`), so the search tries the symbol as
    /// given, then with a space or a dot as the separator ([`symbol_spellings`]); a row counts
    /// when its symbol is the same but for the separator ([`same_symbol`]). Several contracts
    /// are an error listing them; a US listing wins when exactly one of them is American (as
    /// ibind decides). The candidate's `symbol` is IBKR's spelling.
    ///
    /// # Errors
    /// [`GatewayError::UnknownSymbol`], [`GatewayError::AmbiguousSymbol`], transport errors.
    pub async fn resolve_conid(&self, symbol: &str) -> Result<ContractCandidate, GatewayError> {
        let candidates = self.stock_candidates(symbol).await?;
        if candidates.len() <= 1 {
            return candidates
                .into_iter()
                .next()
                .ok_or_else(|| GatewayError::UnknownSymbol {
                    symbol: symbol.to_owned(),
                });
        }
        let ibkr_symbol = candidates[0].symbol.clone();
        if let Some(us) = self.only_us_listing(&ibkr_symbol).await?
            && let Some(found) = candidates.iter().find(|c| c.conid == us)
        {
            return Ok(found.clone());
        }
        Err(GatewayError::AmbiguousSymbol {
            symbol: symbol.to_owned(),
            candidates: candidates
                .iter()
                .map(|c| format!("  conid {}: {} ({})", c.conid, c.name, c.exchange))
                .collect::<Vec<_>>()
                .join("\n"),
        })
    }

    /// Every stock contract IBKR lists for `symbol` in any of its [`symbol_spellings`]
    /// (the first spelling IBKR knows), in IBKR's order, each once.
    ///
    /// # Errors
    /// Transport and session errors.
    pub async fn stock_candidates(
        &self,
        symbol: &str,
    ) -> Result<Vec<ContractCandidate>, GatewayError> {
        self.prime_iserver().await?;
        let mut candidates: Vec<ContractCandidate> = Vec::new();
        for spelling in symbol_spellings(symbol) {
            let query = [("symbol", spelling.clone()), ("secType", "STK".to_owned())];
            let value = self.get("iserver/secdef/search", &query, None).await?;
            check_error("GET iserver/secdef/search", &value)?;
            for row in value.as_array().into_iter().flatten() {
                let Some(row_symbol) = json::text(row.get("symbol")) else {
                    continue;
                };
                if !same_symbol(&row_symbol, symbol) || !has_section(row, "STK") {
                    continue;
                }
                let Some(conid) = json::text(row.get("conid")) else {
                    continue;
                };
                if candidates.iter().any(|c| c.conid == conid) {
                    continue;
                }
                candidates.push(ContractCandidate {
                    conid,
                    symbol: row_symbol,
                    name: json::text(row.get("companyName")).unwrap_or_default(),
                    exchange: json::text(row.get("description")).unwrap_or_default(),
                });
            }
            // The first spelling IBKR knows is its spelling: the others are not asked.
            if !candidates.is_empty() {
                break;
            }
        }
        Ok(candidates)
    }

    /// The `CASH` pair that converts `from` into `to`: `TO.FROM` bought, else `FROM.TO` sold
    /// (IBKR lists each pair once, in market convention: EUR.USD, USD.JPY), found with the
    /// spec's `GET /iserver/currency/pairs?currency=FROM` (then `=TO`), whose rows are
    /// `{"symbol","conid","ccyPair"}` under the currency asked for.
    ///
    /// # Errors
    /// [`GatewayError::NoCurrencyPair`], transport and session errors.
    pub async fn currency_pair(&self, from: &str, to: &str) -> Result<CurrencyPair, GatewayError> {
        self.prime_iserver().await?;
        let (from, to) = (from.to_ascii_uppercase(), to.to_ascii_uppercase());
        let wanted = [
            (format!("{to}.{from}"), Side::Buy),
            (format!("{from}.{to}"), Side::Sell),
        ];
        for asked in [from.clone(), to.clone()] {
            let query = [("currency", asked.clone())];
            let value = self.get("iserver/currency/pairs", &query, None).await?;
            check_error("GET iserver/currency/pairs", &value)?;
            let rows: Vec<&Value> = match value.get(asked.as_str()) {
                Some(Value::Array(rows)) => rows.iter().collect(),
                // A single-key map under another spelling of the currency.
                _ => value
                    .as_object()
                    .into_iter()
                    .flat_map(|m| m.values())
                    .filter_map(Value::as_array)
                    .flatten()
                    .collect(),
            };
            for (symbol, side) in &wanted {
                let found = rows.iter().find(|row| {
                    json::text(row.get("symbol")).is_some_and(|s| s.eq_ignore_ascii_case(symbol))
                });
                if let Some(conid) = found.and_then(|row| json::text(row.get("conid"))) {
                    return Ok(CurrencyPair {
                        conid,
                        symbol: symbol.clone(),
                        from,
                        to,
                        side: *side,
                    });
                }
            }
        }
        Err(GatewayError::NoCurrencyPair { from, to })
    }

    /// `GET /trsrv/stocks`: the conid when exactly one US contract carries the symbol.
    async fn only_us_listing(&self, symbol: &str) -> Result<Option<String>, GatewayError> {
        let value = self
            .get("trsrv/stocks", &[("symbols", symbol.to_owned())], None)
            .await?;
        let entries = value
            .get(symbol)
            .or_else(|| value.get(symbol.to_ascii_uppercase()))
            .and_then(Value::as_array);
        let us: Vec<String> = entries
            .into_iter()
            .flatten()
            .filter_map(|e| e.get("contracts").and_then(Value::as_array))
            .flatten()
            .filter(|c| json::flag(c.get("isUS")))
            .filter_map(|c| json::text(c.get("conid")))
            .collect();
        Ok((us.len() == 1).then(|| us[0].clone()))
    }

    /// Snapshots of `conids`, polled until each has a price or the snapshot timeout passes
    /// (the first request for a conid only opens its stream: the pre-flight).
    ///
    /// # Errors
    /// Transport and session errors. Conids still without a price are simply absent.
    pub async fn quotes(&self, conids: &[String]) -> Result<BTreeMap<String, Quote>, GatewayError> {
        self.prime_iserver().await?;
        let mut quotes: BTreeMap<String, Quote> = BTreeMap::new();
        let deadline = Instant::now() + self.config.snapshot_timeout;
        loop {
            let missing: Vec<&String> = conids
                .iter()
                .filter(|c| quotes.get(*c).and_then(Quote::price).is_none())
                .collect();
            if missing.is_empty() {
                break;
            }
            for batch in missing.chunks(SNAPSHOT_BATCH) {
                let list = batch
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(",");
                let query = [("conids", list), ("fields", SNAPSHOT_FIELDS.to_owned())];
                let value = self
                    .get(
                        "iserver/marketdata/snapshot",
                        &query,
                        Some(Limited::Snapshot),
                    )
                    .await?;
                check_error("GET iserver/marketdata/snapshot", &value)?;
                for row in value.as_array().into_iter().flatten() {
                    let Some(conid) = json::text(row.get("conid")) else {
                        continue;
                    };
                    let quote = Quote {
                        last: json::decimal(row.get("31")),
                        bid: json::decimal(row.get("84")),
                        ask: json::decimal(row.get("86")),
                        close: json::decimal(row.get("7741"))
                            .or_else(|| json::decimal(row.get("7296"))),
                        availability: json::text(row.get("6509")),
                        last_prefix: json::text(row.get("31"))
                            .and_then(|t| t.chars().next())
                            .filter(|c| matches!(c, 'C' | 'H')),
                    };
                    quotes.insert(conid, quote);
                }
            }
            if Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(self.config.snapshot_poll).await;
        }
        Ok(quotes)
    }

    /// Whether the contract trades in fractions, from its rules (`fraqInt` decimal places).
    ///
    /// # Errors
    /// Transport and session errors.
    pub async fn allows_fractions(&self, conid: &str) -> Result<bool, GatewayError> {
        Ok(self.fraction_places(conid).await?.is_some())
    }

    /// The decimal places of the contract's fractional quantities (rules `fraqInt` with some
    /// `fraqTypes`), or `None` when its rules allow whole shares only.
    ///
    /// # Errors
    /// Transport and session errors.
    pub async fn fraction_places(&self, conid: &str) -> Result<Option<u32>, GatewayError> {
        Ok(self.contract_rules(conid).await?.fraction_places)
    }

    /// IBKR's own ticker of `conid` (`GET /iserver/contract/{conid}/info`): what an order's
    /// `ticker` carries, whatever the plan calls the contract.
    ///
    /// # Errors
    /// Transport and session errors; an unknown conid.
    pub async fn contract_ticker(&self, conid: &str) -> Result<Option<String>, GatewayError> {
        Ok(self.contract_info(conid).await?.0)
    }

    /// `GET /iserver/contract/{conid}/info-and-rules`: fractions and price increments.
    ///
    /// # Errors
    /// Transport and session errors.
    pub async fn contract_rules(&self, conid: &str) -> Result<ContractRules, GatewayError> {
        self.prime_iserver().await?;
        let path = format!("iserver/contract/{conid}/info-and-rules");
        let value = self
            .get(&path, &[("isBuy", "true".to_owned())], None)
            .await?;
        check_error(&path, &value)?;
        Ok(parse_rules(value.get("rules")))
    }
}

/// What a contract's rules allow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ContractRules {
    /// Decimal places of fractional quantities; `None`: whole shares only.
    pub fraction_places: Option<u32>,
    /// `(lowerEdge, increment)`: from each edge up, prices move in that increment.
    pub price_increments: Vec<(Decimal, Decimal)>,
}

impl ContractRules {
    /// The price increment at `price`: the rule with the highest edge at or below it.
    #[must_use]
    pub fn increment_at(&self, price: Decimal) -> Option<Decimal> {
        self.price_increments
            .iter()
            .filter(|(edge, increment)| *edge <= price && *increment > Decimal::ZERO)
            .max_by_key(|(edge, _)| *edge)
            .map(|(_, increment)| *increment)
    }
}

fn parse_rules(rules: Option<&Value>) -> ContractRules {
    let places = rules
        .and_then(|r| json::decimal(r.get("fraqInt")))
        .and_then(|p| rust_decimal::prelude::ToPrimitive::to_u32(&p.trunc()))
        .filter(|p| (1..=8).contains(p));
    let types = rules
        .and_then(|r| r.get("fraqTypes"))
        .and_then(Value::as_array)
        .is_some_and(|t| !t.is_empty());
    let price_increments = rules
        .and_then(|r| r.get("incrementRules"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|rule| {
            Some((
                json::decimal(rule.get("lowerEdge"))?,
                json::decimal(rule.get("increment"))?,
            ))
        })
        .collect();
    ContractRules {
        fraction_places: places.filter(|_| types),
        price_increments,
    }
}

/// The spellings of `symbol` worth asking IBKR for: as given, then with its share-class
/// separator (a space, a dot or a slash: `BRK B`, `BRK.B`, `BRK/B`) as a space and as a dot.
/// Only the look-up uses them; what matches is decided by contract id.
#[must_use]
pub fn symbol_spellings(symbol: &str) -> Vec<String> {
    let symbol = symbol.trim();
    let mut spellings = vec![symbol.to_owned()];
    if symbol.contains(is_class_separator) {
        for separator in [' ', '.'] {
            let spelled: String = symbol
                .chars()
                .map(|c| if is_class_separator(c) { separator } else { c })
                .collect();
            if !spellings.contains(&spelled) {
                spellings.push(spelled);
            }
        }
    }
    spellings
}

/// The same ticker but for case and the share-class separator (`BRK B` = `brk.b`).
#[must_use]
pub fn same_symbol(a: &str, b: &str) -> bool {
    let canonical = |s: &str| -> String {
        s.trim()
            .chars()
            .map(|c| {
                if is_class_separator(c) {
                    '.'
                } else {
                    c.to_ascii_uppercase()
                }
            })
            .collect()
    };
    canonical(a) == canonical(b)
}

fn is_class_separator(c: char) -> bool {
    matches!(c, ' ' | '.' | '/')
}

fn has_section(row: &Value, sec_type: &str) -> bool {
    match row.get("sections").and_then(Value::as_array) {
        Some(sections) => sections
            .iter()
            .any(|s| json::text(s.get("secType")).as_deref() == Some(sec_type)),
        // Rows without sections: trust the secType filter of the query.
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use pbal_core::dec;
    use serde_json::json;

    use super::*;

    #[test]
    fn spellings_swap_only_the_class_separator() {
        assert_eq!(symbol_spellings("VTI"), ["VTI"]);
        assert_eq!(symbol_spellings("BRK.B"), ["BRK.B", "BRK B"]);
        assert_eq!(symbol_spellings("BRK B"), ["BRK B", "BRK.B"]);
        assert_eq!(symbol_spellings("BRK/B"), ["BRK/B", "BRK B", "BRK.B"]);
        assert!(same_symbol("BRK B", "brk.b"));
        assert!(same_symbol("BRK/B", "BRK.B"));
        assert!(!same_symbol("BRKB", "BRK.B"));
        assert!(!same_symbol("BRK.A", "BRK.B"));
    }

    #[test]
    fn rules_give_fractions_and_the_increment_by_price() {
        let rules = parse_rules(Some(&json!({
            "fraqTypes": ["limit"], "fraqInt": 4,
            "incrementRules": [{"lowerEdge": 0.0, "increment": 0.0001},
                               {"lowerEdge": 1.0, "increment": 0.01}]
        })));
        assert_eq!(rules.fraction_places, Some(4));
        assert_eq!(rules.increment_at(dec!(0.5)), Some(dec!(0.0001)));
        assert_eq!(rules.increment_at(dec!(250)), Some(dec!(0.01)));
        let whole = parse_rules(Some(
            &json!({"fraqTypes": [], "fraqInt": 0, "incrementRules": "x"}),
        ));
        assert_eq!(whole, ContractRules::default());
        assert_eq!(parse_rules(None), ContractRules::default());
    }
}
