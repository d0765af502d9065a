#!/usr/bin/env bash
# hwnas report in a real browser (not in ctest): builds a database of 50 runs of every kind,
# writes its report, and loads it in headless Chromium (Debian package chromium) REPEAT times:
# console messages, the time until the charts in the window are drawn, the file size; then once
# with every chart drawn, with a full-page screenshot. The same for the report of one run of each
# kind (tests/report/sample_store.h). Targets: the 50-run report opens in under 2 s, < 3 MB.
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

# REPEAT loads as a reader opens the page (the charts in a 1300x900 window drawn), then one with
# every chart drawn at once (#all) and a full-page screenshot. One JSON line each
# (bench/report_browser.py: the page's timings and every console message).
check_page() {
  local page="$1"
  echo "$page: $(stat -c %s "$page") bytes, $(grep -o '<div class="chart" id=' "$page" | wc -l) charts"
  for i in $(seq "$REPEAT"); do python3 bench/report_browser.py "$page" || true; done
  python3 bench/report_browser.py "$page" --all --screenshot "${page%.html}.png" || true
}

# The console check must see an error when there is one.
echo '<html><body><script>console.error("planted error")</script></body></html>' > "$OUT/planted.html"
planted=$(python3 bench/report_browser.py "$OUT/planted.html" --timeout 2 || true)
grep -q 'planted error' <<< "$planted" || { echo "console messages are not captured"; exit 1; }

[ -f "$DB" ] || build_database "$DB"
echo "runs: $("$HWNAS" --db "$DB" results list --format csv | tail -n +2 | wc -l)"
"$HWNAS" --db "$DB" report --all --out "$OUT/report-50.html"
check_page "$OUT/report-50.html"

rm -f "$OUT/sample.db"
"$SAMPLE" "$OUT/sample.db"
"$HWNAS" --db "$OUT/sample.db" report --all --out "$OUT/report-sample.html"
check_page "$OUT/report-sample.html"
echo "screenshots: $OUT/report-50.png $OUT/report-sample.png"
