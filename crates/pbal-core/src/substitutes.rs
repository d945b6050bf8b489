//! Wash-sale substitutes: when the guard blocks buying a symbol sold at a loss in the last 30
//! days, its buying room goes to an equivalent fund the user named (e.g. VTI → ITOT), so the
//! allocation still moves toward its targets without washing the loss.

use std::collections::BTreeMap;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::{Error, Portfolio, Targets, WashSaleGuard};

/// One blocked symbol whose target moved to a substitute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Substitution {
    /// The symbol sold at a loss within the window.
    pub blocked: String,
    /// The fund bought instead.
    pub substitute: String,
    /// The loss sale that blocks buying `blocked`.
    pub loss_sale: Date,
    /// Target weight moved from `blocked` to `substitute`.
    #[serde(with = "rust_decimal::serde::str")]
    pub weight_moved: Decimal,
}

/// Targets with each blocked symbol's buying room moved to its first usable substitute.
///
/// A blocked symbol keeps its current weight as its target (so it is neither bought nor sold
/// for being under target); the rest of its target goes to the first substitute that is in the
/// portfolio (held, or added at its price with no shares) and not blocked itself. Weights still
/// sum to exactly the same total.
///
/// ```
/// use std::collections::BTreeMap;
/// use pbal_core::{Holding, PastTrade, Portfolio, Side, Targets, WashSaleGuard, substitute_blocked};
/// use rust_decimal::dec;
/// let portfolio = Portfolio::new(vec![
///     Holding::new("VTI", dec!(10), dec!(100))?,
///     Holding::new("BND", dec!(30), dec!(100))?,
///     Holding::new("ITOT", dec!(0), dec!(50))?,
/// ])?;
/// let targets = Targets::new([("VTI", dec!(0.5)), ("BND", dec!(0.5)), ("ITOT", dec!(0))])?;
/// let sold = PastTrade::new(
///     "VTI", jiff::civil::date(2026, 11, 1), Side::Sell, dec!(5), Some(dec!(-120)),
/// );
/// let guard = WashSaleGuard::new(vec![sold], true);
/// let substitutes = BTreeMap::from([("VTI".to_owned(), vec!["ITOT".to_owned()])]);
/// let (targets, moved) = substitute_blocked(
///     &portfolio, &targets, dec!(0), &guard, jiff::civil::date(2026, 11, 20), &substitutes,
/// )?;
/// assert_eq!(targets.weight("VTI"), dec!(0.25)); // its current weight
/// assert_eq!(targets.weight("ITOT"), dec!(0.25));
/// assert_eq!(moved[0].substitute, "ITOT");
/// # Ok::<(), pbal_core::Error>(())
/// ```
///
/// # Errors
/// Overflow, or invalid resulting targets (cannot happen for valid inputs).
pub fn substitute_blocked(
    portfolio: &Portfolio,
    targets: &Targets,
    cash: Decimal,
    guard: &WashSaleGuard,
    as_of: Date,
    substitutes: &BTreeMap<String, Vec<String>>,
) -> Result<(Targets, Vec<Substitution>), Error> {
    let mut weights: BTreeMap<String, Decimal> =
        targets.iter().map(|(s, w)| (s.to_owned(), w)).collect();
    let mut moved = Vec::new();
    if !guard.block_buys {
        return Ok((targets.clone(), moved));
    }
    let total = portfolio
        .total_value()?
        .checked_add(cash)
        .ok_or(Error::Overflow {
            what: "total value",
        })?;
    if total <= Decimal::ZERO {
        return Ok((targets.clone(), moved));
    }
    for (blocked, candidates) in substitutes {
        let Some(loss_sale) = guard.recent_loss_sale(blocked, as_of) else {
            continue;
        };
        let target = weights.get(blocked).copied().unwrap_or_default();
        let value = portfolio.get(blocked).map_or(Decimal::ZERO, |h| h.value);
        let current = value.checked_div(total).ok_or(Error::Overflow {
            what: "current weight",
        })?;
        if target <= current {
            continue;
        }
        let Some(substitute) = candidates.iter().find(|c| {
            *c != blocked
                && portfolio.get(c).is_some()
                && guard.recent_loss_sale(c, as_of).is_none()
        }) else {
            continue;
        };
        let overflow = || Error::Overflow {
            what: "substitute weight",
        };
        let room = target.checked_sub(current).ok_or_else(overflow)?;
        weights.insert(blocked.clone(), current);
        let weight = weights.entry(substitute.clone()).or_default();
        *weight = weight.checked_add(room).ok_or_else(overflow)?;
        moved.push(Substitution {
            blocked: blocked.clone(),
            substitute: substitute.clone(),
            loss_sale,
            weight_moved: room,
        });
    }
    Ok((Targets::new(weights)?, moved))
}
