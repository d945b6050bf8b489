"""The household mode of scripts/exact-crosscheck.py (`--accounts 2,3,4`): random households
planned by `pbal plan --all-accounts` and by SCIP with per-account integer orders.

SCIP's model is README's "Household plans" as stated there, written again from the text:

    minimise  Σ_i (V_i + p_i·Σ_a q_ai − t_i·N)² + (C − Σ_a Σ_i p_i·q_ai)²
    over      integer q_ai (account a's order of fund i; negative: a sale)
    subject   q_ai ≥ −held_ai (an account sells only what it holds; buy-only: q_ai ≥ 0)
              cash_a + deposit_a − withdrawal_a − Σ_i p_i·q_ai ≥ 0 for every account
              a fund is bought in some accounts or sold in some, never both (binary s_i)

where V_i is the household's value of fund i, C the household's cash after the new cash
(Σ_a cash_a + D), N = Σ V_i + C. The new cash is a choice of the model: a deposit D ≥ 0 is split
freely (deposit_a ≥ 0, Σ deposit_a = D: pbal decides which account receives it), a withdrawal W
comes out of the accounts freely (withdrawal_a ≥ 0, Σ withdrawal_a = W, all accounts taxable).
Buy-only households get only deposits or withdrawals their cash covers (then nothing is sold);
the rule for which sales a buy-only plan may make beyond that is not modelled. With `--flat
CENTS` every order pays that commission in its own account: a binary b_ai per order
(|q_ai| ≤ bound·b_ai) and cash_a + deposit_a − withdrawal_a − Σ_i p_i·q_ai − flat·Σ_i b_ai ≥ 0;
the commissions leave F as it is (README: they count against the cash, never "improve" F), and
pbal runs with `--keep-costly-orders` (the rule that each order be worth its commission is not
modelled). No reserve: that is covered by the brute-force property test (tests/properties/
household_exact.rs) over tiny households.

Both plans' objectives are computed exactly (fractions) from their orders, and pbal's orders
are checked exactly per account: its cash (with its share of the new cash, which pbal reports
as `new_cash_by_account`) never below zero, sales within its holdings, one direction per fund.
"""

import json
import os
import random
import subprocess
import time
from fractions import Fraction

from pyscipopt import Model, quicksum


def random_weights(rng: random.Random, n: int) -> list:
    """Target weights in multiples of 1/10000 that sum to exactly 1, each at least 1/10000."""
    cuts = sorted(rng.sample(range(1, 10_000), n - 1))
    return [b - a for a, b in zip([0] + cuts, cuts + [10_000])]


