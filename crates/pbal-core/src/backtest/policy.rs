//! Rebalancing policies: when to look, when to act, and which trades are allowed.

use std::fmt;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::BacktestError;
use crate::{Bands, Strategy};

/// When a policy looks at the portfolio (and, without a threshold, plans).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Schedule {
    /// On the first price date of every month.
    Monthly,
    /// On the first price date of every quarter.
    Quarterly,
    /// On the first price date of every half year (January and July).
    Semiannually,
    /// On the first price date of every year.
    Annually,
    /// On any date where some asset is outside its tolerance band (the policy's bands, else
    /// the options' bands, by default min(5 percentage points, 25% of its target) away from
    /// its target weight); a contribution on another date is invested buy-only.
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
            Self::Semiannually => "semiannually",
            Self::Annually => "annually",
            Self::Bands => "bands",
            Self::Never => "never",
        }
    }

    /// Months per period of a calendar schedule; `None` for bands and never.
    pub(super) fn months(self) -> Option<i8> {
        match self {
            Self::Monthly => Some(1),
            Self::Quarterly => Some(3),
            Self::Semiannually => Some(6),
            Self::Annually => Some(12),
            Self::Bands | Self::Never => None,
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "monthly" | "month" => Self::Monthly,
            "quarterly" | "quarter" => Self::Quarterly,
            "semiannually" | "semiannual" | "half-yearly" | "semi-annually" => Self::Semiannually,
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

/// A rebalancing policy: a schedule, the strategy its plans use, and what triggers a trade
/// on the schedule's dates.
///
/// Build it with [`Policy::new`] and [`Policy::with_threshold`] or [`Policy::with_bands`], or
/// [`Policy::parse`] a name: the type may grow, so struct literals are not allowed outside
/// this crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Policy {
    /// Which trades the plans may make.
    pub strategy: Strategy,
    /// When the policy looks (and, without a threshold, plans).
    pub schedule: Schedule,
    /// For a calendar schedule: trade on its dates only when some asset's weight is more than
    /// this far from its target (a weight: 0.05 = 5 percentage points). On the dates it does
    /// not trade, contributions that arrived since the last look are invested buy-only.
    /// `None` (or 0): plan on every date of the schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<Decimal>,
    /// For [`Schedule::Bands`]: the band widths (its destination is the config options'
    /// one); `None`: the config options' bands, or the 5/25 rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bands: Option<Bands>,
}

impl Policy {
    /// The never-rebalance baseline.
    pub const NEVER: Self = Self {
        strategy: Strategy::BuyOnly,
        schedule: Schedule::Never,
        threshold: None,
        bands: None,
    };

    /// A policy; `never` ignores the strategy (it only ever buys the target mix).
    pub fn new(strategy: Strategy, schedule: Schedule) -> Self {
        if schedule == Schedule::Never {
            return Self::NEVER;
        }
        Self {
            strategy,
            schedule,
            threshold: None,
            bands: None,
        }
    }

    /// The same policy trading on its schedule's dates only when some asset's weight is more
    /// than `threshold` (a weight: 0.05 = 5 percentage points) from its target. Ignored by
    /// `bands` and `never`.
    #[must_use]
    pub fn with_threshold(mut self, threshold: Decimal) -> Self {
        if self.schedule.months().is_some() {
            self.threshold = Some(threshold.normalize());
        }
        self
    }

    /// The same `bands` policy with its own band widths. Ignored by other schedules.
    #[must_use]
    pub fn with_bands(mut self, bands: Bands) -> Self {
        if self.schedule == Schedule::Bands {
            self.bands = Some(bands);
        }
        self
    }

    /// The threshold, 0 when there is none.
    pub(super) fn threshold_or_zero(&self) -> Decimal {
        self.threshold.unwrap_or_default()
    }

    /// Parses `[STRATEGY-]SCHEDULE[:THRESHOLD]`: `quarterly`, `full-quarterly:5`,
    /// `buy-only-annually`, `bands-quarterly`, `bands`, `bands:3/20`, `never`… STRATEGY is
    /// `full`, `buy-only` or `bands`; a bare schedule takes `default_strategy`, except
    /// `bands`, which is the bands strategy (trade only the assets outside their band, when
    /// some are). THRESHOLD, in percentage points, applies to a calendar schedule (on its
    /// dates, trade only when some asset's weight is more than THRESHOLD points from its
    /// target); `bands:ABS/REL` sets the bands' absolute (percentage points) and relative
    /// (percent of the target) widths.
    ///
    /// # Errors
    /// [`BacktestError::UnknownPolicy`] when what is left after the strategy prefix is not a
    /// schedule name (`monthly`, `quarterly`, `semiannually`, `annually`, `bands`, `never`, or
    /// a short form such as `quarter`), when the threshold is not a non-negative number, or is
    /// given to `never`, or when `bands` has no `ABS/REL` after its colon.
    ///
    /// ```
    /// use pbal_core::backtest::{Policy, Schedule};
    /// use pbal_core::{Strategy, dec};
    /// let p = Policy::parse("full-quarterly:5", Strategy::BuyOnly)?;
    /// assert_eq!((p.strategy, p.schedule), (Strategy::Full, Schedule::Quarterly));
    /// assert_eq!(p.threshold, Some(dec!(0.05)));
    /// assert_eq!(p.to_string(), "full-quarterly:5");
    /// assert_eq!(Policy::parse("annually", Strategy::Full)?.to_string(), "full-annually");
    /// assert_eq!(Policy::parse("never", Strategy::Full)?, Policy::NEVER);
    /// let bands = Policy::parse("bands:3/20", Strategy::Full)?.bands.unwrap();
    /// assert_eq!((bands.absolute, bands.relative), (dec!(0.03), dec!(0.2)));
    /// # Ok::<(), pbal_core::backtest::BacktestError>(())
    /// ```
    pub fn parse(text: &str, default_strategy: Strategy) -> Result<Self, BacktestError> {
        let unknown = || BacktestError::UnknownPolicy {
            name: text.to_owned(),
        };
        let lower = text.trim().to_ascii_lowercase().replace('_', "-");
        let (name, setting) = match lower.split_once(':') {
            Some((name, setting)) => (name.trim(), Some(setting.trim())),
            None => (lower.as_str(), None),
        };
        let (strategy, rest) = if let Some(rest) = name.strip_prefix("buy-only-") {
            (Strategy::BuyOnly, rest)
        } else if let Some(rest) = name.strip_prefix("full-") {
            (Strategy::Full, rest)
        } else if let Some(rest) = name.strip_prefix("bands-") {
            (Strategy::Bands, rest)
        } else if name == "bands" || name == "band" {
            // A bare `bands` is the bands strategy on the bands trigger: trade what is outside.
            (Strategy::Bands, name)
        } else {
            (default_strategy, name)
        };
        let policy = Self::new(strategy, Schedule::parse(rest).ok_or_else(unknown)?);
        let Some(setting) = setting else {
            return Ok(policy);
        };
        match policy.schedule {
            Schedule::Never => Err(unknown()),
            Schedule::Bands => {
                let (absolute, relative) = setting.split_once('/').ok_or_else(unknown)?;
                let absolute = percent(absolute).ok_or_else(unknown)?;
                let relative = percent(relative).ok_or_else(unknown)?;
                Ok(policy.with_bands(Bands::new(absolute, relative)))
            }
            _ => Ok(policy.with_threshold(percent(setting).ok_or_else(unknown)?)),
        }
    }
}

/// `5` or `5%` as the weight 0.05; `None` unless a non-negative number.
fn percent(text: &str) -> Option<Decimal> {
    let number = text.trim().trim_end_matches('%').trim();
    let value: Decimal = number.parse().ok()?;
    (value >= Decimal::ZERO).then(|| (value / Decimal::ONE_HUNDRED).normalize())
}

/// A weight in percentage points, as written in policy names (`0.05` is `5`).
fn points(weight: Decimal) -> Decimal {
    (weight * Decimal::ONE_HUNDRED).normalize()
}

impl fmt::Display for Policy {
    /// `never`, `bands` (the bands strategy on the bands trigger), `bands:3/20`, or
    /// `STRATEGY-SCHEDULE[:THRESHOLD]` such as `full-quarterly` or `full-annually:5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.schedule == Schedule::Never {
            return f.write_str("never");
        }
        if (self.strategy, self.schedule) == (Strategy::Bands, Schedule::Bands) {
            f.write_str("bands")?;
        } else {
            write!(f, "{}-{}", self.strategy.name(), self.schedule.name())?;
        }
        if let Some(threshold) = self.threshold {
            write!(f, ":{}", points(threshold))?;
        }
        if let Some(bands) = self.bands {
            write!(f, ":{}/{}", points(bands.absolute), points(bands.relative))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dec;
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
        assert_eq!(p("full-semiannually:5%").unwrap(), "full-semiannually:5");
        assert_eq!(p("monthly:0.50").unwrap(), "buy-only-monthly:0.5");
        assert_eq!(p("bands:3/20").unwrap(), "bands:3/20");
        assert_eq!(p("full-bands:2.5/10").unwrap(), "full-bands:2.5/10");
        for bad in [
            "weekly",
            "never:5",
            "monthly:-1",
            "monthly:x",
            "bands:5",
            "monthly:",
        ] {
            assert!(
                matches!(p(bad), Err(BacktestError::UnknownPolicy { .. })),
                "{bad}"
            );
        }
        let five = Policy::parse("annually:5", Strategy::Full).unwrap();
        assert_eq!(five.threshold, Some(dec!(0.05)));
        assert_eq!(
            five,
            Policy::parse("full-annual:5.0", Strategy::BuyOnly).unwrap()
        );
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
        assert_ne!(period(date(2020, 6, 30), 6), period(date(2020, 7, 1), 6));
        assert_eq!(period(date(2020, 7, 1), 6), period(date(2020, 12, 31), 6));
    }
}
