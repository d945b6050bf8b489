//! Money for people: an amount rounded to its currency's minor units, thousands grouped.

use std::fmt;

use rust_decimal::Decimal;

/// Decimal places of amounts in `currency` (ISO 4217 minor units); 2 for codes not listed.
///
/// ```
/// assert_eq!(pbal_core::currency_decimals("USD"), 2);
/// assert_eq!(pbal_core::currency_decimals("JPY"), 0);
/// assert_eq!(pbal_core::currency_decimals("KWD"), 3);
/// ```
pub fn currency_decimals(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "CLP" | "ISK" | "VND" | "PYG" | "UGX" | "XAF" | "XOF" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "IQD" | "LYD" => 3,
        _ => 2,
    }
}

/// An amount of money as people read it: rounded to its currency's minor units (half to
/// even, as `Decimal::round_dp`), thousands grouped with commas, and the currency code after
/// it when known. Width, fill and alignment (`{:>12}`) apply to the whole text.
///
/// pbal-core's amounts are in the portfolio's one (base) currency, which it does not name:
/// [`Money::new`] shows them with two decimals. For an amount in a known currency use
/// [`Money::in_currency`].
///
/// ```
/// use pbal_core::{Money, dec};
///
/// assert_eq!(Money::new(dec!(1234567.891)).to_string(), "1,234,567.89");
/// assert_eq!(Money::new(dec!(-0.5)).to_string(), "-0.50");
/// assert_eq!(Money::in_currency(dec!(1234.5), "USD").to_string(), "1,234.50 USD");
/// assert_eq!(Money::in_currency(dec!(98765.4), "JPY").to_string(), "98,765 JPY");
/// assert_eq!(format!("{:>10}", Money::new(dec!(5))), "      5.00");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money<'a> {
    amount: Decimal,
    currency: Option<&'a str>,
    decimals: u32,
}

impl<'a> Money<'a> {
    /// An amount in the unnamed base currency: two decimals, no code.
    pub fn new(amount: Decimal) -> Self {
        Self {
            amount,
            currency: None,
            decimals: 2,
        }
    }

    /// An amount in `currency` (an ISO 4217 code): its minor units
    /// ([`currency_decimals`]), and the code after the number.
    pub fn in_currency(amount: Decimal, currency: &'a str) -> Self {
        Self {
            amount,
            currency: Some(currency),
            decimals: currency_decimals(currency),
        }
    }

    /// The amount as shown: rounded to the currency's minor units.
    pub fn rounded(&self) -> Decimal {
        self.amount.round_dp(self.decimals)
    }
}

impl fmt::Display for Money<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = format!("{:.*}", self.decimals as usize, self.rounded());
        let (sign, digits) = digits
            .strip_prefix('-')
            .map_or(("", digits.as_str()), |rest| ("-", rest));
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let mut text = String::with_capacity(digits.len() + digits.len() / 3 + 8);
        text.push_str(sign);
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                text.push(',');
            }
            text.push(c);
        }
        if !frac.is_empty() {
            text.push('.');
            text.push_str(frac);
        }
        if let Some(code) = self.currency {
            text.push(' ');
            text.push_str(code);
        }
        f.pad(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dec;

    #[test]
    fn groups_thousands_and_keeps_the_sign() {
        for (amount, shown) in [
            (dec!(0), "0.00"),
            (dec!(999.999), "1,000.00"),
            (dec!(-1234.5), "-1,234.50"),
            (dec!(100000), "100,000.00"),
            (dec!(0.005), "0.00"), // half to even
            (dec!(0.015), "0.02"),
            (Decimal::MAX, "79,228,162,514,264,337,593,543,950,335.00"),
        ] {
            assert_eq!(Money::new(amount).to_string(), shown, "{amount}");
        }
    }

    #[test]
    fn minor_units_follow_the_currency() {
        assert_eq!(
            Money::in_currency(dec!(-1234.5678), "KWD").to_string(),
            "-1,234.568 KWD"
        );
        assert_eq!(
            Money::in_currency(dec!(999.5), "JPY").to_string(),
            "1,000 JPY"
        );
        assert_eq!(Money::in_currency(dec!(12), "XYZ").to_string(), "12.00 XYZ");
    }
}
