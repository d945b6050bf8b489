//! `--commission ibkr-fixed` per market: each asset pays IBKR's fixed schedule for the market it
//! trades in (see the README's "Commissions"), converted to the base currency.

use std::collections::BTreeMap;

use pbal_core::{Commission, PlanOptions};
use pbal_ibkr::{Instrument, ibkr_fixed_commission};

/// With `--commission ibkr-fixed`, gives every asset of `instruments` its market's schedule.
/// Files without exchange or currency (the original tool's CSV) keep the US per-share rate; an
/// asset whose market has no known schedule is estimated without commission and named in a
/// warning (one line per reason).
pub(crate) fn per_market(options: &mut PlanOptions, instruments: &BTreeMap<String, Instrument>) {
    if options.commission != Commission::IbkrFixed {
        return;
    }
    for (symbol, instrument) in instruments {
        if instrument.listing_exchange.is_none() && instrument.currency.is_none() {
            continue;
        }
        let commission = match ibkr_fixed_commission(instrument) {
            Ok(schedule) => Commission::Schedule(schedule),
            Err(why) => {
                crate::ui::warn_grouped(
                    "no fixed rate",
                    &why.to_string(),
                    symbol,
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
                Commission::None
            }
        };
        options.commission_for.insert(symbol.clone(), commission);
    }
}