def random_household(
    rng: random.Random, accounts: int, n: int, strategy: str, flow: str, flat: int = 0
) -> dict:
    prices = [rng.randint(2_000, 52_000) for _ in range(n)]  # cents: 20.00 .. 520.00
    # Each account holds some of the funds (an IRA often holds only a few).
    held = [
        [rng.randint(0, 60) if rng.random() < 0.6 else 0 for _ in range(n)]
        for _ in range(accounts)
    ]
    weights = random_weights(rng, n)
    values = [sum(h * p for h, p in zip(row, prices)) for row in held]
    cash = [rng.randint(0, v // 8 + 150_000) for v in values]  # cents
    if flow == "deposit":
        new_cash = rng.randint(10_000, sum(values) // 10 + 100_000)
    elif flow == "withdrawal":
        most = sum(cash) if strategy == "buy-only" else sum(cash) + sum(values) // 10
        new_cash = -rng.randint(0, most)
    else:
        new_cash = 0
    return {
        "accounts": [f"U{7_000_001 + a}" for a in range(accounts)],
        "symbols": [f"S{i:04d}" for i in range(n)],
        "prices": prices,
        "held": held,
        "weights": weights,
        "cash": cash,
        "new_cash": new_cash,
        "strategy": strategy,
        "flow": flow,
        "flat": flat,
    }


def cents(c: int) -> str:
    sign = "-" if c < 0 else ""
    c = abs(c)
    return f"{sign}{c // 100}.{c % 100:02d}"


def totals(case: dict, orders: list) -> list:
    """The household's order of each fund: the sum over the accounts."""
    return [sum(row[i] for row in orders) for i in range(len(case["symbols"]))]


def objective(case: dict, orders: list) -> Fraction:
    """F of a per-account plan, exactly (dollars²)."""
    p = [Fraction(x, 100) for x in case["prices"]]
    held = [sum(row[i] for row in case["held"]) for i in range(len(p))]
    v = [h * x for h, x in zip(held, p)]
    cash = Fraction(sum(case["cash"]) + case["new_cash"], 100)
    invest = sum(v) + cash
    f = Fraction(0)
    spent = Fraction(0)
    for vi, pi, w, q in zip(v, p, case["weights"], totals(case, orders)):
        x = q * pi
        spent += x
        f += (vi + x - Fraction(w, 10_000) * invest) ** 2
    return f + (cash - spent) ** 2


def broken_rules(case: dict, orders: list, new_cash_by_account: list) -> list:
    """What a per-account plan breaks, exactly (empty when it keeps every rule)."""
    out = []
    p = [Fraction(x, 100) for x in case["prices"]]
    if sum(new_cash_by_account) != Fraction(case["new_cash"], 100):
        out.append(f"new cash by account sums to {sum(new_cash_by_account)}, not {cents(case['new_cash'])}")
    for a, account in enumerate(case["accounts"]):
        left = Fraction(case["cash"][a], 100) + new_cash_by_account[a]
        left -= sum(q * pi for q, pi in zip(orders[a], p))
        left -= commissions(case, orders[a])
        if left < 0:
            out.append(f"{account} ends at {float(left):.2f}")
        if case["new_cash"] > 0 and new_cash_by_account[a] < 0:
            out.append(f"{account} has money taken out of a deposit")
        if case["new_cash"] < 0 and new_cash_by_account[a] > 0:
            out.append(f"{account} has money put into a withdrawal")
        for i, q in enumerate(orders[a]):
            if q < -case["held"][a][i]:
                out.append(f"{account} sells {-q} {case['symbols'][i]} of {case['held'][a][i]}")
            if q < 0 and case["strategy"] == "buy-only":
                out.append(f"{account} sells {case['symbols'][i]} in a buy-only plan")
    for i, symbol in enumerate(case["symbols"]):
        signs = {(row[i] > 0) - (row[i] < 0) for row in orders} - {0}
        if len(signs) > 1:
            out.append(f"{symbol} is bought and sold")
    return out


def write_export(case: dict, path: str) -> None:
    """A Flex CSV (Open Positions and Cash Report) of the household, all in USD. The first
    account lists every fund (0 shares where it holds none), so every fund has a price."""
    with open(path, "w") as out:
        out.write(
            '"ClientAccountID","CurrencyPrimary","FXRateToBase","AssetClass","Symbol",'
            '"Quantity","MarkPrice","PositionValue","FifoPnlUnrealized","LevelOfDetail"\n'
        )
        for a, account in enumerate(case["accounts"]):
            for s, p, h in zip(case["symbols"], case["prices"], case["held"][a]):
                if h > 0 or a == 0:
                    out.write(f'"{account}","USD","1","STK","{s}","{h}","{cents(p)}","{cents(h * p)}","0","SUMMARY"\n')
        out.write('"ClientAccountID","CurrencyPrimary","LevelOfDetail","EndingCash"\n')
        for account, c in zip(case["accounts"], case["cash"]):
            out.write(f'"{account}","BASE_SUMMARY","BaseCurrency","{cents(c)}"\n')
            out.write(f'"{account}","USD","Currency","{cents(c)}"\n')


def run_pbal(pbal: str, case: dict, workdir: str) -> tuple:
    positions = os.path.join(workdir, "household.csv")
    targets = os.path.join(workdir, "targets.toml")
    write_export(case, positions)
    with open(targets, "w") as out:
        for s, w in zip(case["symbols"], case["weights"]):
            out.write(f'{s} = "0.{w:04d}"\n')
    cash = cents(case["new_cash"]) if case["new_cash"] else "available"
    cmd = [
        pbal, "plan", positions, "--all-accounts", "--targets", targets, "--cash", cash,
        "--strategy", case["strategy"], "--format", "json", "--as-of", "2026-01-02",
    ]
    flat = case.get("flat", 0)
    cmd += ["--commission", f"flat:{cents(flat)}", "--keep-costly-orders"] if flat else ["--commission", "none"]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"pbal failed: {done.stderr}")
    plan = json.loads(done.stdout)
    index = {s: i for i, s in enumerate(case["symbols"])}
    account_index = {a: k for k, a in enumerate(case["accounts"])}
    orders = [[0] * len(case["symbols"]) for _ in case["accounts"]]
    for o in plan.get("orders_by_account") or []:
        q = Fraction(o["quantity"])
        orders[account_index[o["account"]]][index[o["symbol"]]] += q if o["side"] == "BUY" else -q
    if not plan.get("orders_by_account"):
        # Without orders there is no split; the household totals must be empty too.
        assert not plan["trades"], plan["trades"]
    new_cash = [Fraction(0)] * len(case["accounts"])
    for account, amount in (plan.get("new_cash_by_account") or {}).items():
        new_cash[account_index[account]] = Fraction(amount)
    if case["new_cash"] and not plan.get("new_cash_by_account") and len(case["accounts"]) > 0:
        raise RuntimeError("pbal did not say which account the new cash goes to")
    return orders, new_cash, bool(plan["optimal"]), elapsed


def run_scip(case: dict, time_limit: float, hint=None) -> tuple:
    m, n = len(case["accounts"]), len(case["symbols"])
    p = [Fraction(x, 100) for x in case["prices"]]
    held_total = [sum(row[i] for row in case["held"]) for i in range(n)]
    v = [h * x for h, x in zip(held_total, p)]
    cash = Fraction(sum(case["cash"]) + case["new_cash"], 100)
    invest = sum(v) + cash
    k = 1000  # money in thousands inside SCIP (its numerics); compared exactly afterwards
    model = Model()
    model.hideOutput()
    model.setParam("limits/time", time_limit)
    model.setParam("limits/gap", 0.0)
    model.setParam("limits/absgap", 0.0)
    model.setParam("numerics/feastol", 1e-9)
    q = [[None] * n for _ in range(m)]
    flat = Fraction(case.get("flat", 0), 100)
    pays = [[None] * n for _ in range(m)]  # 1: account a places an order of fund i
    for i in range(n):
        up = model.addVar(f"s{i}", vtype="B")  # 1: fund i is bought (or untouched)
        for a in range(m):
            # What the account could spend at most: its cash, the whole deposit and (full)
            # everything it holds.
            most = Fraction(case["cash"][a] + max(case["new_cash"], 0), 100)
            if case["strategy"] == "full":
                most += sum(h * x for h, x in zip(case["held"][a], p))
            hi = int(most // p[i])
            lo = 0 if case["strategy"] == "buy-only" else -case["held"][a][i]
            q[a][i] = model.addVar(f"q{a}_{i}", vtype="I", lb=lo, ub=hi)
            model.addCons(q[a][i] <= hi * up)
            model.addCons(q[a][i] >= lo * (1 - up))
            if flat:
                pays[a][i] = model.addVar(f"b{a}_{i}", vtype="B")
                model.addCons(q[a][i] <= hi * pays[a][i])
                model.addCons(q[a][i] >= lo * pays[a][i])
    flows = []
    for a in range(m):
        amount = abs(Fraction(case["new_cash"], 100))
        flows.append(model.addVar(f"flow{a}", lb=0.0, ub=float(amount / k)))
    model.addCons(quicksum(flows) == float(abs(Fraction(case["new_cash"], 100)) / k))
    sign = 1 if case["new_cash"] >= 0 else -1
    for a in range(m):
        spent = quicksum(float(p[i] / k) * q[a][i] for i in range(n))
        if flat:
            spent += quicksum(float(flat / k) * pays[a][i] for i in range(n))
        model.addCons(spent <= float(Fraction(case["cash"][a], 100) / k) + sign * flows[a])
    # The household's order of each fund, an integer SCIP branches on first: the objective
    # depends on these alone, the accounts only decide whether they can be paid.
    y = []
    for i in range(n):
        y.append(model.addVar(f"y{i}", vtype="I", lb=None, ub=None))
        model.addCons(y[i] == quicksum(q[a][i] for a in range(m)))
        model.chgVarBranchPriority(y[i], 10)
    spent_all = quicksum(float(p[i] / k) * y[i] for i in range(n))
    residuals = [
        float((v[i] - Fraction(case["weights"][i], 10_000) * invest) / k) + float(p[i] / k) * y[i]
        for i in range(n)
    ]
    residuals.append(float(cash / k) - spent_all)
    squares = []
    for i, r in enumerate(residuals):
        z = model.addVar(f"z{i}", lb=0.0, ub=None)
        model.addCons(r * r <= z)
        squares.append(z)
    model.setObjective(quicksum(squares), "minimize")
    if hint is not None:
        # pbal's plan as a first incumbent (`--hint`): SCIP must still prove that no plan is
        # better, so the check stays independent; it only prunes sooner.
        sol = model.createPartialSol()
        for a in range(m):
            for i in range(n):
                model.setSolVal(sol, q[a][i], float(hint[a][i]))
        model.addSol(sol)
    start = time.perf_counter()
    model.optimize()
    elapsed = time.perf_counter() - start
    proven = model.getStatus() == "optimal"
    if model.getNSols() == 0:
        return None, None, proven, elapsed
    sol = model.getBestSol()
    orders = [[round(model.getSolVal(sol, q[a][i])) for i in range(n)] for a in range(m)]
    # SCIP's own split of the new cash is a float; the exact check gives each account what
    # it needs (a deposit where spending exceeds cash, a withdrawal from what is left).
    return orders, exact_new_cash(case, orders), proven, elapsed


def commissions(case: dict, row: list) -> Fraction:
    """What one account's orders pay in flat commissions."""
    return Fraction(case.get("flat", 0), 100) * sum(1 for q in row if q != 0)


def exact_new_cash(case: dict, orders: list):
    """A split of the new cash that keeps every account at or above zero after `orders`, or
    None when none does (then the plan is not allowed)."""
    p = [Fraction(x, 100) for x in case["prices"]]
    left = [
        Fraction(c, 100) - sum(q * pi for q, pi in zip(row, p)) - commissions(case, row)
        for c, row in zip(case["cash"], orders)
    ]
    amount = Fraction(case["new_cash"], 100)
    if amount >= 0:
        need = [max(Fraction(0), -x) for x in left]
        if sum(need) > amount:
            return None
        split = need[:]
        split[0] += amount - sum(need)
        return split
    if any(x < 0 for x in left) or sum(left) < -amount:
        return None
    split, rest = [], -amount
    for x in left:
        take = min(x, rest)
        split.append(-take)
        rest -= take
    return split


def run(args, rng: random.Random) -> int:
    flows = args.flows.split(",")
    rows, failures, number = {}, 0, 0
    import tempfile

    with tempfile.TemporaryDirectory() as workdir:
        for accounts in [int(x) for x in args.accounts.split(",")]:
            for n in [int(s) for s in args.sizes.split(",")]:
                for strategy in args.strategies.split(","):
                    for flow in flows:
                        for _ in range(args.cases):
                            case = random_household(rng, accounts, n, strategy, flow, args.flat)
                            number += 1
                            if args.only and number not in args.only:
                                continue
                            casedir = workdir
                            if args.keep:
                                # The case's export and targets, kept to rerun pbal by hand.
                                casedir = os.path.join(args.keep, f"case-{number}")
                                os.makedirs(casedir, exist_ok=True)
                            pq, pcash, optimal, pt = run_pbal(args.pbal, case, casedir)
                            sq, scash, proven, st = run_scip(case, args.scip_time, pq if args.hint else None)
                            fp = objective(case, pq)
                            broken = broken_rules(case, pq, pcash)
                            scip_ok = sq is not None and scash is not None and not broken_rules(case, sq, scash)
                            fs = objective(case, sq) if scip_ok else None
                            # pbal better than a plan SCIP calls proven is SCIP's float
                            # tolerance (pbal's plan is checked exactly above): a pass.
                            ok = not broken and (fs is None or fp <= fs)
                            failures += not ok
                            verdict = "ok" if ok else "FAIL " + "; ".join(broken)
                            if sq is not None and not scip_ok:
                                verdict += " (SCIP's plan breaks a rule within its tolerance)"
                            ratio = float(fp / fs) if fs else float("nan")
                            print(
                                f"#{number:3} {accounts}x{n:<3} {strategy:8} {flow:10} pbal {pt*1000:7.1f} ms "
                                f"optimal={optimal!s:5} | scip {st*1000:8.1f} ms proven={proven!s:5} | "
                                f"pbal/scip {ratio:.12f} {verdict}",
                                flush=True,
                            )
                            if not ok:
                                print(json.dumps({"case": number, "inputs": case, "pbal": [[str(x) for x in r] for r in pq],
                                                  "scip": sq, "pbal_objective": str(fp), "scip_objective": str(fs)}),
                                      file=__import__("sys").stderr, flush=True)
                            r = rows.setdefault((accounts, n, strategy, flow), {
                                "cases": 0, "ok": 0, "equal": 0, "better": 0, "optimal": 0, "proven": 0, "pt": [], "st": []})
                            r["cases"] += 1
                            r["ok"] += ok
                            r["equal"] += fs is not None and fp == fs
                            r["better"] += fs is not None and fp < fs
                            r["optimal"] += optimal
                            r["proven"] += proven
                            r["pt"].append(pt)
                            r["st"].append(st)
    print()
    print("| accounts x funds | strategy | new cash | cases | pass | equal to SCIP | better than SCIP | pbal proved | SCIP proved | pbal max (process) | SCIP median / max |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (accounts, n, strategy, flow), r in sorted(rows.items()):
        med = sorted(r["st"])[len(r["st"]) // 2]
        print(
            f"| {accounts} x {n} | {strategy} | {flow} | {r['cases']} | {r['ok']} | {r['equal']} | {r['better']} | "
            f"{r['optimal']} | {r['proven']} | {max(r['pt'])*1000:.0f} ms | {med:.2f} / {max(r['st']):.2f} s |"
        )
    return 1 if failures else 0
