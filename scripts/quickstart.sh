#!/usr/bin/env bash
# Sets up if needed, builds, and runs the main job on Fashion-MNIST: searches the quickstart
# space for a network that measures at most 0.6 ms on this CPU, retrains it, measures its
# latency, stores the run in hwnas.db, and lists the latest runs.
#   scripts/quickstart.sh [key=value overrides, e.g. train.epochs=1]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export HWNAS_DB="${HWNAS_DB:-$PWD/hwnas.db}"
build/cli/hwnas search configs/quickstart.yaml "$@"
echo
build/cli/hwnas results list --limit 5
