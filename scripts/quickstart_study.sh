#!/usr/bin/env bash
# The quickstart study of the README: for seeds 1, 2, 3, the quickstart (SFT cold start, then
# CISPO RL) and its control (the same minutes spent on SFT only), one after the other so each
# has the machine to itself, then the curves drawn from the runs' SQLite stores with `rl plot`.
# Usage: scripts/quickstart_study.sh [OUT_DIR] (default runs/study); about an hour on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-runs/study}"
rl="${RL:-build/bin/rl}"  # e.g. a copy of the binary, so a rebuild cannot change a running study
mkdir -p "$out"
for seed in 1 2 3; do
  for kind in rl control; do
    dir="$out/${kind}_s$seed"
    [ -f "$dir/run.sqlite" ] && continue  # already done: rerun by deleting the directory
    config=configs/quickstart.yaml
    [ "$kind" = control ] && config=configs/quickstart_sft_control.yaml
    echo "== $kind seed $seed -> $dir"
    "$rl" train "$config" --set run.seed=$seed --set run.dir="$dir" 2>"$dir.log"
  done
done
runs=()
for seed in 1 2 3; do
  runs+=(--run "$out/rl_s$seed=RL seed $seed" --run "$out/control_s$seed=SFT-only seed $seed")
done
"$rl" plot "${runs[@]}" --metric 'cold_start/eval/accuracy+eval/accuracy' \
  --title 'Quickstart: held-out accuracy (greedy, 200 tasks)' --ylabel 'held-out accuracy' \
  --out docs/img/quickstart_accuracy.svg --csv > "$out/accuracy.csv"
"$rl" plot "${runs[@]}" --metric 'cold_start/eval/mean_length+eval/mean_length' \
  --title 'Quickstart: held-out mean response length (tokens)' --ylabel 'tokens' \
  --out docs/img/quickstart_length.svg --csv > "$out/length.csv"
