//! What a bands plan leaves in cash, and the buy-only plan that would invest it. Bands trade
//! only the assets outside their bands, so a large sale can leave its proceeds waiting in cash:
//! the plan says so and names the orders that would put that cash to work.

use crate::{Error, Holding, Plan, PlanNote, PlanOptions, Portfolio, Strategy, Targets};

/// The note for a bands `plan` made from `portfolio` that leaves cash a buy-only plan would
/// invest: that plan made on the positions after `plan`'s orders, with the cash they leave.
/// `None` when the strategy is not bands, the plan must raise cash, or buy-only would buy
/// nothing with what is left.
pub(crate) fn note(
    portfolio: &Portfolio,
    targets: &Targets,
    plan: &Plan,
    options: &PlanOptions,
) -> Result<Option<PlanNote>, Error> {
    let left = plan.cash.left;
    if options.strategy != Strategy::Bands
        || plan.cash.available < options.reserve
        || left <= options.reserve
    {
        return Ok(None);
    }
    let held: Vec<Holding> = plan
        .positions
        .iter()
        .map(|p| {
            let lots = portfolio
                .get(&p.symbol)
                .map(|h| h.lots.clone())
                .unwrap_or_default();
            Holding::valued(
                p.symbol.clone(),
                p.quantity + p.trade_quantity,
                p.price,
                p.value_after,
            )
            .with_lots(lots)
        })
        .collect();
    let after = Portfolio::new(held)?;
    let mut buy_only = options.clone();
    buy_only.strategy = Strategy::BuyOnly;
    buy_only.bands = None;
    // A follow-up the user may or may not run: failing to make it must not fail the plan.
    let Ok(invest) = crate::plan(&after, targets, left, &buy_only) else {
        return Ok(None);
    };
    if invest.trades.is_empty() {
        return Ok(None);
    }
    Ok(Some(PlanNote::BandsLeaveCash {
        left,
        weight: plan.cash_weight_after,
        invest: invest.trades,
        left_after_invest: invest.cash.left,
    }))
}
