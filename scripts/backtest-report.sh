#!/bin/sh
# Renders the `pbal backtest --report` page of the README example in headless Chromium and
# saves a screenshot, to look at the charts by eye (not run in CI: it needs Chromium).
#
#   scripts/backtest-report.sh [OUT_DIR]      # default OUT_DIR: target/backtest-report
#
# Writes OUT_DIR/report.html and OUT_DIR/report.png (1200 px wide, the whole page).
set -eu
out=${1:-target/backtest-report}
mkdir -p "$out"
cargo build -q -p pbal-cli
target/debug/pbal backtest fixtures/prices/stocks.csv \
    --compare full-quarterly,buy-only-annually,bands --contribution 200 \
    --report "$out/report.html" >/dev/null
html=$(cd "$out" && pwd)/report.html
chromium --headless --no-sandbox --hide-scrollbars --window-size=1200,3400 \
    --screenshot="$out/report.png" "file://$html" 2>/dev/null
echo "$out/report.png"
