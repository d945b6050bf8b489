//! `pbal trade`: read the account, plan, preview every order with IBKR's whatif, confirm, then
//! hand the confirmed orders to pbal-ibkr's `run_sequence` (sells, their fills, the proceeds,
//! the capped re-plan of the buys, the buys) and render how it ended. Every step goes to the
//! journal before it happens (`observer.rs`), so a crash leaves a trail, and every order
//! carries a deterministic client order id, so a re-run never places one twice.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use pbal_core::Side;
use pbal_ibkr::client_portal::{
    self, ConversionStep, Gateway, MarketState, QuestionPolicy, Quote, Replan, Round, Sequence,
    SequenceEnd, SequenceError, WhatIf, mask_account,
};
use pbal_ibkr::{AccountSelection, Statement};
use rust_decimal::Decimal;
use serde_json::json;

use super::TradeArgs;
use super::connect::{Connection, connect};
use super::observer::{Observer, placement_error, short_cash};
use super::orders::apply_contract_rules;
use super::orders::{self, Existing, PlannedOrder, TicketBook};
use super::preview::preview_table;
use super::summary::Summary;
use super::{contracts, convert, currency, market};
use crate::cli::OrderTypeArg;
use crate::commands::plan::{engine_request, explain, options, prepare};
use crate::journal::Journal;
use crate::output::{say, warn};
use crate::render::PlanReport;
use crate::targets::TargetsFile;
use pbal_ibkr::basket::OrderType;

pub(crate) fn run(args: &TradeArgs) -> Result<()> {
    super::block_on(trade(args))
}

/// What every trade starts from: the journal (and its warning about a recent rebalance), the
/// engine options and the plan's date, and the targets file.
pub(super) struct TradeStart {
    pub(super) journal: Journal,
    pub(super) engine_options: pbal_core::PlanOptions,
    pub(super) today: pbal_core::Date,
    pub(super) targets_file: Option<TargetsFile>,
}

pub(super) fn trade_start(args: &TradeArgs) -> Result<TradeStart> {
    let journal =
        Journal::locate().context("no data directory for the journal: set PBAL_DATA_DIR")?;
    let engine_options = options(&args.engine);
    let today = engine_options.as_of.unwrap_or_else(crate::clock::today);
    if let Some(w) = crate::journal::recent_rebalance_warning(&journal, today) {
        warn(&w);
    }
    let targets_file = args
        .engine
        .targets
        .as_deref()
        .map(TargetsFile::read)
        .transpose()?;
    Ok(TradeStart {
        journal,
        engine_options,
        today,
        targets_file,
    })
}

