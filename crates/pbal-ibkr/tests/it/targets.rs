//! Targets specs and the managed portfolio: percent or fractions alike, exclusions, prices of
//! unheld targets, the equal-weight default, and the notes a library user renders.

use std::collections::BTreeMap;

use pbal_core::{Decimal, dec};
use pbal_ibkr::{AccountSelection, Error, Note, TargetsError, TargetsSpec, read_bytes};
use proptest::prelude::*;

fn statement() -> pbal_ibkr::Statement {
    let csv = "Symbol,PositionValue,MarkPrice,FifoPnlUnrealized\n\
               VTI,15030,250.50,2100\n\
               TSLA,4000,400,900\n\
               GLD,2000,200,10\n";
    read_bytes(csv.as_bytes(), "positions.csv").unwrap()
}

proptest! {
    /// Oracle: whole percents summing to 100 are the same targets as those percents / 100
    /// given as fractions.
    #[test]
    fn percent_and_fractions_are_the_same_targets(cuts in prop::collection::btree_set(1u32..100, 0..6)) {
        let mut bounds: Vec<u32> = cuts.into_iter().collect();
        bounds.insert(0, 0);
        bounds.push(100);
        let percents: Vec<(String, Decimal)> = bounds
            .windows(2)
            .enumerate()
            .map(|(i, w)| (format!("S{i}"), Decimal::from(w[1] - w[0])))
            .collect();
        let fractions: Vec<(String, Decimal)> = percents
            .iter()
            .map(|(s, p)| (s.clone(), p / Decimal::ONE_HUNDRED))
            .collect();
        let a = TargetsSpec::new(percents).unwrap();
        let b = TargetsSpec::new(fractions.clone()).unwrap();
        prop_assert_eq!(&a.weights, &fractions);
        prop_assert_eq!(a.targets().unwrap(), b.targets().unwrap());
    }
}

#[test]
fn weights_summing_to_neither_are_refused() {
    let e = TargetsSpec::new([("A", dec!(60)), ("B", dec!(30))]).unwrap_err();
    assert!(
        matches!(e, TargetsError::WeightSum { sum, .. } if sum == dec!(90)),
        "{e}"
    );
    assert!(!e.to_string().contains("mix"), "{e}");
    // A fraction beside a percent: named, one of each.
    let e = TargetsSpec::new([("A", dec!(0.5)), ("B", dec!(50))]).unwrap_err();
    assert!(
        e.to_string().contains(
            "seem to mix fractions and percents (A = 0.5 reads as a fraction, B = 50 as a percent)"
        ),
        "{e}"
    );
    let e = TargetsSpec::new(Vec::<(String, Decimal)>::new()).unwrap_err();
    assert!(matches!(e, TargetsError::NoWeights { .. }), "{e}");
    let e = TargetsSpec::new([("A", dec!(100))])
        .unwrap()
        .price("B", dec!(0))
        .unwrap_err();
    assert!(e.to_string().contains("price must be positive"), "{e}");
}

#[test]
fn the_managed_portfolio_leaves_out_exclusions_and_adds_priced_targets() {
    let spec = TargetsSpec::new([("VTI", dec!(0.6)), ("BND", dec!(0.4))])
        .unwrap()
        .exclude("TSLA")
        .exclude("ARKK")
        .price("BND", dec!(72.10))
        .unwrap();
    let managed = statement()
        .portfolio(&AccountSelection::Single, Some(&spec))
        .unwrap();
    let symbols: Vec<&str> = managed
        .portfolio
        .holdings()
        .iter()
        .map(|h| h.symbol.as_str())
        .collect();
    assert_eq!(symbols, ["BND", "GLD", "VTI"]);
    assert_eq!(
        managed.portfolio.get("BND").unwrap().quantity,
        Decimal::ZERO
    );
    assert_eq!(managed.targets.weight("GLD"), Decimal::ZERO);
    assert_eq!(
        managed.notes,
        [
            Note::NoTarget {
                symbol: "GLD".into()
            },
            Note::ExcludedNotHeld {
                symbol: "ARKK".into()
            },
        ]
    );
    // A market price wins over the spec's.
    let prices = BTreeMap::from([("BND".to_owned(), dec!(73))]);
    let managed = statement()
        .portfolio_priced(&AccountSelection::Single, Some(&spec), &prices)
        .unwrap();
    assert_eq!(managed.portfolio.get("BND").unwrap().price, dec!(73));
}

