//! IBKR Pro Fixed commission schedules per market, and the schedule an instrument pays in
//! base-currency terms. The rates and their sources are listed in the project README
//! ("Commissions"); exchange, regulatory and transaction fees are not included.

use pbal_core::CommissionSchedule;
use pbal_core::dec;
use rust_decimal::Decimal;

use crate::Instrument;

/// A market with its own IBKR fixed-rate schedule for stocks and ETFs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Market {
    /// US exchanges, USD.
    UnitedStates,
    /// Canadian exchanges, CAD.
    Canada,
    /// The main euro-area exchanges (Xetra, Euronext, Borsa Italiana, BME, Vienna, …), EUR.
    Europe,
    /// The London Stock Exchange, GBP.
    UnitedKingdom,
    /// SIX Swiss Exchange, CHF.
    Switzerland,
}

impl Market {
    /// The market of an instrument: from its listing exchange (IBKR's exchange codes) when the
    /// export has it, else from its trading currency. `None` when neither is known, and for
    /// an exchange outside the listed ones: its currency does not tell its schedule (Helsinki
    /// trades in EUR on other terms than Xetra), so it gets no estimate rather than a guess.
    ///
    /// ```
    /// use pbal_ibkr::Market;
    /// assert_eq!(Market::of(Some("ARCA"), Some("USD")), Some(Market::UnitedStates));
    /// assert_eq!(Market::of(Some("IBIS"), Some("EUR")), Some(Market::Europe));
    /// assert_eq!(Market::of(Some("LSE"), Some("USD")), Some(Market::UnitedKingdom));
    /// assert_eq!(Market::of(None, Some("CAD")), Some(Market::Canada));
    /// assert_eq!(Market::of(Some("SEHK"), Some("HKD")), None);
    /// assert_eq!(Market::of(Some("HEX"), Some("EUR")), None);
    /// assert_eq!(Market::of(Some(""), Some("EUR")), Some(Market::Europe));
    /// ```
    pub fn of(listing_exchange: Option<&str>, currency: Option<&str>) -> Option<Market> {
        if let Some(exchange) = listing_exchange.map(str::trim).filter(|e| !e.is_empty()) {
            return Self::of_exchange(exchange);
        }
        match currency? {
            "USD" => Some(Self::UnitedStates),
            "CAD" => Some(Self::Canada),
            "EUR" => Some(Self::Europe),
            "GBP" => Some(Self::UnitedKingdom),
            "CHF" => Some(Self::Switzerland),
            _ => None,
        }
    }

    /// The market of an IBKR exchange code, `None` outside the listed ones.
    fn of_exchange(exchange: &str) -> Option<Market> {
        match exchange.to_ascii_uppercase().as_str() {
            "NYSE" | "NASDAQ" | "ARCA" | "NYSEARCA" | "AMEX" | "BATS" | "IEX" | "BYX" | "EDGX" => {
                Some(Self::UnitedStates)
            }
            "TSE" | "TSX" | "VENTURE" | "TSXV" => Some(Self::Canada),
            "IBIS" | "IBIS2" | "FWB" | "FWB2" | "XETRA" | "AEB" | "SBF" | "ENEXT.BE" | "BVME"
            | "BVME.ETF" | "BM" | "VSE" | "GETTEX" | "TGATE" => Some(Self::Europe),
            "LSE" | "LSEETF" | "LSEIOB1" => Some(Self::UnitedKingdom),
            "EBS" | "SWX" | "VIRTX" => Some(Self::Switzerland),
            _ => None,
        }
    }

