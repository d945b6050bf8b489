//! Interactive Brokers inputs for pbal.
//!
//! Interim reader: the original tool's CSV (`Symbol,PositionValue,MarkPrice,FifoPnlUnrealized`,
//! optional `Quantity`). The full Flex/Activity/XML reader replaces this module.

pub mod flex_web;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr;

use pbal_core::{Holding, Portfolio};
use rust_decimal::Decimal;
use serde::Serialize;

/// Why an export could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// A field is malformed.
    #[error("{file}:{line}: column \"{field}\": {message}")]
    Parse {
        /// File.
        file: String,
        /// 1-based line.
        line: u64,
        /// Column name.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// No positions in the file.
    #[error("{file}: no positions found")]
    NoPositions {
        /// File.
        file: String,
    },
    /// The positions do not form a valid portfolio.
    #[error("{file}: {source}")]
    Portfolio {
        /// File.
        file: String,
        /// Cause.
        source: pbal_core::Error,
    },
    /// No cash section.
    #[error("{file}: no cash balance in the file (add the Cash Report section)")]
    NoCash {
        /// File.
        file: String,
    },
}

/// Which accounts to plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountSelection {
    /// Only this account.
    Only(String),
    /// All accounts as one household.
    All,
    /// The file's only account (an error if it has several).
    Single,
}

/// What a file says.
#[derive(Debug, Clone, Serialize)]
pub struct Statement {
    /// Base currency.
    pub base_currency: Option<String>,
    /// Accounts.
    pub accounts: Vec<String>,
    /// Positions.
    pub positions: Vec<Position>,
    /// Cash.
    pub cash: Vec<CashBalance>,
    /// Rows skipped.
    pub skipped: Vec<Skipped>,
    #[serde(skip)]
    file: String,
}

/// One position.
#[derive(Debug, Clone, Serialize)]
pub struct Position {
    /// Account.
    pub account: Option<String>,
    /// Symbol.
    pub symbol: String,
    /// Quantity.
    pub quantity: Decimal,
    /// Price.
    pub price: Decimal,
    /// Value.
    pub value: Decimal,
    /// P&L.
    pub unrealized_pnl: Option<Decimal>,
}

/// Cash per currency.
#[derive(Debug, Clone, Serialize)]
pub struct CashBalance {
    /// Currency.
    pub currency: String,
    /// Amount.
    pub amount: Decimal,
}

/// A row not used.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    /// Line.
    pub line: u64,
    /// Why.
    pub reason: String,
}

/// Holdings ready to plan.
#[derive(Debug, Clone)]
pub struct Holdings {
    /// Portfolio in base currency.
    pub portfolio: Portfolio,
    /// Per symbol.
    pub instruments: BTreeMap<String, Instrument>,
    /// Left out, with reasons.
    pub excluded: Vec<String>,
    /// Base currency.
    pub base_currency: Option<String>,
}

/// Instrument details.
#[derive(Debug, Clone)]
pub struct Instrument {
    /// Currency.
    pub currency: Option<String>,
    /// FX rate to base.
    pub fx_rate_to_base: Decimal,
    /// Local price.
    pub local_price: Decimal,
    /// Conid.
    pub conid: Option<String>,
    /// Asset class.
    pub asset_class: Option<String>,
    /// Exchange.
    pub listing_exchange: Option<String>,
    /// Accounts and quantities.
    pub accounts: Vec<(String, Decimal)>,
}

/// Reads a file.
pub fn read_path(path: &Path) -> Result<Statement, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    read_bytes(&bytes, &path.display().to_string())
}

/// Reads bytes.
pub fn read_bytes(bytes: &[u8], source: &str) -> Result<Statement, Error> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| parse(source, 1, "", &e.to_string()))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(sym), Some(val), Some(px)) = (col("Symbol"), col("PositionValue"), col("MarkPrice"))
    else {
        return Err(Error::NoPositions {
            file: source.into(),
        });
    };
    let pnl = col("FifoPnlUnrealized");
    let qty = col("Quantity");
    let mut positions = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let record = record.map_err(|e| parse(source, line, "", &e.to_string()))?;
        let num = |idx: usize, name: &str| -> Result<Decimal, Error> {
            let text = record.get(idx).unwrap_or("").trim();
            Decimal::from_str(text)
                .map_err(|_| parse(source, line, name, &format!("{text:?} is not a number")))
        };
        let value = num(val, "PositionValue")?;
        let price = num(px, "MarkPrice")?;
        if price <= Decimal::ZERO {
            return Err(parse(source, line, "MarkPrice", "price must be positive"));
        }
        let quantity = match qty {
            Some(q) => num(q, "Quantity")?,
            None => (value / price).round_dp(4),
        };
        positions.push(Position {
            account: None,
            symbol: record.get(sym).unwrap_or("").trim().to_owned(),
            quantity,
            price,
            value,
            unrealized_pnl: pnl.map(|p| num(p, "FifoPnlUnrealized")).transpose()?,
        });
    }
    if positions.is_empty() {
        return Err(Error::NoPositions {
            file: source.into(),
        });
    }
    Ok(Statement {
        base_currency: None,
        accounts: Vec::new(),
        positions,
        cash: Vec::new(),
        skipped: Vec::new(),
        file: source.into(),
    })
}

fn parse(file: &str, line: u64, field: &str, message: &str) -> Error {
    Error::Parse {
        file: file.into(),
        line,
        field: field.into(),
        message: message.into(),
    }
}

impl Statement {
    /// Holdings for planning.
    pub fn to_holdings(
        &self,
        _selection: &AccountSelection,
        _include: &BTreeSet<String>,
    ) -> Result<Holdings, Error> {
        let mut instruments = BTreeMap::new();
        let holdings = self
            .positions
            .iter()
            .map(|p| {
                instruments.insert(
                    p.symbol.clone(),
                    Instrument {
                        currency: None,
                        fx_rate_to_base: Decimal::ONE,
                        local_price: p.price,
                        conid: None,
                        asset_class: None,
                        listing_exchange: None,
                        accounts: Vec::new(),
                    },
                );
                Holding {
                    symbol: p.symbol.clone(),
                    quantity: p.quantity,
                    price: p.price,
                    value: p.value,
                    unrealized_pnl: p.unrealized_pnl,
                    lots: Vec::new(),
                }
            })
            .collect();
        let portfolio = Portfolio::new(holdings).map_err(|source| Error::Portfolio {
            file: self.file.clone(),
            source,
        })?;
        Ok(Holdings {
            portfolio,
            instruments,
            excluded: Vec::new(),
            base_currency: None,
        })
    }

    /// Cash in base currency.
    pub fn cash_in_base(&self, _selection: &AccountSelection) -> Result<Decimal, Error> {
        Err(Error::NoCash {
            file: self.file.clone(),
        })
    }
}
