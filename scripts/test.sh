#!/usr/bin/env bash
# Sets up if needed, builds, and runs the whole test suite with ctest.
#   scripts/test.sh [extra ctest args, e.g. -R Config]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cd build
ctest --output-on-failure --timeout 900 -j "${HWNAS_TEST_JOBS:-$(nproc)}" "$@"
