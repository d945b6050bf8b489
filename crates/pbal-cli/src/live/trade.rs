//! `pbal trade`: read the account, plan, preview every order with IBKR's whatif, confirm, place
//! the sells, wait for their fills, re-plan the buys with the real cash, place the buys.
//! Every step goes to the journal before it happens, so a crash leaves a trail, and every
//! order carries a deterministic client order id, so a re-run never places one twice.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use comfy_table::{Table, presets};
use pbal_core::{Plan, PlanOptions, Portfolio, Side, Targets, Trade};
use pbal_ibkr::client_portal::{
    self, Gateway, MarketState, PlaceEvent, PlaceInTurnError, PlacementError, PlacementEvent,
    QuestionPolicy, Quote, WhatIf, mask_account,
};
use pbal_ibkr::{AccountSelection, Statement};
use rust_decimal::Decimal;
use serde_json::json;

use super::TradeArgs;
use super::connect::{Connection, connect};
use super::fills::{self, Outcome};
use super::orders::{self, Existing, PlannedOrder, TicketBook};
use super::summary::Summary;
use super::{contracts, convert, currency, market};
use crate::cli::{CashArg, OrderTypeArg};
use crate::commands::plan::{cash_to_plan, guard_wash_sales, options, plannable};
use crate::journal::Journal;
use crate::output::warn;
use crate::render::PlanReport;
use crate::targets::TargetsFile;
use pbal_ibkr::basket::OrderType;

pub(crate) fn run(args: &TradeArgs) -> Result<()> {
    super::block_on(trade(args))
}

/// What the plan was made from, kept to re-plan the buys after the sells.
struct Planned {
    portfolio: Portfolio,
    targets: Targets,
    options: PlanOptions,
    plan: Plan,
    fx: BTreeMap<String, Decimal>,
}

