//! The day-by-day simulation of one policy.

use std::collections::HashMap;

use jiff::civil::Date;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::config::{Config, Sizing};
use super::lots::Lots;
use super::metrics::{self, Figures, Series};
use super::policy::period;
use super::{BacktestError, Policy, PriceTable, Schedule};
use crate::{Bands, Destination, Holding, PlanOptions, Portfolio, Side, Strategy, Targets, Trade};

/// The state of the portfolio at the end of one price date (after its trades).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Point {
    /// The date.
    pub date: Date,
    /// Holdings at that date's prices plus cash.
    pub value: Decimal,
    /// Uninvested cash.
    pub cash: Decimal,
    /// ½·Σ|weight − target| over the assets and the cash (as pbal plan reports it).
    pub drift: f64,
    /// Each price-table column's share of `value` (0 when not held).
    pub weights: Vec<f64>,
    /// Whether the policy traded on this date (never on the first date, whose purchase is
    /// the initial investment).
    pub traded: bool,
}

/// One executed order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Fill {
    /// When it was placed.
    pub date: Date,
    /// The order, at that date's price.
    pub trade: Trade,
}

/// The outcome of simulating one policy.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Run {
    /// The policy.
    pub policy: Policy,
    /// One point per price date, from the first date that has a targeted price.
    pub points: Vec<Point>,
    /// Every order, in the order placed.
    pub fills: Vec<Fill>,
    /// Quantities held at the end, per price-table column.
    pub final_quantities: Vec<Decimal>,
    /// Summary figures.
    pub figures: Figures,
}

/// Simulates `policy` over `prices`.
///
/// Each date: prices are marked (a missing price repeats the last one), the contribution is
/// added on the first date of each period, and the policy acts (see [`Schedule`]). Between
/// actions cash waits. Trades come from [`crate::plan`] with the config's options and the
/// policy's strategy; purchases open FIFO tax lots.
///
/// # Errors
/// - [`BacktestError::InvalidConfig`]: a negative initial investment or contribution, or
///   continuous sizing with options or a policy it does not support
///   ([`super::continuous_conflict`]);
/// - [`BacktestError::UnknownSymbol`]: a target symbol not in `prices`;
/// - [`BacktestError::NothingPriced`]: no targeted symbol has a price on any date;
/// - [`BacktestError::Plan`]: [`crate::plan`] (or building its holdings or the rescaled
///   targets) refused on a date;
/// - [`BacktestError::Overflow`]: a value, cash balance, cost basis or total too large for
///   exact decimal arithmetic.
pub fn run_policy(
    prices: &PriceTable,
    config: &Config,
    policy: Policy,
) -> Result<Run, BacktestError> {
    config.validate(policy)?;
    let mut sim = Sim::new(prices, config, policy)?;
    sim.run()
}

/// What a policy does on one date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Nothing,
    /// Buy the target mix with all the cash, ignoring what is held.
    TargetMix,
    /// Plan with the current holdings.
    Plan(Strategy),
    /// Plan with the bands strategy and these bands (a threshold policy trading to the
    /// threshold's edge or halfway).
    PlanWithin(Bands),
}

/// A relative band wide enough that the absolute one is always the narrower: a threshold is
/// a fixed number of percentage points whatever the target.
const UNBOUNDED_RELATIVE: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

struct Sim<'a> {
    prices: &'a PriceTable,
    config: &'a Config,
    policy: Policy,
    /// Targeted columns with their configured weight.
    managed: Vec<(usize, Decimal)>,
    column_of: HashMap<&'a str, usize>,
    quantity: Vec<Decimal>,
    lots: Vec<Lots>,
    price: Vec<Option<Decimal>>,
    /// `price` and `quantity` as `f64`, for weights and drift.
    price_f: Vec<f64>,
    quantity_f: Vec<f64>,
    cash: Decimal,
    /// How many managed columns have a price so far (only grows).
    available: usize,
    /// Targets over the available managed columns, scaled to sum to 1.
    targets: Option<Targets>,
    /// The same as fractions per column, for drift.
    target_f: Vec<f64>,
    points: Vec<Point>,
    fills: Vec<Fill>,
    series: Series,
    /// Whether a contribution arrived since the policy last acted.
    pending: bool,
}

