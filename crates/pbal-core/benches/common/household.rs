//! A deterministic household for the benchmarks and the household scan: `funds` ETFs spread
//! over `accounts` accounts (each fund held in one or two of them), uneven cash per account.

use pbal_core::{Account, Decimal, Holding, Portfolio, Targets};

pub(crate) fn household(accounts: usize, funds: usize) -> (Vec<Account>, Portfolio, Targets) {
    let mut per_account: Vec<Account> = (0..accounts)
        .map(|a| {
            let cash = Decimal::from(500 + (a * 7_919 * funds) % 20_000) + Decimal::new(37, 2);
            Account::new(format!("U{:07}", 1_000_001 + a), cash)
        })
        .collect();
    let mut holdings = Vec::with_capacity(funds);
    for i in 0..funds {
        let price = Decimal::new(2_000 + ((i * 7_919) % 50_000) as i64, 2);
        let shares = 10 + (i * 104_729) % 90;
        // Most funds in one account, every third in two.
        let first = i % accounts;
        let second = (i + 1) % accounts;
        let split = if i % 3 == 0 && accounts > 1 {
            shares / 3
        } else {
            0
        };
        let parts = [(first, shares - split), (second, split)];
        for (a, q) in parts {
            if q > 0 {
                let h = Holding::new(format!("S{i:05}"), Decimal::from(q), price).unwrap();
                per_account[a] = per_account[a].clone().with_holding(h);
            }
        }
        holdings.push(Holding::new(format!("S{i:05}"), Decimal::from(shares), price).unwrap());
    }
    let portfolio = Portfolio::new(holdings).unwrap();
    let targets = Targets::equal(portfolio.holdings().iter().map(|h| h.symbol.clone())).unwrap();
    (per_account, portfolio, targets)
}