async fn trade(args: &TradeArgs) -> Result<()> {
    let conn = connect(&args.gateway).await?;
    let account = conn.account.clone();
    say(&format!(
        "Gateway session ready; account {account}{}.",
        if conn.is_paper { " (paper)" } else { "" }
    ));
    let journal =
        Journal::locate().context("no data directory for the journal: set PBAL_DATA_DIR")?;
    let mut engine_options = options(&args.engine);
    let today = engine_options
        .as_of
        .unwrap_or_else(|| jiff::ZonedDateTime::now().date());
    if let Some(w) = crate::journal::recent_rebalance_warning(&journal, today) {
        warn(&w);
    }

    let targets_file = args
        .engine
        .targets
        .as_deref()
        .map(TargetsFile::read)
        .transpose()?;
    let (statement, selection) = read_account(&conn, args).await?;
    let (statement, conids, market_prices, market_states) =
        price_with_snapshots(&conn.gateway, statement, targets_file.as_ref()).await?;
    let (holdings, portfolio, targets) = plannable(
        &statement,
        &selection,
        targets_file.as_ref(),
        &market_prices,
    )?;
    crate::commission::per_market(&mut engine_options, &holdings.instruments);
    let cash = cash_to_plan(args.cash, &statement, &selection)?;
    // Trades come with `--positions FILE` (a Flex export with its Trades section).
    let targets = guard_wash_sales(
        &args.engine,
        &statement,
        targets_file.as_ref(),
        &portfolio,
        targets,
        cash,
        &mut engine_options,
    )?;
    let plan = pbal_core::plan(&portfolio, &targets, cash, &engine_options)
        .context("cannot plan the account")?;
    let report = PlanReport {
        plan: &plan,
        base_currency: holdings.base_currency.as_deref(),
        instruments: &holdings.instruments,
        household: None,
        cash_by_currency: None,
    };
    say(&report.table());
    if plan.trades.is_empty() {
        say("Nothing to trade.");
        return Ok(());
    }

    let order_type = match args.order_type {
        OrderTypeArg::Mkt => OrderType::Market,
        OrderTypeArg::Lmt => OrderType::Limit {
            bps: args.limit_offset,
        },
    };
    let manual_time = conn
        .needs_manual_order_time
        .then(|| jiff::Timestamp::now().as_millisecond());
    let book = TicketBook {
        instruments: &holdings.instruments,
        conids: &conids,
        account: &account,
        date: today,
        order_type,
        manual_order_time: manual_time,
    };
    let mut contract_rules = BTreeMap::new();
    let planned = apply_contract_rules(
        &conn.gateway,
        &book,
        book.tickets(&plan.trades)?,
        &mut contract_rules,
    )
    .await?;
    let short = currency::shortfalls(
        &plan.trades,
        &holdings.instruments,
        &statement.cash,
        holdings.base_currency.as_deref(),
    );
    let conversions = if args.convert_currency && !short.is_empty() {
        let balances = currency::balances(
            &plan.trades,
            &holdings.instruments,
            &statement.cash,
            holdings.base_currency.as_deref(),
        );
        let base = holdings
            .base_currency
            .as_deref()
            .or(conn.base_currency.as_deref());
        convert::plan(&conn, &book, &short, &balances, base).await?
    } else {
        Vec::new()
    };
    let conversion_orders: Vec<PlannedOrder> =
        conversions.iter().map(|c| c.order.clone()).collect();
    if let Some(max) = args.max_order
        && let Some(big) = conversion_orders
            .iter()
            .chain(&planned)
            .find(|o| o.amount > max)
    {
        bail!(
            "refusing: the {} order is worth {}, above --max-order {max}. Nothing was placed",
            big.describe(),
            big.amount.round_dp(2)
        );
    }
    if !conversions.is_empty() {
        let described: Vec<_> = conversions
            .iter()
            .map(|c| {
                (
                    c.conversion.clone(),
                    format!("{} {}", c.order.ticket.side.as_str(), c.order.ticket.symbol),
                )
            })
            .collect();
        say(&currency::describe(&described));
    }

    let conversion_previews = preview_all(&conn.gateway, &conversion_orders).await?;
    let previews = preview_all(&conn.gateway, &planned).await?;
    say(&preview_table(
        &[conversion_orders.as_slice(), planned.as_slice()].concat(),
        &[conversion_previews.as_slice(), previews.as_slice()].concat(),
    ));
    if let Some((order, preview)) = conversion_orders
        .iter()
        .zip(&conversion_previews)
        .find(|(_, p)| p.error.is_some())
    {
        bail!(
            "IBKR's preview rejects the currency conversion ({}): {}. Nothing was placed",
            order.describe(),
            preview.error.as_deref().unwrap_or_default()
        );
    }
    let cash_now = statement.cash_in_base(&selection)?;
    let converted: BTreeSet<&str> = conversions
        .iter()
        .map(|c| c.conversion.to.as_str())
        .collect();
    let currency_of = |symbol: &str| {
        holdings
            .instruments
            .get(symbol)
            .and_then(|i| i.currency.clone())
    };
    let deferred = check_previews(&planned, &previews, cash_now, &|order: &PlannedOrder| {
        currency_of(&order.ticket.symbol).is_some_and(|c| converted.contains(c.as_str()))
    })?;
    if !deferred.is_empty() {
        say(&format!(
            "IBKR's preview refuses the buy of {} for lack of cash today. That is expected: the \
             planned sells (or the currency conversion) pay for it. pbal places the sells first, \
             waits for their fills and for the ledger to show the proceeds, then previews the \
             buys again and places them only if IBKR accepts them.",
            deferred.join(", ")
        ));
    }
    let policy = question_policy(args);
    say(&questions_line(&policy));
    let currency_problem =
        (!short.is_empty() && conversions.is_empty()).then(|| currency::explain(&short));
    if let Some(problem) = &currency_problem {
        say(&format!("Currencies: {problem}."));
    }
    let (closed, halted) = market::blocked(&plan.trades, &market_states);
    let market_problem = (!closed.is_empty() || !halted.is_empty())
        .then(|| market::explain(&closed, &halted, jiff::Timestamp::now()));
    if args.dry_run {
        if let Some(problem) = &market_problem {
            warn(&format!(
                "{problem}. A real run would stop before placing anything"
            ));
        }
        say("Dry run: nothing was placed.");
        return Ok(());
    }
    if let Some(problem) = &currency_problem {
        bail!("{problem}. Nothing was placed");
    }
    if let Some(problem) = &market_problem
        && (!halted.is_empty()
            || !args.queue_for_open
            || (!conversions.is_empty() && !plan.trades.iter().any(|t| t.side == Side::Sell)))
    {
        bail!(
            "{problem}. Nothing was placed. Run again when the market is open{}",
            if halted.is_empty() {
                ", or with --queue-for-open to leave orders for the open"
            } else {
                ""
            }
        );
    }
    let queue_for_open = market_problem.is_some();

    // Before asking: an earlier run's orders are found now, not after the confirmation.
    let live = conn.gateway.live_orders(&account).await?;
    let mut states = Vec::new();
    for order in &planned {
        states.push(orders::existing(order, &live)?);
    }
    let mut conversions_now = Vec::new();
    for conversion in conversions {
        let state = orders::existing(&conversion.order, &live)?;
        conversions_now.push((conversion, state));
    }
    let conversions = conversions_now;
    if !args.yes {
        super::confirm_keeping_alive(
            &conn.gateway,
            format!(
                "Type the account id ({account}) to place {} order(s); anything else stops: ",
                planned.len() + conversions.len()
            ),
            account.clone(),
            "placed",
        )
        .await?;
    }
    journal.append(
        "plan",
        json!({
            "account": mask_account(&account),
            "date": today.to_string(),
            "trades": plan.trades.iter().map(|t| json!({
                "symbol": t.symbol, "side": t.side.as_str(),
                "quantity": t.quantity.normalize().to_string(), "price": t.price.to_string(),
            })).collect::<Vec<_>>(),
            "conversions": conversions.iter().map(|(c, _)| json!({
                "from": c.conversion.from, "to": c.conversion.to,
                "amount": c.conversion.amount.normalize().to_string(),
                "pair": c.order.ticket.symbol, "c_oid": c.order.ticket.c_oid,
            })).collect::<Vec<_>>(),
        }),
    )?;
    let conversion_run = convert::Run {
        conn: &conn,
        policy: &policy,
        journal: &journal,
        timeout: Duration::from_secs(args.fill_timeout),
    };
    let converting: Vec<(PlannedOrder, Existing)> = conversions
        .iter()
        .map(|(c, e)| (c.order.clone(), e.clone()))
        .collect();

    let timeout = Duration::from_secs(args.fill_timeout);
    let (sells, buys): (Vec<_>, Vec<_>) = planned
        .into_iter()
        .zip(states)
        .partition(|(o, _)| o.ticket.side == Side::Sell);
    let mut buys = buys;
    let mut summary = Summary::default();
    if queue_for_open {
        // Closed market, --queue-for-open: only the orders that need no re-planning. With
        // sells, the buys need their proceeds, so they wait for a run after the open.
        let (now, later, why) = if sells.is_empty() {
            (buys, Vec::new(), "")
        } else {
            (
                sells,
                [converting.as_slice(), buys.as_slice()].concat(),
                "left for later: they need the sells' proceeds; run `pbal trade` again after \
                 the open, once the sells have filled",
            )
        };
        say("The market is closed; queueing for the open:");
        let (placement, failure) =
            place_all(&conn.gateway, &account, &now, &policy, &journal).await?;
        if let Some(failure) = failure {
            return stop(
                &mut summary,
                &placement,
                failure,
                &later,
                "stopped while queueing",
            );
        }
        summary.queued(&placement.placed);
        summary.not_placed(later.iter().map(|(o, _)| o), why);
        say(&summary.render());
        return Err(summary.incomplete("the orders wait for the market to open"));
    }
    if !sells.is_empty() {
        let cash_before = ledger_cash_in_base(&conn, &selection).await?;
        say("Placing sells:");
        let (placement, failure) =
            place_all(&conn.gateway, &account, &sells, &policy, &journal).await?;
        if let Some(failure) = failure {
            return stop(
                &mut summary,
                &placement,
                failure,
                &[converting.as_slice(), buys.as_slice()].concat(),
                "the sells did not all go through",
            );
        }
        say("Waiting for the sells to fill:");
        let outcomes = fills::wait(&conn.gateway, &account, placement.placed, timeout).await?;
        record_fills(&journal, &outcomes)?;
        summary.waited(&outcomes);
        if outcomes.iter().any(|o| !o.is_filled()) {
            summary.not_placed(
                converting.iter().chain(&buys).map(|(o, _)| o),
                "the sells have not all filled",
            );
            say(&summary.render());
            return Err(summary.incomplete(
                "the buys were NOT placed because the sells have not all filled; run `pbal \
                 trade` again once they have (orders already placed are not placed twice)",
            ));
        }
        if !buys.is_empty() {
            let state = Planned {
                portfolio,
                targets,
                options: engine_options.clone(),
                plan,
                fx: holdings
                    .instruments
                    .iter()
                    .map(|(s, i)| (s.clone(), i.fx_rate_to_base))
                    .collect(),
            };
            let raised = proceeds(&outcomes, &state.fx);
            let mut ledger_cash = wait_for_proceeds(&conn, &selection, cash_before, raised).await?;
            if !conversions.is_empty() {
                if let Some(stopped) =
                    convert::run(&conversion_run, &conversions, &mut summary, &buys).await?
                {
                    return Err(stopped);
                }
                ledger_cash = ledger_cash_in_base(&conn, &selection).await?;
            }
            let budget = match args.cash {
                CashArg::Available => ledger_cash,
                CashArg::Amount(amount) => amount
                    .checked_add(raised)
                    .unwrap_or(amount)
                    .min(ledger_cash),
            };
            let trades = replan_buys(&state, &outcomes, budget)?;
            let replanned = apply_contract_rules(
                &conn.gateway,
                &book,
                book.tickets(&trades)?,
                &mut contract_rules,
            )
            .await?;
            say(&format!(
                "Cash after the sells: {}; buys re-planned with it.",
                budget.round_dp(2)
            ));
            // The cash is there now: IBKR previews the buys again before any is placed.
            let previews = preview_all(&conn.gateway, &replanned).await?;
            say(&preview_table(&replanned, &previews));
            if let Some((order, preview)) = replanned
                .iter()
                .zip(&previews)
                .find(|(_, p)| p.error.is_some())
            {
                let why = preview.error.clone().unwrap_or_default();
                summary.refused(order, &format!("IBKR's preview: {why}"));
                summary.not_placed(
                    replanned
                        .iter()
                        .filter(|o| o.ticket.c_oid != order.ticket.c_oid),
                    "a buy's preview was refused",
                );
                say(&summary.render());
                return Err(summary.incomplete(&format!(
                    "IBKR's preview refuses the {} buy after the sells; no buy was placed",
                    order.ticket.symbol
                )));
            }
            let live = conn.gateway.live_orders(&account).await?;
            buys = Vec::new();
            for order in replanned {
                let state = orders::existing(&order, &live)?;
                buys.push((order, state));
            }
        }
    }
    if sells.is_empty()
        && !conversions.is_empty()
        && let Some(stopped) =
            convert::run(&conversion_run, &conversions, &mut summary, &buys).await?
    {
        return Err(stopped);
    }
    if !buys.is_empty() {
        say("Placing buys:");
        let (placement, failure) =
            place_all(&conn.gateway, &account, &buys, &policy, &journal).await?;
        if let Some(failure) = failure {
            return stop(
                &mut summary,
                &placement,
                failure,
                &[],
                "the buys did not all go through",
            );
        }
        say("Waiting for the buys to fill:");
        let outcomes = fills::wait(&conn.gateway, &account, placement.placed, timeout).await?;
        record_fills(&journal, &outcomes)?;
        summary.waited(&outcomes);
    }
    if !summary.all_filled() {
        say(&summary.render());
        return Err(summary.incomplete("some orders are still working or were cancelled"));
    }
    journal.append("rebalance", json!({ "date": today.to_string() }))?;
    say("Done.");
    Ok(())
}

