#!/usr/bin/env bash
# The approximate (IVF) path on trained factors: generates a clothing store
# with ITEMS products, trains 64-factor implicit ALS with --ann=on, and
# prints the trainer's index line (lists, chosen widths, recall@10 and
# recall@100 against exact search over sampled users, with and without a
# filter keeping 15% of the catalog), serves the snapshot and prints the
# model info's ann entries and one shopper's list through the real server,
# then runs ann_bench's exact and IVF searches on the trained factors
# (median of 3).
#   ./bench/ann_trained.sh   # ITEMS=1000000 USERS=200000 EVENTS=10000000
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${ITEMS:-1000000}
USERS=${USERS:-200000}
EVENTS=${EVENTS:-10000000}
. bench/lib.sh
make_work_dir
store_and_snapshot "$USERS" "$ITEMS" "$EVENTS" --ann=on
grep -E "ann index|published" "$work/train.log"
start_server "$work" "$work/snapshots"
"$BIN/tailor" --address="$addr" model | grep -E "ann"
user=$(sed -n 2p "$work/store/users.csv" | cut -d, -f1)
"$BIN/tailor" --address="$addr" recommend "$user" --count=5
kill "$server"; wait "$server" 2>/dev/null || true; server=
TAILOR_ANN_SNAPSHOT_DIR="$work/snapshots" "$BIN/ann_bench" \
  --benchmark_filter='^BM_Ann[A-Za-z0-9]*/0/' --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true 2>&1 | grep -E "median|Benchmark"
