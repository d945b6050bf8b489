#!/usr/bin/env python3
"""Cross-check `pbal backtest` against bt (https://pmorissette.github.io/bt/).

Runs the same policies in both: equal weights over the symbols that have a price, rebalanced at
the first price date of each month (quarter, year) at that date's price, or never (buy and
hold); the initial amount is invested on the first date, quantities are fractional
(unrounded), no costs. Prints both final values per policy and their relative difference, and
exits 1 when any pair differs by more than 1e-9 relative.

Not run in CI (it needs Python with bt). Usage, from the repository root:

    pip install bt                      # bt 1.4.1 was used
    cargo build -p pbal-cli
    python3 scripts/backtest-crosscheck.py [PRICES.csv] [--pbal target/debug/pbal]

PRICES defaults to fixtures/prices/stocks.csv (long CSV: symbol,date,price). pbal runs with
`--fractional`: full rebalances without costs then reach exact target weights, the sizing a
fractional backtester uses.
"""

import argparse
import json
import subprocess
import sys
from decimal import Decimal

import bt
import pandas as pd

INITIAL = 10000


# pbal policy name -> the bt algo that decides when to rebalance.
POLICIES = {
    "full-monthly": bt.algos.RunMonthly,  # first date of each month, and the first date
    "full-quarterly": bt.algos.RunQuarterly,
    "full-annually": bt.algos.RunYearly,
    "never": bt.algos.RunOnce,  # the first date only: buy and hold
}


def bt_final_values(path: str) -> dict:
    long = pd.read_csv(path)
    long["date"] = pd.to_datetime(long["date"], format="%b %d %Y")
    # Wide table; a symbol before its first price (GOOG before 2004-08) is NaN, which bt's
    # SelectAll leaves out, so the equal weights are over the symbols already trading.
    prices = long.pivot(index="date", columns="symbol", values="price").sort_index()
    tests = [
        bt.Backtest(
            bt.Strategy(
                name,
                [when(), bt.algos.SelectAll(), bt.algos.WeighEqually(), bt.algos.Rebalance()],
            ),
            prices,
            initial_capital=INITIAL,
            integer_positions=False,  # fractional shares
            commissions=lambda quantity, price: 0.0,
            progress_bar=False,
        )
        for name, when in POLICIES.items()
    ]
    result = bt.run(*tests)
    return {
        name: float(result.backtests[name].strategy.values.iloc[-1]) for name in POLICIES
    }


def pbal_final_values(pbal: str, path: str) -> dict:
    command = [
        pbal, "backtest", path,
        "--fractional", "--compare", ",".join(POLICIES),
        "--initial", str(INITIAL), "--format", "json",
    ]
    print("$", " ".join(command))
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return {p["name"]: Decimal(p["final_value"]) for p in json.loads(out)["policies"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prices", nargs="?", default="fixtures/prices/stocks.csv")
    parser.add_argument("--pbal", default="target/debug/pbal")
    args = parser.parse_args()
    ours = pbal_final_values(args.pbal, args.prices)
    theirs = bt_final_values(args.prices)
    print(f"{'policy':<15} {'pbal':>32} {'bt ' + bt.__version__:>20} {'relative':>10}")
    worst = 0.0
    for name in POLICIES:
        relative = abs(float(ours[name]) - theirs[name]) / theirs[name]
        worst = max(worst, relative)
        print(f"{name:<15} {ours[name]!s:>32} {theirs[name]!r:>20} {relative:>10.1e}")
    return 0 if worst <= 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main())