/// Ends the run at a placement failure: exit 1 when nothing was placed at all, otherwise the
/// summary and exit 3.
pub(super) fn stop(
    summary: &mut Summary,
    placement: &Placement,
    failure: Failure,
    later: &[(PlannedOrder, Existing)],
    why: &str,
) -> Result<()> {
    if placement.placed.is_empty() && summary.is_empty() {
        return Err(failure.error);
    }
    summary.placed(&placement.placed);
    summary.refused(&failure.order, &format!("{:#}", failure.error));
    summary.not_placed(placement.unsent.iter(), "pbal stopped before it");
    summary.not_placed(later.iter().map(|(o, _)| o), "pbal stopped before it");
    say(&summary.render());
    Err(summary.incomplete(&format!("{why}: {:#}", failure.error)))
}

/// The contracts' rules applied to the tickets before anyone sees the preview:
/// - fractional quantities (`--fractional`) only where the rules allow fractions, rounded down
///   to their decimal places; a whole-shares-only contract stops the run before placing;
/// - limit prices on the contract's price increment (buys rounded up, sells down, as the
///   limit offset is meant), since IBKR refuses a price off it.
///
/// `rules` caches the contracts' answers across calls; market orders in whole shares need none.
async fn apply_contract_rules(
    gateway: &Gateway,
    book: &TicketBook<'_>,
    orders: Vec<PlannedOrder>,
    rules: &mut BTreeMap<String, client_portal::ContractRules>,
) -> Result<Vec<PlannedOrder>> {
    let mut ruled = Vec::with_capacity(orders.len());
    for mut order in orders {
        let quantity = order.ticket.quantity;
        let limit = match order.ticket.kind {
            client_portal::OrderKind::Limit(price) => Some(price),
            client_portal::OrderKind::Market => None,
        };
        if quantity.fract().is_zero() && limit.is_none() {
            ruled.push(order);
            continue;
        }
        let conid = order.ticket.conid.clone();
        if !rules.contains_key(&conid) {
            let fetched = gateway.contract_rules(&conid).await?;
            rules.insert(conid.clone(), fetched);
        }
        let contract = rules.get(&conid).cloned().unwrap_or_default();
        if let Some(price) = limit
            && let Some(tick) = contract.increment_at(price)
        {
            let ticks = price.checked_div(tick).unwrap_or(Decimal::ONE);
            let ticks = match order.ticket.side {
                Side::Buy => ticks.ceil(),
                Side::Sell => ticks.floor().max(Decimal::ONE),
            };
            if let Some(on_tick) = ticks.checked_mul(tick) {
                order.ticket.kind = client_portal::OrderKind::Limit(on_tick.normalize());
            }
        }
        if quantity.fract().is_zero() {
            ruled.push(order);
            continue;
        }
        let Some(places) = contract.fraction_places else {
            bail!(
                "{}: IBKR's rules for this contract allow whole shares only, and the plan has \
                 {} shares. Run without --fractional. Nothing was placed",
                order.ticket.symbol,
                quantity.normalize()
            );
        };
        let rounded =
            quantity.round_dp_with_strategy(places, rust_decimal::RoundingStrategy::ToZero);
        if rounded.is_zero() {
            continue;
        }
        if rounded == quantity {
            ruled.push(order);
        } else {
            ruled.push(book.with_quantity(&order, rounded));
        }
    }
    Ok(ruled)
}

