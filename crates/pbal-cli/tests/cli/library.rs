//! A library user gets the plan `pbal plan` makes, from the same file and options, in a few
//! lines of pbal-core and pbal-ibkr (the README's library section shows the same calls).

use pbal_core::{Decimal, PlanOptions, dec};
use pbal_ibkr::{AccountSelection, TargetsSpec};

use crate::common::{Pbal, fixture};

/// An order as both sides tell it: side, quantity, symbol, price (compared as numbers: the
/// JSON shows prices to the cent).
type Order = (String, Decimal, String, Decimal);

/// The orders of `pbal plan … -f json`.
fn cli_orders(args: &[&str]) -> Vec<Order> {
    let (code, stdout, stderr) = Pbal::new().run(&[&["plan", "-f", "json"], args].concat());
    assert_eq!(code, 0, "{stderr}");
    cli_plan_orders(&serde_json::from_str(&stdout).unwrap())
}

/// The plan's orders in `pbal plan -f json`'s output.
fn cli_plan_orders(json: &serde_json::Value) -> Vec<Order> {
    json["trades"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let field = |k: &str| t[k].as_str().unwrap().to_owned();
            let number = |k: &str| field(k).parse::<Decimal>().unwrap();
            (
                field("side"),
                number("quantity"),
                field("symbol"),
                number("price"),
            )
        })
        .collect()
}

fn library_orders(plan: &pbal_core::Plan) -> Vec<Order> {
    plan.trades
        .iter()
        .map(|t| (t.side.to_string(), t.quantity, t.symbol.clone(), t.price))
        .collect()
}

#[test]
fn a_targets_file_and_a_cash_amount_plan_alike() {
    let positions = fixture("positions-custom.csv");
    let targets = fixture("targets-sectors.toml");
    let as_of: jiff::civil::Date = "2026-01-15".parse().unwrap();

    // The library user's code.
    let statement = pbal_ibkr::read_path(&positions).unwrap();
    let text = std::fs::read_to_string(&targets).unwrap();
    let spec = TargetsSpec::from_toml_str(&text, "targets-sectors.toml").unwrap();
    let managed = statement
        .portfolio(&AccountSelection::Single, Some(&spec))
        .unwrap();
    let options = PlanOptions::new().with_as_of(as_of);
    let plan = pbal_core::plan(&managed.portfolio, &managed.targets, dec!(5000), &options).unwrap();

    let cli = cli_orders(&[
        positions.to_str().unwrap(),
        "-t",
        targets.to_str().unwrap(),
        "-c",
        "5000",
        "--as-of",
        "2026-01-15",
    ]);
    assert!(!cli.is_empty());
    assert_eq!(library_orders(&plan), cli);
}

#[test]
fn the_exports_cash_and_wash_sale_history_plan_alike() {
    let export = fixture("flex/flex-statement.xml");
    let as_of: jiff::civil::Date = "2026-11-25".parse().unwrap();

    // The library user's code: equal weights, the export's cash, buys that would wash a loss
    // blocked.
    let statement = pbal_ibkr::read_path(&export).unwrap();
    let selection = AccountSelection::Single;
    let managed = statement.portfolio(&selection, None).unwrap();
    let cash: Decimal = statement.cash_in_base(&selection).unwrap();
    let mut options = PlanOptions::new().with_as_of(as_of);
    if let Some(guard) = statement.wash_sale_guard(true) {
        options = options.with_wash_sale(guard);
    }
    let plan = pbal_core::plan(&managed.portfolio, &managed.targets, cash, &options).unwrap();

    let cli = cli_orders(&[export.to_str().unwrap(), "--as-of", "2026-11-25"]);
    assert!(!cli.is_empty());
    assert_eq!(library_orders(&plan), cli);
    assert!(plan.wash_sale.iter().any(|f| matches!(
        f,
        pbal_core::WashSaleFlag::BuyAfterLossSale { blocked: true, .. }
    )));
}

