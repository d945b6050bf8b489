//! From export to plan: every generated portfolio of [`crate::pipeline`], read back from one of
//! its layouts, is planned with random options (strategy, deposit or withdrawal, fractional
//! shares, commissions, reserve, one account or the household) and every plan passes the audit;
//! the household's cash is each account's once, whatever the Cash Report's row order.
//!
//! 64 cases by default; a long run:
//! `PROPTEST_CASES=20000 cargo test -p pbal-ibkr --release --test it plans`.

use std::collections::{BTreeMap, BTreeSet};

use pbal_core::{Bands, Commission, PlanOptions, Strategy as Trading, Targets};
use pbal_ibkr::{AccountSelection, Statement, read_bytes};
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::pipeline::{Layout, Model, config, day, layouts, model, render};

/// Planning choices for one case.
#[derive(Debug, Clone)]
struct Choice {
    layout: usize,
    strategy: Trading,
    /// None: the cash in the export; else this amount (negative: a withdrawal, as a share of
    /// the portfolio's value in thousandths).
    amount: Option<i64>,
    fractional: bool,
    commission: Commission,
    reserve: Decimal,
    min_trade: Decimal,
    /// With several accounts: the household (else the first account alone).
    household: bool,
    weights: Vec<u8>,
}

fn choice() -> impl Strategy<Value = Choice> {
    (
        any::<usize>(),
        prop_oneof![
            Just(Trading::BuyOnly),
            Just(Trading::Full),
            Just(Trading::Bands)
        ],
        prop_oneof![
            Just(None),
            (1i64..=500).prop_map(Some),
            (-900i64..=-1).prop_map(Some)
        ],
        any::<bool>(),
        prop_oneof![
            Just(Commission::None),
            Just(Commission::IbkrFixed),
            Just(Commission::Flat(Decimal::new(150, 2)))
        ],
        prop_oneof![
            Just(Decimal::ZERO),
            (1i64..=500_000).prop_map(|n| Decimal::new(n, 2))
        ],
        prop_oneof![Just(Decimal::ZERO), Just(Decimal::new(50, 0))],
        any::<bool>(),
        prop::collection::vec(0u8..=10, 10),
    )
        .prop_map(
            |(
                layout,
                strategy,
                amount,
                fractional,
                commission,
                reserve,
                min_trade,
                household,
                weights,
            )| {
                Choice {
                    layout,
                    strategy,
                    amount,
                    fractional,
                    commission,
                    reserve,
                    min_trade,
                    household,
                    weights,
                }
            },
        )
}

/// Targets over the held symbols from integer weights (exactly 1 in all); equal if all are 0.
fn targets(symbols: &[String], weights: &[u8]) -> Targets {
    let raw: Vec<Decimal> = symbols
        .iter()
        .enumerate()
        .map(|(i, _)| Decimal::from(weights[i % weights.len()]))
        .collect();
    let total: Decimal = raw.iter().sum();
    if total.is_zero() {
        return Targets::equal(symbols.iter().cloned()).unwrap();
    }
    let mut fractions: Vec<Decimal> = raw.iter().map(|w| w / total).collect();
    let rest = Decimal::ONE - fractions.iter().sum::<Decimal>();
    // The rounding remainder goes to the largest weight (never below zero).
    let largest = (0..fractions.len())
        .max_by_key(|&i| fractions[i])
        .unwrap_or(0);
    fractions[largest] += rest;
    Targets::new(symbols.iter().cloned().zip(fractions)).unwrap()
}

/// The model's cash in the base currency for the accounts in `accounts` (each account's
/// BASE_SUMMARY once).
fn model_cash(m: &Model, accounts: &[usize]) -> Decimal {
    m.cash
        .iter()
        .filter(|x| x.currency == "BASE" && accounts.contains(&x.account))
        .map(|x| x.amount)
        .sum()
}