/// IBKR's preview of every order, in order.
async fn preview_all(gateway: &Gateway, orders: &[PlannedOrder]) -> Result<Vec<WhatIf>> {
    let mut previews = Vec::with_capacity(orders.len());
    for order in orders {
        previews.push(gateway.whatif(&order.ticket).await?);
    }
    Ok(previews)
}

/// IBKR's refusal of a buy for lack of cash or margin (cash accounts, IRAs).
fn is_funding_error(text: &str) -> bool {
    let upper = text.to_ascii_uppercase();
    [
        "NOT ACCEPTED",
        "INITIAL MARGIN",
        "EQUITY WITH LOAN",
        "INSUFFICIENT",
        "CASH",
    ]
    .iter()
    .any(|needle| upper.contains(needle))
}

/// Stops on any preview error, except a funding error on a buy that the planned sells pay
/// for (a cash account refuses it until the proceeds arrive); returns those buys' symbols.
fn check_previews(
    planned: &[PlannedOrder],
    previews: &[WhatIf],
    cash_now: Decimal,
    converted: &dyn Fn(&PlannedOrder) -> bool,
) -> Result<Vec<String>> {
    let total = |side: Side| {
        planned
            .iter()
            .filter(|o| o.ticket.side == side)
            .fold(Decimal::ZERO, |sum, o| {
                sum.checked_add(o.amount).unwrap_or(sum)
            })
    };
    let (sells, buys) = (total(Side::Sell), total(Side::Buy));
    let covered = sells > Decimal::ZERO && cash_now.checked_add(sells).is_some_and(|c| c >= buys);
    let mut deferred = Vec::new();
    for (order, preview) in planned.iter().zip(previews) {
        let Some(error) = preview.error.as_deref() else {
            continue;
        };
        if order.ticket.side == Side::Buy
            && (covered || converted(order))
            && is_funding_error(error)
        {
            deferred.push(order.ticket.symbol.clone());
            continue;
        }
        bail!(
            "IBKR's preview rejects the {} order: {error}. Nothing was placed",
            order.ticket.symbol
        );
    }
    Ok(deferred)
}

