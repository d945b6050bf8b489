#!/usr/bin/env python3
"""Cross-check `pbal backtest` against independent simulations.

Two checks, both with fractional (unrounded) quantities and no costs, pbal running with
`--fractional` (full rebalances then reach exact target weights):

- bt (default): the Python backtester bt (https://pmorissette.github.io/bt/) runs the same
  calendar policies: equal weights over the symbols that have a price, rebalanced at the first
  price date of each month (quarter, year) at that date's price, or never (buy and hold).
  Prints both final values per policy and their relative difference; exits 1 when any pair
  differs by more than 1e-9 relative.

      pip install bt                      # bt 1.4.1 was used
      cargo build -p pbal-cli
      python3 scripts/backtest-crosscheck.py [PRICES.csv] [--pbal target/debug/pbal]

  PRICES defaults to fixtures/prices/stocks.csv (long CSV: symbol,date,price).

- --vanguard DATA: Vanguard's rebalancing grid (Jaconetti, Kinniry, Zilbering 2010): 60%
  STOCKS / 40% BONDS from the first date of 1926 to the first of 2010, monitored monthly
  (0, 1, 5, 10% thresholds), quarterly and annually (1, 5, 10%), or never; a threshold policy
  rebalances to the target on a monitoring date when an asset's weight is more than the
  threshold from its target. Simulated here in plain Python (floats, no library) and compared
  with pbal on every policy's CAGR, volatility, number of rebalances, mean stock weight and
  turnover; exits 1 on any difference beyond 1e-9 (the counts must be equal).

      cargo build -p pbal-cli
      python3 scripts/backtest-crosscheck.py --vanguard ../shared/data/us-stocks-bonds-monthly-1871-2023.csv

Not run in CI (bt needs Python packages; the long data lives outside the repository).
"""

import argparse
import csv
import datetime
import json
import math
import subprocess
import sys
from decimal import Decimal

INITIAL = 10000

# pbal policy names of the bt check; the bt algo that decides when to rebalance is chosen in
# bt_final_values.
BT_POLICIES = ["full-monthly", "full-quarterly", "full-annually", "never"]

# Vanguard's grid: (pbal name, months between monitoring dates or None for never, threshold).
GRID = [
    ("full-monthly", 1, 0.0),
    ("full-monthly:1", 1, 0.01),
    ("full-monthly:5", 1, 0.05),
    ("full-monthly:10", 1, 0.10),
    ("full-quarterly:1", 3, 0.01),
    ("full-quarterly:5", 3, 0.05),
    ("full-quarterly:10", 3, 0.10),
    ("full-annually:1", 12, 0.01),
    ("full-annually:5", 12, 0.05),
    ("full-annually:10", 12, 0.10),
    ("never", None, None),
]
TARGET = {"STOCKS": 0.6, "BONDS": 0.4}
START, END = "1926-01-01", "2010-01-01"
TARGETS_FILE = "fixtures/targets-stocks-bonds-60-40.toml"


def run_pbal(command):
    print("$", " ".join(command))
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return {p["name"]: p for p in json.loads(out)["policies"]}


def bt_final_values(path):
    import bt  # only this check needs it
    import pandas as pd

    long = pd.read_csv(path)
    long["date"] = pd.to_datetime(long["date"], format="%b %d %Y")
    # Wide table; a symbol before its first price (GOOG before 2004-08) is NaN, which bt's
    # SelectAll leaves out, so the equal weights are over the symbols already trading.
    prices = long.pivot(index="date", columns="symbol", values="price").sort_index()
    when = {
        "full-monthly": bt.algos.RunMonthly,  # first date of each month, and the first date
        "full-quarterly": bt.algos.RunQuarterly,
        "full-annually": bt.algos.RunYearly,
        "never": bt.algos.RunOnce,  # the first date only: buy and hold
    }
    tests = [
        bt.Backtest(
            bt.Strategy(
                name,
                [when[name](), bt.algos.SelectAll(), bt.algos.WeighEqually(), bt.algos.Rebalance()],
            ),
            prices,
            initial_capital=INITIAL,
            integer_positions=False,  # fractional shares
            commissions=lambda quantity, price: 0.0,
            progress_bar=False,
        )
        for name in BT_POLICIES
    ]
    result = bt.run(*tests)
    values = {n: float(result.backtests[n].strategy.values.iloc[-1]) for n in BT_POLICIES}
    return values, bt.__version__


