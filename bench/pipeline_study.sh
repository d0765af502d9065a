#!/usr/bin/env bash
# The pipeline target of issue 17: configs/pipeline-fmnist.yaml end to end, then the same
# pipeline killed with SIGKILL once in every stage and resumed each time, and a comparison of
# what both stored (stage by stage: network, accuracy, episodes; timings left out).
#   bench/pipeline_study.sh OUT_DIR [CONFIG] [override ...]
# Prints the uninterrupted run's stage table and total time, the resumed run's, and whether the
# two agree. Run it on a quiet machine: search and prune budgets are checked by timing.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: bench/pipeline_study.sh OUT_DIR [CONFIG] [override ...]}
config=${2:-configs/pipeline-fmnist.yaml}
shift $(($# >= 2 ? 2 : 1))
hwnas=build/cli/hwnas
mkdir -p "$out/whole" "$out/killed"

# What a pipeline stored, without times: one line per stage run and per episode.
fingerprint() {
  sqlite3 "$1" "
    SELECT r.stage, r.strategy, a.role, a.arch, printf('%.6f', a.accuracy), a.flops, a.size_bits
      FROM runs r JOIN architectures a ON a.run_id = r.id
     WHERE r.parent_run_id = 1 AND r.status = 'finished' ORDER BY r.stage, a.role, a.step;
    SELECT r.stage, e.episode, printf('%.6f', e.reward), e.policy_json
      FROM runs r JOIN episodes e ON e.run_id = r.id
     WHERE r.parent_run_id = 1 AND r.status = 'finished' ORDER BY r.stage, e.episode;"
}

# Kills the pipeline with SIGKILL once the stage's child run has run for a while: search after
# its first checkpoint, prune and quantize after 30 episodes, export as soon as it began.
kill_in_stage() {
  local db=$1 stage=$2 pid=$3 sql
  case $stage in
    search) sql="SELECT count(*) FROM runs r JOIN metrics m ON m.run_id = r.id
                 WHERE r.stage = 'search' AND m.name = 'holdout_accuracy'" ;;
    prune | quantize) sql="SELECT count(*) >= 30 FROM runs r JOIN episodes e ON e.run_id = r.id
                 WHERE r.stage = '$stage' AND r.status = 'running'" ;;
    export) sql="SELECT count(*) FROM runs WHERE stage = 'export' AND status = 'running'" ;;
  esac
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(sqlite3 "$db" "$sql" 2>/dev/null || echo 0)" -ge 1 ] 2>/dev/null; then
      kill -9 "$pid" && echo "killed in $stage at $(date -u +%T)" && return 0
    fi
    sleep 0.05
  done
  echo "the pipeline ended before stage $stage could be killed"
}

start=$(date +%s)
if [ ! -f "$out/whole/summary.txt" ]; then
  "$hwnas" --db "$out/whole/h.db" -q search "$config" "$@" | tee "$out/whole/summary.txt"
  echo "uninterrupted: $(($(date +%s) - start)) s"
fi

# The killed pipeline searches against the same latency tables: a table measured again at
# another time differs by the machine's noise, and so would the search.
start=$(date +%s)
db=$out/killed/h.db
sqlite3 "$out/whole/h.db" ".backup '$db'"
sqlite3 "$db" "PRAGMA foreign_keys = ON; DELETE FROM runs;"
for stage in search prune quantize export; do
  if [ "$stage" = search ]; then
    "$hwnas" --db "$db" -q search "$config" "$@" >/dev/null 2>&1 &
  else
    "$hwnas" --db "$db" -q search resume 1 >/dev/null 2>&1 &
  fi
  pid=$!
  kill_in_stage "$db" "$stage" "$pid"
  wait "$pid" || true
done
"$hwnas" --db "$db" -q search resume 1 | tee "$out/killed/summary.txt"
echo "killed 4 times and resumed: $(($(date +%s) - start)) s"
"$hwnas" --db "$db" results lineage 1

fingerprint "$out/whole/h.db" >"$out/whole/fingerprint.txt"
fingerprint "$db" >"$out/killed/fingerprint.txt"
if cmp -s "$out/whole/fingerprint.txt" "$out/killed/fingerprint.txt"; then
  echo "equal: $(wc -l <"$out/whole/fingerprint.txt") stored lines agree"
else
  echo "DIFFERENT:"
  diff "$out/whole/fingerprint.txt" "$out/killed/fingerprint.txt" | head -20
  exit 1
fi
