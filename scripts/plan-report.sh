#!/bin/sh
# Renders the `pbal plan --report` page of a multi-currency example in headless Chromium and
# saves a screenshot at phone width, to look at it by eye (not run in CI: it needs Chromium,
# `apt-get install chromium`).
#
#   scripts/plan-report.sh [OUT_DIR]      # default OUT_DIR: target/plan-report
#
# Writes OUT_DIR/plan.html and OUT_DIR/plan.png (412 px wide, a phone's width).
set -eu
out=${1:-target/plan-report}
mkdir -p "$out"
cargo build -q -p pbal-cli
target/debug/pbal plan fixtures/flex/multi-currency.csv -t fixtures/targets-multi-currency.toml \
    -s full -c 3000 --commission ibkr-fixed --report "$out/plan.html" >/dev/null 2>&1
html=$(cd "$out" && pwd)/plan.html
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d)" --window-size=390,2200 \
    --screenshot="$out/plan.png" "file://$html" 2>/dev/null
echo "$out/plan.png"
