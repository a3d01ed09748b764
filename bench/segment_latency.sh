#!/usr/bin/env bash
# GetSegment latency over loopback, side by side with RecommendFor (count
# 10) against the same server: starts tailor-server on the demo store's
# snapshot (run ./scripts/demo.sh first) or on SNAPSHOTS, then alternates
# RUNS runs of REQUESTS sequential calls of each through the tailor CLI
# (one connection, one call in flight, 200 warm-up calls not counted),
# cycling through 1,000 profiled shoppers, and prints the median p50 / p99
# of each. The target: GetSegment p99 <= 1 ms.
#   ./bench/segment_latency.sh         # RUNS=3 REQUESTS=20000
set -euo pipefail
cd "$(dirname "$0")/.."
SNAPSHOTS=${SNAPSHOTS:-demo-data/snapshots}
STORE=${STORE:-demo-data/store}
RUNS=${RUNS:-3}
REQUESTS=${REQUESTS:-20000}
[ -s "$SNAPSHOTS/CURRENT" ] || { echo "no snapshot in $SNAPSHOTS: run ./scripts/demo.sh" >&2; exit 1; }
# shellcheck source=bench/lib.sh
. bench/lib.sh
make_work_dir
start_server "$work" "$SNAPSHOTS"
users=$(awk -F, 'NR > 1 && NR % 7 == 0 && n++ < 1000 { print $1 }' "$STORE/users.csv" | paste -sd,)
seg50=() seg99=() rec50=() rec99=()
for r in $(seq "$RUNS"); do
  s=$("$BIN/tailor" latency --address="$addr" --users="$users" --requests="$REQUESTS" --rpc=segment)
  c=$("$BIN/tailor" latency --address="$addr" --users="$users" --requests="$REQUESTS" --rpc=recommend --count=10)
  echo "run $r: $s"
  echo "run $r: $c"
  seg50+=("$(sed -nE 's/.*p50 ([0-9]+) us.*/\1/p' <<<"$s")")
  seg99+=("$(sed -nE 's/.*p99 ([0-9]+) us.*/\1/p' <<<"$s")")
  rec50+=("$(sed -nE 's/.*p50 ([0-9]+) us.*/\1/p' <<<"$c")")
  rec99+=("$(sed -nE 's/.*p99 ([0-9]+) us.*/\1/p' <<<"$c")")
done
echo "median of $RUNS runs x $REQUESTS calls over loopback:"
echo "  GetSegment:             p50 $(median "${seg50[@]}") us, p99 $(median "${seg99[@]}") us"
echo "  RecommendFor (count 10): p50 $(median "${rec50[@]}") us, p99 $(median "${rec99[@]}") us"
