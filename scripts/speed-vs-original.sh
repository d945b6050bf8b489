#!/bin/sh
# Times `pbal plan` (release build, table and JSON output) against the original tool's
# algorithm ($10 chunks to the most underweight holding, Python: scripts/original-tool.py) on
# the same 5,000-holding export with 1,000,000 of new cash, in the same run, and prints how
# many times faster pbal is (the goal of issue 12: at least 5x). Not run in CI (timings).
#
#   scripts/speed-vs-original.sh [HOLDINGS] [CASH]     # defaults: 5000 1000000
#
# Uses hyperfine when installed (`apt-get install hyperfine`), else a loop of `date +%s%N`.
# The export is generated deterministically (fixed seed) in target/speed/.
set -eu
n=${1:-5000}
cash=${2:-1000000}
withdrawal=${3:--50000}
out=target/speed
mkdir -p "$out"
csv="$out/holdings-$n.csv"

# Deterministic 4-column export: the original tool's CSV layout.
python3 - "$n" "$csv" <<'PY'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
r = random.Random(12)
with open(path, "w") as f:
    f.write('"Symbol","PositionValue","MarkPrice","FifoPnlUnrealized"\n')
    for i in range(n):
        price = round(r.uniform(5, 500), 2)
        f.write(f'"S{i:05d}","{price * r.randint(1, 200):.2f}","{price:.2f}",'
                f'"{r.uniform(-500, 500):.4f}"\n')
PY

cargo build -q --release -p pbal-cli
pbal=target/release/pbal

compare() { # cash: times pbal (table, json) and the original on it, prints the comparison
cash=$1
table="$pbal plan $csv -c $cash"
json="$pbal plan $csv -c $cash --format json"
python="python3 scripts/original-tool.py $csv $cash --quiet"

if command -v hyperfine >/dev/null 2>&1; then
    hyperfine -N --warmup 3 --min-runs 20 --export-json "$out/speed.json" \
        -n table "$table" -n json "$json" -n python "$python" >&2
    # Medians in seconds, in the order above.
    set -- $(python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))["results"]
print(" ".join(str(x["median"]) for x in r))' "$out/speed.json")
    # CPU time (user + system, mean) too: steadier than wall time on a busy machine.
    python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))["results"]
cpu = [x["user"] + x["system"] for x in r]
print("  CPU time (user+sys): table %.1f ms, json %.1f ms, python %.1f ms: %.1fx and %.1fx"
      % (cpu[0] * 1e3, cpu[1] * 1e3, cpu[2] * 1e3, cpu[2] / cpu[0], cpu[2] / cpu[1]))' \
        "$out/speed.json"
else
    median() { # command, runs: median wall time in seconds
        i=0
        while [ $i -lt 21 ]; do
            s=$(date +%s%N); $1 >/dev/null 2>&1; e=$(date +%s%N)
            echo $((e - s)); i=$((i + 1))
        done | sort -n | sed -n 11p | awk '{ print $1 / 1e9 }'
    }
    set -- "$(median "$table")" "$(median "$json")" "$(median "$python")"
fi
python3 - "$n" "$cash" "$1" "$2" "$3" <<'PY'
import sys
n, cash, table, js, py = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:])
print(f"{n} holdings, cash {cash} (median wall time)")
print(f"  pbal plan (table)        {table * 1000:8.1f} ms   {py / table:5.1f}x faster than the original")
print(f"  pbal plan --format json  {js * 1000:8.1f} ms   {py / js:5.1f}x faster than the original")
print(f"  original tool (Python)   {py * 1000:8.1f} ms")
PY
}

compare "$cash"
compare "$withdrawal"
