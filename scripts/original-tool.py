#!/usr/bin/env python3
"""The original Python tool's allocation, re-implemented for timing comparisons.

pbal descends from a small Python tool; this script is not that tool's code but a re-implementation
of its algorithm as the project's references describe it, written for speed comparisons
(scripts/speed-vs-original.sh):

1. read the 4-column CSV `Symbol,PositionValue,MarkPrice,FifoPnlUnrealized`;
2. give every holding an equal target weight of the total (holdings + new cash);
3. hand out the cash in $10 chunks, each to the holding that is then most underweight
   (its target value minus its value plus the cash it has been given so far; equal targets
   make "most underweight" the same in dollars and in percent);
4. round each holding's money to the nearest whole share and print the orders.

The references do not spell out steps 3-4 in detail (tie-breaking, rounding); this is the natural
$10-chunk greedy. Ties go to the first holding in file order. Rounding to the nearest share
can spend more than the cash: on fixtures/positions-custom.csv with 5,000 of cash this
allocation costs 5,138.90 (the README quotes 5,033.51 for the original tool itself; its exact
rounding is not documented, so the orders here may differ, the amount of work does not).

The most underweight holding is kept in a heap, so each chunk costs O(log n) rather than a scan
of all holdings: the comparison is against the fastest plain-Python form of the algorithm, not
a deliberately slow one. Money is Python floats, as in the original.

Usage: original-tool.py FILE CASH [--chunk 10] [--quiet]
"""

import argparse
import csv
import heapq
import sys


def read_positions(path):
    """Symbol, value and price per row of the 4-column export."""
    with open(path, newline="") as f:
        rows = csv.DictReader(f)
        return [
            (row["Symbol"], float(row["PositionValue"]), float(row["MarkPrice"]))
            for row in rows
        ]


def allocate(positions, cash, chunk):
    """Money per holding after handing out `cash` in `chunk`-sized pieces."""
    n = len(positions)
    target = (sum(v for _, v, _ in positions) + cash) / n
    given = [0.0] * n
    # Heap of (value + money given so far, file index): the smallest is the most underweight
    # because every target is the same; the index breaks ties in file order.
    heap = [(v, i) for i, (_, v, _) in enumerate(positions)]
    heapq.heapify(heap)
    for _ in range(int(cash // chunk)):
        held, i = heap[0]
        if held >= target:
            break  # nobody is underweight any more: the rest stays cash
        given[i] += chunk
        heapq.heapreplace(heap, (held + chunk, i))
    return given


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("cash", type=float)
    parser.add_argument("--chunk", type=float, default=10.0)
    parser.add_argument("--quiet", action="store_true", help="print only the totals")
    args = parser.parse_args()

    positions = read_positions(args.file)
    if not positions:
        sys.exit("no positions")
    given = allocate(positions, args.cash, args.chunk)
    out = []
    spent = 0.0
    for (symbol, _, price), money in zip(positions, given):
        shares = round(money / price)
        if shares:
            spent += shares * price
            out.append(f"BUY {shares:>8} {symbol:<8} @ {price:>10.2f} = {shares * price:,.2f}")
    if not args.quiet:
        print("\n".join(out))
    print(f"orders {len(out)}, spent {spent:,.2f}, left {args.cash - spent:,.2f}")


if __name__ == "__main__":
    main()
