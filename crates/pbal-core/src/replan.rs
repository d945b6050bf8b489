//! The buys of a rebalance, planned again once its sells have filled, within the cash they
//! really raised: fills come at other prices than the plan assumed, and a cash account can
//! only spend what arrived.

use rust_decimal::Decimal;

use crate::plan::{Side, Trade};
use crate::{Error, PlanOptions, Portfolio, Strategy, Targets};

/// Re-plans the buys of a rebalance after its sells.
///
/// - `portfolio` is the portfolio the confirmed plan was made from (before the sells);
///   `sold` is what the sells really sold, `(symbol, shares)`: those holdings shrink by it
///   (their lots are dropped: a buy does not need them).
/// - `confirmed` is the plan the user saw and confirmed: no symbol is bought that it did not
///   buy, and never more shares of one than it showed.
/// - `budget` is the cash the buys may spend (negative counts as zero).
///
/// The buys come from a plain buy-only plan (no bands) of the portfolio after the sells,
/// with `budget` as its cash, each capped at the confirmed quantity. So they never spend
/// more than `budget` (amounts plus estimated commissions), and with nothing sold and the
/// confirmed buy-only plan's own cash they are that plan's buys.
///
/// ```
/// use pbal_core::{Holding, PlanOptions, Portfolio, Side, Strategy, Targets, dec, replan_buys};
/// let portfolio = Portfolio::new(vec![
///     Holding::new("VTI", dec!(10), dec!(100))?,
///     Holding::new("BND", dec!(30), dec!(50))?,
/// ])?;
/// let targets = Targets::new([("VTI", dec!(0.5)), ("BND", dec!(0.5))])?;
/// let options = PlanOptions::new().with_strategy(Strategy::Full);
/// let plan = pbal_core::plan(&portfolio, &targets, dec!(0), &options)?;
/// let planned_vti = plan.trades.iter().find(|t| t.symbol == "VTI").map(|t| t.quantity);
/// assert_eq!(planned_vti, Some(dec!(2)));
/// // The plan sells BND to buy VTI; the sale filled lower than planned: 150 arrived.
/// let buys = replan_buys(&portfolio, &targets, &options, &plan.trades, &[("BND", dec!(5))], dec!(150))?;
/// assert_eq!(buys.len(), 1);
/// assert_eq!((buys[0].side, buys[0].symbol.as_str(), buys[0].quantity), (Side::Buy, "VTI", dec!(1)));
/// # Ok::<(), pbal_core::Error>(())
/// ```
///
/// # Errors
/// What [`crate::plan`] refuses for the portfolio after the sells.
pub fn replan_buys<S: AsRef<str>>(
    portfolio: &Portfolio,
    targets: &Targets,
    options: &PlanOptions,
    confirmed: &[Trade],
    sold: &[(S, Decimal)],
    budget: Decimal,
) -> Result<Vec<Trade>, Error> {
    let mut holdings = portfolio.holdings().to_vec();
    for (symbol, shares) in sold {
        if let Some(h) = holdings.iter_mut().find(|h| h.symbol == symbol.as_ref()) {
            h.quantity = h
                .quantity
                .checked_sub(*shares)
                .unwrap_or(Decimal::ZERO)
                .max(Decimal::ZERO);
            h.value = h.quantity.checked_mul(h.price).ok_or(Error::Overflow {
                what: "value after the sells",
            })?;
            h.lots.clear();
        }
    }
    let after_sells = Portfolio::new(holdings)?;
    let options = PlanOptions {
        strategy: Strategy::BuyOnly,
        bands: None,
        ..options.clone()
    };
    let replanned = crate::plan(&after_sells, targets, budget.max(Decimal::ZERO), &options)?;
    let cap_of = |symbol: &str| {
        confirmed
            .iter()
            .find(|t| t.side == Side::Buy && t.symbol == symbol)
            .map(|t| t.quantity)
    };
    Ok(replanned
        .trades
        .into_iter()
        .filter(|t| t.side == Side::Buy)
        .filter_map(|mut t| {
            let cap = cap_of(&t.symbol)?;
            if t.quantity > cap {
                t.quantity = cap;
                t.amount = cap.checked_mul(t.price)?;
                t.commission = options.commission.estimate(cap, t.price);
            }
            (!t.quantity.is_zero()).then_some(t)
        })
        .collect())
}
