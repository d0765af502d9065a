#!/usr/bin/env bash
# Start-up cost of the torch-free front (build/cli/hwnas) against the engine (hwnas-torch), which
# loads LibTorch: 'results list' on a 100-run database and '--version', RUNS times each.
# Target: the front's 'results list' <= 0.1 s. The database is one real training run of
# configs/train-synthetic.yaml (a few seconds) copied 99 times in SQL, metrics and architectures
# included, in a temporary directory.
#   bench/startup.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
FRONT=build/cli/hwnas
ENGINE=build/cli/hwnas-torch
RUNS="${1:-20}"
DB="$(mktemp -d)/startup.db"

# Copies run 1 with its metrics and architectures until the database holds 100 runs.
copy_run_to_100() {
  {
    echo "BEGIN;"
    echo "CREATE TEMP TABLE r AS SELECT * FROM runs WHERE id = 1;"
    echo "CREATE TEMP TABLE m AS SELECT * FROM metrics WHERE run_id = 1;"
    echo "CREATE TEMP TABLE a AS SELECT * FROM architectures WHERE run_id = 1;"
    for id in $(seq 2 100); do
      echo "UPDATE r SET id = $id, name = 'copy-$id', started_at = started_at + 1, ended_at = ended_at + 1;"
      echo "UPDATE m SET id = NULL, run_id = $id;"
      echo "UPDATE a SET id = NULL, run_id = $id;"
      echo "INSERT INTO runs SELECT * FROM r;"
      echo "INSERT INTO metrics SELECT * FROM m;"
      echo "INSERT INTO architectures SELECT * FROM a;"
    done
    echo "COMMIT;"
  } | sqlite3 "$1"
}

# Runs a command RUNS times (output discarded) and prints the median, min and max wall time.
time_runs() {
  local label="$1"
  shift
  for _ in $(seq "$RUNS"); do
    local start="${EPOCHREALTIME/./}"
    "$@" > /dev/null
    echo $((${EPOCHREALTIME/./} - start))
  done | sort -n | awk -v label="$label" '{ t[NR] = $1 / 1e6 }
    END { median = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
          printf "%-34s median %.3f s  min %.3f s  max %.3f s\n", label, median, t[1], t[NR] }'
}

for binary in "$FRONT" "$ENGINE"; do
  [ -x "$binary" ] || { echo "missing $binary: cmake --build build" >&2; exit 1; }
done
echo "== database: one train-synthetic run, copied to 100 runs ($DB)"
"$FRONT" --db "$DB" -q train configs/train-synthetic.yaml train.epochs=1 > /dev/null
copy_run_to_100 "$DB"
echo "   $("$FRONT" --db "$DB" results list --format csv | tail -n +2 | wc -l) runs"
echo "== $RUNS runs each, wall seconds"
for binary in "$FRONT" "$ENGINE"; do
  time_runs "$binary --db DB results list" "$binary" --db "$DB" results list
  time_runs "$binary --version" "$binary" --version
done
