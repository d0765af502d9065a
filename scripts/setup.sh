#!/usr/bin/env bash
# Installs every dependency from Debian packages (idempotent), then configures and builds a
# Release build into build/. Nothing is downloaded at build time.
#   scripts/setup.sh            install (if needed) + build
#   HWNAS_SKIP_BUILD=1 ...      install only
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  libtorch-dev libtbb-dev libyaml-cpp-dev libsqlite3-dev sqlite3 zlib1g-dev
  libgtest-dev libgmock-dev libcli11-dev nlohmann-json3-dev libbenchmark-dev
  libopenblas0 libxgboost-dev dataset-fashion-mnist
  libgloo-dev  # the headers LibTorch's ProcessGroupGloo includes (dist/: data-parallel runs)
  libgoogle-perftools-dev  # tcmalloc: LibTorch's allocations without kernel churn (CMakeLists.txt)
  # folder datasets: OpenCV decodes JPEG/PNG (core/image_decode.cpp); libjpeg writes the CMYK
  # JPEG of the bad-input tests (OpenCV cannot)
  libopencv-core-dev libopencv-imgcodecs-dev libopencv-imgproc-dev libjpeg-dev
  python3        # scripts/check_docs.py, the docs_check test
  python3-torch  # the PyTorch comparison benchmark in bench/; tests/deploy loads TorchScript exports
  # deploy/: ONNX export (libonnx + protobuf), OpenCV's DNN module runs exported ONNX files;
  # tests/deploy checks the files from Python (onnx checker, cv2, NumPy, torch.jit.load)
  libonnx-dev libprotobuf-dev libopencv-dnn-dev
  python3-onnx python3-opencv python3-numpy
  python3-sklearn  # bench/accuracy_models.py: accuracy predictors beyond hwnas's own
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# hwnas report's chart renderers (vega, vega-lite, vega-embed; pinned by report/web/package-lock.json)
# from the npm registry through Debian's node and npm, only when node or npm is missing (a node
# from elsewhere, e.g. nodesource, conflicts with Debian's npm package). The build embeds them.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "setup: installing nodejs npm"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi
# npm ci when node_modules is missing or was installed from another lock file (the stamp holds
# the lock file's SHA-256).
WEB=report/web
LOCK_HASH="$(sha256sum "$WEB/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$WEB/node_modules/.hwnas-lock-sha256" 2>/dev/null)" != "$LOCK_HASH" ]; then
  echo "setup: npm ci in $WEB"
  (cd "$WEB" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$LOCK_HASH" > "$WEB/node_modules/.hwnas-lock-sha256"
fi

if [ "${HWNAS_SKIP_BUILD:-0}" = "1" ]; then exit 0; fi

JOBS="${HWNAS_BUILD_JOBS:-$(nproc)}"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release ${HWNAS_CMAKE_ARGS:-}
cmake --build build --parallel "$JOBS"
