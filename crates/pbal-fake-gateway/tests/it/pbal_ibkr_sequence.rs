//! The confirmed rebalance run by the library (`Gateway::run_sequence`) against the fake
//! gateway: sells, their fills, the proceeds, the capped re-plan of the buys, the buys; every
//! placement told to the observer before it happens, a veto stopping the run before anything
//! is sent, and a re-run placing nothing twice.

use std::time::Duration;

use pbal_core::{Holding, PlanOptions, Portfolio, Side, Strategy, Targets, Trade, dec};
use pbal_fake_gateway::{FakeGateway, FillMode, Setup, TEN_ETF_CONIDS};
use pbal_ibkr::client_portal::{
    Gateway, GatewayConfig, GatewayTls, LiveOrder, OrderFill, OrderKind, OrderTicket, PendingOrder,
    PlacementEvent, RebalanceOrder, Replan, Sequence, SequenceEnd, SequenceError, SequenceObserver,
    Step,
};

const ACCOUNT: &str = "DU1234567";

fn client(gateway: &FakeGateway) -> Gateway {
    let tls = GatewayTls::Pinned {
        pem: gateway.cert_pem().into_bytes(),
    };
    let mut config = GatewayConfig::new(&gateway.url(), tls).unwrap();
    config.request_timeout = Duration::from_secs(2);
    Gateway::new(config).unwrap()
}

/// A market order for `trade` with a client order id from its side, symbol and quantity.
fn order(trade: &Trade) -> RebalanceOrder {
    let conid = match trade.symbol.as_str() {
        "VTI" => TEN_ETF_CONIDS[0],
        _ => TEN_ETF_CONIDS[1],
    };
    RebalanceOrder::new(
        OrderTicket::new(
            ACCOUNT,
            conid.to_string(),
            trade.symbol.clone(),
            trade.side,
            trade.quantity,
            OrderKind::Market,
            format!(
                "pbal-seq-{}-{}-{}",
                trade.side, trade.symbol, trade.quantity
            ),
        ),
        trade.amount,
    )
}

/// Records what it is told; vetoes sending when asked to.
#[derive(Default)]
struct Recorder {
    steps: Vec<String>,
    veto_sending: bool,
}

impl SequenceObserver for Recorder {
    type Error = String;

    fn step(&mut self, step: Step<'_>) {
        let text = match step {
            Step::Placing(round) => format!("placing {round:?}"),
            Step::Waiting { round, orders } => format!("waiting {round:?} {orders}"),
            Step::BuysReplanned { .. } => "replanned".to_owned(),
            Step::BuysPreviewed { orders, .. } => format!("previewed {}", orders.len()),
            _ => return,
        };
        self.steps.push(text);
    }

    fn placement(
        &mut self,
        order: &RebalanceOrder,
        event: &PlacementEvent<'_>,
    ) -> Result<(), String> {
        match event {
            PlacementEvent::Sending { .. } if self.veto_sending => {
                return Err("the journal is full".to_owned());
            }
            PlacementEvent::Sending { .. } => self.steps.push(format!("sending {order}")),
            PlacementEvent::Found { .. } => self.steps.push(format!("found {order}")),
            _ => {}
        }
        Ok(())
    }

    fn fills(&mut self, fills: &[OrderFill]) -> Result<(), String> {
        self.steps.push(format!("{} filled", fills.len()));
        Ok(())
    }

    async fn buy_orders(
        &mut self,
        _gateway: &Gateway,
        trades: &[Trade],
    ) -> Result<Vec<RebalanceOrder>, String> {
        Ok(trades.iter().map(order).collect())
    }

    fn placed_before(
        &mut self,
        order: &mut RebalanceOrder,
        live: &[LiveOrder],
    ) -> Result<Option<String>, String> {
        Ok(live
            .iter()
            .find(|o| o.c_oid.as_deref() == Some(order.ticket.c_oid.as_str()))
            .map(|o| o.order_id.clone()))
    }
}

