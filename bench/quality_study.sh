#!/usr/bin/env bash
# Search quality (issue 19): the full search of configs/search-fmnist-full.yaml (1 ms target on
# this CPU) against hand-designed networks trained by the same recipe
# (configs/train-fmnist-full.yaml: same epochs, augmentation, optimizer and seed). Prints one
# table (test accuracy, latency measured end to end now, MACs, parameters), which baselines
# dominate which searched network, and `hwnas results pareto` over the database.
#   bench/quality_study.sh [DB]
# Every run stays in DB, and a run whose name already finished there is not run again, so the
# study can be spread over several sittings (about 60 minutes per search and 20-50 per baseline
# on 2 cores). Run on an otherwise idle machine: the searches and the report measure latency.
# Environment:
#   SEEDS="1 2"         seeds of the full search (runs full-seedN)
#   SPACE=NAME          search configs/spaces/NAME.yaml instead of the config's fmnist-wide (runs
#                       full-seedN-NAME), e.g. fmnist-wide-conv
#   BASELINES="..."     NetSpecs of configs/nets/ (runs baseline-NAME); default below
#   BASELINE_SEED=N     train the baselines with seed N (runs baseline-NAME-seedN) instead of the
#                       config's seed 1: the same seed as the search full-seedN retrained with
#   EPOCHS=N            override the retraining and baseline epochs (default: the configs' 25)
#   PARALLEL=2          train two baselines at a time with threads=1 each (about 1.2x the
#                       throughput of one at a time on 2 cores; float sums in another order)
#   ONLY=searches|baselines|report   one part only
#   REPEATS=3           end-to-end timings per network in the report (the median is printed)
set -euo pipefail
cd "$(dirname "$0")/.."
HWNAS=build/cli/hwnas
DB="${1:-$(mktemp -d)/quality-study.db}"
SEEDS="${SEEDS:-1 2}"
BASELINES="${BASELINES:-fmnist-wide-k3e3 fmnist-wide-k5e6 fmnist-resnet mobilenetv2-fmnist fmnist-cnn}"
PARALLEL="${PARALLEL:-1}"
ONLY="${ONLY:-}"
echo "database $DB; seeds $SEEDS; baselines $BASELINES"

finished() {  # whether a run of this name finished in DB
  [ -f "$DB" ] && $HWNAS --db "$DB" -q results list --name "$1" --status finished --format csv |
    tail -n +2 | cut -d, -f2 | grep -qx "$1"
}
timed() {  # NAME COMMAND...: run it unless it finished before, and print its wall time
  local name=$1 start
  shift
  if finished "$name"; then echo "$name: finished before"; return; fi
  start=$(date +%s)
  "$@" > "$(dirname "$DB")/$name.log" 2>&1
  echo "$name: $(( $(date +%s) - start )) s (log $(dirname "$DB")/$name.log)"
}
epochs() { if [ -n "${EPOCHS:-}" ]; then echo "$1=$EPOCHS"; fi; }  # nothing: the config's epochs

if [ -z "$ONLY" ] || [ "$ONLY" = searches ]; then
  space_args=() suffix=""
  if [ -n "${SPACE:-}" ]; then space_args=("space=$SPACE"); suffix="-$SPACE"; fi
  for seed in $SEEDS; do
    timed "full-seed$seed$suffix" $HWNAS --db "$DB" search configs/search-fmnist-full.yaml \
      "seed=$seed" "name=full-seed$seed$suffix" "${space_args[@]}" $(epochs proxyless.retrain_epochs)
  done