#[test]
fn without_a_spec_every_holding_weighs_the_same() {
    let managed = statement()
        .portfolio(&AccountSelection::Single, None)
        .unwrap();
    // Equal but for one weight, which takes the rounding remainder so they sum to 1.
    let weights: Vec<Decimal> = managed.targets.iter().map(|(_, w)| w).collect();
    assert_eq!(weights.len(), 3);
    let (low, high) = (weights.iter().min().unwrap(), weights.iter().max().unwrap());
    assert!(high - low <= dec!(0.000000000000000000000000001));
    assert_eq!(weights.iter().sum::<Decimal>(), Decimal::ONE);
    assert!(managed.notes.is_empty());
}

#[test]
fn an_unpriced_target_is_an_error_naming_the_held_spelling() {
    let spec = TargetsSpec::new([("vti", dec!(100))]).unwrap();
    let e = statement()
        .portfolio(&AccountSelection::Single, Some(&spec))
        .unwrap_err();
    assert!(
        matches!(&e, Error::UnpricedTarget { symbol, held_as: Some(h), .. } if symbol == "vti" && h == "VTI"),
        "{e}"
    );
    assert!(!e.to_string().contains("--"), "{e}");
}

#[cfg(feature = "targets-toml")]
#[test]
fn a_targets_file_reads_into_the_same_spec() {
    let text = "exclude = [\"TSLA\"]\nVTI = 60\nBND = \"40%\"\n[BND]\n";
    // `BND` twice is a TOML error, told with its line.
    let e = TargetsSpec::from_toml_str(text, "t.toml").unwrap_err();
    assert!(matches!(e, TargetsError::Syntax { line: 4, .. }), "{e}");
    let text = "exclude = [\"TSLA\"]\nVTI = 60\n[BND]\nweight = \"40%\"\nprice = 72.10\n";
    let read = TargetsSpec::from_toml_str(text, "t.toml").unwrap();
    let built = TargetsSpec::new([("VTI", dec!(60)), ("BND", dec!(40))])
        .unwrap()
        .exclude("TSLA")
        .price("BND", dec!(72.10))
        .unwrap();
    // TOML tables come in key order; the weights are the same.
    assert_eq!(read.targets().unwrap(), built.targets().unwrap());
    assert_eq!(read.exclude, built.exclude);
    assert_eq!(read.prices, built.prices);
}

/// A 0% target neither held nor priced is nothing to do: left out of the portfolio and the
/// targets, and noted; a weight above 0 still needs its price.
#[test]
fn a_zero_target_not_held_needs_no_price() {
    let spec = TargetsSpec::new([
        ("VTI", dec!(60)),
        ("TSLA", dec!(20)),
        ("GLD", dec!(20)),
        ("ZZZZ", dec!(0)),
    ])
    .unwrap();
    let managed = statement()
        .portfolio(&AccountSelection::Single, Some(&spec))
        .unwrap();
    assert!(managed.portfolio.get("ZZZZ").is_none());
    assert_eq!(
        managed.notes,
        vec![Note::ZeroTargetNotHeld {
            symbol: "ZZZZ".into()
        }]
    );
    let spec = TargetsSpec::new([("VTI", dec!(60)), ("TSLA", dec!(20)), ("ZZZZ", dec!(20))])
        .unwrap()
        .exclude("GLD");
    let e = statement()
        .portfolio(&AccountSelection::Single, Some(&spec))
        .unwrap_err();
    assert!(matches!(e, Error::UnpricedTarget { .. }), "{e}");
}