    /// The currency the market's schedule is set in.
    pub fn currency(self) -> &'static str {
        match self {
            Self::UnitedStates => "USD",
            Self::Canada => "CAD",
            Self::Europe => "EUR",
            Self::UnitedKingdom => "GBP",
            Self::Switzerland => "CHF",
        }
    }

    /// The market's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::UnitedStates => "US",
            Self::Canada => "Canada",
            Self::Europe => "Europe (EUR)",
            Self::UnitedKingdom => "UK",
            Self::Switzerland => "Switzerland",
        }
    }

    /// IBKR Pro Fixed for stocks and ETFs in this market, in its currency; `None` where no
    /// source could be verified (Switzerland, for now).
    ///
    /// ```
    /// use pbal_ibkr::Market;
    /// use pbal_core::dec;
    /// let canada = Market::Canada.ibkr_fixed().unwrap();
    /// assert_eq!(canada.estimate(dec!(500), dec!(30)), dec!(5.00)); // CAD 0.01 a share
    /// let europe = Market::Europe.ibkr_fixed().unwrap();
    /// assert_eq!(europe.estimate(dec!(10), dec!(40)), dec!(3)); // the EUR 3 minimum
    /// let uk = Market::UnitedKingdom.ibkr_fixed().unwrap();
    /// assert_eq!(uk.estimate(dec!(100), dec!(100)), dec!(5.0000)); // 0.05% of GBP 10,000
    /// assert_eq!(Market::Switzerland.ibkr_fixed(), None);
    /// ```
    pub fn ibkr_fixed(self) -> Option<CommissionSchedule> {
        match self {
            // USD 0.005 a share, at least USD 1, at most 1% of the trade value.
            Self::UnitedStates => Some(CommissionSchedule::IBKR_FIXED_US),
            // CAD 0.01 a share, at least CAD 1, at most 0.5% of the trade value.
            Self::Canada => Some(CommissionSchedule::new(
                dec!(0.01),
                Decimal::ZERO,
                Decimal::ONE,
                Some(dec!(0.005)),
            )),
            // 0.05% of the trade value (IB SmartRouting), at least 3 in the market's currency
            // (EUR 3, GBP 3), no maximum: the same figures in both.
            Self::Europe | Self::UnitedKingdom => Some(CommissionSchedule::new(
                Decimal::ZERO,
                dec!(0.0005),
                dec!(3),
                None,
            )),
            Self::Switzerland => None,
        }
    }
}

/// Why an instrument has no IBKR fixed schedule here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoSchedule {
    /// Neither its listing exchange nor its currency names a market with a known schedule.
    #[error("no IBKR fixed rate is known for its market ({})", describe(.exchange.as_deref(), .currency.as_deref()))]
    UnknownMarket {
        exchange: Option<String>,
        currency: Option<String>,
    },
    /// The market is known but its rates could not be verified from a source.
    #[error("IBKR's fixed rate for {} is not verified", .0.name())]
    Unverified(Market),
    /// The instrument trades in another currency than its market's schedule, and the rate
    /// between the two is not known.
    #[error("it trades in {currency} on a market whose rates are in {}", .market.currency())]
    CurrencyMismatch { market: Market, currency: String },
}

fn describe(exchange: Option<&str>, currency: Option<&str>) -> String {
    match (exchange, currency) {
        (Some(e), Some(c)) => format!("{e}, {c}"),
        (Some(x), None) | (None, Some(x)) => x.to_owned(),
        (None, None) => "no exchange or currency in the export".to_owned(),
    }
}

