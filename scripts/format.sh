#!/usr/bin/env bash
# Formats every tracked C++ file with the repository's .clang-format.
#   scripts/format.sh           rewrite files in place
#   scripts/format.sh --check   only report files that differ (exit 1); run by ctest
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.h' 2>/dev/null || find . -name '*.cpp' -o -name '*.h')
if [ "${1:-}" = "--check" ]; then
  clang-format --dry-run -Werror "${files[@]}"
  echo "format: ${#files[@]} files clean"
else
  clang-format -i "${files[@]}"
fi
