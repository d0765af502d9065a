#!/usr/bin/env bash
# Folder datasets on this machine (docs/benchmarks.md): decoding throughput of 64x64 RGB PNG and
# JPEG on 1 and 2 threads, then the start-up of LoadDataSplits on Fashion-MNIST written as
# 64x64 RGB PNG files (N train + M test), first run (decoding into the cache) against the cached
# run, REPEATS times each. The folder is written once into WORK (default: a temporary directory).
#   bench/folder_study.sh [N=60000] [M=10000] [REPEATS=3] [WORK]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-60000}"
M="${2:-10000}"
REPEATS="${3:-3}"
WORK="${4:-$(mktemp -d)}"

build/bench/hwnas_image_decode_bench --benchmark_repetitions="$REPEATS" \
  --benchmark_report_aggregates_only=true
for r in $(seq "$REPEATS"); do
  echo "repeat $r: $(build/bench/hwnas_folder_load_bench "$WORK/fmnist64" "$WORK/cache" "$N" "$M" 2>/dev/null)"
done
du -sh "$WORK/fmnist64" "$WORK/cache"
