#!/bin/bash
# The quickstart as a new user runs it, SEEDS times with different seeds, each with a fresh
# database (so the latency table is measured each time, as on a first run): wall time, test
# accuracy and the delivery check of every run (estimate, measured, re-based, stability, met).
#   bench/quickstart_study.sh [seeds="1 2 3 4 5"] [dir=a temporary directory]
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-"1 2 3 4 5"}
dir=${2:-$(mktemp -d)}
hwnas=$PWD/build/cli/hwnas
for seed in $seeds; do
  db="$dir/seed$seed/hwnas.db"
  mkdir -p "$(dirname "$db")"
  start=$(date +%s.%N)
  "$hwnas" --db "$db" -q search configs/quickstart.yaml seed="$seed" >"$dir/seed$seed/out.txt"
  end=$(date +%s.%N)
  echo "$seed $(awk -v s="$start" -v e="$end" 'BEGIN {print e - s}')" >"$dir/seed$seed/wall.txt"
  sed 's/^/# /' "$dir/seed$seed/out.txt"
done
printf "%4s %7s %8s %11s %11s %10s %10s %4s %6s\n" seed wall_s test_acc estimate_ms \
  measured_ms rebased_ms spread_pct met timed
for seed in $seeds; do
  db="$dir/seed$seed/hwnas.db"
  read -r _ wall <"$dir/seed$seed/wall.txt"
  sqlite3 -separator ' ' "$db" "
    SELECT max(CASE WHEN name = 'test_accuracy' THEN value END),
      max(CASE WHEN name = 'delivered_estimated_ms' THEN value END),
      max(CASE WHEN name = 'delivered_measured_ms' THEN value END),
      max(CASE WHEN name = 'delivered_rebased_ms' THEN value END),
      max(CASE WHEN name = 'probe_spread_percent' THEN value END),
      max(CASE WHEN name = 'latency_target_in_band' THEN value END),
      max(CASE WHEN name = 'networks_timed' THEN value END)
    FROM metrics WHERE run_id = 1;" |
    awk -v s="$seed" -v w="$wall" '{printf "%4d %7.0f %7.2f%% %11.3f %11.3f %10.3f %10.1f %4s %6d\n",
      s, w, 100 * $1, $2, $3, $4, $5, ($6 == 1 ? "yes" : "no"), $7}'
done
