#!/usr/bin/env bash
# hwnas report in a real browser (not in ctest): builds a database of 50 runs of every kind,
# writes its report, and loads it in headless Chromium (Debian package chromium) REPEAT times:
# console errors, the time until every chart is drawn, the file size; then a full-page
# screenshot of the report of one run of each kind (tests/report/sample_store.h), every chart
# kind on one page. Targets: the 50-run report opens in under 2 s and is under 3 MB.
#   bench/report_browser.sh [OUT_DIR] [REPEAT]     (default /tmp/hwnas-report-browser, 5)
# The 50 runs: 8 trainings, 10 proxyless searches, 10 AMC and 10 HAQ runs (uniform baselines
# on), 5 latency validations (configs/*-synthetic.yaml, seeds varied), and the 7 runs of the
# sample store (a pipeline with its stage table among them). Reuses OUT_DIR/runs.db if present.
set -euo pipefail
cd "$(dirname "$0")/.."
HWNAS="$PWD/build/cli/hwnas"
SAMPLE="$PWD/build/tests/hwnas_report_sample"
OUT="${1:-/tmp/hwnas-report-browser}"
REPEAT="${2:-5}"
CHROMIUM=(chromium --headless=new --disable-gpu --no-sandbox --hide-scrollbars
          --enable-logging=stderr --v=0)
mkdir -p "$OUT"
DB="$OUT/runs.db"

build_database() {
  local db="$1.tmp" run=(nice "$HWNAS" --db "$1.tmp" -q)
  rm -f "$db"
  for seed in 1 2 3 4 5 6 7 8; do
    "${run[@]}" train configs/train-synthetic.yaml seed=$seed name=train-$seed > /dev/null
  done
  for seed in 1 2 3 4 5 6 7 8 9 10; do
    "${run[@]}" search configs/search-synthetic.yaml seed=$seed name=search-$seed > /dev/null
    "${run[@]}" search configs/amc-synthetic.yaml seed=$seed amc.source_run=$(( (seed - 1) % 8 + 1 )) \
      amc.compare_uniform=true name=amc-$seed > /dev/null
    "${run[@]}" search configs/haq-synthetic.yaml seed=$seed haq.source_run=$(( (seed - 1) % 8 + 1 )) \
      haq.compare_uniform=true name=haq-$seed > /dev/null
  done
  for seed in 1 2 3 4 5; do
    "${run[@]}" latency validate --space synthetic-mbconv --device cpu --samples 20 \
      --seed $seed > /dev/null
  done
  "$SAMPLE" "$db"
  mv "$db" "$1"
}

# Loads FILE in Chromium for up to 10 s of real time and prints the DOM; console messages go to
# FILE.log.
load() {
  "${CHROMIUM[@]}" --timeout=10000 --dump-dom "file://$1" 2> "$1.log"
}

check_page() {
  local page="$1" charts dom
  charts=$(grep -o '<div class="chart" id=' "$page" | wc -l)
  echo "$page: $(stat -c %s "$page") bytes, $charts charts"
  for i in $(seq "$REPEAT"); do
    dom=$(load "$page")
    local rendered failed ms errors
    rendered=$(grep -o 'data-rendered="[0-9]*"' <<< "$dom" | grep -o '[0-9]*' || echo none)
    failed=$(grep -o 'data-failed="[0-9]*"' <<< "$dom" | grep -o '[0-9]*' || echo none)
    ms=$(grep -o 'data-render-ms="[0-9]*"' <<< "$dom" | grep -o '[0-9]*' || echo none)
    errors=$(grep -c 'CONSOLE' "$page.log" || true)
    echo "  load $i: every chart drawn after $ms ms (rendered $rendered of $charts, failed $failed," \
      "$(grep -o '<canvas' <<< "$dom" | wc -l) canvases), console messages: $errors"
    grep 'CONSOLE' "$page.log" | head -5 || true
  done
}

# The console check must see an error when there is one.
echo '<html><body><script>console.error("planted error")</script></body></html>' > "$OUT/planted.html"
load "$OUT/planted.html" > /dev/null
grep -q 'planted error' "$OUT/planted.html.log" || { echo "console messages are not captured"; exit 1; }

[ -f "$DB" ] || build_database "$DB"
echo "runs: $("$HWNAS" --db "$DB" results list --format csv | tail -n +2 | wc -l)"
"$HWNAS" --db "$DB" report --all --out "$OUT/report-50.html"
check_page "$OUT/report-50.html"

rm -f "$OUT/sample.db"
"$SAMPLE" "$OUT/sample.db"
"$HWNAS" --db "$OUT/sample.db" report --all --out "$OUT/report-sample.html"
check_page "$OUT/report-sample.html"
"${CHROMIUM[@]}" --timeout=10000 --window-size=1300,5200 --screenshot="$OUT/report-sample.png" \
  "file://$OUT/report-sample.html" 2> /dev/null
"${CHROMIUM[@]}" --timeout=10000 --window-size=1300,9000 --screenshot="$OUT/report-50.png" \
  "file://$OUT/report-50.html" 2> /dev/null
echo "screenshots: $OUT/report-sample.png $OUT/report-50.png (its first 9000 pixels)"
