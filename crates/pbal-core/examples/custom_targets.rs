//! Custom targets and options: a 60/30/10 portfolio with a target not yet held, IBKR's fixed
//! commission, a cash reserve, a minimum order size and tolerance bands.
//!
//! Run with `cargo run -p pbal-core --example custom_targets`.

// An example's output is its point.
#![allow(clippy::print_stdout)]

use pbal_core::{
    Bands, Commission, Destination, Holding, PlanOptions, Portfolio, Strategy, Targets, dec, plan,
};

fn main() -> Result<(), pbal_core::Error> {
    // What is held, at today's prices. VXUS is a target not held yet: a holding of zero shares
    // gives the engine its price.
    let portfolio = Portfolio::new(vec![
        Holding::new("VTI", dec!(120), dec!(250.50))?.with_unrealized_pnl(dec!(4200)),
        Holding::new("BND", dec!(150), dec!(72.10))?.with_unrealized_pnl(dec!(-310)),
        Holding::new("VXUS", dec!(0), dec!(61.25))?,
    ])?;
    let targets = Targets::new([
        ("VTI", dec!(0.60)),
        ("BND", dec!(0.30)),
        ("VXUS", dec!(0.10)),
    ])?;

    // Buy-only first: new cash goes to what is furthest below its target, nothing is sold.
    let buy_only = PlanOptions::new()
        .with_commission(Commission::IbkrFixed)
        .with_reserve(dec!(250))
        .with_min_trade(dec!(100));
    let plan_a = plan(&portfolio, &targets, dec!(5000), &buy_only)?;
    println!("Buy-only with 5,000 of new cash (keeping 250):");
    for trade in &plan_a.trades {
        println!("  {trade}");
    }
    println!(
        "  spent {}, commission {}, left {}; drift {:.4} -> {:.4}",
        plan_a.cash.spent,
        plan_a.cash.commission,
        plan_a.cash.left,
        plan_a.drift_before,
        plan_a.drift_after
    );

    // Bands: trade only what is outside 5/25 bands, and only back to the band's edge.
    // (No reserve here: with no cash, a reserve would be cash to raise, and raising cash sets
    // the bands aside.)
    let bands = buy_only
        .clone()
        .with_reserve(dec!(0))
        .with_strategy(Strategy::Bands)
        .with_bands(Bands::default().with_destination(Destination::Edge));
    let plan_b = plan(&portfolio, &targets, dec!(0), &bands)?;
    println!("\nBands (5/25, to the edge), no new cash:");
    if plan_b.within_bands {
        println!("  every asset is inside its band: nothing to do");
    }
    for trade in &plan_b.trades {
        println!("  {trade}");
    }
    println!(
        "  realized short-term {}, long-term {}",
        plan_b.realized.short_term, plan_b.realized.long_term
    );
    Ok(())
}