/// IBKR Pro Fixed commission of `instrument`'s orders in base-currency terms: its market's
/// schedule (from the listing exchange when the export has it, else from the currency) with the
/// per-share amounts and the minimum converted at the instrument's rate to base (the
/// percentages need no conversion). Exchange, regulatory and transaction fees are not included.
///
/// # Errors
/// [`NoSchedule::UnknownMarket`] when neither the exchange nor the currency names a known
/// market, [`NoSchedule::Unverified`] for a market whose rates are not verified (Switzerland),
/// and [`NoSchedule::CurrencyMismatch`] when the instrument's currency is not its market's.
///
/// ```
/// use pbal_ibkr::{Instrument, ibkr_fixed_commission};
/// use pbal_core::dec;
///
/// // A Canadian ETF in a EUR account: CAD 0.01 a share, at least CAD 1, at 0.62 EUR per CAD.
/// let mut xeqt = Instrument::new(Some("CAD".into()), dec!(0.62), dec!(30));
/// xeqt.asset_class = Some("STK".into());
/// xeqt.listing_exchange = Some("TSE".into());
/// let schedule = ibkr_fixed_commission(&xeqt).unwrap();
/// assert_eq!(schedule.estimate(dec!(50), dec!(18.6)), dec!(0.62)); // CAD 1 minimum, in EUR
/// assert_eq!(schedule.estimate(dec!(500), dec!(18.6)), dec!(3.1000)); // CAD 5
/// ```
pub fn ibkr_fixed_commission(instrument: &Instrument) -> Result<CommissionSchedule, NoSchedule> {
    let currency = instrument.currency.as_deref();
    let Some(market) = Market::of(instrument.listing_exchange.as_deref(), currency) else {
        return Err(NoSchedule::UnknownMarket {
            exchange: instrument.listing_exchange.clone(),
            currency: instrument.currency.clone(),
        });
    };
    let schedule = market.ibkr_fixed().ok_or(NoSchedule::Unverified(market))?;
    match currency {
        Some(c) if c != market.currency() => Err(NoSchedule::CurrencyMismatch {
            market,
            currency: c.to_owned(),
        }),
        _ => Ok(schedule.in_base(instrument.fx_rate_to_base)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instrument(exchange: Option<&str>, currency: Option<&str>, rate: Decimal) -> Instrument {
        Instrument {
            currency: currency.map(str::to_owned),
            fx_rate_to_base: rate,
            local_price: dec!(10),
            conid: None,
            asset_class: Some("STK".into()),
            listing_exchange: exchange.map(str::to_owned),
            accounts: Vec::new(),
        }
    }

    #[test]
    fn us_shares_in_a_eur_account_pay_the_usd_minimum_converted() {
        let s =
            ibkr_fixed_commission(&instrument(Some("NASDAQ"), Some("USD"), dec!(0.92))).unwrap();
        // 10 shares: USD 1 minimum = EUR 0.92; 1000 shares at EUR 46: USD 5 = EUR 4.60.
        assert_eq!(s.estimate(dec!(10), dec!(46)), dec!(0.92));
        assert_eq!(s.estimate(dec!(1000), dec!(46)), dec!(4.6));
        // The 1% cap is a share of the value: 10 shares at EUR 0.046 pay EUR 0.0046.
        assert_eq!(s.estimate(dec!(10), dec!(0.046)), dec!(0.0046));
    }

    #[test]
    fn euro_shares_pay_a_share_of_the_value_in_any_base() {
        // In a USD base (1 EUR = 1.08 USD): the EUR 3 minimum is USD 3.24, 0.05% stays 0.05%.
        let s = ibkr_fixed_commission(&instrument(Some("AEB"), Some("EUR"), dec!(1.08))).unwrap();
        assert_eq!(s.estimate(dec!(1), dec!(100)), dec!(3.24));
        assert_eq!(s.estimate(dec!(200), dec!(100)), dec!(10.0000));
    }

    #[test]
    fn the_exchange_decides_before_the_currency() {
        // A USD line on the LSE is a UK trade, whose GBP minimum a USD rate cannot convert.
        let lse = instrument(Some("LSE"), Some("USD"), dec!(0.92));
        assert_eq!(
            ibkr_fixed_commission(&lse),
            Err(NoSchedule::CurrencyMismatch {
                market: Market::UnitedKingdom,
                currency: "USD".into()
            })
        );
        // A GBP line on the LSE in a EUR account (1 GBP = 1.17 EUR): GBP 3 = EUR 3.51.
        let vusa = instrument(Some("LSE"), Some("GBP"), dec!(1.17));
        let s = ibkr_fixed_commission(&vusa).unwrap();
        assert_eq!(s.estimate(dec!(10), dec!(100)), dec!(3.51));
        assert_eq!(s.estimate(dec!(100), dec!(100)), dec!(5.0000));
        // A USD line on the TSE: the CAD schedule cannot be converted with a USD rate.
        let tse = instrument(Some("TSE"), Some("USD"), dec!(0.92));
        assert_eq!(
            ibkr_fixed_commission(&tse),
            Err(NoSchedule::CurrencyMismatch {
                market: Market::Canada,
                currency: "USD".into()
            })
        );
        // An exchange outside the list is not guessed from its currency (Helsinki is not
        // Xetra); without an exchange the currency decides.
        let helsinki = instrument(Some("HEX"), Some("EUR"), dec!(1));
        assert!(matches!(
            ibkr_fixed_commission(&helsinki),
            Err(NoSchedule::UnknownMarket { .. })
        ));
        let no_exchange = instrument(None, Some("CAD"), dec!(0.68));
        assert!(ibkr_fixed_commission(&no_exchange).is_ok());
    }

    #[test]
    fn unknown_markets_are_named_in_the_error() {
        let hk = instrument(Some("SEHK"), Some("HKD"), dec!(0.12));
        let err = ibkr_fixed_commission(&hk).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no IBKR fixed rate is known for its market (SEHK, HKD)"
        );
        let swiss = instrument(None, Some("CHF"), dec!(1.05));
        assert_eq!(
            ibkr_fixed_commission(&swiss).unwrap_err().to_string(),
            "IBKR's fixed rate for Switzerland is not verified"
        );
    }
}
