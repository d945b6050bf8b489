//! Options that work only with others (`--limit-offset` with limit orders, `--to` with
//! `--strategy bands`, …). One the user typed where it has no effect is a usage error that
//! names what it needs; one that came from the config file or a `PBAL_*` variable is only a
//! `-v` note, so a default set for one kind of run does not break the others.

use std::collections::BTreeSet;

use clap::ArgMatches;
use clap::parser::ValueSource;

use crate::cli::{CashArg, EngineArgs, OrderTypeArg, StrategyArg, WashSaleArg};
use crate::commands::plan::{Format, PlanArgs};
use crate::error::UsageError;

/// Which options of the command were typed on the command line, and which were filled in
/// from the config file or the environment.
#[derive(Debug, Default)]
pub(crate) struct Given {
    typed: BTreeSet<String>,
    layered: BTreeSet<String>,
}

impl Given {
    /// From the matches of the command line as typed and of the one with the config file's
    /// and the environment's settings added.
    pub(crate) fn new(typed: &ArgMatches, layered: &ArgMatches) -> Self {
        let typed = leaf(typed);
        let layered = leaf(layered);
        let from_command_line = |m: &ArgMatches| -> BTreeSet<String> {
            m.ids()
                .filter(|id| m.value_source(id.as_str()) == Some(ValueSource::CommandLine))
                .map(|id| id.as_str().to_owned())
                .collect()
        };
        let typed_ids = from_command_line(typed);
        let layered_ids = layered
            .ids()
            .filter(|id| {
                matches!(
                    layered.value_source(id.as_str()),
                    Some(ValueSource::CommandLine | ValueSource::EnvVariable)
                )
            })
            .map(|id| id.as_str().to_owned())
            .filter(|id| !typed_ids.contains(id))
            .collect();
        Self {
            typed: typed_ids,
            layered: layered_ids,
        }
    }

    /// An option the user typed, or set in the config file or environment, whose value the
    /// run does not use: `needs` says what it needs.
    fn unused(&self, id: &str, flag: &str, needs: &str) -> Result<(), UsageError> {
        if self.typed.contains(id) {
            return Err(UsageError(format!("{flag} needs {needs}")));
        }
        if self.layered.contains(id) {
            crate::ui::note(&format!(
                "{flag} from the config file or environment is not used here: it needs {needs}"
            ));
        }
        Ok(())
    }
}

/// The matches of the innermost subcommand.
fn leaf(matches: &ArgMatches) -> &ArgMatches {
    let mut m = matches;
    while let Some((_, sub)) = m.subcommand() {
        m = sub;
    }
    m
}

/// The engine options that need bands.
pub(crate) fn engine(args: &EngineArgs, given: &Given) -> Result<(), UsageError> {
    let bands = args.bands || args.strategy == StrategyArg::Bands;
    if !bands {
        let needs = "bands (--strategy bands, or --bands)";
        given.unused("band_abs", "--band-abs", needs)?;
        given.unused("band_rel", "--band-rel", needs)?;
    }
    if args.strategy != StrategyArg::Bands {
        given.unused("to", "--to", "--strategy bands")?;
    }
    if args.substitutes.is_some() && args.wash_sale != WashSaleArg::Block {
        given.unused(
            "substitutes",
            "--substitutes",
            "the wash-sale guard that blocks buys (--wash-sale block)",
        )?;
    }
    Ok(())
}

/// `--limit-offset` needs limit orders.
pub(crate) fn limit_offset(order_type: OrderTypeArg, given: &Given) -> Result<(), UsageError> {
    if order_type != OrderTypeArg::Lmt {
        given.unused(
            "limit_offset",
            "--limit-offset",
            "limit orders (--order-type lmt)",
        )?;
    }
    Ok(())
}

/// `pbal backtest`'s band options: the bands' widths need a policy that uses the options'
/// bands, `--to` one that trades to a destination (a full threshold policy, or bands).
pub(crate) fn backtest(
    args: &crate::commands::backtest::BacktestArgs,
    given: &Given,
) -> anyhow::Result<()> {
    use pbal_core::Strategy;
    use pbal_core::backtest::Schedule;
    let policies = crate::commands::backtest::policies(args)?;
    let uses_bands = |p: &pbal_core::backtest::Policy| {
        p.strategy == Strategy::Bands && p.schedule != Schedule::Never
            || p.schedule == Schedule::Bands && p.bands.is_none()
    };
    if !policies.iter().any(uses_bands) {
        let needs = "a bands policy (bands, full-bands, bands-quarterly…) without its own ABS/REL";
        given.unused("band_abs", "--band-abs", needs)?;
        given.unused("band_rel", "--band-rel", needs)?;
    }
    let has_destination = |p: &pbal_core::backtest::Policy| {
        p.schedule == Schedule::Bands
            || p.strategy == Strategy::Bands && p.schedule != Schedule::Never
            || p.strategy == Strategy::Full && p.threshold.is_some_and(|t| !t.is_zero())
    };
    if !policies.iter().any(has_destination) {
        given.unused(
            "to",
            "--to",
            "a threshold policy (full-quarterly:5…) or a bands policy",
        )?;
    }
    Ok(())
}

/// `pbal plan`'s options.
pub(crate) fn plan(args: &PlanArgs, given: &Given) -> Result<(), UsageError> {
    engine(&args.engine, given)?;
    if args.format != Format::Basket {
        given.unused(
            "order_type",
            "--order-type",
            "--format basket (pbal plan writes orders only as a TWS basket)",
        )?;
        given.unused(
            "limit_offset",
            "--limit-offset",
            "--format basket --order-type lmt",
        )?;
    }
    limit_offset(args.order_type, given)?;
    if args.cash_account.is_some()
        && args.cash_total.is_none()
        && !matches!(args.cash, Some(CashArg::Amount(_)))
    {
        given.unused(
            "cash_account",
            "--cash-account",
            "an amount in --cash or --cash-total (without one each account keeps its own cash)",
        )?;
    }
    if args.flex_query.is_none() {
        given.unused("token_env", "--token-env", "--flex-query ID")?;
    }
    Ok(())
}

/// `pbal trade`'s options.
#[cfg(feature = "live")]
pub(crate) fn trade(args: &crate::live::TradeArgs, given: &Given) -> Result<(), UsageError> {
    engine(&args.engine, given)?;
    limit_offset(args.order_type, given)
}
