#!/usr/bin/env bash
# Runs every strategy's synthetic config with fixed seeds on model devices (no timing enters a
# stored result) and writes `hwnas results export --all` with wall-clock fields removed, so two
# builds can be compared for bit-identical stored results:
#   scripts/results_identity.sh OUT.json [path/to/hwnas]
#   diff before.json after.json
set -euo pipefail
out=$(realpath -m "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
hwnas=$(realpath "${2:-$root/build/cli/hwnas}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
run() { "$hwnas" -q --db "$work/r.db" "$@" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }; }
model=device.name=roofline-example
run train configs/train-synthetic.yaml "$model"                               # run 1
run search configs/search-synthetic.yaml "$model"                             # run 2
run search configs/amc-synthetic.yaml amc.source_run=1 "$model"               # run 3: flops
run search configs/amc-synthetic.yaml amc.source_run=1 "$model" \
  amc.target_kind=latency amc.target_ms=0.095 amc.episodes=12               # run 4: latency
run search configs/haq-synthetic.yaml haq.source_run=1                        # run 5: bitserial
run search configs/evolution-synthetic.yaml evolution.supernet_run=2 "$model" \
  'evolution.targets=["roofline-example:0.15","roofline-example:0.3"]'       # run 6
"$hwnas" --db "$work/r.db" results export --all --out "$work/all.json"
python3 - "$work/all.json" "$out" <<'PY'
import json, re, sys
# Wall-clock fields, process ids, and what was timed on this machine (the measured latency of
# the final network, throughput; a checkpoint's hash because it stores them).
volatile = re.compile(r"(_at$|^pid$|_s$|seconds|images_per_second|data_wait_fraction|^latency_ms$|measured_latency_ms|sha256)")
def clean(x):
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items() if not volatile.search(k)}
    if isinstance(x, list):
        out = [clean(v) for v in x]
        return [m for m in out if not (isinstance(m, dict) and volatile.search(str(m.get("name", ""))))]
    return x
data = clean(json.load(open(sys.argv[1])))
json.dump(data, open(sys.argv[2], "w"), indent=1, sort_keys=True)
PY
echo "wrote $out"
