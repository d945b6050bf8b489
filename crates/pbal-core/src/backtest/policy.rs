//! Rebalancing policies: when to act and which trades are allowed.

use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::BacktestError;
use crate::Strategy;

/// When a policy asks pbal for a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Schedule {
    /// On the first price date of every month.
    Monthly,
    /// On the first price date of every quarter.
    Quarterly,
    /// On the first price date of every year.
    Annually,
    /// On any date where some asset is outside its tolerance band (the options' bands; by
    /// default min(5 percentage points, 25% of its target) away from its target weight); a
    /// contribution on another date is invested buy-only.
    Bands,
    /// Never: the initial amount and each contribution buy the target mix as they arrive,
    /// without looking at drift (buy and hold).
    Never,
}

impl Schedule {
    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Monthly => "monthly",
            Self::Quarterly => "quarterly",
            Self::Annually => "annually",
            Self::Bands => "bands",
            Self::Never => "never",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "monthly" | "month" => Self::Monthly,
            "quarterly" | "quarter" => Self::Quarterly,
            "annually" | "annual" | "yearly" | "year" => Self::Annually,
            "bands" | "band" => Self::Bands,
            "never" => Self::Never,
            _ => return None,
        })
    }
}

/// How often contributions arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Every {
    /// On the first price date of every month.
    #[default]
    Month,
    /// On the first price date of every quarter.
    Quarter,
    /// On the first price date of every year.
    Year,
}

/// A calendar period: which month, quarter or year a date falls in.
pub(super) fn period(date: Date, months: i8) -> (i16, i8) {
    (date.year(), (date.month() - 1) / months)
}

impl Every {
    /// Whether `date` starts a new period after `previous`.
    pub(super) fn starts(self, previous: Date, date: Date) -> bool {
        let months = match self {
            Self::Month => 1,
            Self::Quarter => 3,
            Self::Year => 12,
        };
        period(previous, months) != period(date, months)
    }
}

/// A rebalancing policy: a schedule and the strategy its plans use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Which trades the plans may make.
    pub strategy: Strategy,
    /// When plans are made.
    pub schedule: Schedule,
}

impl Policy {
    /// The never-rebalance baseline.
    pub const NEVER: Self = Self {
        strategy: Strategy::BuyOnly,
        schedule: Schedule::Never,
    };

    /// A policy; `never` ignores the strategy (it only ever buys the target mix).
    pub fn new(strategy: Strategy, schedule: Schedule) -> Self {
        if schedule == Schedule::Never {
            return Self::NEVER;
        }
        Self { strategy, schedule }
    }

    /// Parses `quarterly`, `full-quarterly`, `buy-only-annually`, `bands-quarterly`, `bands`,
    /// `never`…; a bare schedule takes `default_strategy`, except `bands`, which is the bands
    /// strategy (trade only the assets outside their band, when some are).
    ///
    /// # Errors
    /// [`BacktestError::UnknownPolicy`] when what is left after the strategy prefix is not a
    /// schedule name (`monthly`, `quarterly`, `annually`, `bands`, `never`, or a short form such
    /// as `quarter`).
    ///
    /// ```
    /// use pbal_core::backtest::{Policy, Schedule};
    /// use pbal_core::Strategy;
    /// let p = Policy::parse("full-quarterly", Strategy::BuyOnly)?;
    /// assert_eq!((p.strategy, p.schedule), (Strategy::Full, Schedule::Quarterly));
    /// assert_eq!(Policy::parse("annually", Strategy::Full)?.to_string(), "full-annually");
    /// assert_eq!(Policy::parse("never", Strategy::Full)?, Policy::NEVER);
    /// # Ok::<(), pbal_core::backtest::BacktestError>(())
    /// ```
    pub fn parse(text: &str, default_strategy: Strategy) -> Result<Self, BacktestError> {
        let lower = text.trim().to_ascii_lowercase().replace('_', "-");
        let (strategy, rest) = if let Some(rest) = lower.strip_prefix("buy-only-") {
            (Strategy::BuyOnly, rest)
        } else if let Some(rest) = lower.strip_prefix("full-") {
            (Strategy::Full, rest)
        } else if let Some(rest) = lower.strip_prefix("bands-") {
            (Strategy::Bands, rest)
        } else if lower == "bands" || lower == "band" {
            // A bare `bands` is the bands strategy on the bands trigger: trade what is outside.
            (Strategy::Bands, lower.as_str())
        } else {
            (default_strategy, lower.as_str())
        };
        Schedule::parse(rest)
            .map(|schedule| Self::new(strategy, schedule))
            .ok_or_else(|| BacktestError::UnknownPolicy {
                name: text.to_owned(),
            })
    }
}

impl fmt::Display for Policy {
    /// `never`, `bands` (the bands strategy on the bands trigger), or `STRATEGY-SCHEDULE`
    /// such as `full-quarterly`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.schedule == Schedule::Never {
            return f.write_str("never");
        }
        if (self.strategy, self.schedule) == (Strategy::Bands, Schedule::Bands) {
            return f.write_str("bands");
        }
        write!(f, "{}-{}", self.strategy.name(), self.schedule.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn parses_names() {
        let p = |s| Policy::parse(s, Strategy::BuyOnly).map(|p| p.to_string());
        assert_eq!(p("quarterly").unwrap(), "buy-only-quarterly");
        assert_eq!(p("Full-Annually").unwrap(), "full-annually");
        assert_eq!(p("buy_only_bands").unwrap(), "buy-only-bands");
        assert_eq!(p("bands").unwrap(), "bands");
        assert_eq!(p("bands-bands").unwrap(), "bands");
        assert_eq!(p("full-never").unwrap(), "never");
        assert_eq!(p("bands-quarterly").unwrap(), "bands-quarterly");
        assert!(matches!(
            p("weekly"),
            Err(BacktestError::UnknownPolicy { .. })
        ));
    }

    #[test]
    fn periods_start_on_the_first_date_of_a_new_month_quarter_or_year() {
        let (jan, feb, apr) = (date(2020, 1, 31), date(2020, 2, 3), date(2020, 4, 1));
        assert!(Every::Month.starts(jan, feb));
        assert!(!Every::Month.starts(feb, date(2020, 2, 28)));
        assert!(!Every::Quarter.starts(jan, feb));
        assert!(Every::Quarter.starts(feb, apr));
        assert!(!Every::Year.starts(jan, apr));
        assert!(Every::Year.starts(date(2020, 12, 31), date(2021, 1, 4)));
    }
}