async fn trade(args: &TradeArgs) -> Result<()> {
    let conn = connect(&args.gateway).await?;
    let account = conn.account.clone();
    say(&format!(
        "Gateway session ready; account {account}{}.",
        if conn.is_paper { " (paper)" } else { "" }
    ));
    let TradeStart {
        journal,
        engine_options,
        today,
        targets_file,
    } = trade_start(args)?;
    let (statement, selection) = read_account(&conn, args).await?;
    crate::commands::plan::warn_as_of(args.engine.as_of, &statement);
    let (statement, conids, market_prices, market_states) =
        price_with_snapshots(&conn.gateway, statement, targets_file.as_ref()).await?;
    let mut request = engine_request(&args.engine, engine_options, targets_file.as_ref())?
        .with_selection(selection.clone());
    request.cash = crate::cash::instruction(Some(args.cash), args.cash_total);
    request.market_prices.clone_from(&market_prices);
    // Trades come with `--positions FILE` (a Flex export with its Trades section).
    let prepared = prepare(&statement, &request, targets_file.as_ref(), "the account's")?;
    let planned = prepared.plan().map_err(|e| {
        explain(
            e,
            &statement,
            &request,
            targets_file.as_ref(),
            Some("the account"),
        )
    })?;
    let pbal_ibkr::StatementPlan {
        plan,
        cash: plan_cash,
        holdings,
        portfolio,
        targets,
        options: engine_options,
        ..
    } = planned;
    let instruction = plan_cash.instruction;
    let cash = plan_cash.total;
    // The ledger's cash per currency: what the shortfall check below counts too.
    let ledger_cash = statement.cash_by_currency(&selection)?;
    let report = PlanReport {
        plan: &plan,
        base_currency: holdings.base_currency.as_deref(),
        instruments: &holdings.instruments,
        household: None,
        cash_by_currency: Some(&ledger_cash),
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
    let mut tickers = BTreeMap::new();
    let planned = apply_contract_rules(
        &conn.gateway,
        &book,
        book.tickets(&plan.trades)?,
        &mut contract_rules,
    )
    .await?;
    let planned = orders::with_ibkr_tickers(&conn.gateway, planned, &mut tickers).await?;
    let short = currency::shortfalls(
        &plan.trades,
        &holdings.instruments,
        &statement.cash,
        holdings.base_currency.as_deref(),
    )?;
    let conversions = if args.convert_currency && !short.is_empty() {
        let balances = currency::balances(
            &plan.trades,
            &holdings.instruments,
            &statement.cash,
            holdings.base_currency.as_deref(),
        )?;
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
    // The full list (IBKR's first answer can be incomplete) before deciding one is absent.
    let live = conn.gateway.live_orders_complete(&account).await?;
    let dead = orders::dead_in_journal(&journal);
    let mut planned = planned;
    let mut states = Vec::new();
    for order in &mut planned {
        states.push(orders::existing(order, &live, &dead)?);
    }
    let mut conversions_now = Vec::new();
    for mut conversion in conversions {
        let state = orders::existing(&mut conversion.order, &live, &dead)?;
        conversions_now.push((conversion, state));
    }
    let conversions = conversions_now;
    if !args.yes {
        super::confirm_keeping_alive(
            &conn.gateway,
            format!(
                "Type the account id ({account}) to place {}; anything else stops: ",
                crate::ui::count(planned.len() + conversions.len(), "order", "orders")
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
    let pending = |order: &PlannedOrder, existing: &Existing| {
        let before = match existing {
            Existing::Placed(order_id) => Some(order_id.clone()),
            Existing::None => None,
        };
        (order.clone(), before)
    };
    let (sells, buys): (Vec<_>, Vec<_>) = planned
        .iter()
        .zip(&states)
        .map(|(o, e)| pending(o, e))
        .partition(|(o, _)| o.ticket.side == Side::Sell);
    let has_sells = !sells.is_empty();
    let mut replan = Replan::new(
        portfolio,
        targets,
        engine_options.clone(),
        plan.trades.clone(),
    );
    replan.fx_to_base = holdings
        .instruments
        .iter()
        .map(|(s, i)| (s.clone(), i.fx_rate_to_base))
        .collect();
    // The buys spend at most the cash the plan was given plus what the sells raise.
    replan.cash = match instruction {
        pbal_ibkr::CashInstruction::Export => None,
        _ => Some(cash),
    };
    let mut sequence = Sequence::new(
        account.clone(),
        replan,
        Duration::from_secs(args.fill_timeout),
    );
    sequence.fill_wait.keepalive = super::KEEPALIVE;
    sequence.base_currency.clone_from(&conn.base_currency);
    sequence.policy = policy;
    sequence.ledger_polls = LEDGER_POLLS;
    sequence.sells = sells;
    sequence.buys = buys;
    sequence.conversions = conversions
        .iter()
        .map(|(c, e)| {
            ConversionStep::new(
                pending(&c.order, e),
                c.conversion.to.clone(),
                c.conversion.buys,
            )
        })
        .collect();
    sequence.queue_for_open = queue_for_open;
    let mut observer = Observer {
        journal: &journal,
        book: &book,
        contract_rules: &mut contract_rules,
        tickers: &mut tickers,
        spinner: None,
    };
    let outcome = conn
        .gateway
        .run_sequence(&sequence, &mut observer)
        .await
        .map_err(sequence_error)?;
    drop(observer);
    let mut summary = Summary(outcome.orders);
    let why = match outcome.end {
        SequenceEnd::Done => {
            journal.append("rebalance", json!({ "date": today.to_string() }))?;
            say("Done.");
            return Ok(());
        }
        SequenceEnd::Queued { later } => {
            summary.not_placed(
                &later,
                if has_sells {
                    "left for later: they need the sells' proceeds; run `pbal trade` again \
                     after the open, once the sells have filled"
                } else {
                    ""
                },
            );
            "the orders wait for the market to open".to_owned()
        }
        SequenceEnd::Stopped {
            round,
            order,
            error,
            placed_in_round,
            first,
        } => {
            let error = placement_error(&order, *error, placed_in_round);
            if first {
                return Err(error);
            }
            summary.refused(&order, &format!("{error:#}"));
            let why = match round {
                Round::QueueForOpen => "stopped while queueing",
                Round::Sells => "the sells did not all go through",
                Round::Conversions => "the currency conversion did not go through",
                _ => "the buys did not all go through",
            };
            format!("{why}: {error:#}")
        }
        SequenceEnd::SellsUnfilled => "the buys were NOT placed because the sells have not all \
                                       filled; run `pbal trade` again once they have (orders \
                                       already placed are not placed twice)"
            .to_owned(),
        SequenceEnd::ConversionUnfilled => "the buys were NOT placed because the currency \
                                            conversion has not filled; run `pbal trade` again \
                                            once it has (it is not placed twice)"
            .to_owned(),
        SequenceEnd::ConvertedCashMissing(short) => format!(
            "the conversion filled but the ledger shows {}; no buy was placed. Run `pbal trade` \
             again once it does",
            short_cash(&short)
        ),
        SequenceEnd::BuyPreviewRefused { symbol } => {
            format!("IBKR's preview refuses the {symbol} buy after the sells; no buy was placed")
        }
        _ => "some orders are still working or were cancelled".to_owned(),
    };
    say(&summary.render());
    Err(summary.incomplete(&why))
}

/// IBKR's preview of every order, in order.
pub(super) async fn preview_all(gateway: &Gateway, orders: &[PlannedOrder]) -> Result<Vec<WhatIf>> {
    let mut previews = Vec::with_capacity(orders.len());
    for order in orders {
        previews.push(gateway.whatif(&order.ticket).await?);
    }
    Ok(previews)
}

/// A placement sequence's failure in the CLI's words.
pub(super) fn sequence_error(e: SequenceError<anyhow::Error>) -> anyhow::Error {
    match e {
        SequenceError::Observer(e) => e,
        SequenceError::Gateway(e) => e.into(),
        SequenceError::Cash(e) => e.into(),
        SequenceError::Replan(e) => anyhow::Error::new(e).context("cannot re-plan the buys"),
        other => anyhow::anyhow!("{other}"),
    }
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
pub(super) fn check_previews(
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
    let read = gateway.positions_read(&conn.account).await?;
    for filled in &read.filled {
        say(&format!("Position {filled} (IBKR's row lacked it)."));
    }
    for why in &read.left_out {
        warn(why);
    }
    let positions: Vec<_> = read
        .positions
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
pub(super) async fn price_with_snapshots(
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
pub(super) fn questions_line(policy: &QuestionPolicy) -> String {
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

pub(super) fn question_policy(args: &TradeArgs) -> QuestionPolicy {
    let mut policy = if args.no_default_questions {
        QuestionPolicy::new(BTreeSet::new())
    } else {
        QuestionPolicy::default()
    };
    policy
        .allowed
        .extend(args.allow_question.iter().map(|s| s.trim().to_owned()));
    policy
}
