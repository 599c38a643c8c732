#!/usr/bin/env bash
# Installs every Debian package the project needs (idempotent), then configures and builds.
# Usage: scripts/setup.sh [BUILD_DIR] [extra cmake args...]   (default BUILD_DIR: build)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  cmake g++ make pkg-config git python3
  protobuf-compiler libprotobuf-dev libgrpc++-dev protobuf-compiler-grpc
  libyaml-cpp-dev libsqlite3-dev sqlite3 libopenblas-dev nlohmann-json3-dev libfmt-dev
  libpcre2-dev libseccomp-dev libgtest-dev libgmock-dev libbenchmark-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

BUILD_DIR="${1:-build}"
shift || true
JOBS="${JOBS:-$(nproc)}"
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" "$@" >&2
cmake --build "$BUILD_DIR" -j "$JOBS" >&2
