//! The currency half of the plan audit: pbal-core plans in the base currency and knows no
//! currencies, so the check that every order's own-currency figures agree with the plan's
//! base-currency ones lives here, beside the conversion rates that made them.

use std::collections::BTreeMap;

use pbal_core::{AuditFailure, Plan};
use rust_decimal::Decimal;

use crate::Holdings;

/// Checks, for every order of `plan` made from `holdings`: its price in its own currency
/// times the rate to base is the base price the plan used, and per currency, the orders'
/// amounts in that currency convert to the plan's base-currency amounts (so cash is conserved
/// in each currency, not only in the base).
///
/// # Errors
/// An [`AuditFailure`] with the rule `currencies` when an order's price in its currency times
/// its rate is not the plan's price, when a currency's orders do not convert to the plan's
/// amounts, or when an order is too large to convert.
///
/// ```
/// use std::collections::BTreeSet;
/// use pbal_core::{PlanOptions, Targets, plan};
/// use pbal_ibkr::{AccountSelection, audit_currencies, read_bytes};
/// use pbal_core::dec;
/// let csv = "Symbol,PositionValue,MarkPrice,FifoPnlUnrealized\nVTI,2500,250,0\nBND,750,75,0\n";
/// let statement = read_bytes(csv.as_bytes(), "positions.csv")?;
/// let holdings = statement.to_holdings(&AccountSelection::Single, &BTreeSet::new())?;
/// let targets = Targets::equal(["VTI", "BND"])?;
/// let p = plan(&holdings.portfolio, &targets, dec!(1000), &PlanOptions::default())?;
/// assert!(audit_currencies(&p, &holdings).is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn audit_currencies(plan: &Plan, holdings: &Holdings) -> Result<(), AuditFailure> {
    let fail = |detail: String| Err(AuditFailure::new("currencies", detail));
    // currency -> (amount in that currency converted to base, amount in base)
    let mut per_currency: BTreeMap<&str, (Decimal, Decimal)> = BTreeMap::new();
    for t in &plan.trades {
        let Some(instrument) = holdings.instruments.get(&t.symbol) else {
            // A target not held yet trades in the base currency at the plan's price.
            continue;
        };
        let too_large = || {
            Err(AuditFailure::new(
                "currencies",
                format!("{}: the order is too large to convert", t.symbol),
            ))
        };
        let Some(base_price) = instrument
            .local_price
            .checked_mul(instrument.fx_rate_to_base)
        else {
            return too_large();
        };
        if base_price != t.price {
            return fail(format!(
                "{}: {} in its currency at a rate of {} is {base_price}, not the plan's {}",
                t.symbol, instrument.local_price, instrument.fx_rate_to_base, t.price
            ));
        }
        let currency = instrument.currency.as_deref().unwrap_or("");
        let entry = per_currency.entry(currency).or_default();
        let converted = t
            .quantity
            .checked_mul(instrument.local_price)
            .and_then(|x| x.checked_mul(instrument.fx_rate_to_base))
            .and_then(|x| x.checked_add(entry.0));
        let (Some(converted), Some(base)) = (converted, entry.1.checked_add(t.amount)) else {
            return too_large();
        };
        *entry = (converted, base);
    }
    for (currency, (converted, base)) in per_currency {
        if converted != base {
            return fail(format!(
                "the orders in {currency} convert to {converted}, the plan counts {base}"
            ));
        }
    }
    Ok(())
}
