#!/usr/bin/env bash
# The test command: set-up (packages + build), then the whole CTest suite.
# Usage: scripts/test.sh            every test (unit, slow, e2e)
#        LABEL=unit scripts/test.sh only one label
#        SANITIZE=1 scripts/test.sh an ASan+UBSan build in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=build
EXTRA=()
if [ "${SANITIZE:-0}" = 1 ]; then
  BUILD_DIR=build-asan
  EXTRA=(-DRL_SANITIZE=ON -DRL_BUILD_BENCH=OFF)
  BUILD_TYPE=RelWithDebInfo
  export BUILD_TYPE
fi
start=$(date +%s)
scripts/setup.sh "$BUILD_DIR" "${EXTRA[@]}"
built=$(date +%s)
echo "test: build took $((built - start)) s" >&2
ARGS=(--test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)")
[ -n "${LABEL:-}" ] && ARGS+=(-L "$LABEL")
ctest "${ARGS[@]}"
echo "test: tests took $(( $(date +%s) - built )) s" >&2