impl<'a> Sim<'a> {
    fn new(
        prices: &'a PriceTable,
        config: &'a Config,
        policy: Policy,
    ) -> Result<Self, BacktestError> {
        let mut managed = Vec::new();
        for (symbol, weight) in config.targets.iter() {
            let column = prices
                .column(symbol)
                .ok_or_else(|| BacktestError::UnknownSymbol {
                    symbol: symbol.to_owned(),
                })?;
            managed.push((column, weight));
        }
        let n = prices.symbols().len();
        let column_of = prices
            .symbols()
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i))
            .collect();
        Ok(Self {
            prices,
            config,
            policy,
            managed,
            column_of,
            quantity: vec![Decimal::ZERO; n],
            lots: vec![Lots::default(); n],
            price: vec![None; n],
            price_f: vec![0.0; n],
            quantity_f: vec![0.0; n],
            cash: Decimal::ZERO,
            available: 0,
            targets: None,
            target_f: vec![0.0; n],
            points: Vec::with_capacity(prices.dates().len()),
            fills: Vec::new(),
            series: Series::default(),
            pending: false,
        })
    }

    fn run(&mut self) -> Result<Run, BacktestError> {
        let dates = self.prices.dates();
        let start = (0..dates.len())
            .find(|&row| {
                self.managed
                    .iter()
                    .any(|&(c, _)| self.prices.price(row, c).is_some())
            })
            .ok_or(BacktestError::NothingPriced)?;
        let mut previous_value = Decimal::ZERO;
        for row in start..dates.len() {
            let date = dates[row];
            let first = row == start;
            self.mark(row, date)?;
            let flow = if first {
                self.config.initial
            } else if self.config.every.starts(dates[row - 1], date) {
                self.config.contribution
            } else {
                Decimal::ZERO
            };
            let strategy = self.policy.strategy;
            let looks =
                |months: i8| !first && period(dates[row - 1], months) != period(date, months);
            let action = match self.policy.schedule {
                _ if first => Action::TargetMix,
                Schedule::Never if flow > Decimal::ZERO => Action::TargetMix,
                Schedule::Bands if self.outside_bands(date)? => Action::Plan(strategy),
                Schedule::Bands if flow > Decimal::ZERO => Action::Plan(Strategy::BuyOnly),
                Schedule::Never | Schedule::Bands => Action::Nothing,
                schedule => match schedule.months() {
                    Some(months) if looks(months) => self.look(date, flow)?,
                    _ => Action::Nothing,
                },
            };
            if flow > Decimal::ZERO && !first {
                self.pending = true;
            }
            self.cash = checked(self.cash.checked_add(flow), "cash", date)?;
            let orders = self.fills.len();
            self.act(action, date, first)?;
            let traded = !first && self.fills.len() > orders;
            let value = self.value(date)?;
            let point = self.point(date, value, traded);
            let recorded = self
                .series
                .record(first, flow, previous_value, value, &point);
            checked(recorded.map(|()| value), "totals", date)?;
            self.points.push(point);
            previous_value = value;
        }
        let years = metrics::years(dates[start], dates[dates.len() - 1]);
        let figures = self.series.figures(years);
        Ok(Run {
            policy: self.policy,
            points: std::mem::take(&mut self.points),
            fills: std::mem::take(&mut self.fills),
            final_quantities: self.quantity.clone(),
            figures,
        })
    }

    /// Takes the row's prices (keeping the last one where missing) and rescales the targets
    /// when a symbol trades for the first time.
    fn mark(&mut self, row: usize, date: Date) -> Result<(), BacktestError> {
        for (slot, price) in self.price.iter_mut().zip(self.prices.row(row)) {
            if price.is_some() {
                *slot = *price;
            }
        }
        for (slot, price) in self.price_f.iter_mut().zip(self.prices.approx_row(row)) {
            if !price.is_nan() {
                *slot = *price;
            }
        }
        let available = self
            .managed
            .iter()
            .filter(|&&(c, _)| self.price[c].is_some())
            .count();
        if available == self.available {
            return Ok(());
        }
        self.available = available;
        let live: Vec<(usize, Decimal)> = self
            .managed
            .iter()
            .copied()
            .filter(|&(c, _)| self.price[c].is_some())
            .collect();
        let sum: Decimal = live.iter().map(|&(_, w)| w).sum();
        self.target_f.iter_mut().for_each(|t| *t = 0.0);
        if sum.is_zero() {
            self.targets = None;
            return Ok(());
        }
        let scaled: Vec<(usize, Decimal)> = if available == self.managed.len() {
            live
        } else {
            live.into_iter().map(|(c, w)| (c, w / sum)).collect()
        };
        for &(c, w) in &scaled {
            self.target_f[c] = w.to_f64().unwrap_or(0.0);
        }
        let symbols = self.prices.symbols();
        let targets = Targets::new(scaled.iter().map(|&(c, w)| (symbols[c].clone(), w)))
            .map_err(|source| self.plan_error(date, source))?;
        self.targets = Some(targets);
        Ok(())
    }

    /// Holdings at the current prices plus cash.
    fn value(&self, date: Date) -> Result<Decimal, BacktestError> {
        let mut total = self.cash;
        for (q, p) in self.quantity.iter().zip(&self.price) {
            if let Some(p) = p
                && !q.is_zero()
            {
                let v = checked(q.checked_mul(*p), "position value", date)?;
                total = checked(total.checked_add(v), "portfolio value", date)?;
            }
        }
        Ok(total)
    }

    /// The policy's band widths, else the configured ones, else the 5/25 rule; the
    /// destination is always the configured one.
    fn band_options(&self) -> Bands {
        let configured = self.config.options.bands.unwrap_or_default();
        match self.policy.bands {
            Some(own) => {
                Bands::new(own.absolute, own.relative).with_destination(configured.destination)
            }
            None => configured,
        }
    }

    /// What a calendar policy does on one of its schedule's dates: plan, unless its
    /// threshold is not exceeded; then only invest contributions that arrived since it last
    /// acted, buy-only. `flow` is this date's contribution (not yet in the cash).
    fn look(&self, date: Date, flow: Decimal) -> Result<Action, BacktestError> {
        let strategy = self.policy.strategy;
        let threshold = self.policy.threshold_or_zero();
        if threshold.is_zero() {
            return Ok(Action::Plan(strategy));
        }
        if self.deviation(date)? > threshold.to_f64().unwrap_or(f64::INFINITY) {
            let destination = self.band_options().destination;
            return Ok(
                if strategy == Strategy::Full && destination != Destination::Target {
                    Action::PlanWithin(
                        Bands::new(threshold, UNBOUNDED_RELATIVE).with_destination(destination),
                    )
                } else {
                    Action::Plan(strategy)
                },
            );
        }
        Ok(if self.pending || flow > Decimal::ZERO {
            Action::Plan(Strategy::BuyOnly)
        } else {
            Action::Nothing
        })
    }

    /// The largest distance of an available asset's weight from its target (a weight).
    fn deviation(&self, date: Date) -> Result<f64, BacktestError> {
        let total = self.value(date)?;
        let Some(total) = total.to_f64().filter(|t| *t > 0.0) else {
            return Ok(0.0);
        };
        let invested = self.invested_share(total);
        Ok(self
            .managed
            .iter()
            .filter(|&&(c, _)| self.price[c].is_some())
            .map(|&(c, _)| {
                let weight = self.quantity_f[c] * self.price_f[c] / total;
                (weight - self.target_f[c] * invested).abs()
            })
            .fold(0.0, f64::max))
    }

    /// Whether some available asset is beyond its tolerance band (5/25 rule by default).
    fn outside_bands(&self, date: Date) -> Result<bool, BacktestError> {
        let total = self.value(date)?;
        let Some(total) = total.to_f64().filter(|t| *t > 0.0) else {
            return Ok(false);
        };
        let invested = self.invested_share(total);
        let bands = self.band_options();
        let absolute = bands.absolute.to_f64().unwrap_or(0.0);
        let relative = bands.relative.to_f64().unwrap_or(0.0);
        Ok(self.managed.iter().any(|&(c, _)| {
            if self.price[c].is_none() {
                return false;
            }
            let weight = self.quantity_f[c] * self.price_f[c] / total;
            let target = self.target_f[c];
            (weight - target * invested).abs() > absolute.min(relative * target)
        }))
    }

    /// The share of the total the targets apply to (all of it but the reserve).
    fn invested_share(&self, total: f64) -> f64 {
        let reserve = self.config.options.reserve.to_f64().unwrap_or(0.0);
        (1.0 - reserve / total).max(0.0)
    }

    fn point(&self, date: Date, value: Decimal, traded: bool) -> Point {
        let total = value.to_f64().unwrap_or(0.0);
        let mut weights = vec![0.0; self.quantity.len()];
        let mut drift = 0.0;
        if total > 0.0 {
            let invested = self.invested_share(total);
            for (c, w) in weights.iter_mut().enumerate() {
                *w = self.quantity_f[c] * self.price_f[c] / total;
                drift += (*w - self.target_f[c] * invested).abs();
            }
            let cash = self.cash.to_f64().unwrap_or(0.0) / total;
            drift += (cash - (1.0 - invested)).abs();
            drift /= 2.0;
        }
        Point {
            date,
            value,
            cash: self.cash,
            drift,
            weights,
            traded,
        }
    }

    fn act(&mut self, action: Action, date: Date, first: bool) -> Result<(), BacktestError> {
        if action == Action::Nothing {
            return Ok(());
        }
        let Some(targets) = self.targets.clone() else {
            return Ok(());
        };
        self.pending = false;
        let trades = match self.config.sizing {
            Sizing::Plan => self.planned(action, &targets, date)?,
            Sizing::Continuous => self.continuous(action, &targets, date)?,
        };
        for trade in trades {
            self.execute(trade, date, first)?;
        }
        Ok(())
    }

    /// The orders pbal-core plans for this action.
    fn planned(
        &self,
        action: Action,
        targets: &Targets,
        date: Date,
    ) -> Result<Vec<Trade>, BacktestError> {
        let (strategy, held, bands) = match action {
            Action::Nothing => return Ok(Vec::new()),
            Action::TargetMix => (Strategy::BuyOnly, false, None),
            Action::Plan(strategy) => (
                strategy,
                true,
                // Bands choose the trades of the bands strategy. For the others the policy's
                // schedule is the trigger, so the options' bands must not veto the plan.
                (strategy == Strategy::Bands).then(|| self.band_options()),
            ),
            Action::PlanWithin(bands) => (Strategy::Bands, true, Some(bands)),
        };
        let symbols = self.prices.symbols();
        let mut holdings = Vec::with_capacity(self.available);
        for &(c, _) in &self.managed {
            let Some(price) = self.price[c] else {
                continue;
            };
            let quantity = if held {
                self.quantity[c]
            } else {
                Decimal::ZERO
            };
            let holding = Holding::new(symbols[c].clone(), quantity, price)
                .map_err(|source| self.plan_error(date, source))?;
            let holding = if held {
                let pnl = holding
                    .value
                    .checked_sub(self.lots[c].basis())
                    .ok_or_else(|| {
                        self.plan_error(
                            date,
                            crate::Error::Overflow {
                                what: "unrealized P&L",
                            },
                        )
                    })?;
                holding.with_unrealized_pnl(pnl)
            } else {
                holding
            };
            holdings.push(holding);
        }
        // The plan sees the simulation's date, so a sale's long/short split and any wash-sale
        // guard use it; gains themselves are booked from the simulation's FIFO lots.
        let options = PlanOptions {
            strategy,
            as_of: Some(date),
            lot_order: crate::LotOrder::Fifo,
            bands,
            ..self.config.options.clone()
        };
        let plan = Portfolio::new(holdings)
            .and_then(|portfolio| crate::plan(&portfolio, targets, self.cash, &options))
            .map_err(|source| self.plan_error(date, source))?;
        Ok(plan.trades)
    }

    /// Orders that reach the target weights exactly (continuous verification mode).
    fn continuous(
        &self,
        action: Action,
        targets: &Targets,
        date: Date,
    ) -> Result<Vec<Trade>, BacktestError> {
        let budget = match action {
            Action::Nothing => return Ok(Vec::new()),
            Action::TargetMix => self.cash,
            Action::Plan(_) | Action::PlanWithin(_) => self.value(date)?,
        };
        let budget = (budget - self.config.options.reserve).max(Decimal::ZERO);
        let symbols = self.prices.symbols();
        let mut sells = Vec::new();
        let mut buys = Vec::new();
        for (symbol, weight) in targets.iter() {
            let c = self.column_of[symbol];
            let Some(price) = self.price[c] else {
                continue;
            };
            let amount = checked(weight.checked_mul(budget), "target value", date)?;
            let wanted = checked(amount.checked_div(price), "target quantity", date)?;
            let delta = match action {
                Action::TargetMix => wanted,
                _ => wanted - self.quantity[c],
            };
            if delta.is_zero() {
                continue;
            }
            let quantity = delta.abs();
            let trade = Trade {
                symbol: symbols[c].clone(),
                side: if delta > Decimal::ZERO {
                    Side::Buy
                } else {
                    Side::Sell
                },
                quantity,
                price,
                amount: checked(quantity.checked_mul(price), "trade amount", date)?,
                commission: Decimal::ZERO,
                // The simulation's own FIFO lots account for what sales realize.
                realized_pnl: None,
                realized_short_term: Decimal::ZERO,
                realized_long_term: Decimal::ZERO,
                lots: Vec::new(),
            };
            if trade.side == Side::Sell {
                sells.push(trade);
            } else {
                buys.push(trade);
            }
        }
        sells.extend(buys);
        Ok(sells)
    }

    fn execute(&mut self, trade: Trade, date: Date, first: bool) -> Result<(), BacktestError> {
        let c = self.column_of[trade.symbol.as_str()];
        match trade.side {
            Side::Buy => {
                let cost = checked(trade.amount.checked_add(trade.commission), "cost", date)?;
                self.cash = checked(self.cash.checked_sub(cost), "cash", date)?;
                self.quantity[c] += trade.quantity;
                self.quantity_f[c] = self.quantity[c].to_f64().unwrap_or(0.0);
                let bought = self.lots[c].buy(date, trade.quantity, cost);
                checked(bought.map(|()| cost), "cost basis", date)?;
            }
            Side::Sell => {
                let proceeds = trade.amount - trade.commission;
                self.cash = checked(self.cash.checked_add(proceeds), "cash", date)?;
                self.quantity[c] -= trade.quantity;
                self.quantity_f[c] = self.quantity[c].to_f64().unwrap_or(0.0);
                let realized = self.lots[c].sell(date, trade.quantity, proceeds);
                let realized = realized.ok_or(BacktestError::Overflow {
                    what: "realized gains",
                    date,
                })?;
                let recorded = self.series.realized(realized.short, realized.long);
                checked(recorded.map(|()| Decimal::ZERO), "realized gains", date)?;
            }
        }
        let recorded = self.series.trade(first, trade.amount, trade.commission);
        checked(recorded.map(|()| Decimal::ZERO), "totals", date)?;
        self.fills.push(Fill { date, trade });
        Ok(())
    }

    fn plan_error(&self, date: Date, source: crate::Error) -> BacktestError {
        BacktestError::Plan {
            policy: self.policy.to_string(),
            date,
            source,
        }
    }
}

