#!/usr/bin/env bash
# The HAQ targets of issue 6 on Fashion-MNIST, in one results database:
#  - a source network: the quickstart-sized NetSpec (configs/nets/fmnist-quickstart.yaml)
#    trained for SOURCE_EPOCHS epochs (skipped when DB already holds a run named quickstart-net);
#  - latency on the bit-serial accelerator model: HAQ (EPISODES episodes, 3 to 8 bits, 4 batches
#    of fine-tuning per episode) at the cost of uniform w4a4 against uniform w4a4 itself, both
#    fine-tuned the same way;
#  - model size: the same at the size of uniform w4a4 weights;
#  - time per episode by part and each search's wall time.
#   bench/haq_study.sh [DB] [EPISODES]
# Defaults: a fresh database in a temporary directory, 300 episodes. REPORT_ONLY=1 only prints
# the report of DB.
set -euo pipefail
cd "$(dirname "$0")/.."
HWNAS=build/cli/hwnas
DB="${1:-$(mktemp -d)/haq-study.db}"
EPISODES="${2:-300}"
SOURCE_EPOCHS="${SOURCE_EPOCHS:-4}"
echo "database $DB, $EPISODES episodes"

seconds_since() { echo $(( ($(date +%s%N) - $1) / 1000000000 )); }
query() { sqlite3 -separator ' | ' "$DB" "$@"; }
run_id() { query "SELECT max(id) FROM runs WHERE name = '$1' AND status = 'finished'"; }

if [ -z "${REPORT_ONLY:-}" ]; then
  if [ -z "$( [ -f "$DB" ] && run_id quickstart-net)" ]; then
    start=$(date +%s%N)
    $HWNAS --db "$DB" -q train configs/train-fmnist.yaml name=quickstart-net \
      net=nets/fmnist-quickstart.yaml "train.epochs=$SOURCE_EPOCHS" > /dev/null
    echo "source network: $(seconds_since "$start") s"
  fi
  source=$(run_id quickstart-net)
  # The latency budget needs HAQ's short in-episode fine-tuning and no 2-bit choices to beat
  # uniform w4a4 after fine-tuning (README, Measured (HAQ)); the size budget does without.
  for cost in latency size; do
    extra=()
    [ "$cost" = latency ] && extra=(haq.min_bits=3 haq.episode_finetune_batches=4)
    start=$(date +%s%N)
    $HWNAS --db "$DB" search configs/haq-fmnist.yaml "name=haq-$cost" "haq.source_run=$source" \
      "haq.cost=$cost" "haq.episodes=$EPISODES" haq.compare_uniform=true "${extra[@]}"
    echo "haq-$cost: $(seconds_since "$start") s"
  done
fi

echo
echo "== networks: run role | test accuracy | size KiB | estimated ms"
query "SELECT r.name || ' ' || a.role, round(a.accuracy, 4), round(a.size_bits / 8192, 2),
         round(a.estimated_latency_ms, 4) FROM architectures a JOIN runs r ON r.id = a.run_id
       ORDER BY a.run_id, a.id"
echo
echo "== before fine-tuning (whole held-out split): run | metric | value"
query "SELECT r.name, m.name, round(m.value, 4) FROM metrics m JOIN runs r ON r.id = m.run_id
       WHERE m.name LIKE '%quantized_%' OR m.name = 'full_precision_accuracy'
       ORDER BY m.run_id, m.name"
echo
echo "== episodes: run | episodes | best reward | best held-out acc | max cost ratio"
query "SELECT r.name, count(*), round(max(e.reward), 4), round(max(e.accuracy), 4),
         round(max(e.cost_ratio), 4) FROM episodes e JOIN runs r ON r.id = e.run_id
       WHERE r.strategy = 'haq' GROUP BY e.run_id ORDER BY e.run_id"
echo
echo "== seconds per episode: run | total | agent | budget | quantize+calibrate | evaluate"
query "SELECT r.name,
         round(max(CASE WHEN m.name = 'episode_seconds' THEN m.value END), 3),
         round(max(CASE WHEN m.name = 'agent_seconds' THEN m.value END), 3),
         round(max(CASE WHEN m.name = 'budget_seconds' THEN m.value END), 3),
         round(max(CASE WHEN m.name = 'quantize_seconds' THEN m.value END), 3),
         round(max(CASE WHEN m.name = 'evaluate_seconds' THEN m.value END), 3)
       FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.strategy = 'haq'
       GROUP BY m.run_id ORDER BY m.run_id"
echo
echo "== bits of the final networks"
query "SELECT r.name || ' ' || a.role, a.netspec_json FROM architectures a
       JOIN runs r ON r.id = a.run_id WHERE r.strategy = 'haq' ORDER BY a.run_id, a.id" |
  python3 -c '
import json, sys
for line in sys.stdin:
    name, spec = line.split(" | ", 1)
    bits = [l.get("op_bits") or "w%da%d" % (l["weight_bits"], l["activation_bits"])
            for l in json.loads(spec)["layers"]]
    print(name + ": " + " | ".join(bits))'
