//! Property tests: invariants of every plan, and optimality against brute force on small cases.

use pbal_core::{
    Commission, CommissionSchedule, Holding, Plan, PlanOptions, Portfolio, Side, Strategy, Targets,
    audit, plan,
};
use proptest::prelude::*;
use proptest::strategy::Strategy as _;
use rust_decimal::Decimal;

#[derive(Debug, Clone)]
struct Case {
    /// (shares held, price in cents, P&L in dollars).
    assets: Vec<(u32, i64, i64)>,
    /// Target weights in percent (normalised by the last asset).
    weights: Vec<u32>,
    cash_cents: i64,
    strategy: Strategy,
    min_trade: i64,
    reserve: i64,
    commission: Commission,
    /// Per-asset commissions replacing `commission` (index, commission).
    own: Vec<(usize, Commission)>,
    step: Decimal,
    /// Also allow orders not worth their commission (the objective without the worth-it rule).
    keep_costly: bool,
}

fn money(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

fn case(
    max_assets: usize,
    max_shares: u32,
    min_price: i64,
    max_cash: i64,
) -> impl proptest::strategy::Strategy<Value = Case> {
    (1..=max_assets).prop_flat_map(move |n| {
        (
            prop::collection::vec((0..=max_shares, min_price..=50_000, -500i64..=500), n),
            prop::collection::vec(0u32..=100, n),
            -max_cash..=max_cash,
            prop_oneof![Just(Strategy::BuyOnly), Just(Strategy::Full)],
            prop_oneof![Just(0i64), 1i64..=300],
            prop_oneof![Just(0i64), 1i64..=200],
            prop_oneof![
                Just(Commission::None),
                Just(Commission::IbkrFixed),
                (0i64..=300).prop_map(|c| Commission::Flat(money(c)))
            ],
            prop_oneof![Just(Decimal::ONE), Just(Decimal::new(5, 1))],
            any::<bool>(),
        )
            .prop_map(
                |(
                    assets,
                    weights,
                    cash_cents,
                    strategy,
                    min_trade,
                    reserve,
                    commission,
                    step,
                    keep_costly,
                )| {
                    Case {
                        assets,
                        weights,
                        cash_cents,
                        strategy,
                        min_trade,
                        reserve,
                        commission,
                        own: Vec::new(),
                        step,
                        keep_costly,
                    }
                },
            )
    })
}

fn symbols(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("S{i}")).collect()
}

fn inputs(c: &Case) -> (Portfolio, Targets, Decimal, PlanOptions) {
    let names = symbols(c.assets.len());
    let portfolio = Portfolio::new(
        c.assets
            .iter()
            .zip(&names)
            .map(|(&(q, p, pnl), s)| {
                Holding::new(s.clone(), Decimal::from(q), money(p))
                    .unwrap()
                    .with_unrealized_pnl(pnl.into())
            })
            .collect(),
    )
    .unwrap();
    let total: u32 = c.weights.iter().sum();
    let targets = if total == 0 {
        Targets::equal(names.clone()).unwrap()
    } else {
        let mut weights: Vec<Decimal> = c
            .weights
            .iter()
            .map(|&w| Decimal::from(w) / Decimal::from(total))
            .collect();
        let head: Decimal = weights[..weights.len() - 1].iter().sum();
        *weights.last_mut().unwrap() = (Decimal::ONE - head).max(Decimal::ZERO);
        Targets::new(names.into_iter().zip(weights)).unwrap()
    };
    let options = PlanOptions::new()
        .with_strategy(c.strategy)
        .with_min_trade(Decimal::from(c.min_trade))
        .with_quantity_step(c.step)
        .with_commission(c.commission)
        .with_reserve(Decimal::from(c.reserve))
        .with_keep_costly_orders(c.keep_costly);
    let options = c.own.iter().fold(options, |o, &(i, commission)| {
        o.with_commission_for(format!("S{i}"), commission)
    });
    (portfolio, targets, money(c.cash_cents), options)
}

fn signed(plan: &Plan, symbol: &str) -> Decimal {
    plan.trades
        .iter()
        .filter(|t| t.symbol == symbol)
        .map(|t| {
            if t.side == Side::Buy {
                t.quantity
            } else {
                -t.quantity
            }
        })
        .sum()
}

