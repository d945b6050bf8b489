//! `pbal trade --all-accounts`: every account of the login read, ONE household plan (the same
//! library call as `pbal plan --all-accounts`), one preview grouped by account, one
//! confirmation, then the accounts one after another: each selected, its sells first, then its
//! buys, every order with that account's id and paid from that account's cash alone. A refused
//! order stops the run before the next account; orders still working do not.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use pbal_core::{Holding, Portfolio, Side, Trade};
use pbal_ibkr::client_portal::{self, Replan, Round, Sequence, SequenceEnd, mask_account};
use pbal_ibkr::{AccountSelection, CashInstruction, Statement};
use rust_decimal::Decimal;
use serde_json::json;

use super::TradeArgs;
use super::connect::{Connection, connect_to};
use super::observer::{Observer, placement_error};
use super::orders::{self, Existing, PlannedOrder, TicketBook};
use super::preview::preview_table;
use super::summary::Summary;
use super::trade::{
    LEDGER_POLLS, TradeStart, check_previews, preview_all, price_with_snapshots, question_policy,
    questions_line, sequence_error, trade_start,
};
use super::{currency, market};
use crate::cli::{CashArg, OrderTypeArg};
use crate::commands::plan::{engine_request, explain, prepare};
use crate::journal::Journal;
use crate::output::{say, warn};
use crate::render::PlanReport;
use pbal_ibkr::basket::OrderType;

/// One account's part of the confirmed household plan.
struct AccountPart {
    account: String,
    trades: Vec<Trade>,
    /// Its orders (sells first) and whether an earlier run placed each.
    orders: Vec<(PlannedOrder, Option<String>)>,
    /// Its ledger cash in the base currency when the plan was made.
    cash: Decimal,
    /// The part of a withdrawal that must stay in it as cash (zero without one).
    kept: Decimal,
}

pub(super) fn run(args: &TradeArgs) -> Result<()> {
    super::block_on(trade(args))
}

