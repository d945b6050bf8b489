//! Deserialized portfolios and targets are checked like built ones: serde goes through the
//! constructors, so no invalid value reaches `plan`.

use pbal_core::{Error, Holding, Portfolio, Targets, dec};
use proptest::prelude::*;

#[test]
fn targets_that_do_not_sum_to_one_or_are_negative_do_not_deserialize() {
    let bad = r#"{"weights":{"VTI":"3.5","BND":"-0.5"}}"#;
    let err = serde_json::from_str::<Targets>(bad).unwrap_err();
    assert!(err.to_string().contains("must not be negative"), "{err}");
    let three = r#"{"weights":{"VTI":"2","BND":"1"}}"#;
    let err = serde_json::from_str::<Targets>(three).unwrap_err();
    assert!(err.to_string().contains("sum to 3"), "{err}");
    let blank = r#"{"weights":{"":"1"}}"#;
    assert!(serde_json::from_str::<Targets>(blank).is_err());
    let good = r#"{"weights":{"VTI":"0.6","BND":"0.4"}}"#;
    let t: Targets = serde_json::from_str(good).unwrap();
    assert_eq!(t.weight("BND"), dec!(0.4));
}

/// An unsorted serialized portfolio is sorted on the way in, so `get` finds every holding; a
/// duplicate, a zero price or an empty symbol is refused.
#[test]
fn a_deserialized_portfolio_is_sorted_and_checked() {
    let holding = |symbol: &str, price: &str| {
        format!(
            r#"{{"symbol":"{symbol}","quantity":"1","price":"{price}","value":"{price}","unrealized_pnl":null,"lots":[]}}"#
        )
    };
    let json = |holdings: &[String]| format!(r#"{{"holdings":[{}]}}"#, holdings.join(","));
    let unsorted = json(&[holding("VTI", "250"), holding("BND", "72")]);
    let p: Portfolio = serde_json::from_str(&unsorted).unwrap();
    assert!(p.get("VTI").is_some() && p.get("BND").is_some());
    for bad in [
        json(&[holding("VTI", "250"), holding("VTI", "250")]),
        json(&[holding("VTI", "0")]),
        json(&[holding("", "10")]),
    ] {
        assert!(serde_json::from_str::<Portfolio>(&bad).is_err(), "{bad}");
    }
    assert_eq!(Holding::new(" ", dec!(1), dec!(1)), Err(Error::EmptySymbol));
}

proptest! {
    /// Whatever order the holdings come in, a serialized portfolio reads back equal.
    #[test]
    fn portfolios_round_trip(prices in proptest::collection::btree_map("[A-Z]{1,5}", 1u32..100_000, 1..8)) {
        let holdings: Vec<Holding> = prices
            .iter()
            .rev()
            .map(|(s, p)| Holding::new(s.clone(), dec!(3), rust_decimal::Decimal::new(i64::from(*p), 2)).unwrap())
            .collect();
        let portfolio = Portfolio::new(holdings).unwrap();
        let text = serde_json::to_string(&portfolio).unwrap();
        let back: Portfolio = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back, portfolio);
    }
}
