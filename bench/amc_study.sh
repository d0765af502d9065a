#!/usr/bin/env bash
# The AMC targets of issue 5 on Fashion-MNIST, in one results database:
#  - a source network: the quickstart-sized NetSpec (configs/nets/fmnist-quickstart.yaml)
#    trained for SOURCE_EPOCHS epochs (skipped when DB already holds a run named quickstart-net);
#  - FLOPs budget 50%: AMC (EPISODES episodes) against uniform pruning to the same budget, both
#    fine-tuned the same way; reports held-out accuracy before and test accuracy after;
#  - latency budget on cpu: LATENCY_SHARE of the source network's measured latency; reports the
#    final network's estimated and measured latency;
#  - speed: wall time per run and the per-episode breakdown AMC stores as metrics.
# Run on an otherwise idle machine (measured latency).
#   bench/amc_study.sh [DB] [EPISODES] [LATENCY_SHARE]
# Defaults: a fresh database in a temporary directory, 300 episodes, 0.6. About 35 minutes on
# 2 cores; REPORT_ONLY=1 only prints the report of DB.
set -euo pipefail
cd "$(dirname "$0")/.."
HWNAS=build/cli/hwnas
DB="${1:-$(mktemp -d)/amc-study.db}"
EPISODES="${2:-300}"
SHARE="${3:-0.6}"
SOURCE_EPOCHS="${SOURCE_EPOCHS:-4}"
echo "database $DB, $EPISODES episodes, latency budget $SHARE x the source network's"

seconds_since() { echo $(( ($(date +%s%N) - $1) / 1000000000 )); }
query() { sqlite3 -separator ' | ' "$DB" "$@"; }
run_id() { query "SELECT max(id) FROM runs WHERE name = '$1' AND status = 'finished'"; }
# A stored network timed end to end on this (quiet) machine, one thread, batch 1: the fastest
# of 3 measurements (slow periods of a shared machine only ever add time).
quiet_ms() {
  for round in 1 2 3; do
    $HWNAS --db "$DB" -q latency estimate --run "$1" --role "$2" --device cpu --measure-network |
      sed -n 's/^measured end to end: \([0-9.]*\) ms.*/\1/p'
  done | sort -g | head -1
}

if [ -z "${REPORT_ONLY:-}" ]; then
  if [ -z "$( [ -f "$DB" ] && run_id quickstart-net)" ]; then
    start=$(date +%s%N)
    $HWNAS --db "$DB" -q train configs/train-fmnist.yaml name=quickstart-net \
      net=nets/fmnist-quickstart.yaml "train.epochs=$SOURCE_EPOCHS" > /dev/null
    echo "source network: $(seconds_since "$start") s"
  fi
  source=$(run_id quickstart-net)
  start=$(date +%s%N)
  $HWNAS --db "$DB" search configs/amc-fmnist.yaml name=amc-flops50 "amc.source_run=$source" \
    "amc.episodes=$EPISODES" amc.compare_uniform=true
  echo "amc-flops50: $(seconds_since "$start") s"
  measured=$(quiet_ms "$source" final)
  target=$(python3 -c "print(round($SHARE * $measured, 4))")
  echo "source network: $measured ms measured end to end; latency budget $target ms"
  start=$(date +%s%N)
  $HWNAS --db "$DB" search configs/amc-fmnist.yaml name=amc-latency "amc.source_run=$source" \
    "amc.episodes=$EPISODES" amc.target_kind=latency "amc.target_ms=$target"
  echo "amc-latency (target $target ms): $(seconds_since "$start") s"
fi

echo
echo "== networks: role | arch | M MACs | test accuracy | estimated ms | measured ms"
query "SELECT r.name || ' ' || a.role, a.arch, round(a.flops / 1e6, 3), round(a.accuracy, 4),
         round(a.estimated_latency_ms, 4), round(a.measured_latency_ms, 4)
       FROM architectures a JOIN runs r ON r.id = a.run_id ORDER BY a.run_id, a.id"
echo
echo "== measured again one after the other on the quiet machine: run | role | ms"
for name in quickstart-net amc-flops50 amc-latency; do
  id=$(run_id "$name")
  [ -n "$id" ] || continue
  for role in final baseline; do
    has=$(query "SELECT count(*) FROM architectures WHERE run_id = $id AND role = '$role'")
    [ "$has" = 0 ] || echo "$name | $role | $(quiet_ms "$id" "$role")"
  done
done
echo
echo "== held-out accuracy before fine-tuning (whole split): run | metric | value"
query "SELECT r.name, m.name, round(m.value, 4) FROM metrics m JOIN runs r ON r.id = m.run_id
       WHERE m.name IN ('pruned_holdout_accuracy', 'uniform_pruned_holdout_accuracy',
                        'holdout_budget', 'cost_budget') ORDER BY m.run_id, m.name"
echo
echo "== episodes: run | episodes | best reward | best held-out acc | max cost ratio"
query "SELECT r.name, count(*), round(max(e.reward), 4), round(max(e.accuracy), 4),
         round(max(e.cost_ratio), 4) FROM episodes e JOIN runs r ON r.id = e.run_id
       GROUP BY e.run_id ORDER BY e.run_id"
echo
echo "== seconds per episode: run | total | agent | budget | prune+reconstruct | evaluate"
query "SELECT r.name,
         round(max(CASE WHEN m.name = 'episode_seconds' THEN m.value END), 3),
         round(max(CASE WHEN m.name = 'agent_seconds' THEN m.value END), 3),
         round(max(CASE WHEN m.name = 'budget_seconds' THEN m.value END), 3),
         round(max(CASE WHEN m.name = 'prune_seconds' THEN m.value END), 3),
         round(max(CASE WHEN m.name = 'evaluate_seconds' THEN m.value END), 3)
       FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.strategy = 'amc'
       GROUP BY m.run_id ORDER BY m.run_id"
