#!/bin/bash
# hwnas's supernet steps against the official ProxylessNAS supernet (../shared/peer), in one run:
# the proxyless-mobile space at 64x64, batch 128, the weight step and the full_v2 architecture
# step, alternating the two programs `repeats` times. Both use tcmalloc: hwnas links it
# (HWNAS_TCMALLOC), Python gets it by LD_PRELOAD, so the comparison is allocator against allocator.
#   bench/peer_speed.sh [threads=2] [steps=10] [repeats=3]
# Env: BENCH (default build/bench/hwnas_supernet_step_bench), PYTHON (default /usr/bin/python3),
#      PEER (default ../shared/peer), TCMALLOC (the library preloaded into Python; empty: glibc
#      malloc, for a BENCH built with -DHWNAS_TCMALLOC=OFF).
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
steps=${2:-10}
repeats=${3:-3}
bench=${BENCH:-build/bench/hwnas_supernet_step_bench}
python=${PYTHON:-/usr/bin/python3}
peer=${PEER:-../shared/peer}
tcmalloc=${TCMALLOC-/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4}
[[ -x $bench ]] || { echo "missing $bench: build target hwnas_supernet_step_bench" >&2; exit 1; }
[[ -d $peer/proxylessnas-search ]] || { echo "missing $peer/proxylessnas-search" >&2; exit 1; }

space=$(mktemp --suffix=.yaml)
trap 'rm -f "$space"' EXIT
sed 's/^input: {channels: 3, size: 224}/input: {channels: 3, size: 64}/' configs/spaces/proxyless-mobile.yaml >"$space"
grep -q 'size: 64' "$space" || { echo "could not set input.size 64 in $space" >&2; exit 1; }

printf "%-6s %-8s %10s %10s\n" round program weight full_v2
for r in $(seq "$repeats"); do
  read -r w a < <("$bench" "$threads" "$steps" "$space" |
    awk '$1 == "weight" {w = $3} $1 == "arch-full_v2" {a = $3} END {print w, a}')
  printf "%-6s %-8s %10.0f %10.0f\n" "$r" hwnas "$w" "$a"
  read -r pw pa < <(LD_PRELOAD=$tcmalloc PEER_SEARCH_DIR=$peer/proxylessnas-search \
    "$python" "$peer/proxyless_official_step.py" 64 128 "$threads" "$steps" 2>/dev/null |
    "$python" -c 'import json,sys; d=json.loads(sys.stdin.readlines()[-1]); print(d["weight_img_s"], d["arch_img_s"])')
  printf "%-6s %-8s %10.0f %10.0f\n" "$r" official "$pw" "$pa"
  awk -v w="$w" -v a="$a" -v pw="$pw" -v pa="$pa" -v r="$r" \
    'BEGIN {printf "%-6s %-8s %9.2fx %9.2fx\n", r, "ratio", w / pw, a / pa}'
done
