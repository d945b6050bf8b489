//! The managed portfolio: a statement's holdings with a targets spec applied (exclusions left
//! out, targets not yet held added at their price, equal weights when no spec is given).

use std::collections::{BTreeMap, BTreeSet};

use pbal_core::{Holding, Portfolio, Targets};
use rust_decimal::Decimal;

use crate::{AccountSelection, Error, Holdings, Statement, TargetsSpec};

/// What to plan: the managed portfolio, its targets, and what the spec left unsaid.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Managed {
    /// The statement's holdings for the selection (with what was left out, and why).
    pub holdings: Holdings,
    /// The holdings to plan, plus each unheld target at zero quantity.
    pub portfolio: Portfolio,
    /// The targets (the spec's weights, or equal weights over the holdings).
    pub targets: Targets,
    /// Facts worth telling the user, in holdings order.
    pub notes: Vec<Note>,
}

/// Something a targets spec leaves implicit about the holdings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Note {
    /// Held, not excluded, and without a target: its target is 0% (it is sold).
    NoTarget {
        /// The symbol.
        symbol: String,
    },
    /// Excluded, but not held: the exclusion does nothing.
    ExcludedNotHeld {
        /// The symbol.
        symbol: String,
    },
    /// A 0% target, not held and without a price: nothing to do, so it is left out.
    ZeroTargetNotHeld {
        /// The symbol.
        symbol: String,
    },
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoTarget { symbol } => {
                write!(f, "{symbol} is held but has no target: its target is 0%")
            }
            Self::ExcludedNotHeld { symbol } => write!(f, "{symbol} is excluded but not held"),
            Self::ZeroTargetNotHeld { symbol } => write!(
                f,
                "{symbol} has a 0% target and is not held: nothing to do, it is ignored"
            ),
        }
    }
}

impl Statement {
    /// The managed portfolio and targets for `selection`, in one call. Without a spec every
    /// holding gets an equal weight.
    ///
    /// # Errors
    /// Those of [`Statement::portfolio_priced`].
    ///
    /// ```
    /// use pbal_core::dec;
    /// let statement = pbal_ibkr::read_bytes(b"Symbol,Quantity,MarkPrice,PositionValue\nVTI,10,250,2500\n", "p.csv")?;
    /// let spec = pbal_ibkr::TargetsSpec::new([("VTI", dec!(60)), ("BND", dec!(40))])?
    ///     .price("BND", dec!(72))?;
    /// let managed = statement.portfolio(&pbal_ibkr::AccountSelection::Single, Some(&spec))?;
    /// assert_eq!(managed.portfolio.holdings().len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn portfolio(
        &self,
        selection: &AccountSelection,
        targets: Option<&TargetsSpec>,
    ) -> Result<Managed, Error> {
        self.portfolio_priced(selection, targets, &BTreeMap::new())
    }

    /// [`Statement::portfolio`], with current prices (base currency) for unheld targets that
    /// take precedence over the spec's.
    ///
    /// # Errors
    /// Those of [`Statement::holdings_for`], then of [`Holdings::managed`].
    pub fn portfolio_priced(
        &self,
        selection: &AccountSelection,
        targets: Option<&TargetsSpec>,
        market_prices: &BTreeMap<String, Decimal>,
    ) -> Result<Managed, Error> {
        let holdings = self.holdings_for(selection, targets)?;
        let notes = holdings.notes(targets);
        let (portfolio, targets) = holdings.managed(targets, market_prices)?;
        Ok(Managed {
            holdings,
            portfolio,
            targets,
            notes,
        })
    }

    /// The holdings for `selection`, the spec's targets included whatever their asset class.
    ///
    /// # Errors
    /// Those of [`Statement::to_holdings`].
    pub fn holdings_for(
        &self,
        selection: &AccountSelection,
        targets: Option<&TargetsSpec>,
    ) -> Result<Holdings, Error> {
        let include: BTreeSet<String> = targets
            .iter()
            .flat_map(|t| t.weights.iter().map(|(s, _)| s.clone()))
            .collect();
        self.to_holdings(selection, &include)
    }
}

