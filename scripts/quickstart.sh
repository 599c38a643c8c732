#!/usr/bin/env bash
# The main job: set-up (packages + build), then the quickstart RL run on the embedded default.
# Extra arguments go to `rl train` (e.g. --set run.seed=2, --resume).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
exec build/bin/rl train configs/quickstart.yaml "$@"
