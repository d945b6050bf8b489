//! The JSON shape of a plan (`pbal plan --format json`), as typed structs serialized straight
//! from the plan: building `serde_json::Value` maps for 5,000 holdings cost more than planning
//! them. Fields are declared in alphabetical order because that is the order the output has
//! always had (serde_json's maps are sorted); keep it so when adding one.

use std::collections::BTreeMap;

use pbal_core::{Optimality, Plan};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

use crate::render::{PlanReport, decimal_text, money};

fn quantity(d: Decimal) -> String {
    decimal_text(d.normalize(), 0)
}

#[derive(Serialize)]
pub(crate) struct PlanJson<'a> {
    base_currency: Option<&'a str>,
    cash: CashJson,
    cash_after_by_account: Option<BTreeMap<&'a str, String>>,
    /// Only when orders trade in another currency than the base.
    #[serde(skip_serializing_if = "Option::is_none")]
    currencies: Option<BTreeMap<String, CurrencyJson>>,
    /// A household plan's, per account: what each account's own orders need in each currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    currencies_by_account: Option<BTreeMap<String, BTreeMap<String, CurrencyJson>>>,
    drift_after: String,
    drift_before: String,
    gap: String,
    /// A household plan's deposit (positive) into, or withdrawal (negative) from, each account
    /// the new cash moves in or out of.
    #[serde(skip_serializing_if = "Option::is_none")]
    new_cash_by_account: Option<BTreeMap<&'a str, String>>,
    notes: Value,
    objective_after: String,
    objective_before: String,
    optimal: bool,
    orders_by_account: Option<Vec<AccountOrderJson<'a>>>,
    positions: Vec<PositionJson<'a>>,
    quantity_step: String,
    realized: RealizedJson,
    strategy: &'a str,
    trades: Vec<TradeJson<'a>>,
    /// A household plan's moves of cash between taxable accounts before the orders (only with
    /// `--allow-transfers`).
    #[serde(skip_serializing_if = "Option::is_none")]
    transfers: Option<Vec<TransferJson<'a>>>,
    /// A `Value` (small) so that its inner keys keep the sorted order too.
    wash_sale: Value,
    within_bands: bool,
}

#[derive(Serialize)]
struct TransferJson<'a> {
    amount: String,
    from: &'a str,
    to: &'a str,
}

#[derive(Serialize)]
struct CashJson {
    available: String,
    commission: String,
    /// A household plan's: the part of `commission` that orders split over accounts add to
    /// the plan's one order each (each account's part pays its own).
    #[serde(skip_serializing_if = "Option::is_none")]
    commission_split_extra: Option<String>,
    left: String,
    received: String,
    reserve: String,
    spent: String,
    weight: String,
    weight_after: String,
}

/// One currency's cash and the plan's orders in it, in that currency.
#[derive(Serialize)]
struct CurrencyJson {
    /// After the currency's own orders, before any conversion.
    after_orders: String,
    buys: String,
    cash: String,
    commissions: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    convert: Option<ConvertJson>,
    sells: String,
}

/// The conversions that cover a currency's shortfall.
#[derive(Serialize)]
struct ConvertJson {
    amount: String,
    from: Vec<ConvertSourceJson>,
    /// What no other currency can spare.
    uncovered: String,
}

#[derive(Serialize)]
struct ConvertSourceJson {
    amount: String,
    currency: String,
    from_amount: String,
}

#[derive(Serialize)]
struct PositionJson<'a> {
    currency: Option<&'a str>,
    /// In the instrument's currency, like the orders' prices.
    price: String,
    /// Only for an instrument in another currency than the base.
    #[serde(skip_serializing_if = "Option::is_none")]
    price_base: Option<String>,
    quantity: String,
    symbol: &'a str,
    target_weight: String,
    trade_quantity: String,
    value: String,
    value_after: String,
    weight: String,
    weight_after: String,
}

#[derive(Serialize)]
struct TradeJson<'a> {
    amount: String,
    /// Only for an order in another currency than the base.
    #[serde(skip_serializing_if = "Option::is_none")]
    amount_base: Option<String>,
    /// In the order's currency, as IBKR charges it (rounded up to its minor unit).
    commission: String,
    /// The plan's exact figure in base currency: these sum to `cash.commission`.
    commission_base: String,
    currency: Option<&'a str>,
    lots: Vec<LotJson>,
    price: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    price_base: Option<String>,
    quantity: String,
    realized_long_term: String,
    realized_pnl: Option<String>,
    realized_short_term: String,
    side: &'a str,
    symbol: &'a str,
}