fi
if [ -z "$ONLY" ] || [ "$ONLY" = baselines ]; then
  threads=$(( PARALLEL > 1 ? 1 : 2 ))
  running=0
  seed_args=() suffix=""
  if [ -n "${BASELINE_SEED:-}" ]; then seed_args=("seed=$BASELINE_SEED"); suffix="-seed$BASELINE_SEED"; fi
  for net in $BASELINES; do
    timed "baseline-$net$suffix" $HWNAS --db "$DB" train configs/train-fmnist-full.yaml \
      "net=nets/$net.yaml" "name=baseline-$net$suffix" "threads=$threads" "${seed_args[@]}" \
      $(epochs train.epochs) &
    running=$(( running + 1 ))
    if [ "$running" -ge "$PARALLEL" ]; then wait -n || true; running=$(( running - 1 )); fi
  done
  wait
fi
[ -n "$ONLY" ] && [ "$ONLY" != report ] && exit 0

# The report. Latency is measured again here, one network after the other on the quiet
# machine, REPEATS times each (median), so it does not depend on what ran while a run ended.
echo
HWNAS="$HWNAS" DB="$DB" REPEATS="${REPEATS:-3}" /usr/bin/python3 - <<'PY'
import json, os, re, statistics, subprocess

hwnas, db = os.environ["HWNAS"], os.environ["DB"]
def run(*args):
    return subprocess.run([hwnas, "--db", db, "-q", *args], check=True, capture_output=True,
                          text=True).stdout
def measured_ms(run_id):
    times = []
    for _ in range(int(os.environ["REPEATS"])):
        out = run("latency", "estimate", "--device", "cpu", "--measure-network", "--run", run_id)
        times.append(float(out.split("measured end to end: ")[1].split()[0]))
    return statistics.median(times), min(times), max(times)

rows = []
for r in json.loads(run("results", "list", "--status", "finished", "--format", "json")):
    if not (r["name"].startswith("full-seed") or r["name"].startswith("baseline-")):
        continue
    detail = json.loads(run("results", "show", str(r["id"]), "--format", "json"))
    final = [a for a in detail["architectures"] if a["role"] == "final"][-1]
    ms, low, high = measured_ms(str(r["id"]))
    rows.append(dict(name=r["name"], arch=final["arch"], acc=final["accuracy"], ms=ms, low=low,
                     high=high, mmacs=final["flops"] / 1e6, kparams=final["params"] / 1e3,
                     minutes=r["duration_s"] / 60))
rows.sort(key=lambda row: row["ms"])
print("%-28s %8s %18s %7s %8s %6s  %s" % ("run", "test_acc", "latency_ms (range)", "MMACs",
                                           "k params", "min", "network"))
for row in rows:
    print("%-28s %7.2f%% %6.3f (%.3f-%.3f) %7.2f %8.1f %6.1f  %s" % (
        row["name"], 100 * row["acc"], row["ms"], row["low"], row["high"], row["mmacs"],
        row["kparams"], row["minutes"], row["arch"]))
print()
def dominates(a, b):
    return a["ms"] <= b["ms"] and a["acc"] >= b["acc"] and (a["ms"] < b["ms"] or a["acc"] > b["acc"])
front = [a["name"] for a in rows if not any(dominates(b, a) for b in rows)]
print("accuracy-latency front (latency measured now):", ", ".join(front))
def seed(name):  # baseline-NAME-seedN, full-seedN[-...]; other baselines use the config's seed 1
    found = re.search(r"-seed(\d+)", name)
    return int(found.group(1)) if found else 1
for s in (row for row in rows if row["name"].startswith("full-seed")):
    beaten_by = [b["name"] for b in rows if b["name"].startswith("baseline-") and dominates(b, s)]
    same_seed = [b for b in beaten_by if seed(b) == seed(s["name"])]
    print("%s: %s; dominated by %s (%s of its own seed)" % (
        s["name"], "meets 94% at <= 1 ms" if s["acc"] >= 0.94 and s["ms"] <= 1.0 else
        "misses 94% at <= 1 ms", ", ".join(beaten_by) or "no baseline", len(same_seed)))
PY
echo
echo "== hwnas results pareto (latency as each run measured it when it ended)"
$HWNAS --db "$DB" results pareto --x latency_ms --y accuracy