fn checked(
    value: Option<Decimal>,
    what: &'static str,
    date: Date,
) -> Result<Decimal, BacktestError> {
    value.ok_or(BacktestError::Overflow { what, date })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Commission;
    use crate::dec;
    use jiff::civil::date;

    /// A and B, 50/50: A doubles in February and halves back in March; B stays at 10.
    fn table(b_first: Option<Decimal>) -> PriceTable {
        PriceTable::new(
            vec!["A".into(), "B".into()],
            vec![
                (date(2020, 1, 2), vec![Some(dec!(10)), b_first]),
                (date(2020, 2, 3), vec![Some(dec!(20)), Some(dec!(10))]),
                (date(2020, 3, 2), vec![Some(dec!(10)), Some(dec!(10))]),
            ],
        )
        .unwrap()
    }

    fn config(sizing: Sizing) -> Config {
        Config {
            sizing,
            ..Config::new(Targets::equal(["A", "B"]).unwrap(), dec!(1000))
        }
    }

    const FULL_MONTHLY: Policy = Policy {
        strategy: Strategy::Full,
        schedule: Schedule::Monthly,
        threshold: None,
        bands: None,
    };

    #[test]
    fn continuous_two_assets_by_hand() {
        let run = run_policy(
            &table(Some(dec!(10))),
            &config(Sizing::Continuous),
            FULL_MONTHLY,
        )
        .unwrap();
        // Jan: 50 A + 50 B. Feb: 1500 → 37.5 A + 75 B. Mar: 375 + 750 → 56.25 each.
        assert_eq!(run.figures.final_value, dec!(1125));
        assert_eq!(run.final_quantities, vec![dec!(56.25), dec!(56.25)]);
        // Sold 12.5 A bought at 10 for 20 each, within a year.
        assert_eq!(run.figures.realized_gain_short, dec!(125));
        assert_eq!(run.figures.realized_gain_long, dec!(0));
        assert!(
            run.points
                .iter()
                .all(|p| p.drift < 1e-12 || p.date == date(2020, 3, 2))
        );
        let never = run_policy(
            &table(Some(dec!(10))),
            &config(Sizing::Continuous),
            Policy::NEVER,
        )
        .unwrap();
        assert_eq!(never.figures.final_value, dec!(1000));
        assert_eq!(never.fills.len(), 2);
        // Feb: A is 1000 of 1500; drift = ½(|2/3 − ½| + |1/3 − ½|) = 1/6.
        assert!((never.points[1].drift - 1.0 / 6.0).abs() < 1e-12);
        assert!((never.figures.max_drift - 1.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn whole_shares_two_assets_by_hand() {
        let run = run_policy(&table(Some(dec!(10))), &config(Sizing::Plan), FULL_MONTHLY).unwrap();
        // Feb: 1500 at A=20, B=10: 37 A + 75 B (cash 10) and 38 A + 74 B (cash 0) score alike
        // (F = 200); the tie goes to less money traded: sell 12 A, buy 24 B.
        assert_eq!(run.fills[2].trade.side, Side::Sell);
        assert_eq!(run.fills[2].trade.quantity, dec!(12));
        assert_eq!(run.fills[3].trade.quantity, dec!(24));
        assert_eq!(run.figures.realized_gain_short, dec!(120));
        // Mar: 38·10 + 74·10 = 1120, then rebalanced to 56 + 56 with the same total.
        assert_eq!(run.figures.final_value, dec!(1120));
        assert_eq!(run.final_quantities, vec![dec!(56), dec!(56)]);
        assert_eq!(run.figures.trades, 6);
    }

    #[test]
    fn a_symbol_joins_at_its_first_price() {
        let run = run_policy(&table(None), &config(Sizing::Continuous), FULL_MONTHLY).unwrap();
        // Jan: all in A (100 shares). Feb: 2000 → 50 A + 100 B. Mar: 500 + 1000.
        assert_eq!(run.points[0].weights, vec![1.0, 0.0]);
        assert_eq!(run.points[0].drift, 0.0);
        assert_eq!(run.figures.final_value, dec!(1500));
        let never = run_policy(&table(None), &config(Sizing::Plan), Policy::NEVER).unwrap();
        assert_eq!(never.final_quantities, vec![dec!(100), dec!(0)]);
    }

    #[test]
    fn never_buys_the_target_mix_with_each_contribution() {
        let config = Config {
            contribution: dec!(200),
            ..config(Sizing::Plan)
        };
        let run = run_policy(&table(Some(dec!(10))), &config, Policy::NEVER).unwrap();
        // Feb: 200 → 5 A (at 20) + 10 B; Mar: 200 → 10 A + 10 B.
        assert_eq!(run.final_quantities, vec![dec!(65), dec!(70)]);
        assert_eq!(run.figures.final_value, dec!(1350));
        assert_eq!(run.figures.contributed, dec!(1400));
        // Time-weighted: +50% in Feb, then (1350 − 200)/1700 − 1 in Mar.
        let expected: f64 = 1.5 * (1150.0 / 1700.0);
        let years = metrics::years(date(2020, 1, 2), date(2020, 3, 2));
        assert!((run.figures.cagr - (expected.powf(1.0 / years) - 1.0)).abs() < 1e-12);
    }

    #[test]
    fn quarterly_cash_waits_and_long_term_gains() {
        let prices = PriceTable::new(
            vec!["A".into(), "B".into()],
            vec![
                (date(2020, 1, 2), vec![Some(dec!(10)), Some(dec!(10))]),
                (date(2020, 2, 3), vec![Some(dec!(10)), Some(dec!(10))]),
                (date(2021, 3, 1), vec![Some(dec!(30)), Some(dec!(10))]),
            ],
        )
        .unwrap();
        let config = Config {
            contribution: dec!(100),
            ..config(Sizing::Plan)
        };
        let policy = Policy::new(Strategy::Full, Schedule::Annually);
        let run = run_policy(&prices, &config, policy).unwrap();
        // Feb's 100 waits as cash (no rebalance in the same year).
        assert_eq!(run.points[1].cash, dec!(100));
        // 2021: 50·30 + 50·10 + 200 = 2200 → 1100 each: sell 13 A (390), buy 60 B.
        // 13 A held since 2020-01-02: long term, gain 13·(30 − 10) = 260.
        assert_eq!(run.figures.realized_gain_long, dec!(260));
        assert_eq!(run.figures.realized_gain_short, dec!(0));
        assert_eq!(run.figures.final_value, dec!(2200));
    }

    #[test]
    fn commissions_come_out_of_cash_and_cash_stays_non_negative() {
        let config = Config {
            contribution: dec!(37),
            options: PlanOptions {
                commission: Commission::IbkrFixed,
                ..PlanOptions::default()
            },
            ..config(Sizing::Plan)
        };
        for schedule in [Schedule::Monthly, Schedule::Bands, Schedule::Never] {
            for strategy in [Strategy::BuyOnly, Strategy::Full] {
                let run = run_policy(
                    &table(Some(dec!(10))),
                    &config,
                    Policy::new(strategy, schedule),
                )
                .unwrap();
                assert!(
                    run.points.iter().all(|p| p.cash >= Decimal::ZERO),
                    "{run:#?}"
                );
                let paid: Decimal = run.fills.iter().map(|f| f.trade.commission).sum();
                assert_eq!(paid, run.figures.commission);
                assert!(paid >= dec!(2), "at least 1 per order: {paid}");
            }
        }
    }

    #[test]
    fn bands_act_only_beyond_the_band() {
        let run = run_policy(
            &table(Some(dec!(10))),
            &config(Sizing::Plan),
            Policy::new(Strategy::Full, Schedule::Bands),
        )
        .unwrap();
        // Feb: A is 2/3 (> 50% + 5pp): rebalance. Mar: back within bands? A 38 → 380 of 1120
        // = 34% (< 45%): rebalance again.
        assert_eq!(run.figures.trades, 6);
        let calm = PriceTable::new(
            vec!["A".into(), "B".into()],
            vec![
                (date(2020, 1, 2), vec![Some(dec!(10)), Some(dec!(10))]),
                (date(2020, 2, 3), vec![Some(dec!(11)), Some(dec!(10))]),
            ],
        )
        .unwrap();
        let run = run_policy(
            &calm,
            &config(Sizing::Plan),
            Policy::new(Strategy::Full, Schedule::Bands),
        )
        .unwrap();
        assert_eq!(run.figures.trades, 2, "A at 52.4% is within 50% ± 5pp");
    }

    #[test]
    fn bands_strategy_trades_only_assets_outside_their_band() {
        // A, B, C at 1/3 each (band ±min(5pp, 8.33pp) = 5pp). Feb: A 10 → 12 is 37.5% of 960
        // (+4.2pp: inside), B 10 → 6 is 18.75% (−14.6pp: outside), C 33.3 → 43.75%
        // (+10.4pp: outside).
        let prices = PriceTable::new(
            vec!["A".into(), "B".into(), "C".into()],
            vec![
                (
                    date(2020, 1, 2),
                    vec![Some(dec!(10)), Some(dec!(10)), Some(dec!(10))],
                ),
                (
                    date(2020, 2, 3),
                    vec![Some(dec!(12)), Some(dec!(6)), Some(dec!(14))],
                ),
            ],
        )
        .unwrap();
        let config = Config::new(Targets::equal(["A", "B", "C"]).unwrap(), dec!(900));
        let policy = Policy::parse("bands-monthly", Strategy::Full).unwrap();
        assert_eq!(policy.strategy, Strategy::Bands);
        let run = run_policy(&prices, &config, policy).unwrap();
        let feb: Vec<&Fill> = run.fills.iter().filter(|f| f.date.month() == 2).collect();
        assert!(!feb.is_empty());
        assert!(feb.iter().all(|f| f.trade.symbol != "A"), "{feb:#?}");
        assert_eq!(run.final_quantities[0], dec!(30));
        let full = run_policy(
            &prices,
            &config,
            Policy::new(Strategy::Full, Schedule::Monthly),
        )
        .unwrap();
        assert!(
            full.fills
                .iter()
                .any(|f| f.date.month() == 2 && f.trade.symbol == "A")
        );
    }

    /// A and B, 50/50 from 1,000: A rises 10% in February (A at 52.4%, +2.4pp), then to 14
    /// in March (A at 58.3%, +8.3pp without a February trade).
    fn drifting() -> PriceTable {
        PriceTable::new(
            vec!["A".into(), "B".into()],
            vec![
                (date(2020, 1, 2), vec![Some(dec!(10)), Some(dec!(10))]),
                (date(2020, 2, 3), vec![Some(dec!(11)), Some(dec!(10))]),
                (date(2020, 3, 2), vec![Some(dec!(14)), Some(dec!(10))]),
            ],
        )
        .unwrap()
    }

    #[test]
    fn thresholds_trade_only_beyond_them_on_schedule_dates() {
        let config = config(Sizing::Continuous);
        let run = |name| {
            let policy = Policy::parse(name, Strategy::Full).unwrap();
            run_policy(&drifting(), &config, policy).unwrap()
        };
        let five = run("monthly:5");
        let traded: Vec<bool> = five.points.iter().map(|p| p.traded).collect();
        assert_eq!(traded, [false, false, true]);
        assert_eq!(five.figures.rebalances, 1);
        // March: 50·14 + 500 = 1200, back to 600 each.
        assert_eq!(five.final_quantities, vec![dec!(600) / dec!(14), dec!(60)]);
        assert_eq!(run("monthly:1").figures.rebalances, 2);
        assert_eq!(run("monthly:10").figures.rebalances, 0);
        // Quarterly looks only in April: nothing in this table.
        assert_eq!(run("quarterly:0").figures.rebalances, 0);
        assert_eq!(run("monthly:0").figures.rebalances, 2);
    }

    #[test]
    fn threshold_to_the_edge_stops_at_the_threshold() {
        let mut config = config(Sizing::Plan);
        config.options.bands = Some(Bands::default().with_destination(Destination::Edge));
        let policy = Policy::parse("full-monthly:5", Strategy::Full).unwrap();
        let run = run_policy(&drifting(), &config, policy).unwrap();
        let march = &run.points[2];
        assert!(march.traded);
        // A goes back to 55% of 1,200 (660: 47 shares, 658), not to 50%.
        assert_eq!(run.final_quantities[0], dec!(47), "{:#?}", run.fills);
        assert!((march.weights[0] - 658.0 / 1200.0).abs() < 1e-12);
    }

    #[test]
    fn threshold_policies_invest_contributions_buy_only_when_they_do_not_trade() {
        let config = Config {
            contribution: dec!(100),
            ..config(Sizing::Plan)
        };
        let policy = Policy::parse("full-monthly:50", Strategy::Full).unwrap();
        let run = run_policy(&drifting(), &config, policy).unwrap();
        assert!(run.fills.iter().skip(2).all(|f| f.trade.side == Side::Buy));
        assert_eq!(run.figures.rebalances, 2);
        assert!(
            run.points.iter().all(|p| p.cash < dec!(14)),
            "{:#?}",
            run.points
        );
    }

    #[test]
    fn continuous_rejects_what_it_cannot_size() {
        let prices = table(Some(dec!(10)));
        let config = config(Sizing::Continuous);
        let buy_only = Policy::new(Strategy::BuyOnly, Schedule::Monthly);
        assert!(matches!(
            run_policy(&prices, &config, buy_only),
            Err(BacktestError::InvalidConfig { .. })
        ));
        let unknown = Config {
            targets: Targets::equal(["A", "C"]).unwrap(),
            ..config
        };
        assert!(matches!(
            run_policy(&prices, &unknown, FULL_MONTHLY),
            Err(BacktestError::UnknownSymbol { .. })
        ));
    }
}
