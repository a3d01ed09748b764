#!/usr/bin/env bash
# Customer profiles at scale: generates (once) a synthetic store of
# 1,000,000 shoppers x 30,000 products x 50 M events (~1.8 GB of CSV in
# OUT), then builds every profile and the RFM scores RUNS times with the
# events parsed on a background thread, and RUNS times with the plain
# single-threaded reader, alternating, and prints the medians and their
# ratio. The target: 1 M users / 50 M events in <= 60 s.
#   ./bench/profiles_scale.sh            # OUT=/tmp/tailor-profiles RUNS=3
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/tailor-profiles}
RUNS=${RUNS:-3}
# shellcheck source=bench/lib.sh
. bench/lib.sh
million_shopper_store "$OUT/store"
run() {  # seconds of one profiling run
  "$BIN/tailor-trainer" profiles --data="$OUT/store" --background_parsing="$1" \
    2>/dev/null | sed -nE 's/.* events in ([0-9.]+) s .*/\1/p'
}
piped=() plain=()
for r in $(seq "$RUNS"); do
  piped+=("$(run true)")
  plain+=("$(run false)")
  echo "run $r: background parsing ${piped[-1]} s, plain reader ${plain[-1]} s"
done
mp=$(median "${piped[@]}")
ml=$(median "${plain[@]}")
echo "profiles + RFM for 1,000,000 users from 50,000,000 events (read, profile, score):"
echo "  background parsing: median $mp s; plain reader: median $ml s; speed-up $(awk -v a="$ml" -v b="$mp" 'BEGIN { printf "%.2f", a / b }')x"
