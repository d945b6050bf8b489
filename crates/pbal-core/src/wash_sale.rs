//! US wash-sale guard: a loss is disallowed when substantially identical shares are bought
//! within 30 days before or after the sale. pbal checks the plan against recent trades.

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::Side;

/// Days on each side of a loss sale in which a purchase washes it.
pub const WINDOW_DAYS: i32 = 30;

/// A trade already made (from the Flex Trades section or the gateway). Built with
/// [`PastTrade::new`]: the type may grow, so struct literals are not allowed outside this crate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PastTrade {
    /// Symbol.
    pub symbol: String,
    /// Trade date.
    pub date: Date,
    /// Buy or sell.
    pub side: Side,
    /// Shares (positive).
    pub quantity: Decimal,
    /// Realized P&L of a sale, when known (negative: a loss).
    pub realized_pnl: Option<Decimal>,
}

/// Recent trades and what to do about planned buys that would wash a loss. Built with
/// [`WashSaleGuard::new`] (or `default()` and field assignment): the type may grow.
///
/// ```
/// use pbal_core::{PastTrade, Side, WashSaleGuard, dec};
/// use pbal_core::date;
/// let sold = PastTrade::new("VTI", date(2026, 11, 1), Side::Sell, dec!(5), Some(dec!(-120)));
/// let guard = WashSaleGuard::new(vec![sold], true);
/// assert_eq!(guard.recent_loss_sale("VTI", date(2026, 11, 20)), Some(date(2026, 11, 1)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WashSaleGuard {
    /// Trades of the last weeks (older ones are ignored).
    pub history: Vec<PastTrade>,
    /// Skip buys that would wash a recent loss (the cash goes to the next-best asset) instead of
    /// only flagging them.
    pub block_buys: bool,
}

impl PastTrade {
    /// A trade of `quantity` shares (positive) of `symbol` on `date`, with the realized P&L of
    /// a sale when known (negative: a loss).
    pub fn new(
        symbol: impl Into<String>,
        date: Date,
        side: Side,
        quantity: Decimal,
        realized_pnl: Option<Decimal>,
    ) -> Self {
        Self {
            symbol: symbol.into(),
            date,
            side,
            quantity,
            realized_pnl,
        }
    }
}

/// Why a planned trade is flagged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum WashSaleFlag {
    /// A buy of a symbol sold at a loss within the window: the buy would wash that loss.
    BuyAfterLossSale {
        /// Symbol.
        symbol: String,
        /// When it was sold at a loss.
        sold_on: Date,
        /// Whether the plan skipped the buy.
        blocked: bool,
    },
    /// A planned loss sale within the window after a buy of the same symbol.
    LossSaleAfterBuy {
        /// Symbol.
        symbol: String,
        /// When it was bought.
        bought_on: Date,
    },
}

/// Whether `earlier` lies within the wash-sale window before `as_of` (0–30 days; day 31 is out).
///
/// ```
/// use pbal_core::date;
/// use pbal_core::within_window;
/// assert!(within_window(date(2025, 1, 1), date(2025, 1, 31)));  // 30 days
/// assert!(!within_window(date(2025, 1, 1), date(2025, 2, 1)));  // 31 days
/// assert!(!within_window(date(2025, 2, 2), date(2025, 2, 1)));  // in the future
/// ```
pub fn within_window(earlier: Date, as_of: Date) -> bool {
    (0..=WINDOW_DAYS).contains(&days_between(earlier, as_of))
}

fn days_between(from: Date, to: Date) -> i32 {
    let epoch = |d: Date| {
        // Days since 0000-03-01 (civil-from-days inverse), exact for the proleptic Gregorian
        // calendar.
        let (y, m, d) = (
            i32::from(d.year()),
            i32::from(d.month()),
            i32::from(d.day()),
        );
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe
    };
    epoch(to) - epoch(from)
}

impl WashSaleGuard {
    /// A guard over `history`; `block_buys` skips buys that would wash a recent loss instead of
    /// only flagging them.
    pub fn new(history: Vec<PastTrade>, block_buys: bool) -> Self {
        Self {
            history,
            block_buys,
        }
    }

    /// The most recent loss sale of `symbol` within the window before `as_of`.
    pub fn recent_loss_sale(&self, symbol: &str, as_of: Date) -> Option<Date> {
        self.history
            .iter()
            .filter(|t| t.symbol == symbol && t.side == Side::Sell)
            .filter(|t| t.realized_pnl.is_some_and(|p| p < Decimal::ZERO))
            .filter(|t| within_window(t.date, as_of))
            .map(|t| t.date)
            .max()
    }

    /// The most recent buy of `symbol` within the window before `as_of`.
    pub fn recent_buy(&self, symbol: &str, as_of: Date) -> Option<Date> {
        self.history
            .iter()
            .filter(|t| t.symbol == symbol && t.side == Side::Buy)
            .filter(|t| within_window(t.date, as_of))
            .map(|t| t.date)
            .max()
    }
}