async fn trade(args: &TradeArgs) -> Result<()> {
    let withdrawal = withdrawal(args)?;
    let conn = connect_to(&args.gateway, true).await?;
    one_base_currency(&conn)?;
    if let Some(id) = &args.cash_account
        && !conn.accounts.contains(id)
    {
        bail!(
            "--cash-account {id}: not an account of this login (it has {}). Nothing was placed",
            conn.accounts.join(", ")
        );
    }
    say(&format!(
        "Gateway session ready; accounts {}{}.",
        conn.accounts.join(", "),
        if conn.is_paper { " (paper)" } else { "" }
    ));
    let TradeStart {
        journal,
        engine_options,
        today,
        targets_file,
    } = trade_start(args)?;
    let statement = read_household(&conn).await?;
    crate::commands::plan::warn_as_of(args.engine.as_of, &statement);
    let (statement, conids, market_prices, market_states) =
        price_with_snapshots(&conn.gateway, statement, targets_file.as_ref()).await?;
    if let Some(kinds) = &args.account_kind
        && let Some(id) = kinds.0.keys().find(|id| !conn.accounts.contains(id))
    {
        bail!(
            "--account-kind {id}: not an account of this login (it has {})",
            conn.accounts.join(", ")
        );
    }
    // The same library call and cash rules as `pbal plan --all-accounts -c AMOUNT
    // [--cash-account ID]`, with the gateway's prices.
    let mut request = engine_request(&args.engine, engine_options, targets_file.as_ref())?
        .with_selection(AccountSelection::All);
    request.cash = Some(withdrawal.map_or(CashInstruction::Export, CashInstruction::Move));
    request.cash_account.clone_from(&args.cash_account);
    if let Some(kinds) = &args.account_kind {
        request.account_kinds.clone_from(&kinds.0);
    }
    request.market_prices.clone_from(&market_prices);
    let account_cash = statement.cash_per_account()?;
    let prepared = prepare(&statement, &request, targets_file.as_ref(), "the accounts'")?;
    let planned = prepared.plan().map_err(|e| {
        explain(
            e,
            &statement,
            &request,
            targets_file.as_ref(),
            Some("the household"),
        )
    })?;
    let pbal_ibkr::StatementPlan {
        plan,
        household,
        holdings,
        portfolio,
        targets,
        options: engine_options,
        ..
    } = planned;
    let household = household.context("a household trade needs a login with several accounts")?;
    let kept = kept_for_withdrawal(withdrawal, args.cash_account.as_deref(), &household)?;
    for (account, amount) in kept.iter().filter(|(_, a)| !a.is_zero()) {
        say(&format!(
            "Withdrawal: {} stays in {account} as cash once its orders are done (pbal moves no \
             money: make the transfer yourself afterwards).",
            amount.round_dp(2)
        ));
    }
    let report = PlanReport {
        plan: &plan,
        base_currency: holdings.base_currency.as_deref(),
        instruments: &holdings.instruments,
        household: Some(&household),
        cash_by_currency: None,
    };
    say(&report.table());
    if household.split.orders.is_empty() {
        say("Nothing to trade.");
        return Ok(());
    }

    let order_type = match args.order_type {
        OrderTypeArg::Mkt => OrderType::Market,
        OrderTypeArg::Lmt => OrderType::Limit {
            bps: args.limit_offset,
        },
    };
    let manual_time = jiff::Timestamp::now().as_millisecond();
    let book_for = |account: &str| TicketParts {
        date: today,
        order_type,
        manual_order_time: conn
            .manual_order_time
            .iter()
            .any(|a| a == account)
            .then_some(manual_time),
    };
    let mut contract_rules = BTreeMap::new();
    let mut tickers = BTreeMap::new();
    let mut parts = Vec::new();
    for account in &conn.accounts {
        let trades: Vec<Trade> = household
            .split
            .orders
            .iter()
            .filter(|o| &o.account == account)
            .map(|o| {
                let mut t = Trade::new(o.symbol.clone(), o.side, o.quantity, o.price)?;
                t.commission = o.commission;
                Ok(t)
            })
            .collect::<Result<_, pbal_core::Error>>()?;
        if trades.is_empty() {
            continue;
        }
        let book = book_for(account).book(&holdings.instruments, &conids, account);
        let planned = orders::apply_contract_rules(
            &conn.gateway,
            &book,
            book.tickets(&trades)?,
            &mut contract_rules,
        )
        .await?;
        let planned = orders::with_ibkr_tickers(&conn.gateway, planned, &mut tickers).await?;
        let cash = account_cash.get(account).copied().unwrap_or_default();
        parts.push(AccountPart {
            account: account.clone(),
            trades,
            orders: planned.into_iter().map(|o| (o, None)).collect(),
            cash,
            kept: kept.get(account).copied().unwrap_or_default(),
        });
    }
    if let Some(max) = args.max_order
        && let Some((big, _)) = parts
            .iter()
            .flat_map(|p| &p.orders)
            .find(|(o, _)| o.amount > max)
    {
        bail!(
            "refusing: the {} order is worth {}, above --max-order {max}. Nothing was placed",
            big.describe(),
            big.amount.round_dp(2)
        );
    }
    // Each account's preview, and its currencies from its own cash: cash never moves between
    // accounts, and pbal converts none in a household run.
    for part in &parts {
        let planned: Vec<PlannedOrder> = part.orders.iter().map(|(o, _)| o.clone()).collect();
        let previews = preview_all(&conn.gateway, &planned).await?;
        // The plan's cash after excludes a withdrawal: show what stays, and its part.
        let free_after = household
            .split
            .cash_after
            .get(&part.account)
            .copied()
            .unwrap_or(part.cash);
        let after = if part.kept.is_zero() {
            free_after.round_dp(2).to_string()
        } else {
            format!(
                "{} ({} of it for the withdrawal)",
                (free_after + part.kept).round_dp(2),
                part.kept.round_dp(2)
            )
        };
        say(&format!(
            "Account {}: cash {} before its orders, {after} after.",
            part.account,
            part.cash.round_dp(2),
        ));
        say(&preview_table(&planned, &previews));
        check_previews(&planned, &previews, part.cash, &|_| false)
            .with_context(|| format!("account {}", part.account))?;
        let own_cash: Vec<pbal_ibkr::CashBalance> = statement
            .cash
            .iter()
            .filter(|c| c.account.as_deref() == Some(part.account.as_str()))
            .cloned()
            .collect();
        let short = currency::shortfalls(
            &part.trades,
            &holdings.instruments,
            &own_cash,
            holdings.base_currency.as_deref(),
        )?;
        if !short.is_empty() {
            bail!(
                "account {}: {}. pbal does not convert currencies in a household run (trade \
                 that account alone with --account and --convert-currency). Nothing was placed",
                part.account,
                currency::explain(&short)
            );
        }
    }
    let policy = question_policy(args);
    say(&questions_line(&policy));
    let all_trades: Vec<Trade> = parts.iter().flat_map(|p| p.trades.clone()).collect();
    let (closed, halted) = market::blocked(&all_trades, &market_states);
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
    if let Some(problem) = &market_problem {
        bail!("{problem}. Nothing was placed. Run again when the market is open");
    }

    // Before asking: each account's earlier orders, read with that account selected (IBKR
    // lists only the selected account's live orders).
    let dead = orders::dead_in_journal(&journal);
    for part in &mut parts {
        conn.gateway.select_account(&part.account).await?;
        let live = conn.gateway.live_orders_complete(&part.account).await?;
        for (order, before) in &mut part.orders {
            *before = match orders::existing(order, &live, &dead)? {
                Existing::Placed(id) => Some(id),
                Existing::None => None,
            };
        }
    }
    let count: usize = parts.iter().map(|p| p.orders.len()).sum();
    if !args.yes {
        let ids: Vec<&str> = parts.iter().map(|p| p.account.as_str()).collect();
        let expected = ids.join(",");
        super::confirm_keeping_alive(
            &conn.gateway,
            format!(
                "Type the account ids ({expected}) to place {} in {}; anything else stops: ",
                crate::ui::count(count, "order", "orders"),
                crate::ui::count(parts.len(), "account", "accounts")
            ),
            expected.clone(),
            "placed",
        )
        .await?;
    }
    journal.append(
        "plan",
        json!({
            "household": true,
            "date": today.to_string(),
            "accounts": parts.iter().map(|p| json!({
                "account": mask_account(&p.account),
                "withdrawal_kept": p.kept.to_string(),
                "trades": p.trades.iter().map(|t| json!({
                    "symbol": t.symbol, "side": t.side.as_str(),
                    "quantity": t.quantity.normalize().to_string(), "price": t.price.to_string(),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }),
    )?;

    let mut all_done = true;
    let names: Vec<String> = parts.iter().map(|p| p.account.clone()).collect();
    for (index, part) in parts.iter().enumerate() {
        say(&format!("Account {}:", part.account));
        conn.gateway.select_account(&part.account).await?;
        let (end, summary) = place_account(
            &conn,
            args,
            part,
            &household.split.orders,
            &portfolio,
            &targets,
            &engine_options,
            &book_for(&part.account).book(&holdings.instruments, &conids, &part.account),
            &journal,
            &mut contract_rules,
            &mut tickers,
        )
        .await?;
        let ledger = conn.gateway.ledger(&part.account).await?;
        let base_cash = ledger.iter().find(|e| e.currency == "BASE").map(|e| e.cash);
        let mut left =
            base_cash.map_or_else(|| "unknown".to_owned(), |c| c.round_dp(2).to_string());
        if !part.kept.is_zero() {
            left = format!(
                "{left} ({} of it for the withdrawal)",
                part.kept.round_dp(2)
            );
            if base_cash.is_some_and(|c| c < part.kept) {
                warn(&format!(
                    "account {} holds less cash than the {} the withdrawal needs: orders may \
                     still be working or filled at other prices. Check before transferring",
                    part.account,
                    part.kept.round_dp(2)
                ));
            }
        }
        say(&summary.render());
        say(&format!(
            "Account {}: {} of {} orders filled; cash left {left}.",
            part.account,
            summary.filled_count(),
            summary.orders.len()
        ));
        match end {
            AccountEnd::Done => {}
            AccountEnd::Unfinished => all_done = false,
            AccountEnd::Stopped(why) => {
                let later = &names[index + 1..];
                let untouched = if later.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; nothing was placed in {} (run again once the cause is fixed: \
                         orders already placed are not placed twice)",
                        later.join(", ")
                    )
                };
                return Err(anyhow::Error::new(super::summary::Incomplete(format!(
                    "the household trade stopped in account {}: {why}{untouched}",
                    part.account
                ))));
            }
        }
    }
    if all_done {
        journal.append("rebalance", json!({ "date": today.to_string() }))?;
        say("Done.");
        Ok(())
    } else {
        Err(anyhow::Error::new(super::summary::Incomplete(
            "not every order filled: the orders still working stay at IBKR. The rebalance is \
             not recorded as complete; `pbal status --account ID` shows working orders, `pbal \
             cancel` cancels pbal's"
                .to_owned(),
        )))
    }
}

/// A household plan adds every account's values in one currency: a login whose accounts have
/// different base currencies (or one not given) is refused, naming each, rather than planned
/// in the first account's currency.
fn one_base_currency(conn: &Connection) -> Result<()> {
    let distinct: std::collections::BTreeSet<_> =
        conn.base_currencies.iter().map(|(_, c)| c).collect();
    if distinct.len() > 1 {
        let each: Vec<String> = conn
            .base_currencies
            .iter()
            .map(|(id, c)| format!("{id} ({})", c.as_deref().unwrap_or("not given")))
            .collect();
        bail!(
            "the accounts of this login have different base currencies: {}. A household plan \
             values every account in one currency, so pbal does not trade them together; trade \
             each with --account ID. Nothing was placed",
            each.join(", ")
        );
    }
    Ok(())
}

/// The withdrawal asked for (negative), if any. A deposit is refused: pbal cannot move money
/// in, so planning with it would place buys the ledger cannot pay for.
fn withdrawal(args: &TradeArgs) -> Result<Option<Decimal>> {
    let amount = match args.cash {
        CashArg::Available => None,
        CashArg::Amount(amount) if amount.is_zero() => None,
        CashArg::Amount(amount) if amount < Decimal::ZERO => Some(amount),
        CashArg::Amount(_) => bail!(
            "a household trade plans with each account's own cash as its ledger shows it: pbal \
             cannot move money in from the bank or between accounts. Make the deposit first, \
             then run `pbal trade --all-accounts` again; `pbal plan --all-accounts -c AMOUNT` \
             shows which account the plan would want it in. Nothing was placed"
        ),
    };
    if amount.is_none() && args.cash_account.is_some() {
        bail!(
            "--cash-account names the account a withdrawal (a negative --cash) comes out of; \
             without one each account keeps its own cash. Nothing was placed"
        );
    }
    Ok(amount)
}

/// What each account must keep as cash for the withdrawal: all of it in the named account,
/// else each account's part as the household plan shared it out.
fn kept_for_withdrawal(
    withdrawal: Option<Decimal>,
    account: Option<&str>,
    household: &pbal_ibkr::HouseholdOrders,
) -> Result<BTreeMap<String, Decimal>> {
    let Some(amount) = withdrawal else {
        return Ok(BTreeMap::new());
    };
    if let Some(account) = account {
        return Ok(BTreeMap::from([(account.to_owned(), -amount)]));
    }
    let shared = household
        .shared
        .as_ref()
        .context("the household plan did not say which accounts the withdrawal comes out of")?;
    Ok(shared
        .parts
        .iter()
        .map(|(account, part)| (account.clone(), -*part))
        .collect())
}

/// What an account's tickets share but for its id.
struct TicketParts {
    date: jiff::civil::Date,
    order_type: OrderType,
    manual_order_time: Option<i64>,
}

impl TicketParts {
    fn book<'a>(
        &self,
        instruments: &'a BTreeMap<String, pbal_ibkr::Instrument>,
        conids: &'a BTreeMap<String, String>,
        account: &'a str,
    ) -> TicketBook<'a> {
        TicketBook {
            instruments,
            conids,
            account,
            date: self.date,
            order_type: self.order_type,
            manual_order_time: self.manual_order_time,
        }
    }
}

/// How one account's part ended.
enum AccountEnd {
    /// Every order filled.
    Done,
    /// Orders still working or unfilled: later accounts go on (their cash is their own).
    Unfinished,
    /// A refusal: the run stops before the next account.
    Stopped(String),
}

/// One account's sells, their fills, its re-planned buys (never above its own cash plus what
/// its sells raised, nor above the plan's quantities) and their fills.
#[allow(clippy::too_many_arguments)]
async fn place_account(
    conn: &Connection,
    args: &TradeArgs,
    part: &AccountPart,
    split: &[pbal_core::AccountOrder],
    portfolio: &Portfolio,
    targets: &pbal_core::Targets,
    engine_options: &pbal_core::PlanOptions,
    book: &TicketBook<'_>,
    journal: &Journal,
    contract_rules: &mut BTreeMap<String, client_portal::ContractRules>,
    tickers: &mut BTreeMap<String, Option<String>>,
) -> Result<(AccountEnd, Summary)> {
    let (sells, buys): (Vec<_>, Vec<_>) = part
        .orders
        .iter()
        .cloned()
        .partition(|(o, _)| o.ticket.side == Side::Sell);
    // The re-plan sees the household as the other accounts' orders leave it, so this account's
    // buys come out as planned when its sells fill as planned.
    let replan_portfolio = after_others(portfolio, split, &part.account)?;
    let mut replan = Replan::new(
        replan_portfolio,
        targets.clone(),
        engine_options.clone(),
        part.trades.clone(),
    );
    // A withdrawal's part stays in the account: the buys may spend only the rest.
    replan.cash = Some(
        part.cash
            .checked_sub(part.kept)
            .context("the cash overflows")?,
    );
    let mut sequence = Sequence::new(
        part.account.clone(),
        replan,
        Duration::from_secs(args.fill_timeout),
    );
    sequence.fill_wait.keepalive = super::KEEPALIVE;
    sequence.base_currency.clone_from(&conn.base_currency);
    sequence.policy = question_policy(args);
    sequence.ledger_polls = LEDGER_POLLS;
    sequence.sells = sells;
    sequence.buys = buys;
    let mut observer = Observer {
        journal,
        book,
        contract_rules,
        tickers,
        spinner: None,
    };
    let outcome = conn
        .gateway
        .run_sequence(&sequence, &mut observer)
        .await
        .map_err(sequence_error)?;
    drop(observer);
    let mut summary = Summary(outcome.orders);
    let end = match outcome.end {
        SequenceEnd::Done => AccountEnd::Done,
        SequenceEnd::Stopped {
            round,
            order,
            error,
            placed_in_round,
            ..
        } => {
            let error = placement_error(&order, *error, placed_in_round);
            summary.refused(&order, &format!("{error:#}"));
            let why = match round {
                Round::Sells => "the sells did not all go through",
                _ => "the buys did not all go through",
            };
            AccountEnd::Stopped(format!("{why}: {error:#}"))
        }
        SequenceEnd::BuyPreviewRefused { symbol } => AccountEnd::Stopped(format!(
            "IBKR's preview refuses the {symbol} buy after the sells; no buy was placed"
        )),
        _ => AccountEnd::Unfinished,
    };
    Ok((end, summary))
}

/// The household portfolio with every other account's planned orders done.
fn after_others(
    portfolio: &Portfolio,
    split: &[pbal_core::AccountOrder],
    account: &str,
) -> Result<Portfolio> {
    let mut holdings: Vec<Holding> = portfolio.holdings().to_vec();
    for order in split.iter().filter(|o| o.account != account) {
        let Some(h) = holdings.iter_mut().find(|h| h.symbol == order.symbol) else {
            continue;
        };
        let quantity = match order.side {
            Side::Buy => h.quantity.checked_add(order.quantity),
            Side::Sell => h.quantity.checked_sub(order.quantity),
        }
        .context("a holding's quantity overflows")?
        .max(Decimal::ZERO);
        h.quantity = quantity;
        h.value = quantity
            .checked_mul(h.price)
            .context("a holding's value overflows")?;
        h.lots.clear();
    }
    Ok(Portfolio::new(holdings)?)
}

/// Every account's positions and ledger, as one statement of several accounts.
async fn read_household(conn: &Connection) -> Result<Statement> {
    let mut household: Option<Statement> = None;
    for account in &conn.accounts {
        let ledger = conn.gateway.ledger(account).await?;
        let read = conn.gateway.positions_read(account).await?;
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
        let one =
            client_portal::statement(account, conn.base_currency.as_deref(), &positions, &ledger);
        match &mut household {
            None => household = Some(one),
            Some(all) => {
                all.accounts.extend(one.accounts);
                all.positions.extend(one.positions);
                all.cash.extend(one.cash);
            }
        }
    }
    household.context("the login lists no account")
}
