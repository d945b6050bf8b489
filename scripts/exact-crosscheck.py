#!/usr/bin/env python3
"""Cross-check `pbal plan` against an independent exact solver (SCIP, through pyscipopt).

For random portfolios (buy-only and full, sizes given on the command line) it writes the
positions CSV and a targets file, runs `pbal plan --format json`, and solves the same problem
as a mixed-integer quadratic program in SCIP:

    minimise  Σ_i (v_i + q_i·p_i − t_i·(N − r))² + (C − Σ q_i·p_i − r)²
    over      integer q_i,  q_i ≥ 0 (buy-only) or q_i ≥ −held_i (full),  Σ q_i·p_i ≤ C − r

Both plans' objectives are then computed exactly (Python fractions) from their share counts,
so float tolerances in either solver cannot blur the comparison. Prices are in cents, weights
are multiples of 1/10000 (exact in decimal), no minimum trade.

With `--commission ibkr-fixed` every order pays IBKR Pro Fixed (US): 0.005 per share, at least
1.00, at most 1% of the order's value, and the budget becomes Σ q_i·p_i + Σ commission_i ≤ C − r
(the objective is unchanged: commissions only take cash). SCIP models each asset's commission
with a trade/no-trade binary (no order, no commission) and a binary choosing between the
minimum-or-per-share branch and the 1% cap; both plans' budgets are re-checked exactly with the
commissions computed in fractions.

With commissions the optimum is also restricted to orders worth their commission (README,
"What closest to the targets means"; crates/pbal-core/src/worth.rs): with d_i = v_i − t_i·(N − r)
and x_i = q_i·p_i, every order with a commission c_i > 0 must have |d_i| − |d_i + x_i| ≥ c_i,
except sales when the plan must raise cash (cash below the reserve). SCIP models it under each
side's trade binary: a buy needs d_i < 0 and then x_i + c_i ≤ 2|d_i| and c_i ≤ x_i; a sale the
mirror (d_i > 0, its value y_i = −x_i); a side that would move away from the target (or an
asset on target) cannot trade. Both plans are re-checked against the rule exactly (fractions):
pbal's plan breaking it fails the case, SCIP's breaking it (float tolerance) is not counted as
a plan. `--keep-costly-orders` passes that flag to pbal and drops the rule from SCIP's model
(the objective before the rule). Without it, pbal is also run with the flag and a case is
counted as "rule binds" when that plan's objective is lower.

By default the portfolios are random (0–120 shares of each asset, cash up to a fifth of the
portfolio), so most deviations are far larger than a commission and the rule rarely decides;
`--near-target` starts every asset within 2 shares of its target with little cash (in `full`,
often a small withdrawal), where most orders are marginal and the rule binds often.

A case passes when pbal's objective is at most SCIP's (equal when SCIP proved its optimum),
pbal flagged the plan optimal, kept the budget and (unless --keep-costly-orders) the rule.
Prints one line per case (a failing case also as one JSON line on stderr: inputs, both plans,
both objectives) and a summary table per strategy and size; exits 1 when a case fails.
`--strategies` picks the strategies (default buy-only,full; each size runs `--cases` of each).

With `--accounts 2,3,4` it checks household plans instead (`pbal plan --all-accounts`
against SCIP with per-account integer orders and per-account cash; `--flows` picks the
account's own cash, a deposit or a withdrawal): see scripts/exact_household.py for the model.

Not run in CI (it needs pyscipopt and minutes of SCIP time). Usage, from the repository root:

    pip install pyscipopt               # pyscipopt 6.3.0 (SCIP 10) was used
    cargo build --release -p pbal-cli
    python3 scripts/exact-crosscheck.py --sizes 10,30,100,200,500 --cases 10 \
        [--pbal target/release/pbal] [--scip-time 60] [--seed 1] [--commission ibkr-fixed] \
        [--keep-costly-orders] [--near-target] [--strategies buy-only,full] [--only 3,7]

Measured on 2026-12-07 (pbal built from c2a7a3a, which has the rule; 2-core shared
machine, `--scip-time 10`, `--sizes 10,30 --cases 5`, both strategies, 20 cases per run):
    --commission ibkr-fixed                            20/20 pass, 20 equal, SCIP proved 20; rule binds 0
    --commission ibkr-fixed --keep-costly-orders       20/20 pass, 20 equal, SCIP proved 20
    --commission none                                  20/20 pass, 20 equal, SCIP proved 20
    --commission ibkr-fixed --near-target              20/20 pass, 20 equal, SCIP proved 20; rule binds 6
    --commission ibkr-fixed --near-target --keep-costly-orders   20/20 pass, 20 equal, SCIP proved 20
    --commission none --near-target                    20/20 pass, 20 equal, SCIP proved 20

In the 6 cases where the rule binds, SCIP without the rule (the model before it) finds a plan
with a lower objective that breaks the rule, so the rule in the model is what makes them agree.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from fractions import Fraction

from pyscipopt import Model, quicksum

import exact_household
from exact_household import cents, random_weights


def random_case(
    rng: random.Random, n: int, strategy: str, commission: str, keep_costly: bool, near: bool = False
) -> dict:
    prices = [rng.randint(2_000, 52_000) for _ in range(n)]  # cents: 20.00 .. 520.00
    held = [rng.randint(0, 120) for _ in range(n)]
    parts = random_weights(rng, n)
    value = sum(h * p for h, p in zip(held, prices))  # cents
    if near:
        # Already close to the targets (within 2 shares of each) with little cash: most
        # orders are marginal, which is where the commission rule decides.
        held = [max(0, round(w * value / (10_000 * p)) + rng.randint(-2, 2)) for w, p in zip(parts, prices)]
        value = sum(h * p for h, p in zip(held, prices))
        if strategy == "buy-only":
            cash = rng.randint(50_000, value // 100 + 60_000)  # at least the largest reserve
        else:
            cash = rng.randint(-value // 200, value // 200 + 10_000)
    elif strategy == "buy-only":
        cash = rng.randint(value // 50, value // 5 + 100_000)
    else:
        cash = rng.randint(-value // 50, value // 20 + 10_000)
    reserve = rng.choice([0, 0, rng.randint(1, 500) * 100])
    return {
        "symbols": [f"S{i:04d}" for i in range(n)],
        "prices": prices,
        "held": held,
        "weights": parts,
        "cash": cash,
        "reserve": reserve,
        "strategy": strategy,
        "commission": commission,
        "keep_costly": keep_costly,
    }


def objective(case: dict, quantities: list) -> Fraction:
    """The objective in dollars², exactly."""
    p = [Fraction(x, 100) for x in case["prices"]]
    v = [h * x for h, x in zip(case["held"], p)]
    cash = Fraction(case["cash"], 100)
    reserve = Fraction(case["reserve"], 100)
    invest = sum(v) + cash - reserve
    f = Fraction(0)
    spent = Fraction(0)
    for vi, pi, w, q in zip(v, p, case["weights"], quantities):
        x = q * pi
        spent += x
        f += (vi + x - Fraction(w, 10_000) * invest) ** 2
    return f + (cash - spent - reserve) ** 2


PER_SHARE = Fraction(5, 1000)
MINIMUM = Fraction(1)
CAP = Fraction(1, 100)


def commission(case: dict, q, price_cents: int) -> Fraction:
    """IBKR Pro Fixed (US) of one order, exactly; zero without commissions or without an order."""
    shares = abs(Fraction(q))
    if case["commission"] == "none" or shares == 0:
        return Fraction(0)
    value = shares * Fraction(price_cents, 100)
    return min(max(shares * PER_SHARE, MINIMUM), value * CAP)


def overspend(case: dict, quantities: list) -> Fraction:
    """How much a plan spends (with commissions) beyond cash − reserve (≤ 0 when it keeps the
    budget), exactly."""
    spent = sum(
        q * Fraction(p, 100) + commission(case, q, p)
        for q, p in zip(quantities, case["prices"])
    )
    return spent - Fraction(case["cash"] - case["reserve"], 100)


def deviations(case: dict) -> list:
    """d_i = v_i − t_i·(N − r): each asset's deviation from its target in money before the
    plan, exactly."""
    p = [Fraction(x, 100) for x in case["prices"]]
    v = [h * x for h, x in zip(case["held"], p)]
    invest = sum(v) + Fraction(case["cash"] - case["reserve"], 100)
    return [vi - Fraction(w, 10_000) * invest for vi, w in zip(v, case["weights"])]


def costly_orders(case: dict, quantities: list) -> list:
    """The orders of a plan that pay a commission without bringing their asset at least that
    commission closer to its target (|d| − |d + x| < c), exactly: (asset, q, d, d + x, c).
    Orders without a commission are not restricted; sales are exempt when the plan must raise
    cash (cash below the reserve)."""
    raising = case["cash"] < case["reserve"]
    out = []
    for i, (q, p, d) in enumerate(zip(quantities, case["prices"], deviations(case))):
        c = commission(case, q, p)
        if c <= 0 or (raising and q < 0):
            continue
        after = d + q * Fraction(p, 100)
        if abs(d) - abs(after) < c:
            out.append((i, q, d, after, c))
    return out


def run_pbal(pbal: str, case: dict, workdir: str) -> tuple:
    positions = os.path.join(workdir, "positions.csv")
    targets = os.path.join(workdir, "targets.toml")
    with open(positions, "w") as out:
        out.write("Symbol,PositionValue,MarkPrice,FifoPnlUnrealized\n")
        for s, p, h in zip(case["symbols"], case["prices"], case["held"]):
            out.write(f"{s},{cents(p * h)},{cents(p)},0\n")
    with open(targets, "w") as out:
        for s, w in zip(case["symbols"], case["weights"]):
            out.write(f'{s} = "0.{w:04d}"\n')  # w < 10000: an exact decimal fraction
    cmd = [
        pbal, "plan", positions, "--targets", targets, "--cash", cents(case["cash"]),
        "--strategy", case["strategy"], "--reserve", cents(case["reserve"]),
        "--format", "json", "--as-of", "2026-01-02", "--commission", case["commission"],
    ]
    if case["keep_costly"]:
        cmd.append("--keep-costly-orders")
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"pbal failed: {done.stderr}")
    plan = json.loads(done.stdout)
    index = {s: i for i, s in enumerate(case["symbols"])}
    quantities = [0] * len(case["symbols"])
    for t in plan["trades"]:
        q = Fraction(t["quantity"])
        quantities[index[t["symbol"]]] = q if t["side"] == "BUY" else -q
    return quantities, bool(plan["optimal"]), elapsed


def run_scip(case: dict, time_limit: float) -> tuple:
    p = [Fraction(x, 100) for x in case["prices"]]
    v = [h * x for h, x in zip(case["held"], p)]
    cash = Fraction(case["cash"], 100)
    reserve = Fraction(case["reserve"], 100)
    invest = sum(v) + cash - reserve
    budget = cash - reserve
    model = Model()
    model.hideOutput()
    model.setParam("limits/time", time_limit)
    model.setParam("limits/gap", 0.0)
    model.setParam("limits/absgap", 0.0)
    # Tighter than the default 1e-6 (relative): that lets a budget of 300 (thousands) be
    # overspent by 30 cents. Plans are re-checked exactly below anyway.
    model.setParam("numerics/feastol", 1e-9)
    q = []
    for i, (pi, h) in enumerate(zip(p, case["held"])):
        lo = 0 if case["strategy"] == "buy-only" else -h
        # Whatever can be sold plus the budget bounds any buy.
        sellable = sum(hh * pp for hh, pp in zip(case["held"], p)) if case["strategy"] == "full" else 0
        hi = max(0, int((budget + sellable) // pi))
        q.append(model.addVar(f"q{i}", vtype="I", lb=lo, ub=hi))
    # Money in thousands inside SCIP: squares of millions upset its LP solver's numerics. The
    # objectives are compared exactly afterwards, so the scaling cannot bias the verdict.
    k = 1000
    spent = quicksum(float(pi / k) * qi for pi, qi in zip(p, q))
    fees = []
    deviation = deviations(case)
    raising = case["cash"] < case["reserve"]
    if case["commission"] == "ibkr-fixed":
        for i, (pi, qi) in enumerate(zip(p, q)):
            lo, hi = qi.getLbOriginal(), qi.getUbOriginal()
            most = max(-lo, hi)
            if most == 0:
                continue
            # |q| as buys minus sells, each side only with its own trade binary.
            buy = model.addVar(f"buy{i}", vtype="I", lb=0, ub=max(hi, 0))
            sell = model.addVar(f"sell{i}", vtype="I", lb=0, ub=max(-lo, 0))
            trade_buy = model.addVar(f"tb{i}", vtype="B")
            trade_sell = model.addVar(f"ts{i}", vtype="B")
            model.addCons(qi == buy - sell)
            model.addCons(buy <= max(hi, 0) * trade_buy)
            model.addCons(sell <= max(-lo, 0) * trade_sell)
            model.addCons(trade_buy + trade_sell <= 1)
            shares = buy + sell
            traded = trade_buy + trade_sell
            # commission ≥ min(max(0.005·s, 1·traded), 0.01·value): `cap` picks the branch.
            cap = model.addVar(f"cap{i}", vtype="B")
            c = model.addVar(f"c{i}", lb=0.0)
            big = float((PER_SHARE * most + MINIMUM + CAP * pi * most) / k) + 1.0
            model.addCons(c >= float(PER_SHARE / k) * shares - big * cap)
            model.addCons(c >= float(MINIMUM / k) * traded - big * cap)
            model.addCons(c >= float(CAP * pi / k) * shares - big * (1 - cap))
            fees.append(c)
            if case["keep_costly"]:
                continue
            # The rule |d| − |d + x| ≥ c, on each side only when that side trades. A buy
            # needs d < 0 and then is x + c ≤ 2|d| and c ≤ x (x = its value); a sale mirrored
            # (d > 0, y = −x); a side moving away from the target (or from d = 0) never pays.
            # Sales are exempt when the plan must raise cash.
            d = deviation[i]
            sides = [(buy, trade_buy, max(hi, 0), d < 0)]
            if not raising:
                sides.append((sell, trade_sell, max(-lo, 0), d > 0))
            for units, on, most_units, toward in sides:
                if most_units == 0:
                    continue
                if not toward:
                    model.addCons(on == 0)
                    continue
                y = float(pi / k) * units
                slack = float((pi * most_units + 2 * abs(d)) / k) + big + 1.0
                model.addCons(y + c <= float(2 * abs(d) / k) + slack * (1 - on))
                model.addCons(c <= y + big * (1 - on))
    model.addCons(spent + quicksum(fees) <= float(budget / k))
    # One epigraph variable per square: SCIP cuts each convex square on its own, much tighter
    # than one constraint on the whole sum.
    residuals = [
        float((vi - Fraction(w, 10_000) * invest) / k) + float(pi / k) * qi
        for vi, pi, w, qi in zip(v, p, case["weights"], q)
    ]
    residuals.append(float(budget / k) - spent)
    squares = []
    for i, r in enumerate(residuals):
        z = model.addVar(f"z{i}", lb=0.0, ub=None)
        model.addCons(r * r <= z)
        squares.append(z)
    model.setObjective(quicksum(squares), "minimize")
    start = time.perf_counter()
    model.optimize()
    elapsed = time.perf_counter() - start
    proven = model.getStatus() == "optimal"
    if model.getNSols() == 0:
        return None, proven, elapsed
    sol = model.getBestSol()
    return [round(model.getSolVal(sol, qi)) for qi in q], proven, elapsed


def dump_case(number: int, case: dict, pq: list, sq, fp: Fraction, fs) -> None:
    """Everything needed to reproduce a failing case, on stderr."""
    plan = lambda qs: {case["symbols"][i]: str(q) for i, q in enumerate(qs) if q != 0}
    print(
        json.dumps({
            "case": number, "inputs": case,
            "pbal": plan(pq), "pbal_objective": str(fp), "pbal_objective_float": float(fp),
            "scip": plan(sq) if sq is not None else None,
            "scip_objective": str(fs) if fs is not None else None,
            "scip_objective_float": float(fs) if fs is not None else None,
        }),
        file=sys.stderr, flush=True,
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pbal", default="target/release/pbal")
    ap.add_argument("--sizes", default="10,30,100,200,500")
    ap.add_argument("--cases", type=int, default=10, help="cases per size and strategy")
    ap.add_argument("--strategies", default="buy-only,full")
    ap.add_argument("--scip-time", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", default="", help="run only these case numbers (1-based, comma-separated)")
    ap.add_argument("--commission", default="none", choices=["none", "ibkr-fixed"])
    ap.add_argument(
        "--near-target", action="store_true",
        help="portfolios within 2 shares of each target and little cash (the rule binds more often)",
    )
    ap.add_argument(
        "--keep-costly-orders", action="store_true",
        help="pass it to pbal and leave the rule (orders worth their commission) out of SCIP's model",
    )
    ap.add_argument(
        "--accounts", default="",
        help="household mode: accounts per household, e.g. 2,3,4 (scripts/exact_household.py)",
    )
    ap.add_argument(
        "--flows", default="own,deposit,withdrawal",
        help="household mode: the new cash (own: the accounts' cash only, deposit, withdrawal)",
    )
    ap.add_argument(
        "--flat", type=int, default=0,
        help="household mode: a flat commission per order, in cents (pbal: --commission flat:X "
             "--keep-costly-orders)",
    )
    ap.add_argument(
        "--hint", action="store_true",
        help="household mode: give SCIP pbal's plan as its first incumbent (it must still prove it)",
    )
    ap.add_argument(
        "--keep", default="",
        help="household mode: keep each case's export and targets in DIR/case-N (to rerun pbal by hand)",
    )
    args = ap.parse_args()
    rng = random.Random(args.seed)
    only = {int(x) for x in args.only.split(",") if x}
    if args.accounts:
        args.only = only
        return exact_household.run(args, rng)
    number = 0
    rows = {}
    failures = 0
    with tempfile.TemporaryDirectory() as workdir:
        for n in [int(s) for s in args.sizes.split(",")]:
            for strategy in args.strategies.split(","):
                for _ in range(args.cases):
                    case = random_case(
                        rng, n, strategy, args.commission, args.keep_costly_orders, args.near_target
                    )
                    number += 1
                    if only and number not in only:
                        continue
                    pq, optimal, pt = run_pbal(args.pbal, case, workdir)
                    # Whether the rule binds: pbal's optimum without it is strictly better.
                    binds = False
                    if case["commission"] != "none" and not args.keep_costly_orders:
                        free, _, _ = run_pbal(args.pbal, dict(case, keep_costly=True), workdir)
                        binds = objective(case, free) < objective(case, pq)
                    sq, proven, st = run_scip(case, args.scip_time)
                    fp = objective(case, pq)
                    # A SCIP plan that overspends or breaks the rule (within its float
                    # tolerances) is not an allowed plan: it cannot show pbal suboptimal.
                    rule = not args.keep_costly_orders
                    pbal_costly = costly_orders(case, pq) if rule else []
                    scip_costly = costly_orders(case, sq) if rule and sq is not None else []
                    scip_ok = sq is not None and overspend(case, sq) <= 0 and not scip_costly
                    fs = objective(case, sq) if scip_ok else None
                    ok = (
                        optimal
                        and overspend(case, pq) <= 0
                        and not pbal_costly
                        and (fs is None or fp <= fs)
                        and (not proven or fs is None or fp == fs)
                    )
                    failures += not ok
                    verdict = "ok" if ok else "FAIL"
                    if sq is not None and overspend(case, sq) > 0:
                        verdict += f" (SCIP's plan overspends by {float(overspend(case, sq)):.4f})"
                    if scip_costly:
                        verdict += f" (SCIP's plan breaks the rule in {len(scip_costly)} orders)"
                    for i, q, d, after, c in pbal_costly:
                        verdict += (
                            f" (pbal's order of {q} {case['symbols'][i]} breaks the rule: "
                            f"|d| {float(abs(d)):.6f} -> {float(abs(after)):.6f}, commission {float(c):.6f})"
                        )
                    if not ok:
                        dump_case(number, case, pq, sq, fp, fs)
                    ratio = float(fp / fs) if fs else float("nan")
                    print(
                        f"#{number:3} {strategy:8} n={n:4} pbal {pt*1000:8.1f} ms optimal={optimal!s:5} | "
                        f"scip {st*1000:9.1f} ms proven={proven!s:5} | pbal/scip objective {ratio:.12f}"
                        f"{' rule binds' if binds else ''} {verdict}",
                        flush=True,
                    )
                    r = rows.setdefault((strategy, n), {"cases": 0, "ok": 0, "equal": 0, "proven": 0, "binds": 0, "pt": [], "st": []})
                    r["cases"] += 1
                    r["ok"] += ok
                    r["equal"] += fs is not None and fp == fs
                    r["proven"] += proven
                    r["binds"] += binds
                    r["pt"].append(pt)
                    r["st"].append(st)
    print()
    print("| strategy | assets | cases | pbal optimal and ≤ SCIP | equal to SCIP | SCIP proved | rule binds | pbal median / max (process) | SCIP median / max |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (strategy, n), r in sorted(rows.items()):
        med = lambda xs: sorted(xs)[len(xs) // 2]
        print(
            f"| {strategy} | {n} | {r['cases']} | {r['ok']} | {r['equal']} | {r['proven']} | {r['binds']} | "
            f"{med(r['pt'])*1000:.0f} / {max(r['pt'])*1000:.0f} ms | {med(r['st']):.2f} / {max(r['st']):.2f} s |"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