impl Holdings {
    /// What `targets` leaves implicit: holdings without a target, exclusions not held.
    pub fn notes(&self, targets: Option<&TargetsSpec>) -> Vec<Note> {
        let Some(spec) = targets else {
            return Vec::new();
        };
        let no_target = self
            .portfolio
            .holdings()
            .iter()
            .filter(|h| !spec.exclude.contains(&h.symbol) && !spec.has_target(&h.symbol))
            .map(|h| Note::NoTarget {
                symbol: h.symbol.clone(),
            });
        let not_held = spec
            .exclude
            .iter()
            .filter(|s| self.portfolio.get(s).is_none())
            .map(|s| Note::ExcludedNotHeld { symbol: s.clone() });
        let zero = spec
            .weights
            .iter()
            .filter(|(s, w)| self.ignored_zero_target(spec, s, *w))
            .map(|(s, _)| Note::ZeroTargetNotHeld { symbol: s.clone() });
        no_target.chain(not_held).chain(zero).collect()
    }

    /// A 0% target for a symbol not held and without a price in the spec: nothing to buy or
    /// sell, so it needs no price and is left out (a case slip of a held symbol is not).
    fn ignored_zero_target(&self, spec: &TargetsSpec, symbol: &str, weight: Decimal) -> bool {
        weight.is_zero()
            && self.portfolio.get(symbol).is_none()
            && !spec.prices.contains_key(symbol)
            && self.portfolio.get(&symbol.to_uppercase()).is_none()
    }

    /// The managed portfolio and its targets: exclusions removed, unheld targets added at
    /// their price (`market_prices` first, then the spec's), equal weights without a spec.
    ///
    /// # Errors
    /// [`Error::Targets`] ([`crate::TargetsError::TargetAndExcluded`]) for a symbol both a target
    /// and excluded; [`Error::UnpricedTarget`] for a target neither held nor priced (a 0%
    /// target is left out instead); [`Error::Portfolio`] when pbal-core refuses the portfolio;
    /// [`Error::TargetWeights`] when it refuses the weights; without `targets`,
    /// [`Error::NothingHeld`] when nothing is held.
    pub fn managed(
        &self,
        targets: Option<&TargetsSpec>,
        market_prices: &BTreeMap<String, Decimal>,
    ) -> Result<(Portfolio, Targets), Error> {
        let Some(spec) = targets else {
            let portfolio = self.portfolio.clone();
            let targets = Targets::equal(portfolio.holdings().iter().map(|h| h.symbol.clone()))
                .map_err(|source| Error::NothingHeld { source })?;
            return Ok((portfolio, targets));
        };
        spec.check_exclusions()?;
        let mut list: Vec<Holding> = self
            .portfolio
            .holdings()
            .iter()
            .filter(|h| !spec.exclude.contains(&h.symbol))
            .cloned()
            .collect();
        let mut ignored = BTreeSet::new();
        for (symbol, weight) in &spec.weights {
            if self.portfolio.get(symbol).is_some() {
                continue;
            }
            if market_prices.get(symbol).is_none()
                && self.ignored_zero_target(spec, symbol, *weight)
            {
                ignored.insert(symbol.as_str());
                continue;
            }
            let Some(price) = market_prices
                .get(symbol)
                .or_else(|| spec.prices.get(symbol))
            else {
                let upper = symbol.to_uppercase();
                let held_as =
                    (upper != *symbol && self.portfolio.get(&upper).is_some()).then_some(upper);
                return Err(Error::UnpricedTarget {
                    file: spec.source.clone(),
                    symbol: symbol.clone(),
                    held_as,
                });
            };
            // Zero shares: the value is zero, whatever the price.
            let holding =
                Holding::new(symbol.clone(), Decimal::ZERO, *price).map_err(|source| {
                    Error::Portfolio {
                        file: spec.source.clone(),
                        source,
                    }
                })?;
            list.push(holding);
        }
        let portfolio = Portfolio::new(list).map_err(|source| Error::Portfolio {
            file: spec.source.clone(),
            source,
        })?;
        let targets = Targets::new(
            spec.weights
                .iter()
                .filter(|(s, _)| !ignored.contains(s.as_str()))
                .cloned(),
        )
        .map_err(|source| Error::TargetWeights {
            file: spec.source.clone(),
            source,
        })?;
        Ok((portfolio, targets))
    }
}