#[derive(Serialize)]
struct LotJson {
    cost_basis: String,
    gain: String,
    long_term: bool,
    open_date: Option<String>,
    quantity: String,
}

/// A gain that cannot be known (no P&L, cost basis or lots), where a figure would be.
const UNKNOWN: &str = "unknown";

/// A sale's gain part, or "unknown" for a sale whose gain is (its `realized_pnl` is `None`).
fn gain(t: &pbal_core::Trade, amount: Decimal) -> String {
    if t.side == pbal_core::Side::Sell && t.realized_pnl.is_none() {
        UNKNOWN.to_owned()
    } else {
        money(amount)
    }
}

#[derive(Serialize)]
struct RealizedJson {
    estimated_tax: String,
    from_lots: bool,
    long_term: String,
    short_term: String,
}

#[derive(Serialize)]
struct AccountOrderJson<'a> {
    account: &'a str,
    amount: String,
    amount_base: String,
    /// In the order's currency, as IBKR charges it (rounded up to its minor unit).
    commission: String,
    /// The plan's exact figure in base currency.
    commission_base: String,
    currency: Option<&'a str>,
    quantity: String,
    side: &'a str,
    symbol: &'a str,
}

impl<'a> PlanReport<'a> {
    fn currencies_json(&self) -> Option<BTreeMap<String, CurrencyJson>> {
        if !self.multi_currency() {
            return None;
        }
        let flows = self.currency_flows()?;
        Some(Self::flows_json(&flows))
    }

    /// A household plan's `currencies` per account, from each account's own orders and cash
    /// (currency cannot move between accounts).
    fn currencies_by_account_json(
        &self,
    ) -> Option<BTreeMap<String, BTreeMap<String, CurrencyJson>>> {
        let household = self.household?;
        if !self.multi_currency() {
            return None;
        }
        let flows = household
            .currency_flows(self.instruments, self.base_currency)
            .ok()?;
        Some(
            flows
                .iter()
                .map(|(account, f)| (account.clone(), Self::flows_json(&f.rounded())))
                .collect(),
        )
    }

    /// Per currency the orders trade in: their buys, sells and commissions, the cash there,
    /// and the conversion a shortfall needs.
    fn flows_json(flows: &pbal_ibkr::CurrencyFlows) -> BTreeMap<String, CurrencyJson> {
        let conversions = flows.conversions();
        flows
            .iter()
            .filter(|(_, f)| f.trades())
            .map(|(currency, f)| {
                let short = f.shortfall();
                let convert = (!short.is_zero()).then(|| ConvertJson {
                    amount: money(short),
                    from: conversions
                        .each
                        .iter()
                        .filter(|c| c.to == currency)
                        .map(|c| ConvertSourceJson {
                            amount: money(c.amount),
                            currency: c.from.clone(),
                            from_amount: money(c.from_amount),
                        })
                        .collect(),
                    uncovered: money(
                        conversions
                            .uncovered
                            .get(currency)
                            .copied()
                            .unwrap_or_default(),
                    ),
                });
                let json = CurrencyJson {
                    after_orders: money(f.after()),
                    buys: money(f.buys),
                    cash: money(f.cash),
                    commissions: money(f.commissions()),
                    convert,
                    sells: money(f.sells),
                };
                (currency.to_owned(), json)
            })
            .collect()
    }

