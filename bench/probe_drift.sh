#!/bin/bash
# How this machine's speed moves over time: the reference probe (latency/probe.h) and one fixed
# network (configs/nets/fmnist-quickstart.yaml) timed end to end, every few seconds, each by a
# fresh `hwnas latency estimate --measure-network`, with the table estimate re-based by the probe.
# A ratio measured/re-based near 1 while the probe moves means re-basing follows the machine.
#   bench/probe_drift.sh [seconds=120] [db=a temporary file]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-120}
db=${2:-$(mktemp -d)/drift.db}
hwnas=build/cli/hwnas
net=configs/nets/fmnist-quickstart.yaml
"$hwnas" --db "$db" -q latency estimate --netspec "$net" --device cpu >/dev/null  # the table
printf "%8s %9s %12s %11s %9s\n" t_s probe_ms measured_ms rebased_ms ratio
start=$(date +%s)
while (($(date +%s) - start < seconds)); do
  out=$("$hwnas" --db "$db" -q latency estimate --netspec "$net" --device cpu --measure-network)
  measured=$(sed -n 's/^measured end to end: \([0-9.]*\) ms.*/\1/p' <<<"$out")
  rebased=$(sed -n 's/^now on this machine: \([0-9.]*\) ms.*/\1/p' <<<"$out")
  probe=$(sed -n 's/^stability .*(probe \([0-9.]*\) ms.*/\1/p' <<<"$out")
  awk -v t=$(($(date +%s) - start)) -v p="$probe" -v m="$measured" -v r="$rebased" \
    'BEGIN {printf "%8d %9.3f %12.4f %11.4f %9.3f\n", t, p, m, r, m / r}'
  sleep 2
done
