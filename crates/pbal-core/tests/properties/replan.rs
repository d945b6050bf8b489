//! `replan_buys`: the buys after the sells never spend more than the budget, never buy what
//! the confirmed plan did not, never more of it; with nothing sold and the confirmed buy-only
//! plan's own cash they are that plan's buys.

use pbal_core::{
    Commission, Holding, PlanOptions, Portfolio, Side, Strategy, Targets, Trade, plan, replan_buys,
};
use proptest::prelude::*;
use proptest::strategy::Strategy as _;
use rust_decimal::Decimal;

#[derive(Debug, Clone)]
struct Case {
    /// (shares held, price in cents).
    assets: Vec<(u32, i64)>,
    /// Target weights (normalised).
    weights: Vec<u32>,
    cash_cents: i64,
    /// The budget after the sells, in percent of the cash the confirmed plan had.
    budget_percent: i64,
    /// Share of each planned sell that filled, in percent.
    filled_percent: u32,
    commission: Commission,
}

fn case() -> impl proptest::strategy::Strategy<Value = Case> {
    (2usize..=6).prop_flat_map(|n| {
        (
            prop::collection::vec((0u32..=300, 100i64..=50_000), n),
            prop::collection::vec(1u32..=100, n),
            0i64..=5_000_000,
            prop_oneof![Just(100i64), 0i64..=200],
            prop_oneof![Just(100u32), 0u32..=100],
            prop_oneof![
                Just(Commission::None),
                Just(Commission::IbkrFixed),
                (0i64..=300).prop_map(|c| Commission::Flat(Decimal::new(c, 2)))
            ],
        )
            .prop_map(
                |(assets, weights, cash_cents, budget_percent, filled_percent, commission)| Case {
                    assets,
                    weights,
                    cash_cents,
                    budget_percent,
                    filled_percent,
                    commission,
                },
            )
    })
}

fn setup(case: &Case) -> (Portfolio, Targets) {
    let holdings = case
        .assets
        .iter()
        .enumerate()
        .map(|(i, &(shares, cents))| {
            Holding::new(
                format!("A{i}"),
                Decimal::from(shares),
                Decimal::new(cents, 2),
            )
            .unwrap()
        })
        .collect();
    let total: u32 = case.weights.iter().sum();
    let weights: Vec<(String, Decimal)> = case
        .weights
        .iter()
        .enumerate()
        .map(|(i, &w)| (format!("A{i}"), Decimal::from(w) / Decimal::from(total)))
        .collect();
    let mut weights = weights;
    // Exact sum of one: the last weight takes the rounding.
    let rest: Decimal = weights[..weights.len() - 1].iter().map(|(_, w)| *w).sum();
    if let Some(last) = weights.last_mut() {
        last.1 = Decimal::ONE - rest;
    }
    (
        Portfolio::new(holdings).unwrap(),
        Targets::new(weights).unwrap(),
    )
}

fn spent(trades: &[Trade]) -> Decimal {
    trades.iter().map(|t| t.amount + t.commission).sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn replanned_buys_stay_within_the_budget_and_the_confirmed_plan(case in case()) {
        let (portfolio, targets) = setup(&case);
        let cash = Decimal::new(case.cash_cents, 2);
        for strategy in [Strategy::BuyOnly, Strategy::Full] {
            let options = PlanOptions::new()
                .with_strategy(strategy)
                .with_commission(case.commission);
            let Ok(confirmed) = plan(&portfolio, &targets, cash, &options) else {
                continue;
            };
            let sold: Vec<(String, Decimal)> = confirmed
                .trades
                .iter()
                .filter(|t| t.side == Side::Sell)
                .map(|t| {
                    let filled = (t.quantity * Decimal::from(case.filled_percent)
                        / Decimal::ONE_HUNDRED)
                        .floor();
                    (t.symbol.clone(), filled)
                })
                .collect();
            let budget = cash * Decimal::from(case.budget_percent) / Decimal::ONE_HUNDRED;
            let buys = replan_buys(&portfolio, &targets, &options, &confirmed.trades, &sold, budget)
                .unwrap();
            prop_assert!(spent(&buys) <= budget.max(Decimal::ZERO), "spent {} of {budget}", spent(&buys));
            for buy in &buys {
                prop_assert_eq!(buy.side, Side::Buy);
                let shown = confirmed
                    .trades
                    .iter()
                    .find(|t| t.side == Side::Buy && t.symbol == buy.symbol);
                prop_assert!(shown.is_some_and(|t| buy.quantity <= t.quantity), "{buy:?} not in {confirmed:?}");
            }
            if strategy == Strategy::BuyOnly && case.budget_percent == 100 {
                // Nothing sold, the plan's own cash: the budget does not bind, the plain plan.
                let plain: Vec<&Trade> = confirmed.trades.iter().filter(|t| t.side == Side::Buy).collect();
                prop_assert_eq!(buys.iter().collect::<Vec<_>>(), plain);
            }
        }
    }
}