/// Waits (bounded) until the ledger shows the sells' proceeds, clearing the gateway's
/// portfolio cache before each read; returns the cash it shows (base currency).
async fn wait_for_proceeds(
    conn: &Connection,
    selection: &AccountSelection,
    before: Decimal,
    raised: Decimal,
) -> Result<Decimal> {
    // Commissions and rounding: 99% of what the fills raised counts as arrived.
    let expected = before
        .checked_add(raised.checked_mul(Decimal::new(99, 2)).unwrap_or_default())
        .unwrap_or(before);
    let mut cash = before;
    let (_, arrived) = conn
        .gateway
        .wait_for_ledger(
            &conn.account,
            LEDGER_POLLS,
            Duration::from_secs(1),
            &mut |ledger| {
                cash = cash_in_base(conn, selection, ledger).unwrap_or(cash);
                cash >= expected
            },
        )
        .await?;
    if arrived {
        return Ok(cash);
    }
    warn(&format!(
        "after {LEDGER_POLLS} s the ledger shows {} cash, less than the {} expected after the \
         sells; the buys are re-planned with what it shows",
        cash.round_dp(2),
        expected.round_dp(2)
    ));
    Ok(cash)
}

/// Ledger reads (one a second) while waiting for the sells' proceeds.
pub(super) const LEDGER_POLLS: u32 = 15;

