#!/bin/bash
# Data-parallel throughput on this machine: 2 processes x 1 thread (hwnas launch, Gloo on
# loopback) against 1 process x 2 threads, with 1 process x 1 thread for reference, for the
# supernet's steps and the retraining of the quickstart's Fashion-MNIST search. The target is
# FLOPs, so that no latency is measured; one warm-up, one search and one retraining epoch. The
# arrangements alternate, `repeats` times, so that a slow period of the VM hits all of them.
#   bench/distributed_study.sh [repeats=2]
# Env: HWNAS (default build/cli/hwnas). Prints one row per run and arrangement.
set -euo pipefail
cd "$(dirname "$0")/.."
hwnas=${HWNAS:-$PWD/build/cli/hwnas}
repeats=${1:-2}
config=$PWD/configs/quickstart.yaml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
overrides=(proxyless.target_kind=flops proxyless.target_mflops=6 proxyless.warmup_epochs=1
  proxyless.epochs=1 proxyless.retrain_epochs=1)

# metric NAME STEP: the value run 1 stored.
metric() {
  sqlite3 "$dir/h.db" "select value from metrics where run_id = 1 and name = '$1' and step = $2"
}

printf '%-10s %3s %7s %12s %12s %12s %9s %9s %9s\n' arrangement rep threads warmup_img/s \
  search_img/s retrain_img/s comm_warm comm_srch comm_retr
for r in $(seq "$repeats"); do
  for arrangement in 2x1 1x2 1x1; do
    procs=${arrangement%x*}
    threads=${arrangement#*x}
    dir=$work/$arrangement-$r
    mkdir -p "$dir"
    if [[ $procs == 1 ]]; then
      (cd "$dir" && "$hwnas" --db h.db --quiet search "$config" threads="$threads" \
        "${overrides[@]}" >/dev/null)
    else
      (cd "$dir" && "$hwnas" --db h.db --quiet launch --nproc "$procs" -- search "$config" \
        threads="$threads" "${overrides[@]}" >/dev/null)
    fi
    # Warm-up: 78 weight steps of 128 images; search: 78 weight steps and 39 architecture
    # steps of 128 held-out images.
    warm=$(metric epoch_seconds 0)
    search=$(metric epoch_seconds 1)
    retrain=$(metric images_per_second 2)
    comm() { v=$(metric communication_fraction "$1"); echo "${v:-0}"; }
    awk -v a="$arrangement" -v r="$r" -v t="$threads" -v w="$warm" -v s="$search" \
      -v rt="$retrain" -v cw="$(comm 0)" -v cs="$(comm 1)" -v cr="$(comm 2)" \
      'BEGIN { printf "%-10s %3d %7d %12.0f %12.0f %12.0f %8.1f%% %8.1f%% %8.1f%%\n",
               a, r, t, 78 * 128 / w, 117 * 128 / s, rt, 100 * cw, 100 * cs, 100 * cr }'
  done
done
