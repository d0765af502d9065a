#!/bin/bash
# Table estimates against end-to-end measurements over time: one fmnist-mbconv table on `cpu`,
# then `hwnas latency validate` RUNS times with different seeds, GAP seconds apart (the issue-14
# study: 5 runs over at least 20 minutes), each with the probe. Prints per run: the share within
# +-10% and Kendall tau of the calibrated estimate (table speed) and of the same re-based by the
# probe, the probe against the table's, and the probe's spread during the run.
#   bench/validate_study.sh [runs=5] [gap_s=240] [samples=50] [db=a temporary file]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
gap=${2:-240}
samples=${3:-50}
db=${4:-$(mktemp -d)/validate.db}
hwnas=build/cli/hwnas
"$hwnas" --db "$db" -q latency build --space fmnist-mbconv --device cpu | sed 's/^/# /'
for seed in $(seq "$runs"); do
  [ "$seed" -gt 1 ] && sleep "$gap"
  echo "# $(date -u +%H:%M:%S) validate seed $seed"
  "$hwnas" --db "$db" -q latency validate --space fmnist-mbconv --device cpu \
    --samples "$samples" --seed "$seed" | sed 's/^/#   /'
done
printf "%4s %5s %12s %9s %13s %10s %11s %10s\n" run seed "within10_raw" tau_raw \
  "within10_rebs" tau_rebs probe_x_tbl spread_pct
sqlite3 -separator ' ' "$db" "
  SELECT r.id, r.seed,
    max(CASE WHEN m.name = 'within_10_percent' THEN m.value END),
    max(CASE WHEN m.name = 'kendall_tau' THEN m.value END),
    max(CASE WHEN m.name = 'rebased_within_10_percent' THEN m.value END),
    max(CASE WHEN m.name = 'rebased_kendall_tau' THEN m.value END),
    max(CASE WHEN m.name = 'probe_vs_table' THEN m.value END),
    max(CASE WHEN m.name = 'probe_spread_percent' THEN m.value END)
  FROM runs r JOIN metrics m ON m.run_id = r.id
  WHERE r.strategy = 'latency-validate' GROUP BY r.id ORDER BY r.id;" |
  awk '{printf "%4d %5d %11.0f%% %9.3f %12.0f%% %10.3f %11.3f %10.1f\n", $1, $2, 100 * $3, $4, 100 * $5, $6, $7, $8}'