/// The account's positions (gateway or `--positions FILE`) and cash (always the ledger).
async fn read_account(
    conn: &Connection,
    args: &TradeArgs,
) -> Result<(Statement, AccountSelection)> {
    let gateway = &conn.gateway;
    let ledger = gateway.ledger(&conn.account).await?;
    let cash: Vec<pbal_ibkr::CashBalance> = ledger
        .iter()
        .map(|e| pbal_ibkr::CashBalance::new(Some(conn.account.clone()), &e.currency, e.cash))
        .collect();
    if let Some(file) = &args.positions {
        let mut statement = pbal_ibkr::read_path(file)?;
        let selection = if statement.accounts.len() <= 1 {
            AccountSelection::Single
        } else {
            AccountSelection::Only(conn.account.clone())
        };
        statement.cash = cash
            .into_iter()
            .map(|mut c| {
                c.account = statement.accounts.first().cloned().or(c.account);
                c
            })
            .collect();
        if statement.base_currency.is_none() {
            statement.base_currency.clone_from(&conn.base_currency);
        }
        return Ok((statement, selection));
    }
    let positions: Vec<_> = gateway
        .positions(&conn.account)
        .await?
        .into_iter()
        .filter(|p| !p.quantity.is_zero())
        .collect();
    let statement = client_portal::statement(
        &conn.account,
        conn.base_currency.as_deref(),
        &positions,
        &ledger,
    );
    Ok((statement, AccountSelection::Only(conn.account.clone())))
}

/// Every symbol matched to its IBKR contract by conid (see `contracts.rs`; positions take the
/// targets' spelling), live prices from snapshots, and the prices of targets not held yet.
async fn price_with_snapshots(
    gateway: &Gateway,
    mut statement: Statement,
    targets_file: Option<&TargetsFile>,
) -> Result<(
    Statement,
    BTreeMap<String, String>,
    BTreeMap<String, Decimal>,
    BTreeMap<String, MarketState>,
)> {
    let conids = contracts::match_by_conid(
        gateway,
        &mut statement,
        targets_file.map(|f| &f.spec),
        &|text| say(text),
    )
    .await?;
    let unheld: Vec<String> = targets_file
        .into_iter()
        .flat_map(|f| &f.spec.weights)
        .map(|(symbol, _)| symbol)
        .filter(|symbol| !statement.positions.iter().any(|p| &p.symbol == *symbol))
        .cloned()
        .collect();
    let wanted: Vec<String> = conids
        .values()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let quotes = gateway.quotes(&wanted).await?;
    let price_of = |symbol: &str| {
        conids
            .get(symbol)
            .and_then(|c| quotes.get(c))
            .and_then(Quote::price)
    };
    let mut stale = Vec::new();
    for p in &mut statement.positions {
        match price_of(&p.symbol) {
            Some(price) => {
                p.price = price;
                p.value = p
                    .quantity
                    .checked_mul(price)
                    .and_then(|v| v.checked_mul(p.multiplier))
                    .with_context(|| format!("{}: the position's value overflows", p.symbol))?;
                p.value_base = p
                    .fx_rate_to_base
                    .and_then(|f| p.value.checked_mul(f))
                    .map(|v| v.round_dp(4));
            }
            None => stale.push(p.symbol.clone()),
        }
    }
    if !stale.is_empty() {
        warn(&format!(
            "no live price for {}: planning with the gateway's mark price",
            stale.join(", ")
        ));
    }
    let market_prices = unheld
        .iter()
        .filter_map(|s| Some((s.clone(), price_of(s)?)))
        .collect();
    let states = conids
        .iter()
        .filter_map(|(symbol, conid)| Some((symbol.clone(), quotes.get(conid)?.market_state())))
        .collect();
    Ok((statement, conids, market_prices, states))
}

/// What pbal will answer, said before anything is placed.
fn questions_line(policy: &QuestionPolicy) -> String {
    let list = |ids: Vec<&str>| {
        if ids.is_empty() {
            "none".to_owned()
        } else {
            ids.join(", ")
        }
    };
    let confirmed = list(policy.allowed.iter().map(String::as_str).collect());
    let guarded = list(
        client_portal::PRECAUTIONARY_QUESTIONS
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| !policy.allowed.contains(*id))
            .collect(),
    );
    format!(
        "IBKR questions pbal answers \"yes\" to: {confirmed}. The account's Precautionary \
         Settings ({guarded}) and any other question stop the run with the order unplaced \
         (name one with --allow-question to confirm it); o354 (no market data) is never \
         confirmed for a market order."
    )
}

