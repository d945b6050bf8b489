//! Chained errors tell each cause once: a message that returns its cause from `source()` does
//! not also put the cause's text into its own (`anyhow`'s `{:#}` would print it twice).

use std::error::Error as _;

use pbal_core::AuditFailure;
use pbal_core::backtest::BacktestError;
use pbal_ibkr::{Error, read_path};

/// Walks `error`'s chain: no message holds the text of the cause below it, and the chain has
/// at least `depth` levels (so the walk is not vacuous).
pub(crate) fn assert_each_cause_told_once(error: &(dyn std::error::Error + 'static), depth: usize) {
    let mut levels = vec![error.to_string()];
    let mut cause = error.source();
    while let Some(c) = cause {
        levels.push(c.to_string());
        cause = c.source();
    }
    assert!(levels.len() >= depth, "{levels:?}");
    for pair in levels.windows(2) {
        assert!(
            !pair[0].contains(pair[1].trim()),
            "{:?} repeats its cause {:?}",
            pair[0],
            pair[1]
        );
    }
}

#[test]
fn a_file_that_cannot_be_read_names_the_file_and_leaves_the_reason_to_its_cause() {
    let err = read_path("no-such-export.csv").unwrap_err();
    assert_eq!(err.to_string(), "cannot read no-such-export.csv");
    assert_eq!(
        err.source()
            .map(|s| s.downcast_ref::<std::io::Error>().map(std::io::Error::kind)),
        Some(Some(std::io::ErrorKind::NotFound))
    );
    assert_each_cause_told_once(&err, 2);
}

#[test]
fn wrapped_pbal_core_errors_are_told_once() {
    let audit = pbal_core::Error::Audit(AuditFailure::new("cash conservation", "off by 1"));
    assert_each_cause_told_once(&audit, 2);
    let portfolio = Error::Portfolio {
        file: "pos.csv".into(),
        source: pbal_core::Error::EmptySymbol,
    };
    assert_each_cause_told_once(&portfolio, 2);
    let weights = Error::TargetWeights {
        file: "targets.toml".into(),
        source: audit,
    };
    assert_each_cause_told_once(&weights, 3);
    let nothing = Error::NothingHeld {
        source: pbal_core::Error::EmptySymbol,
    };
    assert_each_cause_told_once(&nothing, 2);
    let backtest = BacktestError::Plan {
        policy: "buy-only-monthly".into(),
        date: pbal_core::date(2024, 1, 31),
        source: pbal_core::Error::EmptySymbol,
    };
    assert_each_cause_told_once(&backtest, 2);
}
