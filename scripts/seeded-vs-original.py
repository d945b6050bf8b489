#!/usr/bin/env python3
"""Times `pbal plan` against the original tool's loop on issue 23's seeded portfolios.

Writes each seeded portfolio of `examples/proof_scan seeded` (benches/common/seeded.rs: the
same generator, values 1,000-50,000, prices 5-900, whole shares; no lots) as the original
tool's 4-column CSV, then for each cell (holdings x cash x options) takes the median wall time
of `target/release/pbal plan FILE -c CASH [options]` and of
`python3 scripts/original-tool.py FILE CASH --quiet` over a few runs, and prints both with
whether pbal proved its plan. Not run in CI (timings). Build first:
`cargo build --release -p pbal-cli`.

Usage: scripts/seeded-vs-original.py [--runs 5] [--sizes 1000,5000] [--seeds 0,1,2]
                                     [--pbal target/release/pbal]
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

MASK = (1 << 64) - 1


class Lcg:
    """benches/common/seeded.rs's generator, bit for bit."""

    def __init__(self, state):
        self.state = state & MASK

    def range(self, lo, hi):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) & MASK
        return lo + (self.state >> 33) % (hi - lo + 1)


def seeded(assets, seed):
    """(symbol, shares, price in cents) of the seeded family without lots."""
    random = Lcg(((seed * 104729) & MASK) ^ (assets << 20))
    out = []
    for i in range(assets):
        cents = random.range(500, 90000)
        value = random.range(1000, 50000)
        shares = max(1, (value * 100) // cents)
        out.append((f"S{i:05d}", shares, cents))
    return out


def write_csv(path, holdings):
    with open(path, "w") as f:
        f.write('"Symbol","PositionValue","MarkPrice","FifoPnlUnrealized"\n')
        for symbol, shares, cents in holdings:
            value = shares * cents
            f.write(f'"{symbol}","{value // 100}.{value % 100:02d}",'
                    f'"{cents // 100}.{cents % 100:02d}","0"\n')


def median_time(command, runs):
    """Median wall and CPU (user + system) time in seconds: CPU is steadier on a busy machine,
    wall is what a user waits (Python's start is mostly waiting)."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument("--seeds", default="0,1,2")
    # Another build (a previous version) to compare.
    parser.add_argument("--pbal", default="target/release/pbal")
    args = parser.parse_args()
    pbal = args.pbal
    out = "target/speed"
    os.makedirs(out, exist_ok=True)
    cases = [
        ("buy-only +1,000,000", "1000000", []),
        ("buy-only -50,000", "-50000", []),
        ("full", "0", ["-s", "full"]),
        ("bands", "0", ["-s", "bands"]),
    ]
    variants = [
        ("plain", []),
        ("ibkr-fixed", ["--commission", "ibkr-fixed"]),
        ("min-trade 100", ["--min-trade", "100"]),
    ]
    print("| holdings | cell | seed | pbal wall / CPU | original wall / CPU | pbal proved |")
    print("|---|---|---|---|---|---|")
    for n in map(int, args.sizes.split(",")):
        for seed in map(int, args.seeds.split(",")):
            path = f"{out}/seeded-{n}-{seed}.csv"
            write_csv(path, seeded(n, seed))
            original = {}
            for name, cash, strategy in cases:
                for variant, options in variants:
                    command = [pbal, "plan", path, "-c", cash, *strategy, *options]
                    plan = subprocess.run([*command, "--format", "json"], capture_output=True,
                                          text=True, check=True)
                    proved = json.loads(plan.stdout)["optimal"]
                    t = median_time(command, args.runs)
                    if cash not in original:
                        original[cash] = median_time(
                            [sys.executable, "scripts/original-tool.py", path, cash, "--quiet"],
                            args.runs)
                    o = original[cash]
                    flag = "" if t[0] <= o[0] else " (slower)"
                    print(f"| {n} | {name} {variant} | {seed} | {t[0] * 1e3:.0f} / "
                          f"{t[1] * 1e3:.0f} ms{flag} | {o[0] * 1e3:.0f} / {o[1] * 1e3:.0f} ms | "
                          f"{'yes' if proved else 'no'} |", flush=True)

if __name__ == "__main__":
    main()
