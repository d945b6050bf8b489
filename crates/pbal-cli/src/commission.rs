//! `--commission ibkr-fixed` per market (pbal-ibkr's `commission_per_market`): the assets
//! whose market has no known schedule are told, one line per reason.

use pbal_ibkr::NoCommission;

/// One warning per reason for the assets estimated without commission.
pub(crate) fn tell_no_commission(no_commission: &[NoCommission]) {
    for gap in no_commission {
        crate::ui::warn_grouped(
            "no fixed rate",
            &gap.reason.to_string(),
            &gap.symbol,
            |why, symbols| {
                let (verb, its) = if symbols.len() == 1 {
                    ("has", "its")
                } else {
                    ("have", "their")
                };
                format!(
                    "{} {verb} no IBKR fixed commission here: {why}; {its} orders are \
                     estimated without commission",
                    crate::ui::and_list(symbols)
                )
            },
        );
    }
}