/// The fake's VTI and VEA, a plan that sells VTI for VEA, and its run.
fn sequence() -> Sequence {
    let portfolio = Portfolio::new(vec![
        Holding::new("VTI", dec!(40), dec!(290.12)).unwrap(),
        Holding::new("VEA", dec!(120), dec!(52.34)).unwrap(),
    ])
    .unwrap();
    let targets = Targets::new([("VTI", dec!(0.4)), ("VEA", dec!(0.6))]).unwrap();
    let options = PlanOptions::new().with_strategy(Strategy::Full);
    let plan = pbal_core::plan(&portfolio, &targets, dec!(0), &options).unwrap();
    let pending = |side: Side| -> Vec<PendingOrder> {
        plan.trades
            .iter()
            .filter(|t| t.side == side)
            .map(|t| (order(t), None))
            .collect()
    };
    let (sells, buys) = (pending(Side::Sell), pending(Side::Buy));
    assert_eq!((sells.len(), buys.len()), (1, 1), "{:?}", plan.trades);
    let mut replan = Replan::new(portfolio, targets, options, plan.trades.clone());
    replan.cash = Some(dec!(0));
    let mut sequence = Sequence::new(ACCOUNT, replan, Duration::from_secs(20));
    sequence.base_currency = Some("USD".to_owned());
    sequence.fill_wait.poll = Duration::from_millis(20);
    sequence.ledger_poll = Duration::from_millis(10);
    sequence.sells = sells;
    sequence.buys = buys;
    sequence
}

#[tokio::test]
async fn sells_fill_then_the_capped_buys_go_and_a_rerun_places_nothing_twice() {
    let gateway = FakeGateway::start(
        Setup::ten_etfs()
            .no_rate_limits()
            .live_orders_warmup(false)
            .fills(FillMode::Immediate),
    );
    let client = client(&gateway);
    let sequence = sequence();
    let mut observer = Recorder::default();
    let outcome = client.run_sequence(&sequence, &mut observer).await.unwrap();
    assert!(
        matches!(outcome.end, SequenceEnd::Done),
        "{:?}",
        outcome.end
    );
    assert!(outcome.orders.all_filled() && outcome.orders.orders.len() == 2);
    let sell = &sequence.sells[0].0;
    let buy = &outcome.orders.orders[1].0;
    assert_eq!(buy.ticket.side, Side::Buy);
    assert!(
        buy.ticket.quantity <= sequence.buys[0].0.ticket.quantity,
        "the re-planned buy never exceeds the confirmed one"
    );
    assert_eq!(
        observer.steps,
        [
            "placing Sells".to_owned(),
            format!("sending {sell}"),
            "waiting Sells 1".to_owned(),
            "1 filled".to_owned(),
            "replanned".to_owned(),
            "previewed 1".to_owned(),
            "placing Buys".to_owned(),
            format!("sending {buy}"),
            "waiting Buys 1".to_owned(),
            "1 filled".to_owned(),
        ]
    );
    let placed = gateway.orders();
    assert_eq!(placed.len(), 2, "{placed:?}");
    assert_eq!(placed[0].c_oid.as_deref(), Some(sell.ticket.c_oid.as_str()));

    // A re-run of the same confirmed sequence (a crash after the buys were placed): the
    // caller found the sell among the live orders, the re-planned buy is found too, so
    // nothing is placed again.
    let mut rerun = sequence.clone();
    rerun.sells[0].1 = Some(placed[0].order_id.to_string());
    let mut observer = Recorder::default();
    let again = client.run_sequence(&rerun, &mut observer).await.unwrap();
    assert!(matches!(again.end, SequenceEnd::Done), "{:?}", again.end);
    assert_eq!(gateway.orders().len(), 2, "placed once");
    assert!(
        observer.steps.contains(&format!("found {buy}")),
        "{:?}",
        observer.steps
    );
}

#[tokio::test]
async fn an_observer_that_cannot_record_stops_the_run_before_anything_is_sent() {
    let gateway = FakeGateway::start(
        Setup::ten_etfs()
            .no_rate_limits()
            .live_orders_warmup(false)
            .fills(FillMode::Immediate),
    );
    let client = client(&gateway);
    let mut observer = Recorder {
        veto_sending: true,
        ..Recorder::default()
    };
    let stopped = client
        .run_sequence(&sequence(), &mut observer)
        .await
        .unwrap_err();
    assert!(
        matches!(&stopped, SequenceError::Observer(e) if e == "the journal is full"),
        "{stopped:?}"
    );
    assert!(gateway.orders().is_empty());
}