/// The objective, computed independently from the definition.
fn objective(
    portfolio: &Portfolio,
    targets: &Targets,
    cash: Decimal,
    reserve: Decimal,
    quantities: &[Decimal],
) -> Decimal {
    let total: Decimal = portfolio
        .holdings()
        .iter()
        .map(|h| h.value)
        .sum::<Decimal>()
        + cash;
    let mut spent = Decimal::ZERO;
    let mut f = Decimal::ZERO;
    for (h, q) in portfolio.holdings().iter().zip(quantities) {
        let x = q * h.price;
        spent += x;
        let d = h.value + x - targets.weight(&h.symbol) * (total - reserve);
        f += d * d;
    }
    let cash_dev = cash - spent - reserve;
    f + cash_dev * cash_dev
}

#[derive(Debug)]
struct TooLarge;

/// Every allowed plan by enumeration; returns the best objective (None when none is feasible).
fn brute_force(c: &Case) -> Result<Option<Decimal>, TooLarge> {
    let (portfolio, targets, cash, options) = inputs(c);
    let budget = cash - options.reserve;
    let withdrawal = c.strategy == Strategy::BuyOnly && budget < Decimal::ZERO;
    let step = options.quantity_step;
    let holdings = portfolio.holdings();
    let sell_all: Decimal = holdings
        .iter()
        .map(|h| (h.quantity / step).floor() * step * h.price)
        .sum();
    let ranges: Vec<(i64, i64)> = holdings
        .iter()
        .map(|h| {
            let held = i64::try_from((h.quantity / step).floor().mantissa()).unwrap();
            let unit = h.price * step;
            let buy_max = |money: Decimal| {
                i64::try_from((money / unit).floor().max(Decimal::ZERO).mantissa()).unwrap()
            };
            match (c.strategy, withdrawal) {
                (Strategy::BuyOnly, false) => (0, buy_max(budget)),
                (Strategy::BuyOnly, true) => (-held, 0),
                (Strategy::Full, _) => (-held, buy_max(budget + sell_all)),
                _ => unreachable!("the oracle cases use buy-only and full only"),
            }
        })
        .collect();
    let count: i64 = ranges.iter().map(|(lo, hi)| hi - lo + 1).product();
    if count > 100_000 {
        return Err(TooLarge);
    }
    let total: Decimal = holdings.iter().map(|h| h.value).sum::<Decimal>() + cash;
    // An order with a commission brings its asset at least that much closer to its target
    // (sales that raise cash are exempt), unless costly orders are kept.
    let worth = |h: &Holding, q: Decimal| {
        let fee = options.commission_of(&h.symbol).estimate(q, h.price);
        if options.keep_costly_orders
            || fee.is_zero()
            || (q < Decimal::ZERO && budget < Decimal::ZERO)
        {
            return true;
        }
        let d = h.value - targets.weight(&h.symbol) * (total - options.reserve);
        d.abs() - (d + q * h.price).abs() >= fee
    };
    let allowed = |h: &Holding, q: Decimal| {
        q.is_zero() || ((q * h.price).abs() >= options.min_trade && worth(h, q))
    };
    let feasible = |qs: &[Decimal]| {
        let mut spend = Decimal::ZERO;
        for (h, q) in holdings.iter().zip(qs) {
            spend += q * h.price + options.commission_of(&h.symbol).estimate(*q, h.price);
        }
        spend <= budget
    };
    let mut best: Option<Decimal> = None;
    let mut current: Vec<i64> = ranges.iter().map(|r| r.0).collect();
    loop {
        let qs: Vec<Decimal> = current.iter().map(|&u| Decimal::from(u) * step).collect();
        let ok = holdings.iter().zip(&qs).all(|(h, q)| allowed(h, *q)) && feasible(&qs);
        // A withdrawal keeps no sold unit it could keep.
        let minimal = !withdrawal
            || (0..qs.len()).all(|i| {
                if current[i] >= 0 {
                    return true;
                }
                let mut probe = qs.clone();
                probe[i] += step;
                if !allowed(&holdings[i], probe[i]) {
                    probe[i] = Decimal::ZERO;
                }
                !feasible(&probe)
            });
        if ok && minimal {
            let f = objective(&portfolio, &targets, cash, options.reserve, &qs);
            best = Some(best.map_or(f, |b: Decimal| b.min(f)));
        }
        // Next combination (odometer).
        let mut i = 0;
        loop {
            if i == current.len() {
                return Ok(best);
            }
            if current[i] < ranges[i].1 {
                current[i] += 1;
                break;
            }
            current[i] = ranges[i].0;
            i += 1;
        }
    }
}

