//! Issue 23's seeded random portfolios, shared by `examples/proof_scan.rs` and
//! `benches/plan.rs` so that the scan and the benchmark time the same plans.

use pbal_core::{Decimal, Holding, Lot, Portfolio, Targets, date, dec};

/// A small deterministic generator (no dependency for an example).
pub(crate) struct Lcg(pub(crate) u64);

impl Lcg {
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        lo + (self.0 >> 33) % (hi - lo + 1)
    }
}

/// Issue 23's family: values 1,000–50,000, prices 5–900, whole shares (at least one); with
/// `lots`, each holding is split into that many lots of random cost and opening date.
pub(crate) fn seeded(
    assets: usize,
    seed: u64,
    lots: u64,
) -> Result<(Portfolio, Targets), pbal_core::Error> {
    let mut random = Lcg(seed.wrapping_mul(104_729) ^ (assets as u64) << 20 ^ lots);
    let holdings = (0..assets)
        .map(|i| {
            let price = Decimal::new(random.range(500, 90_000) as i64, 2);
            let value = Decimal::from(random.range(1_000, 50_000));
            let shares = (value / price).floor().max(Decimal::ONE);
            let mut h = Holding::new(format!("S{i:05}"), shares, price)?;
            if lots > 0 {
                let mut left = shares;
                let mut cost_total = Decimal::ZERO;
                for l in 0..lots {
                    let q = if l + 1 == lots {
                        left
                    } else {
                        (shares / Decimal::from(lots)).floor()
                    };
                    if q <= Decimal::ZERO {
                        continue;
                    }
                    left -= q;
                    // Costs 50%–150% of today's price: gains and losses in every holding.
                    let cost =
                        (q * price * Decimal::from(random.range(50, 150)) / dec!(100)).round_dp(2);
                    cost_total += cost;
                    let open = date(
                        2020 + random.range(0, 5) as i16,
                        1 + random.range(0, 11) as i8,
                        1,
                    );
                    h.lots.push(Lot::new(q, cost).with_open_date(open));
                }
                h.unrealized_pnl = Some(h.value - cost_total);
            }
            Ok(h)
        })
        .collect::<Result<Vec<_>, pbal_core::Error>>()?;
    let portfolio = Portfolio::new(holdings)?;
    let targets = Targets::equal(portfolio.holdings().iter().map(|h| h.symbol.clone()))?;
    Ok((portfolio, targets))
}