fn question_policy(args: &TradeArgs) -> QuestionPolicy {
    let mut policy = if args.no_default_questions {
        QuestionPolicy {
            allowed: BTreeSet::new(),
        }
    } else {
        QuestionPolicy::default()
    };
    policy
        .allowed
        .extend(args.allow_question.iter().map(|s| s.trim().to_owned()));
    policy
}

/// What a placement round did.
pub(super) struct Placement {
    /// IBKR's order ids of the orders placed (or found placed by an earlier run).
    pub(super) placed: Vec<(String, PlannedOrder)>,
    /// Orders not sent because pbal stopped before them.
    unsent: Vec<PlannedOrder>,
}

/// The order pbal stopped at, and why.
pub(super) struct Failure {
    order: PlannedOrder,
    error: anyhow::Error,
}

/// Places each order not placed before (pbal-ibkr's `place_in_turn`), journalling every step
/// before it happens. Stops at the first refusal (what was placed stays placed and is in the
/// journal): the refusal comes back with what was done.
pub(super) async fn place_all(
    gateway: &Gateway,
    account: &str,
    orders: &[(PlannedOrder, Existing)],
    policy: &QuestionPolicy,
    journal: &Journal,
) -> Result<(Placement, Option<Failure>)> {
    let round: Vec<(client_portal::OrderTicket, Option<String>)> = orders
        .iter()
        .map(|(order, existing)| {
            let before = match existing {
                Existing::Placed(order_id) => Some(order_id.clone()),
                Existing::None => None,
            };
            (order.ticket.clone(), before)
        })
        .collect();
    let line = |index: usize| orders[index].0.describe();
    let done = gateway
        .place_in_turn(account, &round, policy, &mut |event| -> Result<()> {
            match event {
                PlacementEvent::Found {
                    index,
                    ticket,
                    order_id,
                } => {
                    journal.append(
                        "order_found",
                        json!({"c_oid": ticket.c_oid, "order_id": order_id}),
                    )?;
                    say(&format!(
                        "  {}: placed by an earlier run (order {order_id}); not placed again",
                        line(index)
                    ));
                }
                PlacementEvent::Sending { ticket, .. } => journal.append(
                    "order_sent",
                    json!({"c_oid": ticket.c_oid, "symbol": ticket.symbol,
                           "side": ticket.side.as_str(),
                           "quantity": ticket.quantity.normalize().to_string()}),
                )?,
                PlacementEvent::Question {
                    index,
                    ticket,
                    event,
                } => {
                    let (answer, ids, text) = match event {
                        PlaceEvent::Confirmed { message_ids, text } => ("yes", message_ids, text),
                        PlaceEvent::Declined { message_ids, text } => ("no", message_ids, text),
                    };
                    say(&format!(
                        "  {}: IBKR asked [{}]: {text} -> {answer}",
                        line(index),
                        ids.join(",")
                    ));
                    journal.append(
                        "question",
                        json!({"c_oid": ticket.c_oid, "message_ids": ids, "answer": answer,
                               "text": text}),
                    )?;
                }
                PlacementEvent::Placed {
                    index,
                    ticket,
                    order_id,
                    state,
                } => {
                    journal.append(
                        "order_placed",
                        json!({"c_oid": ticket.c_oid, "order_id": order_id, "status": state}),
                    )?;
                    say(&format!(
                        "  {}: placed (order {order_id}, {state})",
                        line(index)
                    ));
                }
                PlacementEvent::AlreadyThere {
                    index,
                    ticket,
                    order_id,
                } => {
                    journal.append(
                        "order_found",
                        json!({"c_oid": ticket.c_oid, "order_id": order_id}),
                    )?;
                    say(&format!(
                        "  {}: already at IBKR (order {order_id}); not placed again",
                        line(index)
                    ));
                }
                PlacementEvent::Failed { ticket, error, .. } => {
                    if matches!(error, PlacementError::Gateway(_)) {
                        journal.append(
                            "order_failed",
                            json!({"c_oid": ticket.c_oid, "error": error.to_string()}),
                        )?;
                    }
                }
                _ => {}
            }
            Ok(())
        })
        .await
        .map_err(|e| match e {
            PlaceInTurnError::Caller(e) => e,
            PlaceInTurnError::Gateway(e) => e.into(),
            other => anyhow::anyhow!("{other}"),
        })?;
    let placed: Vec<(String, PlannedOrder)> = done
        .placed
        .iter()
        .map(|(index, order_id)| (order_id.clone(), orders[*index].0.clone()))
        .collect();
    let Some((index, error)) = done.failure else {
        return Ok((
            Placement {
                placed,
                unsent: Vec::new(),
            },
            None,
        ));
    };
    let error = match error {
        PlacementError::Gateway(e) => {
            let count = placed.len();
            anyhow::Error::new(e).context(format!(
                "stopped at {}; {count} earlier order(s) of this run were placed",
                line(index)
            ))
        }
        PlacementError::KnownNotLive { c_oid } => anyhow::anyhow!(
            "IBKR already knows order id {c_oid} ({}) but does not list it as a live order \
             (cancelled earlier today?); it was not placed again",
            line(index)
        ),
        other => anyhow::Error::new(other),
    };
    Ok((
        Placement {
            placed,
            unsent: orders[index + 1..].iter().map(|(o, _)| o.clone()).collect(),
        },
        Some(Failure {
            order: orders[index].0.clone(),
            error,
        }),
    ))
}

