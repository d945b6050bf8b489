//! How many decimals each currency's amounts carry (ISO 4217 minor units), so every output
//! rounds an order's amount as its currency is.

/// Decimal places of amounts in `currency` (ISO 4217 minor units); 2 for codes not listed.
///
/// ```
/// assert_eq!(pbal_ibkr::currency_decimals("USD"), 2);
/// assert_eq!(pbal_ibkr::currency_decimals("JPY"), 0);
/// assert_eq!(pbal_ibkr::currency_decimals("KWD"), 3);
/// ```
pub fn currency_decimals(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "CLP" | "ISK" | "VND" | "PYG" | "UGX" | "XAF" | "XOF" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "IQD" | "LYD" => 3,
        _ => 2,
    }
}
