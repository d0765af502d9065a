#!/bin/bash
# How steady a search's start-up re-base is: starts `hwnas search CONFIG` again and again on a copy
# of one database, reads the factor it re-bases the latency table by ("latency table re-based
# x..."), and stops it. With several binaries (an older build copied aside, say) the starts
# alternate between them, so that each sees the same phases of the machine.
#   bench/rebase_starts.sh [starts=20] [config=configs/search-fmnist-full.yaml] [hwnas binaries...]
# The table is measured once first, into a temporary database. Nothing else should run meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
starts=${1:-20}
config=${2:-configs/search-fmnist-full.yaml}
shift $(($# < 2 ? $# : 2))
binaries=("$@")
[ ${#binaries[@]} -gt 0 ] || binaries=(build/cli/hwnas)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The table, as the search would complete it (the config's space and device settings).
space=$(sed -n 's/^space: *\([^ #]*\).*/\1/p' "$config")
"${binaries[0]}" --db "$work/table.db" -q latency build --space "$space" --device cpu \
  --threads 1 --batch 1 >/dev/null 2>&1

# One start: the factor it printed, then the search is stopped.
start_factor() {
  cp "$work/table.db" "$work/run.db"
  "$1" --db "$work/run.db" search "$config" >"$work/out.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do
    grep -q "re-based x" "$work/out.log" && break
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  sed -n 's/.*re-based x\([0-9.]*\) .*/\1/p' "$work/out.log"
}

printf "%-8s" time
for b in "${binaries[@]}"; do printf " %24s" "$b"; done
printf "\n"
for ((i = 0; i < starts; i++)); do
  printf "%-8s" "$(date +%T)"
  for b in "${binaries[@]}"; do
    factor=$(start_factor "$b")
    printf " %24s" "${factor:--}"  # -: no re-base line within 30 s
  done
  printf "\n"
done | tee "$work/factors.txt"
# Per binary: the range, the median and how many starts lie within +-10% of 1.
for ((c = 0; c < ${#binaries[@]}; c++)); do
  awk -v c=$((c + 2)) '$c != "-" { print $c }' "$work/factors.txt" | sort -n |
    awk -v name="${binaries[$c]}" '{ f[++n] = $1; if ($1 >= 0.9 && $1 <= 1.1) ok++ }
      END {
        median = n % 2 ? f[(n + 1) / 2] : (f[n / 2] + f[n / 2 + 1]) / 2
        printf "# %s: %d starts, factor %.3f-%.3f, median %.3f, %d within +-10%% of 1\n", name,
          n, f[1], f[n], median, ok }'
done
