#!/usr/bin/env bash
# The predictor targets of the predictors issue, in one report:
#  1. real-device validation: latency predictors fitted on N = 20, 100, 1000 architectures of each
#     GPU column of ../shared/data/latency/ofa-mbv3-gpu-latency.csv (5000 Once-for-All
#     MobileNetV3 architectures measured end to end), scored on all the others (mean of 3 random
#     splits), with N = 4000 as the ceiling of what the encoding and the measurements allow;
#  2. op latency models: k-fold cross-validation on the imported phone tables;
#  3. network correction on this CPU (only with MEASURE=1: it times 100 networks end to end,
#     about 9 minutes, on a quiet machine): fitted on 70 random fmnist-mbconv architectures,
#     scored on 30 others against the table sum.
#   bench/predictor_study.sh [DB]
set -euo pipefail
cd "$(dirname "$0")/.."
HWNAS=build/cli/hwnas
DB="${1:-$(mktemp -d)/predictor-study.db}"
CSV=../shared/data/latency/ofa-mbv3-gpu-latency.csv
echo "database $DB"

echo "== 1. OFA MobileNetV3 on GPUs: fit on N, score on the rest"
$HWNAS -q predictor validate "$CSV" --train 20,100,1000 --model ridge,gbt,ridge+gbt --repeats 3 2>/dev/null
echo
echo "== 1b. ceiling: N = 4000 (ridge, ridge+gbt)"
$HWNAS -q predictor validate "$CSV" --train 4000 --model ridge,ridge+gbt --repeats 3 2>/dev/null

echo
echo "== 1c. transfer: the same batch size on the other GPU as prior (HELP-style meta-training)"
for pair in "titan_rtx_1 2080ti_1" "titan_rtx_32 2080ti_32" "titan_rtx_64 2080ti_64" \
            "2080ti_1 titan_rtx_1" "2080ti_32 titan_rtx_32" "2080ti_64 titan_rtx_64"; do
  set -- $pair
  $HWNAS -q predictor validate "$CSV" --prior "$1" --column "$2" --train 20,100,1000 --repeats 3 \
    2>/dev/null | sed "s/\$/   (prior $1)/" | tail -3
done

echo
echo "== 2. op latency models on imported tables (5-fold cross-validation)"
$HWNAS --db "$DB" -q latency import ../shared/data/luts/proxylessnas-mobile-pixel1.yaml --device pixel1 > /dev/null
$HWNAS --db "$DB" -q latency import ../shared/data/luts/ofa-note10-224.yaml --device note10-224 > /dev/null
$HWNAS --db "$DB" latency predictor --device pixel1
$HWNAS --db "$DB" latency predictor --device note10-224

if [ "${MEASURE:-0}" = "1" ]; then
  # 10 interleaved rounds of 50 timed samples: at the default 3 x 20 the same 100 networks timed
  # twice ranked at Kendall tau 0.13 on the 2-core development machine, at 10 x 50 at 0.71.
  echo
  echo "== 3. network correction of the cpu table of fmnist-mbconv"
  validate() {
    $HWNAS --db "$DB" -q latency validate --space fmnist-mbconv --rounds 10 --repeats 50 "$@" | tail -3
  }
  validate --samples 30 --seed 21
  validate --samples 40 --seed 22
  validate --samples 30 --seed 23
  runs=$(sqlite3 "$DB" "SELECT group_concat(id, ' ') FROM (SELECT id FROM runs
                        WHERE strategy = 'latency-validate' ORDER BY id DESC LIMIT 2 OFFSET 1)")
  test=$(sqlite3 "$DB" "SELECT max(id) FROM runs WHERE strategy = 'latency-validate'")
  for model in ridge gbt ridge+gbt; do
    # shellcheck disable=SC2086  # two run ids
    $HWNAS --db "$DB" latency correct --space fmnist-mbconv --runs $runs --test-run "$test" \
      --model "$model"
  done
fi
