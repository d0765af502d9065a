#!/usr/bin/env bash
# The latency-table targets: build the whole fmnist-mbconv table on this CPU (target: <= 60 s,
# per-entry coefficient of variation <= 5%), then compare table estimates with end-to-end
# measurements of random architectures (target: >= 90% within +-10%, Kendall tau >= 0.85).
# Uses a fresh database in a temporary directory; run on an otherwise idle machine.
#   bench/latency_targets.sh [samples]
set -euo pipefail
cd "$(dirname "$0")/.."
HWNAS=build/cli/hwnas
SAMPLES="${1:-50}"
DB="$(mktemp -d)/latency-bench.db"
echo "== hwnas latency build --space fmnist-mbconv --device cpu --threads 1"
start=$(date +%s%N)
$HWNAS --db "$DB" -q latency build --space fmnist-mbconv --device cpu --threads 1
echo "   wall time $(( ($(date +%s%N) - start) / 1000000 )) ms (measurement and calibration)"
$HWNAS --db "$DB" latency show cpu --format csv |
  awk -F, 'NR > 1 && $5 != "" { n++; if ($5 > max) max = $5; if ($5 > 0.05) over++ }
           END { printf "   %d entries, largest coefficient of variation %.2f%%, %d above 5%%\n",
                 n, 100 * max, over }'
echo "== hwnas latency validate --space fmnist-mbconv --device cpu --samples $SAMPLES"
$HWNAS --db "$DB" -q latency validate --space fmnist-mbconv --device cpu --samples "$SAMPLES"
