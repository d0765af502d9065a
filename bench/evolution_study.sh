#!/usr/bin/env bash
# The specialization targets of the predictors issue, in one results database:
#  - ProxylessNAS searches (configs/quickstart.yaml) at every cpu target of TARGETS, the first of
#    which also provides the supernet (skipped when DB already holds runs named search-T);
#  - one evolution run (configs/evolution-fmnist.yaml) of that supernet to the same cpu targets
#    plus PIXEL1_TARGET on the imported Pixel 1 table (op keys it lacks are predicted);
#  - TBB: the evolution alone on 1 and on 2 threads (same result, its time);
#  - the report: time per specialization vs per search, accuracy and latency of both, and
#    `hwnas results pareto`.
#   bench/evolution_study.sh [DB]
# TARGETS (default "1.0 0.6 0.8"), EXTRA_TARGETS (cpu targets specialized but not searched,
# default none), PIXEL1_TARGET (default 3), FINETUNE (default 4).
set -euo pipefail
cd "$(dirname "$0")/.."
HWNAS=build/cli/hwnas
DB="${1:-$(mktemp -d)/evolution-study.db}"
TARGETS="${TARGETS:-1.0 0.6 0.8}"
EXTRA_TARGETS="${EXTRA_TARGETS:-}"
PIXEL1_TARGET="${PIXEL1_TARGET:-3}"
FINETUNE="${FINETUNE:-4}"
echo "database $DB, cpu targets $TARGETS ms, pixel1 $PIXEL1_TARGET ms"
query() { sqlite3 -separator ' | ' "$DB" "$@"; }
seconds_since() { echo $(( ($(date +%s%N) - $1) / 1000000000 )); }

for t in $TARGETS; do
  if [ -z "$( [ -f "$DB" ] && query "SELECT id FROM runs WHERE name = 'search-${t}ms' AND status = 'finished'")" ]; then
    start=$(date +%s%N)
    $HWNAS --db "$DB" -q search configs/quickstart.yaml "name=search-${t}ms" "proxyless.target_ms=$t" | tail -6
    echo "search-${t}ms: $(seconds_since "$start") s"
  fi
done
first=$(echo "$TARGETS" | awk '{print $1}')
supernet=$(query "SELECT id FROM runs WHERE name = 'search-${first}ms' AND status = 'finished'")
if [ -z "$(query "SELECT id FROM devices WHERE name = 'pixel1'" 2>/dev/null)" ]; then
  $HWNAS --db "$DB" -q latency import ../shared/data/luts/proxylessnas-mobile-pixel1.yaml --device pixel1 > /dev/null
fi
list=""
for t in $TARGETS $EXTRA_TARGETS; do list="$list\"cpu:$t\", "; done
list="[${list}\"pixel1:$PIXEL1_TARGET\"]"
start=$(date +%s%N)
$HWNAS --db "$DB" search configs/evolution-fmnist.yaml "evolution.supernet_run=$supernet" \
  "evolution.targets=$list" "evolution.finetune_epochs=$FINETUNE"
echo "evolution (sampling, predictor, every target, fine-tuning): $(seconds_since "$start") s"
for threads in 1 2; do
  $HWNAS --db "$DB" -q search configs/evolution-fmnist.yaml "name=evolution-threads$threads" \
    "evolution.supernet_run=$supernet" "evolution.targets=[\"cpu:$first\"]" \
    evolution.finetune_epochs=0 evolution.measure=false evolution.accuracy_samples=40 \
    "threads=$threads" > /dev/null
done

echo
echo "== accuracy predictor: run | samples | sampling s | test count | RMSE (points) | Kendall tau"
query "SELECT r.name, max(CASE WHEN m.name = 'accuracy_samples' THEN m.value END),
         round(max(CASE WHEN m.name = 'sampling_seconds' THEN m.value END), 1),
         max(CASE WHEN m.name = 'predictor_test_count' THEN m.value END),
         round(100 * max(CASE WHEN m.name = 'predictor_rmse' THEN m.value END), 2),
         round(max(CASE WHEN m.name = 'predictor_kendall_tau' THEN m.value END), 3)
       FROM metrics m JOIN runs r ON r.id = m.run_id
       WHERE r.strategy = 'evolution' AND m.name LIKE '%sampl%' OR m.name LIKE 'predictor_%'
       GROUP BY r.id ORDER BY r.id"
echo
echo "== networks: run | device | wall s | evolution s | estimated ms | measured ms | test acc | arch"
query "SELECT r.name, r.device, round(r.ended_at - r.started_at, 1),
         (SELECT round(value, 2) FROM metrics WHERE run_id = r.id AND name = 'evolution_seconds'),
         round(a.estimated_latency_ms, 4), round(a.measured_latency_ms, 4), round(a.accuracy, 4),
         a.arch
       FROM runs r JOIN architectures a ON a.run_id = r.id AND a.role = 'final'
       WHERE r.strategy IN ('proxyless', 'evolution') ORDER BY r.strategy DESC, r.id"
echo
echo "== TBB: evolution seconds on 1 and 2 threads (one cpu target, same architecture)"
query "SELECT r.name, (SELECT round(value, 3) FROM metrics WHERE run_id = r.id AND
         name = 'evolution_seconds'), a.arch FROM runs r JOIN architectures a ON a.run_id = r.id
       AND a.role = 'final' WHERE r.name LIKE 'evolution-threads%'"
echo
echo "== hwnas results pareto --device cpu"
$HWNAS --db "$DB" results pareto --device cpu