fn check_invariants(c: &Case, plan: &Plan) -> Result<(), TestCaseError> {
    let (portfolio, targets, cash, options) = inputs(c);
    let reserve = options.reserve;
    let total: Decimal = portfolio
        .holdings()
        .iter()
        .map(|h| h.value)
        .sum::<Decimal>()
        + cash;
    // Every order with a commission is worth it: its asset ends at least that much closer to
    // its target (sales that raise cash are exempt), unless costly orders are kept.
    for t in &plan.trades {
        let h = portfolio.get(&t.symbol).unwrap();
        let x = if t.side == Side::Buy {
            t.amount
        } else {
            -t.amount
        };
        let d = h.value - targets.weight(&t.symbol) * (total - reserve);
        let exempt = options.keep_costly_orders
            || t.commission.is_zero()
            || (t.side == Side::Sell && cash < reserve);
        prop_assert!(
            exempt || d.abs() - (d + x).abs() >= t.commission,
            "{t:?} is not worth its commission (deviation {d})"
        );
    }
    // Never overspend: cash left (after commissions) stays at or above the reserve.
    prop_assert!(
        plan.cash.left >= reserve,
        "left {} < reserve {}",
        plan.cash.left,
        reserve
    );
    prop_assert_eq!(
        plan.cash.left,
        cash - plan.cash.spent + plan.cash.received - plan.cash.commission
    );
    let withdrawal = c.strategy == Strategy::BuyOnly && cash < reserve;
    for h in portfolio.holdings() {
        let q = signed(plan, &h.symbol);
        // Quantities are multiples of the step.
        prop_assert!(
            (q / options.quantity_step).fract().is_zero(),
            "{q} not a multiple"
        );
        // Sells never exceed what is held.
        prop_assert!(-q <= h.quantity);
        if c.strategy == Strategy::BuyOnly {
            if withdrawal {
                prop_assert!(q <= Decimal::ZERO, "a withdrawal bought {}", h.symbol);
            } else {
                prop_assert!(q >= Decimal::ZERO, "buy-only sold {}", h.symbol);
            }
        }
    }
    for t in &plan.trades {
        prop_assert!(
            t.amount >= options.min_trade,
            "order below the minimum: {t:?}"
        );
        prop_assert_eq!(t.amount, t.quantity * t.price);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The engine's plan is as good as the best plan found by enumeration, on up to 4 assets.
    #[test]
    fn never_worse_than_brute_force(c in case(4, 6, 5_000, 40_000)) {
        let (portfolio, targets, cash, options) = inputs(&c);
        let oracle = brute_force(&c);
        prop_assume!(oracle.is_ok());
        let oracle = oracle.unwrap();
        match plan(&portfolio, &targets, cash, &options) {
            Ok(p) => {
                check_invariants(&c, &p)?;
                let quantities: Vec<Decimal> =
                    portfolio.holdings().iter().map(|h| signed(&p, &h.symbol)).collect();
                let f = objective(&portfolio, &targets, cash, options.reserve, &quantities);
                let best = oracle.expect("the engine found a plan the oracle calls infeasible");
                prop_assert!(f <= best, "engine {f} > brute force {best}: {p:#?}");
                prop_assert_eq!(p.optimality, pbal_core::Optimality::Optimal);
                // The certified bound (Lagrangian) never exceeds the true optimum.
                prop_assert!(p.objective_bound <= best, "bound {} > optimum {best}", p.objective_bound);
                prop_assert!(p.objective_bound <= p.objective_after);
            }
            Err(e) => prop_assert!(oracle.is_none(), "engine failed ({e}) but oracle found {oracle:?}"),
        }
    }

    /// Past four assets the reduced-cost search proves the optimum: it matches brute force on
    /// five and six assets with few shares each.
    #[test]
    fn reduced_cost_search_matches_brute_force(c in case(6, 3, 10_000, 30_000).prop_filter("five or six assets", |c| c.assets.len() >= 5)) {
        let (portfolio, targets, cash, options) = inputs(&c);
        let oracle = brute_force(&c);
        prop_assume!(oracle.is_ok());
        let oracle = oracle.unwrap();
        match plan(&portfolio, &targets, cash, &options) {
            Ok(p) => {
                check_invariants(&c, &p)?;
                let quantities: Vec<Decimal> =
                    portfolio.holdings().iter().map(|h| signed(&p, &h.symbol)).collect();
                let f = objective(&portfolio, &targets, cash, options.reserve, &quantities);
                let best = oracle.expect("the engine found a plan the oracle calls infeasible");
                prop_assert!(p.objective_bound <= best, "bound {} > optimum {best}", p.objective_bound);
                if p.optimality == pbal_core::Optimality::Optimal {
                    prop_assert_eq!(f, best, "flagged optimal but not the optimum: {:#?}", p);
                } else {
                    prop_assert!(f >= best);
                }
            }
            Err(e) => prop_assert!(oracle.is_none(), "engine failed ({e}) but oracle found {oracle:?}"),
        }
    }

    /// Withdrawals with commissions: the bound prices raising more than a minimal plan can
    /// (a negative budget price); it stays below the optimum, and optimal-flagged plans are it.
    #[test]
    fn withdrawals_with_commissions_match_brute_force(
        c in case(6, 3, 2_000, 0).prop_filter("five or six assets", |c| c.assets.len() >= 5),
        ask in 100i64..=30_000,
        fee in prop_oneof![
            Just(Commission::IbkrFixed),
            (1i64..=300).prop_map(|c| Commission::Flat(money(c)))
        ],
    ) {
        let mut c = c;
        c.strategy = Strategy::BuyOnly;
        c.cash_cents = -ask;
        c.commission = fee;
        let (portfolio, targets, cash, options) = inputs(&c);
        let oracle = brute_force(&c);
        prop_assume!(oracle.is_ok());
        let oracle = oracle.unwrap();
        match plan(&portfolio, &targets, cash, &options) {
            Ok(p) => {
                check_invariants(&c, &p)?;
                let quantities: Vec<Decimal> =
                    portfolio.holdings().iter().map(|h| signed(&p, &h.symbol)).collect();
                let f = objective(&portfolio, &targets, cash, options.reserve, &quantities);
                let best = oracle.expect("the engine found a plan the oracle calls infeasible");
                prop_assert!(p.objective_bound <= best, "bound {} > optimum {best}", p.objective_bound);
                if p.optimality == pbal_core::Optimality::Optimal {
                    prop_assert_eq!(f, best, "flagged optimal but not the optimum: {:#?}", p);
                } else {
                    prop_assert!(f >= best);
                }
            }
            Err(e) => prop_assert!(oracle.is_none(), "engine failed ({e}) but oracle found {oracle:?}"),
        }
    }

    /// Invariants hold on larger random portfolios too.
    #[test]
    fn plans_keep_the_rules(c in case(12, 2_000, 100, 3_000_000)) {
        let (portfolio, targets, cash, options) = inputs(&c);
        if let Ok(p) = plan(&portfolio, &targets, cash, &options) {
            check_invariants(&c, &p)?;
        }
    }

    /// A withdrawal raises at least what was asked (or fails because it cannot).
    #[test]
    fn withdrawals_raise_enough(c in case(6, 500, 100, 0), ask in 1i64..=5_000_000) {
        let mut c = c;
        c.strategy = Strategy::BuyOnly;
        c.cash_cents = -ask;
        let (portfolio, targets, cash, options) = inputs(&c);
        match plan(&portfolio, &targets, cash, &options) {
            Ok(p) => {
                prop_assert!(p.cash.received - p.cash.commission >= -cash + options.reserve);
                prop_assert!(p.trades.iter().all(|t| t.side == Side::Sell));
            }
            Err(e) => prop_assert!(matches!(e, pbal_core::Error::InsufficientHoldings { .. }), "{e}"),
        }
    }
}

/// A fixed-rate schedule of any shape: per share and/or a share of the value, a minimum, an
/// optional cap (some steeper, some flatter than the proportional part, some below the minimum).
fn schedule() -> impl proptest::strategy::Strategy<Value = Commission> {
    (
        prop_oneof![Just(0i64), 1i64..=20],
        prop_oneof![Just(0i64), 1i64..=30],
        0i64..=500,
        prop_oneof![Just(None), (1i64..=200).prop_map(Some)],
    )
        .prop_map(|(per_share_mills, rate_bps, minimum_cents, cap_bps)| {
            Commission::Schedule(CommissionSchedule::new(
                Decimal::new(per_share_mills, 3),
                Decimal::new(rate_bps, 4),
                money(minimum_cents),
                cap_bps.map(|b| Decimal::new(b, 4)),
            ))
        })
}

/// A case whose assets pay different commissions: a default and per-asset schedules.
fn mixed(
    max_assets: usize,
    max_shares: u32,
    min_price: i64,
    max_cash: i64,
) -> impl proptest::strategy::Strategy<Value = Case> {
    (
        case(max_assets, max_shares, min_price, max_cash),
        prop::collection::vec(prop::option::of(schedule()), max_assets),
        prop_oneof![
            Just(Commission::None),
            Just(Commission::IbkrFixed),
            schedule()
        ],
    )
        .prop_map(|(mut c, own, default)| {
            c.commission = default;
            c.own = own
                .into_iter()
                .take(c.assets.len())
                .enumerate()
                .filter_map(|(i, o)| o.map(|o| (i, o)))
                .collect();
            c
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// With each asset on its own schedule the bound stays below the brute-force optimum, a
    /// plan flagged optimal is the optimum, and the audit (each order's own commission) passes.
    #[test]
    fn mixed_schedules_match_brute_force(c in mixed(4, 6, 2_000, 40_000)) {
        let (portfolio, targets, cash, options) = inputs(&c);
        let oracle = brute_force(&c);
        prop_assume!(oracle.is_ok());
        let oracle = oracle.unwrap();
        match plan(&portfolio, &targets, cash, &options) {
            Ok(p) => {
                check_invariants(&c, &p)?;
                prop_assert_eq!(audit(&p, &portfolio, cash, &options), Ok(()));
                for t in &p.trades {
                    let own = options.commission_of(&t.symbol).estimate(t.quantity, t.price);
                    prop_assert_eq!(t.commission, own, "{} pays another asset's commission", t.symbol);
                }
                let quantities: Vec<Decimal> =
                    portfolio.holdings().iter().map(|h| signed(&p, &h.symbol)).collect();
                let f = objective(&portfolio, &targets, cash, options.reserve, &quantities);
                let best = oracle.expect("the engine found a plan the oracle calls infeasible");
                prop_assert!(p.objective_bound <= best, "bound {} > optimum {best}", p.objective_bound);
                prop_assert!(f >= best);
                if p.optimality == pbal_core::Optimality::Optimal {
                    prop_assert_eq!(f, best, "flagged optimal but not the optimum: {:#?}", p);
                }
            }
            Err(e) => prop_assert!(oracle.is_none(), "engine failed ({e}) but oracle found {oracle:?}"),
        }
    }

    /// The same past four assets, where the reduced-cost search proves the optimum.
    #[test]
    fn mixed_schedules_in_the_reduced_cost_search(c in mixed(6, 3, 5_000, 30_000).prop_filter("five or six assets", |c| c.assets.len() >= 5)) {
        let (portfolio, targets, cash, options) = inputs(&c);
        let oracle = brute_force(&c);
        prop_assume!(oracle.is_ok());
        let oracle = oracle.unwrap();
        if let (Ok(p), Some(best)) = (plan(&portfolio, &targets, cash, &options), oracle) {
            check_invariants(&c, &p)?;
            prop_assert_eq!(audit(&p, &portfolio, cash, &options), Ok(()));
            let quantities: Vec<Decimal> =
                portfolio.holdings().iter().map(|h| signed(&p, &h.symbol)).collect();
            let f = objective(&portfolio, &targets, cash, options.reserve, &quantities);
            prop_assert!(p.objective_bound <= best, "bound {} > optimum {best}", p.objective_bound);
            if p.optimality == pbal_core::Optimality::Optimal {
                prop_assert_eq!(f, best, "flagged optimal but not the optimum: {:#?}", p);
            }
        }
    }
}

#[test]
fn same_input_same_plan() {
    let c = Case {
        assets: vec![(10, 12_345, -5), (3, 45_000, 7), (100, 999, 0)],
        weights: vec![30, 30, 40],
        cash_cents: 250_000,
        strategy: Strategy::BuyOnly,
        min_trade: 0,
        reserve: 0,
        commission: Commission::IbkrFixed,
        own: Vec::new(),
        step: Decimal::ONE,
        keep_costly: false,
    };
    let (portfolio, targets, cash, options) = inputs(&c);
    let a = plan(&portfolio, &targets, cash, &options).unwrap();
    let b = plan(&portfolio, &targets, cash, &options).unwrap();
    assert_eq!(a, b);
}

/// A decimal anywhere from 1e-28 to 7.9e28, positive or negative.
fn wild_decimal() -> impl proptest::strategy::Strategy<Value = Decimal> {
    prop_oneof![
        8 => (any::<i64>(), 0u32..=28).prop_map(|(m, scale)| Decimal::new(m, scale)),
        1 => Just(Decimal::MAX),
        1 => Just(Decimal::new(1, 28)),
        1 => (1i64..=1_000_000).prop_map(Decimal::from),
    ]
}

proptest! {
    /// Extreme numbers give an error or a plan, never a panic.
    #[test]
    fn extreme_inputs_never_panic(
        rows in prop::collection::vec((wild_decimal(), wild_decimal(), wild_decimal(), wild_decimal()), 1..=4),
        cash in wild_decimal(),
        step in wild_decimal(),
        min_trade in wild_decimal(),
        full in any::<bool>(),
    ) {
        let holdings: Vec<Holding> = rows
            .iter()
            .enumerate()
            .map(|(i, &(q, p, v, pnl))| {
                Holding::valued(format!("S{i}"), q.abs(), p.abs(), v).with_unrealized_pnl(pnl)
            })
            .collect();
        let Ok(portfolio) = Portfolio::new(holdings) else { return Ok(()) };
        let targets = Targets::equal(symbols(rows.len())).unwrap();
        let options = PlanOptions::new()
            .with_strategy(if full { Strategy::Full } else { Strategy::BuyOnly })
            .with_quantity_step(step.abs())
            .with_min_trade(min_trade.abs())
            .with_node_limit(10_000);
        let _ = plan(&portfolio, &targets, cash, &options);
    }
}

/// Found by the property above: a full rebalance with a withdrawal, a minimum trade, a reserve,
/// a flat commission and half-share steps.
#[test]
fn full_withdrawal_with_minimum_trade_and_half_shares() {
    let c = Case {
        assets: vec![(4, 17_696, 0), (1, 25_000, 0)],
        weights: vec![67, 33],
        cash_cents: -31_512,
        strategy: Strategy::Full,
        min_trade: 126,
        reserve: 125,
        commission: Commission::Flat(money(229)),
        own: Vec::new(),
        step: Decimal::new(5, 1),
        keep_costly: false,
    };
    let (portfolio, targets, cash, options) = inputs(&c);
    let best = brute_force(&c).unwrap().expect("a feasible plan exists");
    let p = plan(&portfolio, &targets, cash, &options).unwrap();
    let quantities: Vec<Decimal> = portfolio
        .holdings()
        .iter()
        .map(|h| signed(&p, &h.symbol))
        .collect();
    let f = objective(&portfolio, &targets, cash, options.reserve, &quantities);
    assert!(
        f <= best,
        "engine {f} ({quantities:?}) > brute force {best}"
    );
}
