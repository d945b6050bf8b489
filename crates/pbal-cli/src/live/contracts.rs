//! The user's symbols matched to IBKR's contracts by contract id, never by ticker text: a
//! targets file may say `BRK.B` where IBKR's positions and orders say `BRK B`, and an export
//! may say either. Each target symbol is resolved to a conid (the targets file's own `conid`,
//! else the held position of that exact spelling, else IBKR's security search, which tries the
//! share-class spellings); positions are then renamed to the targets file's spelling when their
//! conid is the target's, so the plan, the orders and the duplicate guard all agree.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use pbal_ibkr::client_portal::{Gateway, GatewayError, same_symbol, symbol_spellings};
use pbal_ibkr::{Statement, TargetsSpec};

/// Symbol (as the plan spells it) → IBKR contract id, for every target and held position.
pub(crate) type Conids = BTreeMap<String, String>;

/// Resolves the targets' symbols, renames the positions that are the same contracts to the
/// targets' spelling, and returns every symbol's conid. Symbols that cannot be resolved, or
/// that several contracts answer to, stop the run with every such symbol listed.
pub(crate) async fn match_by_conid(
    gateway: &Gateway,
    statement: &mut Statement,
    spec: Option<&TargetsSpec>,
    say: &dyn Fn(&str),
) -> Result<Conids> {
    let mut named: Conids = BTreeMap::new();
    if let Some(spec) = spec {
        let mut problems = Vec::new();
        // Targets must resolve; excluded symbols only matter when held.
        let wanted = spec
            .weights
            .iter()
            .map(|(s, _)| (s.as_str(), true))
            .chain(spec.exclude.iter().map(|s| (s.as_str(), false)));
        for (symbol, required) in wanted {
            if named.contains_key(symbol) {
                continue;
            }
            if let Some(conid) = spec.conids.get(symbol) {
                named.insert(symbol.to_owned(), conid.clone());
                continue;
            }
            if let Some(conid) = statement
                .positions
                .iter()
                .find(|p| p.symbol == symbol)
                .and_then(|p| p.conid.clone())
            {
                named.insert(symbol.to_owned(), conid);
                continue;
            }
            match resolve(gateway, statement, symbol).await? {
                Ok((conid, ibkr_symbol)) => {
                    if ibkr_symbol != symbol {
                        say(&format!(
                            "{symbol} is IBKR's {ibkr_symbol} (conid {conid}); matched by \
                             contract id."
                        ));
                    }
                    named.insert(symbol.to_owned(), conid);
                }
                Err(problem) if required => problems.push(problem),
                Err(_) => {}
            }
        }
        let mut by_conid: BTreeMap<&str, &str> = BTreeMap::new();
        for (symbol, conid) in &named {
            if let Some(other) = by_conid.insert(conid, symbol) {
                problems.push(format!(
                    "{other} and {symbol} are the same IBKR contract (conid {conid}); keep one \
                     of them in the targets file"
                ));
            }
        }
        if !problems.is_empty() {
            bail!(
                "cannot match the targets to IBKR contracts:\n  {}\nGive the contract id in \
                 the targets file (`[SYMBOL]` then `conid = N`, as IBKR's Client Portal or TWS \
                 shows it). Nothing was placed",
                problems.join("\n  ")
            );
        }
    }
    rename_positions(gateway, statement, &named, say).await?;
    let mut conids = named;
    for p in &statement.positions {
        if let Some(conid) = &p.conid {
            conids
                .entry(p.symbol.clone())
                .or_insert_with(|| conid.clone());
        }
    }
    Ok(conids)
}

/// IBKR's contract for `symbol`: `Ok(Ok((conid, IBKR's spelling)))`, or a problem in words.
/// An ambiguous symbol with exactly one candidate held is that one.
async fn resolve(
    gateway: &Gateway,
    statement: &Statement,
    symbol: &str,
) -> Result<std::result::Result<(String, String), String>> {
    match gateway.resolve_conid(symbol).await {
        Ok(found) => Ok(Ok((found.conid, found.symbol))),
        Err(GatewayError::UnknownSymbol { .. }) => Ok(Err(format!(
            "{symbol}: IBKR lists no stock contract for it (searched as {})",
            symbol_spellings(symbol).join(", ")
        ))),
        Err(e @ GatewayError::AmbiguousSymbol { .. }) => {
            let candidates = gateway.stock_candidates(symbol).await?;
            let held: Vec<_> = candidates
                .iter()
                .filter(|c| {
                    statement
                        .positions
                        .iter()
                        .any(|p| p.conid.as_deref() == Some(c.conid.as_str()))
                })
                .collect();
            if let [one] = held.as_slice() {
                return Ok(Ok((one.conid.clone(), one.symbol.clone())));
            }
            Ok(Err(e.to_string().replace('\n', "\n  ")))
        }
        Err(other) => Err(other.into()),
    }
}

/// Positions get the targets' spelling of their contract. A position without a conid (some
/// exports) whose ticker differs from a target's only in the class separator is looked up,
/// and renamed only when IBKR confirms the same conid.
async fn rename_positions(
    gateway: &Gateway,
    statement: &mut Statement,
    named: &Conids,
    say: &dyn Fn(&str),
) -> Result<()> {
    for index in 0..statement.positions.len() {
        let position = &statement.positions[index];
        let held = position.symbol.clone();
        let target = if let Some(conid) = &position.conid {
            named
                .iter()
                .find(|(_, c)| *c == conid)
                .map(|(s, _)| s.clone())
        } else {
            let Some((symbol, conid)) = named
                .iter()
                .find(|(s, _)| **s != held && same_symbol(s, &held))
            else {
                continue;
            };
            match gateway.resolve_conid(&held).await {
                Ok(found) if &found.conid == conid => {
                    statement.positions[index].conid = Some(conid.clone());
                    Some(symbol.clone())
                }
                Ok(_)
                | Err(GatewayError::UnknownSymbol { .. } | GatewayError::AmbiguousSymbol { .. }) => {
                    None
                }
                Err(other) => return Err(other.into()),
            }
        };
        let position = &mut statement.positions[index];
        match target {
            Some(symbol) if symbol != held => {
                say(&format!(
                    "The position {held} is the targets' {symbol} (conid {}).",
                    position.conid.as_deref().unwrap_or("?")
                ));
                position.symbol = symbol;
            }
            Some(_) => {}
            None => {
                // Same ticker text, another contract: it must not count as the target.
                if let (Some(conid), Some(target_conid)) = (&position.conid, named.get(&held))
                    && conid != target_conid
                {
                    say(&format!(
                        "The position {held} (conid {conid}) is not the targets' {held} (conid \
                         {target_conid}); it is planned as a separate holding."
                    ));
                    position.symbol = format!("{held} [{conid}]");
                }
            }
        }
    }
    Ok(())
}
