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
/// use pbal_core::dec;
/// let portfolio = Portfolio::new(vec![
///     Holding::new("VTI", dec!(10), dec!(100))?,
///     Holding::new("BND", dec!(30), dec!(100))?,
///     Holding::new("ITOT", dec!(0), dec!(50))?,
/// ])?;
/// let targets = Targets::new([("VTI", dec!(0.5)), ("BND", dec!(0.5)), ("ITOT", dec!(0))])?;
/// let sold = PastTrade::new(
///     "VTI", pbal_core::date(2026, 11, 1), Side::Sell, dec!(5), Some(dec!(-120)),
/// );
/// let guard = WashSaleGuard::new(vec![sold], true);
/// let substitutes = BTreeMap::from([("VTI".to_owned(), vec!["ITOT".to_owned()])]);
/// let (targets, moved) = substitute_blocked(
///     &portfolio, &targets, dec!(0), &guard, pbal_core::date(2026, 11, 20), &substitutes,
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
    let Some(weight_now) = weight_now(portfolio, cash)? else {
        return Ok((targets.clone(), moved));
    };
    for (blocked, candidates) in substitutes {
        let Some(loss_sale) = guard.recent_loss_sale(blocked, as_of) else {
            continue;
        };
        let target = weights.get(blocked).copied().unwrap_or_default();
        let current = weight_now(blocked)?;
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

/// One blocked symbol whose buying room the other targets share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SharedTarget {
    /// The symbol sold at a loss within the window.
    pub blocked: String,
    /// The loss sale that blocks buying it.
    pub loss_sale: Date,
    /// Target weight it gave to the other targets, in proportion to theirs.
    #[serde(with = "rust_decimal::serde::str")]
    pub weight_shared: Decimal,
}

/// Targets with each blocked, underweight symbol held at its current weight and the rest of
/// its target shared by the targets that can be bought, in proportion to their weights.
///
/// Without this, a full rebalance cannot buy the blocked fund and its missing weight ends up
/// in cash: the plan sells the other funds (realizing gains) to park the proceeds until the
/// window ends. With it, the others are balanced among themselves and the blocked fund waits
/// for the next plan. [`crate::plan`] applies it to `full` and `bands` plans (buy-only sells
/// nothing to rebalance, and its new cash should not go to funds above their targets). A
/// named substitute ([`substitute_blocked`]) takes the room first.
///
/// ```
/// use pbal_core::{Holding, PastTrade, Portfolio, Side, Targets, WashSaleGuard, share_blocked};
/// use pbal_core::dec;
/// let portfolio = Portfolio::new(vec![
///     Holding::new("VTI", dec!(10), dec!(100))?,
///     Holding::new("VXUS", dec!(60), dec!(100))?,
///     Holding::new("BND", dec!(30), dec!(100))?,
/// ])?;
/// let targets = Targets::new([("VTI", dec!(0.4)), ("VXUS", dec!(0.3)), ("BND", dec!(0.3))])?;
/// let sold = PastTrade::new(
///     "VTI", pbal_core::date(2026, 11, 1), Side::Sell, dec!(5), Some(dec!(-120)),
/// );
/// let guard = WashSaleGuard::new(vec![sold], true);
/// let (targets, shared) = share_blocked(
///     &portfolio, &targets, dec!(0), &guard, pbal_core::date(2026, 11, 20),
/// )?;
/// assert_eq!(targets.weight("VTI"), dec!(0.1)); // its current weight
/// assert_eq!(targets.weight("VXUS"), dec!(0.45)); // 0.3 + 0.3 × 0.3 / 0.6
/// assert_eq!(targets.weight("BND"), dec!(0.45));
/// assert_eq!(shared[0].weight_shared, dec!(0.3));
/// # Ok::<(), pbal_core::Error>(())
/// ```
///
/// # Errors
/// Overflow, or invalid resulting targets (cannot happen for valid inputs).
pub fn share_blocked(
    portfolio: &Portfolio,
    targets: &Targets,
    cash: Decimal,
    guard: &WashSaleGuard,
    as_of: Date,
) -> Result<(Targets, Vec<SharedTarget>), Error> {
    let overflow = || Error::Overflow {
        what: "shared target weight",
    };
    let mut shared = Vec::new();
    if !guard.block_buys {
        return Ok((targets.clone(), shared));
    }
    let Some(weight_now) = weight_now(portfolio, cash)? else {
        return Ok((targets.clone(), shared));
    };
    let blocked = |s: &str| guard.recent_loss_sale(s, as_of);
    let mut weights: BTreeMap<String, Decimal> =
        targets.iter().map(|(s, w)| (s.to_owned(), w)).collect();
    let mut room = Decimal::ZERO;
    for (symbol, weight) in &mut weights {
        let Some(loss_sale) = blocked(symbol) else {
            continue;
        };
        let current = weight_now(symbol)?;
        if *weight <= current {
            continue;
        }
        let gave = *weight - current;
        *weight = current;
        room = room.checked_add(gave).ok_or_else(overflow)?;
        shared.push(SharedTarget {
            blocked: symbol.clone(),
            loss_sale,
            weight_shared: gave,
        });
    }
    let takers: Vec<(String, Decimal)> = weights
        .iter()
        .filter(|(s, w)| **w > Decimal::ZERO && blocked(s).is_none())
        .map(|(s, w)| (s.clone(), *w))
        .collect();
    let base: Decimal = takers.iter().map(|(_, w)| *w).sum();
    if room.is_zero() || base.is_zero() {
        // Nobody can take it: the targets stay as they were.
        return Ok((targets.clone(), Vec::new()));
    }
    // Each taker's share, rounded; the last takes what rounding left so the sum is exact.
    let mut left = room;
    for (i, (symbol, weight)) in takers.iter().enumerate() {
        let share = if i + 1 == takers.len() {
            left
        } else {
            room.checked_mul(*weight)
                .and_then(|r| r.checked_div(base))
                .ok_or_else(overflow)?
                .round_dp(12)
        };
        left -= share;
        let entry = weights.entry(symbol.clone()).or_default();
        *entry = entry.checked_add(share).ok_or_else(overflow)?;
    }
    Ok((Targets::new(weights)?, shared))
}

/// Each symbol's weight in the portfolio with `cash`, as blocked funds keep it as their
/// target; `None` when the total is not positive (there are no weights to keep).
fn weight_now(
    portfolio: &Portfolio,
    cash: Decimal,
) -> Result<Option<impl Fn(&str) -> Result<Decimal, Error> + '_>, Error> {
    let total = portfolio
        .total_value()?
        .checked_add(cash)
        .ok_or(Error::Overflow {
            what: "total value",
        })?;
    if total <= Decimal::ZERO {
        return Ok(None);
    }
    Ok(Some(move |symbol: &str| {
        portfolio
            .get(symbol)
            .map_or(Decimal::ZERO, |h| h.value)
            .checked_div(total)
            .ok_or(Error::Overflow {
                what: "current weight",
            })
    }))
}
