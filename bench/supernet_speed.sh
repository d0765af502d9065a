#!/bin/bash
# C++ (channels-last) versus PyTorch's Python API (Debian python3-torch, default memory format)
# for the fmnist-mbconv supernet's weight and architecture steps at batch 128, in one run on one
# machine. Builds nothing: build hwnas_supernet_step_bench first.
#   bench/supernet_speed.sh [steps=20] [threads="1 2"]
# Env: BENCH (the C++ binary, default build/bench/hwnas_supernet_step_bench),
#      PYTHON (default /usr/bin/python3: the PATH python3 may lack torch),
#      TCMALLOC (preloaded into Python so both sides use the allocator hwnas links; empty: glibc).
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-20}
threads_list=${2:-"1 2"}
bench=${BENCH:-build/bench/hwnas_supernet_step_bench}
python=${PYTHON:-/usr/bin/python3}
tcmalloc=${TCMALLOC-/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4}
[[ -x $bench ]] || { echo "missing $bench: build target hwnas_supernet_step_bench" >&2; exit 1; }

# Both programs print "# header", "step threads images/s", then one "kind threads ips" per line.
rows=$(mktemp)
out=$(mktemp)
trap 'rm -f "$rows" "$out"' EXIT
for t in $threads_list; do
  "$bench" "$t" "$steps" >"$out"
  cat "$out"
  awk '!/^#/ && !/^step/ {print "cpp", $1, $2, $3}' "$out" >>"$rows"
  LD_PRELOAD=$tcmalloc "$python" bench/supernet_step.py --threads "$t" --steps "$steps" >"$out"
  cat "$out"
  awk '!/^#/ && !/^step/ {print "py", $1, $2, $3}' "$out" >>"$rows"
done
echo
awk '
  { key = $2 " " $3 }
  $1 == "cpp" { cpp[key] = $4; if (!(key in seen)) { order[n++] = key; seen[key] = 1 } }
  $1 == "py" { py[key] = $4 }
  END {
    printf "%-13s %7s %10s %10s %6s\n", "step", "threads", "C++ img/s", "Py img/s", "ratio"
    for (i = 0; i < n; ++i) {
      split(order[i], k, " ")
      c = cpp[order[i]]; p = py[order[i]]
      printf "%-13s %7s %10.0f %10.0f %5.2fx\n", k[1], k[2], c, p, (p > 0 ? c / p : 0)
    }
  }' "$rows"
