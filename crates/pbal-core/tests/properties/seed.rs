//! The original tool's own test cases and README example.

use pbal_core::dec;
use pbal_core::{Holding, Plan, PlanOptions, Portfolio, Side, Strategy, Targets, plan};
use rust_decimal::Decimal;

fn foo_bar() -> Portfolio {
    Portfolio::new(vec![
        Holding::new("FOO", dec!(5000), dec!(10))
            .unwrap()
            .with_unrealized_pnl(dec!(-1000)),
        Holding::new("BAR", dec!(20000), dec!(5))
            .unwrap()
            .with_unrealized_pnl(dec!(1000)),
    ])
    .unwrap()
}

fn run(portfolio: &Portfolio, cash: Decimal, strategy: Strategy, min_trade: Decimal) -> Plan {
    let symbols: Vec<String> = portfolio
        .holdings()
        .iter()
        .map(|h| h.symbol.clone())
        .collect();
    let targets = Targets::equal(symbols).unwrap();
    let options = PlanOptions::new()
        .with_strategy(strategy)
        .with_min_trade(min_trade);
    plan(portfolio, &targets, cash, &options).unwrap()
}

/// Signed amount per symbol (buys positive).
fn amounts(plan: &Plan) -> Vec<(String, Decimal)> {
    plan.trades
        .iter()
        .map(|t| {
            let sign = if t.side == Side::Buy { 1 } else { -1 };
            (t.symbol.clone(), t.amount * Decimal::from(sign))
        })
        .collect()
}

fn expect(plan: &Plan, expected: &[(&str, Decimal)]) {
    let mut got = amounts(plan);
    got.sort();
    let mut want: Vec<(String, Decimal)> = expected
        .iter()
        .map(|(s, a)| ((*s).to_owned(), *a))
        .collect();
    want.sort();
    assert_eq!(got, want, "plan: {plan:#?}");
}

#[test]
fn hard_rebalance_cases() {
    let p = foo_bar();
    let full = Strategy::Full;
    expect(
        &run(&p, dec!(0), full, dec!(0)),
        &[("FOO", dec!(25000)), ("BAR", dec!(-25000))],
    );
    expect(
        &run(&p, dec!(50000), full, dec!(0)),
        &[("FOO", dec!(50000))],
    );
    expect(
        &run(&p, dec!(100000), full, dec!(0)),
        &[("FOO", dec!(75000)), ("BAR", dec!(25000))],
    );
    expect(
        &run(&p, dec!(-10000), full, dec!(0)),
        &[("FOO", dec!(20000)), ("BAR", dec!(-30000))],
    );
}

#[test]
fn try_avoid_sell_cases() {
    let p = foo_bar();
    let buy = Strategy::BuyOnly;
    expect(&run(&p, dec!(0), buy, dec!(0)), &[]);
    expect(&run(&p, dec!(50000), buy, dec!(0)), &[("FOO", dec!(50000))]);
    expect(
        &run(&p, dec!(100000), buy, dec!(0)),
        &[("FOO", dec!(75000)), ("BAR", dec!(25000))],
    );
    expect(
        &run(&p, dec!(-10000), buy, dec!(0)),
        &[("BAR", dec!(-10000))],
    );
}

#[test]
fn withdrawal_sells_the_largest_loss_among_equals() {
    for (a, b) in [(dec!(0), dec!(-1000)), (dec!(-1000), dec!(-2000))] {
        let p = Portfolio::new(vec![
            Holding::new("AAA", dec!(5000), dec!(10))
                .unwrap()
                .with_unrealized_pnl(a),
            Holding::new("BBB", dec!(5000), dec!(10))
                .unwrap()
                .with_unrealized_pnl(b),
            Holding::new("CCC", dec!(5000), dec!(10))
                .unwrap()
                .with_unrealized_pnl(dec!(0)),
        ])
        .unwrap();
        let plan = run(&p, dec!(-1000), Strategy::BuyOnly, dec!(1000));
        expect(&plan, &[("BBB", dec!(-1000))]);
    }
}

pub(crate) fn ten_etfs() -> Portfolio {
    let rows = [
        ("FTEC", dec!(15000.00), dec!(128.62), dec!(3343.9673)),
        ("VAW", dec!(10000.00), dec!(180.51), dec!(893.3955)),
        ("VCR", dec!(6798.48), dec!(279.68), dec!(1700.9984)),
        ("VDC", dec!(8000), dec!(192.75), dec!(-1192.065125)),
        ("VHT", dec!(12000.43), dec!(242.65), dec!(18.5908)),
        ("VIS", dec!(9000), dec!(203.87), dec!(-2382.175)),
        ("VNQ", dec!(9500), dec!(83.1), dec!(-1745.915301)),
        ("VOX", dec!(9500.14), dec!(105.39), dec!(-2075.3452)),
        ("VPU", dec!(13000.99), dec!(140.63), dec!(4933.423)),
        ("VSMAX", dec!(20100.44), dec!(94.73), dec!(802.809999)),
    ];
    Portfolio::new(
        rows.iter()
            .map(|&(s, value, price, pnl)| {
                Holding::valued(s, (value / price).round_dp(4), price, value)
                    .with_unrealized_pnl(pnl)
            })
            .collect(),
    )
    .unwrap()
}

#[test]
fn readme_example_spends_4995_84_and_is_optimal() {
    let plan = run(&ten_etfs(), dec!(5000), Strategy::BuyOnly, dec!(0));
    assert_eq!(plan.cash.spent, dec!(4995.84), "{plan:#?}");
    assert!(plan.cash.left >= Decimal::ZERO);
    assert_eq!(plan.optimality, pbal_core::Optimality::Optimal);
}
