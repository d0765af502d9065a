#!/usr/bin/env bash
# Export parity on real runs (docs/benchmarks.md): a trained, an AMC-pruned and a HAQ-quantized
# network (the *-synthetic configs, on 4 Fashion-MNIST classes written as PNG files and read at
# 16x16), each exported as ONNX and TorchScript. `hwnas predict` then scores 32 test images from
# the stored run (LibTorch) and from each file (OpenCV DNN, torch::jit); the script prints the
# largest |probability difference| over every image's top 4 and whether the top classes agree.
#   bench/export_parity.sh [WORK]
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="${1:-$(mktemp -d)}"
H=build/cli/hwnas
DB="$WORK/h.db"
rm -rf "$WORK/images" "$WORK/cache" "$DB" "$WORK"/hwnas-artifacts
/usr/bin/python3 scripts/fmnist_to_folder.py "$WORK/images" --limit 3000 >/dev/null
for part in train test; do  # keep 4 classes: the synthetic configs' networks have 4 outputs
  (cd "$WORK/images/$part" && rm -rf Pullover Sandal Shirt Sneaker T-shirt-top Trouser)
done
DATA=(data.dataset=folder "data.path=$WORK/images" data.image_size=16 data.channels=1
      "data.cache_dir=$WORK/cache")
$H --db "$DB" -q train configs/train-synthetic.yaml train.epochs=5 "${DATA[@]}" >/dev/null
$H --db "$DB" -q search configs/amc-synthetic.yaml amc.source_run=1 amc.episodes=15 "${DATA[@]}" >/dev/null
$H --db "$DB" -q search configs/haq-synthetic.yaml haq.source_run=1 haq.episodes=15 "${DATA[@]}" >/dev/null
mapfile -t IMAGES < <(find "$WORK/images/test" -name '*.png' | sort | head -32)
predict() { $H --db "$DB" predict "$1" "${IMAGES[@]}" --top 4 --format json; }
for run in 1 2 3; do
  predict "$run" > "$WORK/run$run.json"
  for format in onnx torchscript; do
    out="$WORK/run$run.$format"
    $H --db "$DB" export "$run" --format "$format" --out "$out" >/dev/null
    if predict "$out" > "$WORK/run$run-$format.json" 2> "$WORK/err"; then
      /usr/bin/python3 - "$WORK/run$run.json" "$WORK/run$run-$format.json" "$run" "$format" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
key = lambda r: (r["image"], r["rank"])
pa, pb = {key(r): r for r in a}, {key(r): r for r in b}
diff = max(abs(pa[k]["probability"] - pb[k]["probability"]) for k in pa)
same = all(pa[k]["class"] == pb[k]["class"] for k in pa if k[1] == 1)
print(f"run {sys.argv[3]} {sys.argv[4]:12s} max |p diff| {diff:.2e}  top-1 classes agree: {same}")
PY
    else
      echo "run $run $format: $(head -c 160 "$WORK/err")"
    fi
  done
done
$H --db "$DB" results list --limit 3
