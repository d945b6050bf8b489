//! The columns pbal reads, whatever a layout calls them: Flex CSV headers, Flex XML attributes
//! and Activity Statement columns. A typo in a column is a compile error, and every error names
//! the column as IBKR's Flex Query spells it.

/// One column pbal reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Column {
    Account,
    AccountAlias,
    Currency,
    AssetClass,
    SubCategory,
    Symbol,
    Conid,
    ListingExchange,
    Quantity,
    Price,
    Value,
    FxRate,
    UnrealizedPnl,
    LevelOfDetail,
    OpenDate,
    CostBasis,
    Multiplier,
    Side,
    EndingCash,
    TradeDate,
    BuySell,
    RealizedPnl,
    TradePrice,
}

impl Column {
    /// Every column, for tests and lookups.
    #[cfg(test)]
    const ALL: [Self; 23] = [
        Self::Account,
        Self::AccountAlias,
        Self::Currency,
        Self::AssetClass,
        Self::SubCategory,
        Self::Symbol,
        Self::Conid,
        Self::ListingExchange,
        Self::Quantity,
        Self::Price,
        Self::Value,
        Self::FxRate,
        Self::UnrealizedPnl,
        Self::LevelOfDetail,
        Self::OpenDate,
        Self::CostBasis,
        Self::Multiplier,
        Self::Side,
        Self::EndingCash,
        Self::TradeDate,
        Self::BuySell,
        Self::RealizedPnl,
        Self::TradePrice,
    ];

    /// The column's name in a Flex Query, as errors show it.
    pub(crate) const fn ibkr_name(self) -> &'static str {
        match self {
            Self::Account => "ClientAccountID",
            Self::AccountAlias => "AccountAlias",
            Self::Currency => "CurrencyPrimary",
            Self::AssetClass => "AssetClass",
            Self::SubCategory => "SubCategory",
            Self::Symbol => "Symbol",
            Self::Conid => "Conid",
            Self::ListingExchange => "ListingExchange",
            Self::Quantity => "Quantity",
            Self::Price => "MarkPrice",
            Self::Value => "PositionValue",
            Self::FxRate => "FXRateToBase",
            Self::UnrealizedPnl => "FifoPnlUnrealized",
            Self::LevelOfDetail => "LevelOfDetail",
            Self::OpenDate => "OpenDateTime",
            Self::CostBasis => "CostBasisMoney",
            Self::Multiplier => "Multiplier",
            Self::Side => "Side",
            Self::EndingCash => "EndingCash",
            Self::TradeDate => "TradeDate",
            Self::BuySell => "Buy/Sell",
            Self::RealizedPnl => "FifoPnlRealized",
            Self::TradePrice => "TradePrice",
        }
    }

    /// The column a header names (compared without case, spaces or punctuation): the Flex
    /// name, the XML attribute, or the Activity Statement's column.
    pub(crate) fn from_header(name: &str) -> Option<Self> {
        // Every known name fits in 32 letters; a stack buffer keeps data rows allocation-free.
        let mut buffer = [0u8; 32];
        let mut len = 0;
        for byte in name.bytes().filter(u8::is_ascii_alphanumeric) {
            *buffer.get_mut(len)? = byte.to_ascii_lowercase();
            len += 1;
        }
        let key = std::str::from_utf8(&buffer[..len]).ok()?;
        Some(match key {
            "clientaccountid" | "accountid" | "account" => Self::Account,
            "accountalias" | "acctalias" => Self::AccountAlias,
            "currencyprimary" | "currency" => Self::Currency,
            "assetclass" | "assetcategory" => Self::AssetClass,
            "subcategory" => Self::SubCategory,
            "symbol" => Self::Symbol,
            "conid" => Self::Conid,
            "listingexchange" => Self::ListingExchange,
            "quantity" | "position" => Self::Quantity,
            "markprice" | "closeprice" => Self::Price,
            "positionvalue" | "value" => Self::Value,
            "fxratetobase" => Self::FxRate,
            "fifopnlunrealized" | "unrealizedpl" => Self::UnrealizedPnl,
            "levelofdetail" | "datadiscriminator" => Self::LevelOfDetail,
            "opendatetime" | "open" => Self::OpenDate,
            "costbasismoney" | "costbasis" => Self::CostBasis,
            "multiplier" | "mult" => Self::Multiplier,
            "side" => Self::Side,
            "endingcash" => Self::EndingCash,
            "tradedate" | "datetime" => Self::TradeDate,
            "buysell" => Self::BuySell,
            "fifopnlrealized" | "realizedpl" => Self::RealizedPnl,
            "tradeprice" | "tprice" => Self::TradePrice,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Column;

    #[test]
    fn each_column_reads_back_from_its_ibkr_name() {
        for column in Column::ALL {
            assert_eq!(
                Column::from_header(column.ibkr_name()),
                Some(column),
                "{column:?}"
            );
        }
    }

    #[test]
    fn aliases_ignore_case_spaces_and_punctuation() {
        assert_eq!(
            Column::from_header("Unrealized P/L"),
            Some(Column::UnrealizedPnl)
        );
        assert_eq!(Column::from_header("Date/Time"), Some(Column::TradeDate));
        assert_eq!(
            Column::from_header("Asset Category"),
            Some(Column::AssetClass)
        );
        assert_eq!(Column::from_header("Description"), None);
        assert_eq!(Column::from_header(&"x".repeat(40)), None);
    }
}
