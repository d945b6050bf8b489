//! What the investor holds.

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::Error;

/// One tax lot of a holding: shares bought together, with their own cost basis.
///
/// ```
/// use pbal_core::{Holding, Lot, dec};
/// let lot = Lot::new(dec!(10), dec!(2300)).with_open_date("2024-03-01".parse()?);
/// let vti = Holding::new("VTI", dec!(10), dec!(250))?.with_lots(vec![lot]);
/// assert_eq!(vti.lots[0].cost_basis, dec!(2300));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Lot {
    /// When the lot was opened (trade date), when known.
    pub open_date: Option<Date>,
    /// Shares in the lot (positive for long lots).
    pub quantity: Decimal,
    /// Total cost basis of the lot in the holding's currency.
    pub cost_basis: Decimal,
    /// Unrealized profit (positive) or loss (negative) of the lot.
    pub unrealized_pnl: Option<Decimal>,
}

impl Lot {
    /// A lot of `quantity` shares that cost `cost_basis` in all; open date and P&L unknown.
    pub fn new(quantity: Decimal, cost_basis: Decimal) -> Self {
        Self {
            open_date: None,
            quantity,
            cost_basis,
            unrealized_pnl: None,
        }
    }

    /// Sets the date the lot was opened (it decides short- or long-term gains).
    #[must_use]
    pub fn with_open_date(mut self, date: Date) -> Self {
        self.open_date = Some(date);
        self
    }

    /// Sets the lot's unrealized P&L.
    #[must_use]
    pub fn with_unrealized_pnl(mut self, pnl: Decimal) -> Self {
        self.unrealized_pnl = Some(pnl);
        self
    }
}

/// One position: a symbol, how many shares, and at what price.
///
/// `value` is what the broker reports (it may differ from `quantity × price` by rounding or a
/// contract multiplier); the engine plans with `value` and trades at `price`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Holding {
    /// Ticker symbol, unique within a portfolio.
    pub symbol: String,
    /// Shares held (may be fractional; zero for a symbol that is only a target).
    pub quantity: Decimal,
    /// Price per share used for planning and trading (must be positive).
    pub price: Decimal,
    /// Market value of the position.
    pub value: Decimal,
    /// Unrealized profit (positive) or loss (negative), when known. Used to pick the sale that
    /// costs least tax.
    pub unrealized_pnl: Option<Decimal>,
    /// Tax lots, when the export had them.
    pub lots: Vec<Lot>,
}

impl Holding {
    /// A holding valued at `quantity × price`, without P&L or lots.
    ///
    /// # Errors
    /// [`Error::EmptySymbol`] for an empty symbol; [`Error::ValueOverflow`] when `quantity × price` does not fit a [`Decimal`] (about
    /// 7.9e28): values from a file or a user are untrusted, so this is an error, not a panic.
    ///
    /// ```
    /// use pbal_core::{Decimal, Error, Holding, dec};
    ///
    /// let h = Holding::new("VTI", dec!(10), dec!(250.5))?;
    /// assert_eq!(h.value, dec!(2505.0));
    ///
    /// let absurd = Holding::new("VTI", Decimal::MAX, dec!(2));
    /// assert!(matches!(absurd, Err(Error::ValueOverflow { .. })));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn new(
        symbol: impl Into<String>,
        quantity: Decimal,
        price: Decimal,
    ) -> Result<Self, Error> {
        let symbol = symbol.into();
        if symbol.trim().is_empty() {
            return Err(Error::EmptySymbol);
        }
        let Some(value) = quantity.checked_mul(price) else {
            return Err(Error::ValueOverflow {
                symbol,
                quantity,
                price,
            });
        };
        Ok(Self {
            symbol,
            quantity,
            price,
            value,
            unrealized_pnl: None,
            lots: Vec::new(),
        })
    }

    /// A holding worth `value` as the broker reports it (it may differ from `quantity ×
    /// price` by rounding or a contract multiplier), without P&L or lots. Nothing is computed,
    /// so nothing can fail; [`crate::plan`] checks the amounts.
    ///
    /// ```
    /// use pbal_core::{Holding, dec};
    /// let h = Holding::valued("VTI", dec!(3), dec!(250.333), dec!(751));
    /// assert_eq!(h.value, dec!(751));
    /// ```
    pub fn valued(
        symbol: impl Into<String>,
        quantity: Decimal,
        price: Decimal,
        value: Decimal,
    ) -> Self {
        Self {
            symbol: symbol.into(),
            quantity,
            price,
            value,
            unrealized_pnl: None,
            lots: Vec::new(),
        }
    }

    /// Sets the unrealized P&L.
    #[must_use]
    pub fn with_unrealized_pnl(mut self, pnl: Decimal) -> Self {
        self.unrealized_pnl = Some(pnl);
        self
    }

    /// Sets the tax lots.
    #[must_use]
    pub fn with_lots(mut self, lots: Vec<Lot>) -> Self {
        self.lots = lots;
        self
    }
}

/// A set of holdings with unique symbols and positive prices, kept in symbol order.
/// Deserializing goes through [`Portfolio::new`], so a serialized portfolio is checked and
/// sorted like a built one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PortfolioData")]
pub struct Portfolio {
    holdings: Vec<Holding>,
}

/// A portfolio as serialized, before [`Portfolio::new`] checks it.
#[derive(Deserialize)]
struct PortfolioData {
    holdings: Vec<Holding>,
}

impl TryFrom<PortfolioData> for Portfolio {
    type Error = Error;

    fn try_from(data: PortfolioData) -> Result<Self, Error> {
        Self::new(data.holdings)
    }
}

impl Portfolio {
    /// Validates and sorts the holdings by symbol.
    ///
    /// # Errors
    /// [`Error::EmptySymbol`], [`Error::DuplicateSymbol`] or [`Error::NonPositivePrice`].
    ///
    /// ```
    /// use pbal_core::{Error, Holding, Portfolio, dec};
    /// let blank = Holding::valued(" ", dec!(1), dec!(10), dec!(10));
    /// assert_eq!(Portfolio::new(vec![blank]), Err(Error::EmptySymbol));
    /// ```
    pub fn new(mut holdings: Vec<Holding>) -> Result<Self, Error> {
        if holdings.iter().any(|h| h.symbol.trim().is_empty()) {
            return Err(Error::EmptySymbol);
        }
        holdings.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        for pair in holdings.windows(2) {
            if pair[0].symbol == pair[1].symbol {
                return Err(Error::DuplicateSymbol {
                    symbol: pair[0].symbol.clone(),
                });
            }
        }
        for h in &holdings {
            if h.price <= Decimal::ZERO {
                return Err(Error::NonPositivePrice {
                    symbol: h.symbol.clone(),
                    price: h.price,
                });
            }
        }
        Ok(Self { holdings })
    }

    /// The holdings, in symbol order.
    pub fn holdings(&self) -> &[Holding] {
        &self.holdings
    }

    /// The holding for `symbol`, if any.
    pub fn get(&self, symbol: &str) -> Option<&Holding> {
        self.holdings
            .binary_search_by(|h| h.symbol.as_str().cmp(symbol))
            .ok()
            .map(|i| &self.holdings[i])
    }

    /// Sum of the holdings' values.
    ///
    /// # Errors
    /// [`Error::Overflow`] when the sum does not fit a [`Decimal`].
    pub fn total_value(&self) -> Result<Decimal, Error> {
        self.holdings.iter().try_fold(Decimal::ZERO, |acc, h| {
            acc.checked_add(h.value).ok_or(Error::Overflow {
                what: "portfolio value",
            })
        })
    }
}