    pub(crate) fn json(&self) -> PlanJson<'a> {
        let plan: &'a Plan = self.plan;
        let positions = plan
            .positions
            .iter()
            .map(|p| {
                let m = self.order_money(
                    pbal_core::Side::Buy,
                    &p.symbol,
                    Decimal::ONE,
                    p.price,
                    Decimal::ZERO,
                );
                PositionJson {
                    currency: m.currency,
                    price: money(m.price),
                    price_base: m.foreign.then(|| money(p.price)),
                    quantity: quantity(p.quantity),
                    symbol: &p.symbol,
                    target_weight: decimal_text(p.target_weight.normalize(), 0),
                    trade_quantity: quantity(p.trade_quantity),
                    value: money(p.value),
                    value_after: money(p.value_after),
                    weight: decimal_text(p.weight, 0),
                    weight_after: decimal_text(p.weight_after, 0),
                }
            })
            .collect();
        let trades = plan
            .trades
            .iter()
            .map(|t| {
                let m = self.trade_money(t);
                TradeJson {
                    amount: money(m.amount),
                    amount_base: m.foreign.then(|| money(m.base_amount)),
                    commission: money(m.commission),
                    commission_base: money(t.commission),
                    currency: m.currency,
                    lots: t
                        .lots
                        .iter()
                        .map(|l| LotJson {
                            cost_basis: money(l.cost_basis),
                            gain: money(l.gain),
                            long_term: l.long_term,
                            open_date: l.open_date.map(|d| d.to_string()),
                            quantity: quantity(l.quantity),
                        })
                        .collect(),
                    price: money(m.price),
                    price_base: m.foreign.then(|| money(t.price)),
                    quantity: quantity(t.quantity),
                    realized_long_term: gain(t, t.realized_long_term),
                    realized_pnl: t.realized_pnl.map(money),
                    realized_short_term: gain(t, t.realized_short_term),
                    side: t.side.as_str(),
                    symbol: &t.symbol,
                }
            })
            .collect();
        let (optimal, gap) = match &plan.optimality {
            Optimality::Optimal => (true, Decimal::ZERO),
            Optimality::BestEffort { gap } => (false, *gap),
            _ => (false, Decimal::ZERO),
        };
        // A household plan's per-account orders: what they really pay and leave.
        let (commission, left, extra) = self.commission_and_left();
        PlanJson {
            base_currency: self.base_currency,
            cash: CashJson {
                available: money(self.cash_in()),
                commission: money(commission),
                commission_split_extra: self.household.map(|_| money(extra)),
                left: money(left),
                received: money(plan.cash.received),
                reserve: money(plan.cash.reserve),
                spent: money(plan.cash.spent),
                weight: plan.cash_weight.to_string(),
                weight_after: plan.cash_weight_after.to_string(),
            },
            cash_after_by_account: self.household.map(|h| {
                h.split
                    .cash_after
                    .iter()
                    .map(|(a, c)| (a.as_str(), money(*c)))
                    .collect()
            }),
            currencies: self.currencies_json(),
            currencies_by_account: self.currencies_by_account_json(),
            drift_after: plan.drift_after.to_string(),
            drift_before: plan.drift_before.to_string(),
            gap: gap.to_string(),
            new_cash_by_account: self
                .household
                .and_then(|h| h.shared.as_ref())
                .map(|shared| {
                    shared
                        .parts
                        .iter()
                        .map(|(a, c)| (a.as_str(), money(*c)))
                        .collect()
                }),
            notes: serde_json::to_value(&plan.notes).unwrap_or_default(),
            objective_after: plan.objective_after.to_string(),
            objective_before: plan.objective_before.to_string(),
            optimal,
            orders_by_account: self.household.map(|h| {
                h.split
                    .orders
                    .iter()
                    .map(|o| {
                        let m = self.account_order_money(o);
                        AccountOrderJson {
                            account: &o.account,
                            amount: money(m.amount),
                            amount_base: money(m.base_amount),
                            commission: money(m.commission),
                            commission_base: money(o.commission),
                            currency: m.currency,
                            quantity: quantity(o.quantity),
                            side: o.side.as_str(),
                            symbol: &o.symbol,
                        }
                    })
                    .collect()
            }),
            positions,
            quantity_step: plan.quantity_step.normalize().to_string(),
            realized: {
                let r = &plan.realized;
                // Part of the gain unknown: any sum of it is unknown too.
                let known = |amount: Decimal| {
                    if r.unknown {
                        UNKNOWN.to_owned()
                    } else {
                        money(amount)
                    }
                };
                RealizedJson {
                    estimated_tax: known(r.estimated_tax),
                    from_lots: r.from_lots,
                    long_term: known(r.long_term),
                    short_term: known(r.short_term),
                }
            },
            strategy: plan.strategy.name(),
            trades,
            transfers: self.household.filter(|h| !h.transfers.is_empty()).map(|h| {
                h.transfers
                    .iter()
                    .map(|t| TransferJson {
                        amount: money(t.amount),
                        from: &t.from,
                        to: &t.to,
                    })
                    .collect()
            }),
            wash_sale: serde_json::to_value(&plan.wash_sale).unwrap_or_default(),
            within_bands: plan.within_bands,
        }
    }
}