def check_bt(pbal, path):
    ours = run_pbal([
        pbal, "backtest", path,
        "--fractional", "--compare", ",".join(BT_POLICIES),
        "--initial", str(INITIAL), "--format", "json",
    ])
    theirs, version = bt_final_values(path)
    print(f"{'policy':<15} {'pbal':>32} {'bt ' + version:>20} {'relative':>10}")
    worst = 0.0
    for name in BT_POLICIES:
        value = Decimal(ours[name]["final_value"])
        relative = abs(float(value) - theirs[name]) / theirs[name]
        worst = max(worst, relative)
        print(f"{name:<15} {value!s:>32} {theirs[name]!r:>20} {relative:>10.1e}")
    return 0 if worst <= 1e-9 else 1


def read_levels(path):
    """Dates and {symbol: levels} of a wide price file, from START to END."""
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if START <= r["date"] <= END]
    dates = [datetime.date.fromisoformat(r["date"]) for r in rows]
    return dates, {s: [float(r[s]) for r in rows] for s in TARGET}


def simulate(dates, levels, months, threshold):
    """One policy, exact weights, no costs: the figures pbal reports, computed independently."""
    symbols = list(TARGET)
    price = lambda s, i: levels[s][i]
    quantity = {s: TARGET[s] * INITIAL / price(s, 0) for s in symbols}
    values, stock_weights = [float(INITIAL)], [TARGET["STOCKS"]]
    rebalances, traded = 0, 0.0
    for i in range(1, len(dates)):
        value = sum(quantity[s] * price(s, i) for s in symbols)
        period = lambda d: (d.year, (d.month - 1) // months)
        if months is not None and period(dates[i - 1]) != period(dates[i]):
            weights = {s: quantity[s] * price(s, i) / value for s in symbols}
            if threshold == 0 or max(abs(weights[s] - TARGET[s]) for s in symbols) > threshold:
                for s in symbols:
                    wanted = TARGET[s] * value / price(s, i)
                    traded += abs(wanted - quantity[s]) * price(s, i)
                    quantity[s] = wanted
                rebalances += 1
        values.append(value)
        stock_weights.append(quantity["STOCKS"] * price("STOCKS", i) / value)
    returns = [b / a - 1 for a, b in zip(values, values[1:])]
    years = (dates[-1] - dates[0]).days / 365.25
    n = len(returns)
    mean = sum(returns) / n
    variance = sum((r - mean) ** 2 for r in returns) / (n - 1)
    return {
        "cagr": (values[-1] / values[0]) ** (1 / years) - 1,
        "volatility": math.sqrt(variance) * math.sqrt(n / years),
        "rebalances": rebalances,
        "stock_weight": sum(stock_weights) / len(stock_weights),
        "turnover": traded / 2 / (sum(values) / len(values)) / years,
    }


def check_vanguard(pbal, path):
    ours = run_pbal([
        pbal, "backtest", path, "-t", TARGETS_FILE, "--start", START, "--end", END,
        "--fractional", "--compare", ",".join(name for name, _, _ in GRID[:-1]),
        "--format", "json",
    ])
    dates, levels = read_levels(path)
    print(f"{len(dates)} dates, {dates[0]} to {dates[-1]}")
    header = ("policy", "CAGR pbal", "CAGR py", "vol pbal", "vol py", "rebal pbal", "rebal py",
              "stock wt", "turnover")
    print("{:<18} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8} {:>9} {:>9}".format(*header))
    worst = 0.0
    counts_agree = True
    for name, months, threshold in GRID:
        p, py = ours[name], simulate(dates, levels, months, threshold)
        pairs = [
            (p["cagr"], py["cagr"]),
            (p["volatility"], py["volatility"]),
            (p["mean_weights"]["STOCKS"], py["stock_weight"]),
            (p["turnover"], py["turnover"]),
        ]
        worst = max([worst] + [abs(a - b) for a, b in pairs])
        counts_agree &= p["rebalances"] == py["rebalances"]
        print(f"{name:<18} {p['cagr']:>10.6f} {py['cagr']:>10.6f} {p['volatility']:>10.6f} "
              f"{py['volatility']:>10.6f} {p['rebalances']:>10} {py['rebalances']:>8} "
              f"{py['stock_weight']:>9.4f} {py['turnover']:>9.4f}")
    print(f"largest difference in CAGR, volatility, stock weight or turnover: {worst:.1e}; "
          f"rebalance counts {'equal' if counts_agree else 'DIFFER'}")
    return 0 if worst <= 1e-9 and counts_agree else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prices", nargs="?", default="fixtures/prices/stocks.csv")
    parser.add_argument("--pbal", default="target/debug/pbal")
    parser.add_argument("--vanguard", metavar="DATA",
                        help="the stocks/bonds monthly file: check Vanguard's grid instead of bt")
    args = parser.parse_args()
    if args.vanguard:
        return check_vanguard(args.pbal, args.vanguard)
    return check_bt(args.pbal, args.prices)


if __name__ == "__main__":
    sys.exit(main())