#[test]
fn a_household_plans_and_splits_over_its_accounts_alike() {
    let export = fixture("flex/plain-two-accounts.csv");
    let as_of: jiff::civil::Date = "2026-11-25".parse().unwrap();

    // The library user's code: both accounts planned together, 2000 as the whole cash,
    // placed by the plan, the orders per account.
    let statement = pbal_ibkr::read_path(&export).unwrap();
    let managed = statement.portfolio(&AccountSelection::All, None).unwrap();
    let options = PlanOptions::new().with_as_of(as_of);
    let (plan, orders) = statement
        .plan_household(
            &managed.holdings,
            &managed.portfolio,
            &managed.targets,
            pbal_ibkr::HouseholdCash::Shared(dec!(2000)),
            &std::collections::BTreeMap::new(),
            &options,
        )
        .unwrap();
    let library: Vec<(String, String, Decimal, String)> = orders
        .split
        .orders
        .iter()
        .map(|o| {
            (
                o.account.clone(),
                o.side.to_string(),
                o.quantity,
                o.symbol.clone(),
            )
        })
        .collect();

    let args = [
        "plan",
        "-f",
        "json",
        export.to_str().unwrap(),
        "--all-accounts",
        "--cash-total",
        "2000",
        "--as-of",
        "2026-11-25",
    ];
    let (code, stdout, stderr) = Pbal::new().run(&args);
    assert_eq!(code, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let cli: Vec<(String, String, Decimal, String)> = json["orders_by_account"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let field = |k: &str| o[k].as_str().unwrap().to_owned();
            (
                field("account"),
                field("side"),
                field("quantity").parse().unwrap(),
                field("symbol"),
            )
        })
        .collect();
    assert!(!cli.is_empty());
    assert_eq!(library, cli);
    // The plan itself, too (its prices: the library's in the base currency, the JSON's in
    // each order's own).
    let without_price = |orders: Vec<Order>| {
        orders
            .into_iter()
            .map(|(side, quantity, symbol, _)| (side, quantity, symbol))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        without_price(library_orders(&plan)),
        without_price(cli_plan_orders(&json))
    );
}

/// `Statement::plan_request` is `pbal plan` as one call: the same plan and the same orders per
/// account, whatever the selection, cash, commission and wash-sale inputs.
#[test]
fn the_one_library_call_plans_as_pbal_plan_does() {
    use pbal_ibkr::{CashInstruction, PlanRequest, WashSaleCheck};
    let as_of: jiff::civil::Date = "2026-11-25".parse().unwrap();
    let base = PlanRequest::new().with_options(PlanOptions::new().with_as_of(as_of));
    let household = base.clone().with_selection(AccountSelection::All);
    let cases: Vec<(&str, PlanRequest, Vec<&str>)> = vec![
        // A household with its own cash, a deposit the plan places, one named account, a
        // withdrawal; IBKR's commission per market.
        (
            "flex/plain-two-accounts.csv",
            household.clone(),
            vec!["--all-accounts"],
        ),
        (
            "flex/plain-two-accounts.csv",
            household
                .clone()
                .with_cash(CashInstruction::Move(dec!(900))),
            vec!["--all-accounts", "-c", "900"],
        ),
        (
            "flex/plain-two-accounts.csv",
            household
                .clone()
                .with_cash(CashInstruction::Move(dec!(-400)))
                .with_options(
                    PlanOptions::new()
                        .with_as_of(as_of)
                        .with_commission(pbal_core::Commission::IbkrFixed)
                        .with_strategy(pbal_core::Strategy::Full),
                ),
            vec![
                "--all-accounts",
                "-c",
                "-400",
                "--commission",
                "ibkr-fixed",
                "-s",
                "full",
            ],
        ),
        // One account: the export's cash with its wash-sale history, then warnings only.
        ("flex/flex-statement.xml", base.clone(), vec![]),
        (
            "flex/flex-statement.xml",
            base.clone()
                .with_wash_sale(WashSaleCheck::Warn)
                .with_cash(CashInstruction::Total(dec!(2500))),
            vec!["--wash-sale", "warn", "--cash-total", "2500"],
        ),
    ];
    for (file, request, flags) in cases {
        let export = fixture(file);
        let statement = pbal_ibkr::read_path(&export).unwrap();
        let planned = statement.plan_request(&request).unwrap();
        assert!(!planned.plan.trades.is_empty(), "{file} {flags:?}");
        assert_eq!(
            planned.household.is_some(),
            request.selection == AccountSelection::All,
            "{file}: a household"
        );

        let mut args = vec![
            "plan",
            "-f",
            "json",
            export.to_str().unwrap(),
            "--as-of",
            "2026-11-25",
        ];
        args.extend(flags.iter().copied());
        let (code, stdout, stderr) = Pbal::new().run(&args);
        assert_eq!(code, 0, "{file} {flags:?}: {stderr}");
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let without_price = |orders: Vec<Order>| {
            orders
                .into_iter()
                .map(|(side, quantity, symbol, _)| (side, quantity, symbol))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            without_price(library_orders(&planned.plan)),
            without_price(cli_plan_orders(&json)),
            "{file} {flags:?}"
        );
        let library_accounts: Vec<(String, String, Decimal, String)> = planned
            .household
            .iter()
            .flat_map(|h| &h.split.orders)
            .map(|o| {
                (
                    o.account.clone(),
                    o.side.to_string(),
                    o.quantity,
                    o.symbol.clone(),
                )
            })
            .collect();
        let cli_accounts: Vec<(String, String, Decimal, String)> = json["orders_by_account"]
            .as_array()
            .map(|orders| {
                orders
                    .iter()
                    .map(|o| {
                        let field = |k: &str| o[k].as_str().unwrap().to_owned();
                        (
                            field("account"),
                            field("side"),
                            field("quantity").parse().unwrap(),
                            field("symbol"),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(library_accounts, cli_accounts, "{file} {flags:?}");
    }
}
