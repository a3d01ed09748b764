#!/usr/bin/env bash
# The experiment statistics against planted truths: generates the demo
# store (20 k shoppers, 3 k products, 1 M events), trains a model on it
# (tuned, as a shop would), starts tailor-server, and runs tailor-sim's
# scenarios against it: A/A experiments read every "day" (the always-valid
# test's and the sample-ratio check's false positives), A/B experiments
# with a planted +10% (power and shoppers needed: fixed horizon, always
# valid, CUPED), and a Thompson-sampling bandit over three arms of
# different true conversion (regret against an equal split). E.g.
#   ./bench/experiment_sim.sh                      # the full run
#   SIM_FLAGS="--aa_experiments=20 --ab_experiments=20 --bandit_periods=5" \
#     ./bench/experiment_sim.sh                    # a quick one
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
[ -x "$BIN/tailor-sim" ] || { echo "$BIN/tailor-sim is missing: build first" >&2; exit 1; }
make_work_dir
"$BIN/tailor-datagen" --users=20000 --items=3000 --events=1000000 \
  --out="$work/store" >"$work/datagen.log" 2>&1
"$BIN/tailor-trainer" train --events="$work/store/events.csv" \
  --catalog="$work/store/catalog.csv" --snapshot_dir="$work/snapshots" \
  >"$work/train.log" 2>&1
start_server "$work" "$work/snapshots"
start=$(date +%s)
# shellcheck disable=SC2086  # SIM_FLAGS is a list of flags
"$BIN/tailor-sim" --address="$addr" --catalog="$work/store/catalog.csv" \
  ${SIM_FLAGS:-}
echo "simulated in $(($(date +%s) - start)) s"
