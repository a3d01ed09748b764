#!/usr/bin/env bash
# Event ingestion against a real tailor-server on the demo store: RUNS runs
# of (a) RecordEvents alone, closed loop (batches of 100, 8 in flight): the
# most the server takes, and (b) RecordEvents at a steady EVENT_RATE
# events/s (batches of 100) while a second tailor-bench asks RecommendFor
# at REC_RATE calls/s, with both latencies; then freshness probes (a new
# shopper's purchase, acknowledged, and the time until their
# recommendations no longer hold the item).
# Each event is synced to RocksDB's WAL before its batch is acknowledged.
# Needs demo-data/store (./scripts/demo.sh).
#   ./bench/ingest.sh     # RUNS=3 SECONDS_PER_RUN=15 EVENT_RATE=5000 REC_RATE=1000
set -euo pipefail
cd "$(dirname "$0")/.."
STORE=${STORE:-demo-data/store}
RUNS=${RUNS:-3}
SECS=${SECONDS_PER_RUN:-15}
REC_RATE=${REC_RATE:-1000}
EVENT_RATE=${EVENT_RATE:-5000}
[ -s "$STORE/events.csv" ] || { echo "no $STORE: run ./scripts/demo.sh" >&2; exit 1; }
# shellcheck source=bench/lib.sh
. bench/lib.sh
make_work_dir
"$BIN/tailor-trainer" train --events="$STORE/events.csv" \
  --catalog="$STORE/catalog.csv" --snapshot_dir="$work/snapshots" \
  >"$work/train.log" 2>&1
start_server "$work" "$work/snapshots"
common=(--address="$addr" --users_file="$STORE/users.csv" --items_file="$STORE/catalog.csv")
rate() { sed -nE 's/.*events sent: [0-9]+ \(([0-9]+)\/s\).*/\1/p'; }
alone=() mixed=() rec99=()
for r in $(seq "$RUNS"); do
  out=$("$BIN/tailor-bench" "${common[@]}" --mix=record:1 --batch=100 \
    --rate=0 --concurrency=8 --duration="${SECS}s")
  echo "run $r, RecordEvents alone:"; sed 's/^/    /' <<<"$out"
  alone+=("$(rate <<<"$out")")
  "$BIN/tailor-bench" "${common[@]}" --mix=recommend:1 --rate="$REC_RATE" \
    --duration="${SECS}s" >"$work/rec.txt" &
  reader=$!
  out=$("$BIN/tailor-bench" "${common[@]}" --mix=record:1 --batch=100 \
    --rate="$((EVENT_RATE / 100))" --duration="${SECS}s")
  wait "$reader" || true
  echo "run $r, RecordEvents at $EVENT_RATE events/s with RecommendFor at $REC_RATE/s:"
  sed 's/^/    /' <<<"$out"; sed 's/^/    /' "$work/rec.txt"
  mixed+=("$(sed -nE 's/^  all: .*p99 ([0-9]+),.*/\1/p' <<<"$out")")
  rec99+=("$(sed -nE 's/^  all: .*p99 ([0-9]+),.*/\1/p' "$work/rec.txt")")
done
"$BIN/tailor-bench" "${common[@]}" --freshness=200
echo "medians of $RUNS runs: RecordEvents alone $(median "${alone[@]}") events/s;" \
  "at $EVENT_RATE events/s beside RecommendFor at $REC_RATE/s: RecordEvents p99" \
  "$(median "${mixed[@]}") us, RecommendFor p99 $(median "${rec99[@]}") us"
