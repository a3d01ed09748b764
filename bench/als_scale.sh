#!/usr/bin/env bash
# Implicit ALS at shop scale: generates (once) a synthetic store of 150,000
# shoppers x 30,000 products x 20 M events, then trains 64 factors RUNS
# times and prints the median seconds per iteration and the trainer's peak
# resident memory. The whole run needs ~1.5 GB of disk in OUT.
#   ./bench/als_scale.sh                 # OUT=/tmp/tailor-als-scale RUNS=3
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/tailor-als-scale}
RUNS=${RUNS:-3}
ITERATIONS=${ITERATIONS:-5}
FACTORS=${FACTORS:-64}
# shellcheck source=bench/lib.sh
. bench/lib.sh
generate_store_once "$OUT/store" 150000 30000 20000000
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for run in $(seq "$RUNS"); do
  rm -rf "$OUT/snapshots"
  "$BIN/tailor-trainer" train --events="$OUT/store/events.csv" \
    --catalog="$OUT/store/catalog.csv" --snapshot_dir="$OUT/snapshots" \
    --factors="$FACTORS" --iterations="$ITERATIONS" --segments=false 2>&1 | tee -a "$log" |
    grep -E "user-item pairs|published" | sed "s/^/run $run: /"
done
per_iteration=$(grep -E "INFO iteration" "$log" |
  sed -E 's/.* ([0-9.]+) s$/\1/' | sort -g |
  awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)], v[1], v[NR] }')
peak=$(grep -oE "peak RSS [0-9.]+ MiB" "$log" | awk '{ print $3 }' | sort -g | tail -1)
read -r median low high <<<"$per_iteration"
echo "ALS, $FACTORS factors, 2 half-steps per iteration, all cores:"
echo "  seconds per iteration: median $median (min $low, max $high) over $RUNS runs x $ITERATIONS iterations"
echo "  trainer peak RSS: $peak MiB (whole process: read, aggregate, train, publish)"