fn plan_case(m: &Model, c: &Choice) -> Result<(), TestCaseError> {
    let layouts = layouts(m);
    let layout = layouts[c.layout % layouts.len()];
    let text = render(m, layout);
    let statement: Statement = read_bytes(text.as_bytes(), "generated")
        .map_err(|e| TestCaseError::fail(format!("{layout:?}: {e}")))?;
    let several = statement.accounts.len() > 1;
    let (selection, accounts): (AccountSelection, Vec<usize>) = if several && c.household {
        (AccountSelection::All, (0..m.accounts.len()).collect())
    } else if several {
        (AccountSelection::Only(m.accounts[0].clone()), vec![0])
    } else {
        (AccountSelection::Single, vec![0])
    };
    let holdings = match statement.to_holdings(&selection, &BTreeSet::new()) {
        Ok(h) => h,
        // Only shorts (or nothing) in the selection: nothing to plan.
        Err(pbal_ibkr::Error::Portfolio { .. }) => return Ok(()),
        Err(e) => return Err(TestCaseError::fail(format!("{layout:?}: {e}"))),
    };
    // Every long position, each account's once, at its rate.
    let mut value_by_symbol: BTreeMap<String, Decimal> = BTreeMap::new();
    for p in m
        .positions
        .iter()
        .filter(|p| !p.short() && accounts.contains(&p.account))
    {
        // The original tool's file has no currency: its values are taken as they are.
        let rate = if layout == Layout::Original {
            Decimal::ONE
        } else {
            m.rates[p.currency]
        };
        *value_by_symbol
            .entry(p.symbol_name().to_owned())
            .or_default() += p.value() * rate;
    }
    let read_values: BTreeMap<String, Decimal> = holdings
        .portfolio
        .holdings()
        .iter()
        .map(|h| (h.symbol.clone(), h.value))
        .collect();
    prop_assert_eq!(&read_values, &value_by_symbol, "{:?}: holdings", layout);
    let portfolio_value: Decimal = value_by_symbol.values().sum();

    let available = if layout == Layout::Original {
        None
    } else {
        let cash = statement
            .cash_in_base(&selection)
            .map_err(|e| TestCaseError::fail(format!("{layout:?}: {e}")))?;
        // The double-counted household cash of issue 11: each account's summary once.
        prop_assert_eq!(cash, model_cash(m, &accounts), "{:?}: cash", layout);
        Some(cash)
    };
    let cash = match (c.amount, available) {
        (None, Some(cash)) => cash,
        (Some(n), _) if n < 0 => (portfolio_value * Decimal::new(n, 3)).round_dp(2),
        (Some(n), _) => Decimal::new(n * 100, 0),
        (None, None) => Decimal::new(1000, 0),
    };
    let mut options = PlanOptions::default();
    options.strategy = c.strategy;
    options.bands = (c.strategy == Trading::Bands).then(Bands::default);
    options.quantity_step = if c.fractional {
        Decimal::new(1, 4)
    } else {
        Decimal::ONE
    };
    options.commission = c.commission;
    options.reserve = c.reserve;
    options.min_trade = c.min_trade;
    options.as_of = Some(day(4000));
    options.node_limit = 20_000;
    let symbols: Vec<String> = read_values.keys().cloned().collect();
    if symbols.is_empty() {
        // Only shorts in the selection: nothing to plan.
        return Ok(());
    }
    let targets = targets(&symbols, &c.weights);
    let plan = match pbal_core::plan(&holdings.portfolio, &targets, cash, &options) {
        Ok(plan) => plan,
        Err(e @ pbal_core::Error::Audit(_)) => {
            return Err(TestCaseError::fail(format!("{layout:?}: {e}")));
        }
        // Asked for the impossible (a withdrawal beyond what may be sold, a reserve beyond
        // the cash…): an error, which is fine.
        Err(_) => return Ok(()),
    };
    pbal_core::audit(&plan, &holdings.portfolio, cash, &options)
        .map_err(|e| TestCaseError::fail(format!("{layout:?}: {e}")))?;
    pbal_ibkr::audit_currencies(&plan, &holdings)
        .map_err(|e| TestCaseError::fail(format!("{layout:?}: {e}")))?;

    if selection == AccountSelection::All && available.is_some() {
        // The household's orders per account, each paid from that account's own cash.
        let held: BTreeMap<String, BTreeMap<String, Decimal>> = holdings
            .instruments
            .iter()
            .map(|(symbol, i)| {
                let mut per_account: BTreeMap<String, Decimal> = BTreeMap::new();
                for (account, quantity) in &i.accounts {
                    *per_account.entry(account.clone()).or_default() += *quantity;
                }
                (symbol.clone(), per_account)
            })
            .collect();
        let mut account_cash = BTreeMap::new();
        for (i, account) in m.accounts.iter().enumerate() {
            let read = statement
                .cash_in_base(&AccountSelection::Only(account.clone()))
                .map_err(|e| TestCaseError::fail(format!("{layout:?}: {e}")))?;
            prop_assert_eq!(
                read,
                model_cash(m, &[i]),
                "{:?}: cash of {}",
                layout,
                account
            );
            account_cash.insert(account.clone(), read);
        }
        if c.amount.is_none() {
            let split = pbal_core::split_by_account(
                &plan.trades,
                &held,
                &account_cash,
                options.quantity_step,
                options.commission,
            )
            .map_err(|e| TestCaseError::fail(format!("{layout:?}: {e}")))?;
            pbal_core::audit_split(&split, &plan, &held, &account_cash)
                .map_err(|e| TestCaseError::fail(format!("{layout:?}: {e}")))?;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_read_portfolio_plans_and_passes_the_audit(m in model(), c in choice()) {
        plan_case(&m, &c)?;
    }
}
