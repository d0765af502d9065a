#!/bin/bash
# glibc malloc against the linked tcmalloc, in one run, alternating: training step, supernet
# steps, `latency build`. GLIBC is a build directory configured with -DHWNAS_TCMALLOC=OFF:
#   cmake -S . -B /tmp/build-glibc -G Ninja -DHWNAS_TCMALLOC=OFF -DHWNAS_BUILD_TESTS=OFF
#   cmake --build /tmp/build-glibc --target hwnas hwnas-torch hwnas_train_step_bench \
#     hwnas_supernet_step_bench
#   bench/allocator_study.sh [glibc_build=/tmp/build-glibc] [repeats=2]
set -euo pipefail
cd "$(dirname "$0")/.."
glibc=${1:-/tmp/build-glibc}
repeats=${2:-2}
time_it() { /usr/bin/time -f "  user %U s  sys %S s  wall %e s" "$@"; }
for r in $(seq "$repeats"); do
  for b in "$glibc" build; do
    label=$([ "$b" = build ] && echo tcmalloc || echo glibc)
    echo "== round $r, $label: train step, fmnist-quickstart, batch 128, 20 steps"
    time_it "$b/bench/hwnas_train_step_bench" configs/nets/fmnist-quickstart.yaml 20 2>&1 | tail -6
    echo "== round $r, $label: supernet steps, fmnist-mbconv, batch 128, 2 threads, 10 steps"
    time_it "$b/bench/hwnas_supernet_step_bench" 2 10 2>&1 | tail -4
    echo "== round $r, $label: latency build --space fmnist-mbconv --device cpu (fresh database)"
    db=$(mktemp -d)/build.db
    time_it "$b/cli/hwnas" --db "$db" -q latency build --space fmnist-mbconv --device cpu 2>&1 |
      grep -E "^table|stability|user"
  done
done
