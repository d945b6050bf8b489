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
    // Written digit by digit, not through `format!`: a plan of 5,000 holdings prints tens of
    // thousands of amounts, and formatting each twice was a tenth of the process.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rounded = self.rounded();
        let scale = rounded.scale() as usize;
        let mut digits = [0u8; 40];
        let mut len = 0;
        let mut wide = rounded.mantissa().unsigned_abs();
        // 128-bit division costs several 64-bit ones: only digits above 64 bits take it.
        while wide > u128::from(u64::MAX) {
            digits[len] = b'0' + (wide % 10) as u8;
            wide /= 10;
            len += 1;
        }
        let mut rest = wide as u64;
        while rest > 0 || len < scale + 1 {
            digits[len] = b'0' + (rest % 10) as u8;
            rest /= 10;
            len += 1;
        }
        let decimals = self.decimals as usize;
        // Into a buffer on the stack, not a String: one allocation per amount showed in the
        // profile. At most 40 digits, 13 commas, sign, point and 3 decimals: 64 bytes hold
        // them. An amount with a currency code still goes through a String.
        let mut buffer = [0u8; 64];
        let mut end = 0;
        let mut push = |byte: u8| {
            if let Some(slot) = buffer.get_mut(end) {
                *slot = byte;
                end += 1;
            }
        };
        if rounded.is_sign_negative() {
            push(b'-');
        }
        for i in (scale..len).rev() {
            push(digits[i]);
            if i > scale && (i - scale).is_multiple_of(3) {
                push(b',');
            }
        }
        if decimals > 0 {
            push(b'.');
            for i in (0..scale).rev() {
                push(digits[i]);
            }
            for _ in scale..decimals {
                push(b'0');
            }
        }
        let number = std::str::from_utf8(&buffer[..end]).map_err(|_| fmt::Error)?;
        match self.currency {
            None => f.pad(number),
            Some(code) => f.pad(&format!("{number} {code}")),
        }
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

    /// The `format!`-based text the digit-by-digit writer must reproduce.
    fn oracle(amount: Decimal, decimals: u32) -> String {
        let digits = format!("{:.*}", decimals as usize, amount.round_dp(decimals));
        let (sign, digits) = digits
            .strip_prefix('-')
            .map_or(("", digits.as_str()), |rest| ("-", rest));
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let mut text = sign.to_owned();
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
        text
    }

    #[test]
    fn digit_writer_matches_format() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            // xorshift: deterministic spread over magnitudes, scales and signs.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mantissa = i64::try_from(x >> (x % 50) as u32 >> 14).unwrap_or(0);
            let mantissa = if x.is_multiple_of(3) {
                -mantissa
            } else {
                mantissa
            };
            let amount = Decimal::new(mantissa, (x % 12) as u32);
            for (currency, decimals) in [("USD", 2), ("JPY", 0), ("KWD", 3)] {
                assert_eq!(
                    Money::in_currency(amount, currency).to_string(),
                    format!("{} {currency}", oracle(amount, decimals)),
                    "{amount}"
                );
            }
            assert_eq!(
                Money::new(amount).to_string(),
                oracle(amount, 2),
                "{amount}"
            );
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