pub(super) fn record_fills(journal: &Journal, outcomes: &[Outcome]) -> Result<()> {
    for o in outcomes {
        journal.append(
            "fill",
            json!({
                "c_oid": o.order.ticket.c_oid, "order_id": o.order_id, "status": o.status,
                "filled": o.filled.normalize().to_string(),
                "average_price": o.average_price.map(|p| p.normalize().to_string()),
            }),
        )?;
    }
    Ok(())
}

async fn ledger_cash_in_base(conn: &Connection, selection: &AccountSelection) -> Result<Decimal> {
    let ledger = conn.gateway.ledger(&conn.account).await?;
    cash_in_base(conn, selection, &ledger)
}

/// The cash a ledger shows, in the base currency.
fn cash_in_base(
    conn: &Connection,
    selection: &AccountSelection,
    ledger: &[client_portal::LedgerEntry],
) -> Result<Decimal> {
    let statement =
        client_portal::statement(&conn.account, conn.base_currency.as_deref(), &[], ledger);
    let selection = match selection {
        AccountSelection::Single => AccountSelection::Only(conn.account.clone()),
        other => other.clone(),
    };
    Ok(statement.cash_in_base(&selection)?)
}

/// What the sells really raised, in the base currency.
fn proceeds(outcomes: &[Outcome], fx: &BTreeMap<String, Decimal>) -> Decimal {
    outcomes
        .iter()
        .map(|o| {
            let price = o.average_price.unwrap_or(Decimal::ZERO);
            let rate = fx
                .get(&o.order.ticket.symbol)
                .copied()
                .unwrap_or(Decimal::ONE);
            // A nonsensical fill report counts as nothing raised: the buys then spend less.
            o.filled
                .checked_mul(price)
                .and_then(|v| v.checked_mul(rate))
                .unwrap_or(Decimal::ZERO)
        })
        .fold(Decimal::ZERO, |sum, v| sum.checked_add(v).unwrap_or(sum))
}

/// The buys again, for the portfolio after the sells and the cash they really raised
/// (pbal-core's `replan_buys`: never more of a symbol than the plan the user confirmed, never
/// a symbol it did not show, never more than `budget`).
fn replan_buys(state: &Planned, sells: &[Outcome], budget: Decimal) -> Result<Vec<Trade>> {
    let sold: Vec<(&str, Decimal)> = sells
        .iter()
        .map(|o| (o.order.ticket.symbol.as_str(), o.filled))
        .collect();
    pbal_core::replan_buys(
        &state.portfolio,
        &state.targets,
        &state.options,
        &state.plan.trades,
        &sold,
        budget,
    )
    .context("cannot re-plan the buys")
}

fn preview_table(orders: &[PlannedOrder], previews: &[WhatIf]) -> String {
    let mut table = Table::new();
    table
        .load_style(presets::ASCII_MARKDOWN)
        .force_no_tty()
        .set_header([
            "order",
            "type",
            "client order id",
            "commission",
            "initial margin change",
            "IBKR says",
        ]);
    for (order, preview) in orders.iter().zip(previews) {
        let t = &order.ticket;
        let kind = match t.kind {
            client_portal::OrderKind::Market => "MKT".to_owned(),
            client_portal::OrderKind::Limit(p) => format!("LMT {p}"),
        };
        let says = [preview.error.as_deref(), preview.warning.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("; ");
        table.add_row([
            order.describe(),
            kind,
            t.c_oid.clone(),
            preview
                .commission
                .map_or_else(|| "?".to_owned(), |c| c.normalize().to_string()),
            preview
                .initial_margin_change
                .map_or_else(String::new, |c| c.normalize().to_string()),
            if says.is_empty() {
                "ok".to_owned()
            } else {
                says
            },
        ]);
    }
    format!("IBKR's preview (whatif) of each order:\n{table}")
}

pub(super) fn say(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{}", text.trim_end());
}
