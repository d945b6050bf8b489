//! What a backtest simulates besides the prices and the policy.

use rust_decimal::Decimal;

use super::{BacktestError, Every, Policy, Schedule};
use crate::{PlanOptions, Strategy, Targets};

/// How trades are sized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Sizing {
    /// The plans `pbal plan` would make (whole shares, or the options' quantity step).
    #[default]
    Plan,
    /// Exact target weights with no rounding at all. Only for checking the simulation against
    /// other backtesters: it needs no commission, no minimum trade, and the full strategy (or
    /// `never`); `bands` with contributions is not supported.
    Continuous,
}

/// Targets, money flows and plan options of a backtest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Target weights. Symbols of the price table without a target are ignored. Until a
    /// symbol has its first price, the other targets are scaled up to sum to 1.
    pub targets: Targets,
    /// Cash invested on the first date.
    pub initial: Decimal,
    /// Cash added on the first date of every period after the first.
    pub contribution: Decimal,
    /// How often the contribution arrives.
    pub every: Every,
    /// Options of every plan (as `pbal plan`'s); the strategy comes from the policy.
    pub options: PlanOptions,
    /// Plan-sized or continuous trades.
    pub sizing: Sizing,
}

impl Config {
    /// `initial` invested toward `targets` with default plan options, no contributions.
    pub fn new(targets: Targets, initial: Decimal) -> Self {
        Self {
            targets,
            initial,
            contribution: Decimal::ZERO,
            every: Every::Month,
            options: PlanOptions::default(),
            sizing: Sizing::Plan,
        }
    }

    /// Checks the amounts and, for continuous sizing, that `policy` can be simulated.
    pub(super) fn validate(&self, policy: Policy) -> Result<(), BacktestError> {
        let invalid = |setting, reason: &str| {
            Err(BacktestError::InvalidConfig {
                setting,
                reason: reason.to_owned(),
            })
        };
        if self.initial < Decimal::ZERO {
            return invalid("initial", "must not be negative");
        }
        if self.contribution < Decimal::ZERO {
            return invalid(
                "contribution",
                "must not be negative (withdrawals are not simulated)",
            );
        }
        if self.sizing == Sizing::Continuous {
            if self.options.charges_commission() {
                return invalid("sizing", "continuous sizing needs no commission");
            }
            if !self.options.min_trade.is_zero() {
                return invalid("sizing", "continuous sizing needs no minimum trade");
            }
            if policy.schedule != Schedule::Never && policy.strategy != Strategy::Full {
                return invalid(
                    "sizing",
                    "continuous sizing needs the full strategy or never",
                );
            }
            if policy.schedule == Schedule::Bands && !self.contribution.is_zero() {
                return invalid(
                    "sizing",
                    "continuous sizing of bands needs no contributions",
                );
            }
        }
        Ok(())
    }
}
