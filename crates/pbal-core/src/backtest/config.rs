//! What a backtest simulates besides the prices and the policy.

use rust_decimal::Decimal;

use super::{BacktestError, Every, Policy, Schedule};
use crate::{Destination, PlanOptions, Strategy, Targets};

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

/// Why [`Sizing::Continuous`] cannot simulate a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContinuousConflict {
    /// The options estimate a commission (exact weights have no costs).
    Commission,
    /// The options have a minimum trade.
    MinTrade,
    /// The policy rebalances with another strategy than full.
    NotFull(Policy),
    /// A bands policy with contributions.
    BandsWithContributions,
    /// A threshold policy with contributions (on the dates it does not trade, it invests
    /// them buy-only).
    ThresholdWithContributions,
    /// Trades to a band's edge or halfway (the options' destination) for a threshold or
    /// bands policy: exact weights only reach the target.
    NotToTarget,
}

impl std::fmt::Display for ContinuousConflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Commission => "continuous sizing needs no commission",
            Self::MinTrade => "continuous sizing needs no minimum trade",
            Self::NotFull(_) => "continuous sizing needs the full strategy or never",
            Self::BandsWithContributions => "continuous sizing of bands needs no contributions",
            Self::ThresholdWithContributions => {
                "continuous sizing of a threshold policy needs no contributions"
            }
            Self::NotToTarget => "continuous sizing trades to the target, not to a band's edge",
        })
    }
}

/// Why continuous sizing cannot simulate `policy` with these plan `options` and
/// `contribution` (`None`: it can). Continuous sizing reaches the target weights exactly, so it
/// needs no costs, no minimum trade, and full rebalancing (or never) to the target; bands or
/// thresholds with contributions are not simulated. [`Config`]'s checks and
/// [`Config::continuous_applies`] use it; it needs no price table, so it can check
/// a user's settings before any work.
///
/// ```
/// use pbal_core::backtest::{ContinuousConflict, Policy, Schedule, continuous_conflict};
/// use pbal_core::{PlanOptions, Strategy, dec};
/// let options = PlanOptions::new();
/// let buy_only = Policy::new(Strategy::BuyOnly, Schedule::Monthly);
/// assert_eq!(
///     continuous_conflict(&options, dec!(0), buy_only),
///     Some(ContinuousConflict::NotFull(buy_only))
/// );
/// assert_eq!(continuous_conflict(&options, dec!(100), Policy::NEVER), None);
/// ```
pub fn continuous_conflict(
    options: &PlanOptions,
    contribution: Decimal,
    policy: Policy,
) -> Option<ContinuousConflict> {
    if options.charges_commission() {
        Some(ContinuousConflict::Commission)
    } else if !options.min_trade.is_zero() {
        Some(ContinuousConflict::MinTrade)
    } else if policy.schedule != Schedule::Never && policy.strategy != Strategy::Full {
        Some(ContinuousConflict::NotFull(policy))
    } else if policy.schedule == Schedule::Bands && !contribution.is_zero() {
        Some(ContinuousConflict::BandsWithContributions)
    } else if !policy.threshold_or_zero().is_zero() && !contribution.is_zero() {
        Some(ContinuousConflict::ThresholdWithContributions)
    } else if (policy.schedule == Schedule::Bands || !policy.threshold_or_zero().is_zero())
        && options
            .bands
            .is_some_and(|b| b.destination != Destination::Target)
    {
        Some(ContinuousConflict::NotToTarget)
    } else {
        None
    }
}

/// Targets, money flows and plan options of a backtest.
///
/// Build it with [`Config::new`] and the `with_*` setters, or assign fields: the type may
/// grow, so struct literals are not allowed outside this crate.
///
/// ```
/// use pbal_core::backtest::{Config, Every, Sizing};
/// use pbal_core::{PlanOptions, Targets, dec};
/// let config = Config::new(Targets::equal(["A", "B"])?, dec!(10000))
///     .with_contribution(dec!(500))
///     .with_every(Every::Month)
///     .with_options(PlanOptions::new().with_min_trade(dec!(50)))
///     .with_sizing(Sizing::Plan);
/// assert_eq!(config.contribution, dec!(500));
/// # Ok::<(), pbal_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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

    /// Cash added on the first date of every period after the first.
    #[must_use]
    pub fn with_contribution(mut self, contribution: Decimal) -> Self {
        self.contribution = contribution;
        self
    }

    /// How often the contribution arrives.
    #[must_use]
    pub fn with_every(mut self, every: Every) -> Self {
        self.every = every;
        self
    }

    /// Options of every plan (the strategy comes from the policy).
    #[must_use]
    pub fn with_options(mut self, options: PlanOptions) -> Self {
        self.options = options;
        self
    }

    /// Plan-sized or continuous trades.
    #[must_use]
    pub fn with_sizing(mut self, sizing: Sizing) -> Self {
        self.sizing = sizing;
        self
    }

    /// Whether [`Sizing::Continuous`] can simulate every one of `policies` with this
    /// config's options and contributions (e.g. to size fractional shares exactly whenever
    /// that is possible).
    ///
    /// ```
    /// use pbal_core::backtest::{Config, Policy, Schedule};
    /// use pbal_core::{Commission, Strategy, Targets, dec};
    /// let mut config = Config::new(Targets::equal(["A"])?, dec!(1000));
    /// let full = Policy::new(Strategy::Full, Schedule::Quarterly);
    /// assert!(config.continuous_applies(&[full, Policy::NEVER]));
    /// config.options.commission = Commission::IbkrFixed;
    /// assert!(!config.continuous_applies(&[full]));
    /// # Ok::<(), pbal_core::Error>(())
    /// ```
    pub fn continuous_applies(&self, policies: &[Policy]) -> bool {
        policies
            .iter()
            .all(|&p| continuous_conflict(&self.options, self.contribution, p).is_none())
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
        if self.sizing == Sizing::Continuous
            && let Some(conflict) = continuous_conflict(&self.options, self.contribution, policy)
        {
            return invalid("sizing", &conflict.to_string());
        }
        Ok(())
    }
}
