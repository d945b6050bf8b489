use rust_decimal::Decimal;

use crate::{Error, Plan, PlanOptions, Portfolio, Targets};

/// Makes the plan for `portfolio` toward `targets` with `cash` to invest (negative: to raise).
pub fn plan(
    portfolio: &Portfolio,
    targets: &Targets,
    cash: Decimal,
    options: &PlanOptions,
) -> Result<Plan, Error> {
    let _ = (portfolio, targets, cash, options);
    Err(Error::NoAssets)
}
