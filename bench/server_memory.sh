#!/usr/bin/env bash
# Server memory at 1 M customers (the target: resident memory <= 1.3x
# the raw bytes the server holds). Generates once, in OUT (shared with
# profiles_scale.sh), the 1 M-shopper x 30 k-product x 50 M-event store, and
# trains one snapshot with the trainer's defaults (32 factors) into
# OUT/snapshots. Then RUNS times, for each mode, starts tailor-server on a
# fresh data directory (it imports the snapshot into RocksDB), sends 5 s of
# closed-loop RecommendFor + GetSegment calls, and reads the server's VmRSS
# and VmHWM (the peak, while loading) from /proc. Modes:
#   memory: the default, training histories held in memory;
#   store:  --histories_in_memory=false, histories read from RocksDB.
# Raw bytes: the snapshot's user and item factors and customer records
# (its files user_factors, item_factors and segments, as stored), plus, in
# memory mode, its training histories (file history): what each mode holds.
#   ./bench/server_memory.sh        # OUT=/tmp/tailor-profiles RUNS=2
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/tailor-profiles}
RUNS=${RUNS:-2}
# shellcheck source=bench/lib.sh
. bench/lib.sh
million_shopper_store "$OUT/store"
if [ ! -s "$OUT/snapshots/CURRENT" ]; then
  "$BIN/tailor-trainer" train --events="$OUT/store/events.csv" \
    --catalog="$OUT/store/catalog.csv" --snapshot_dir="$OUT/snapshots" \
    >"$OUT/train.log" 2>&1
fi
snapshot="$OUT/snapshots/$(cat "$OUT/snapshots/CURRENT")"
bytes() { stat -c %s "$snapshot/$1"; }
factors=$(($(bytes user_factors) + $(bytes item_factors)))
records=$(bytes segments)
histories=$(bytes history)
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
echo "snapshot $snapshot: factors $(mb "$factors") MB, customer records" \
  "$(mb "$records") MB, training histories $(mb "$histories") MB"
make_work_dir
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
declare -A rss hwm raw
raw[memory]=$((factors + records + histories))
raw[store]=$((factors + records))
for r in $(seq "$RUNS"); do
  for mode in memory store; do
    in_memory=true
    [ "$mode" = store ] && in_memory=false
    TAG=-$mode-$r start_server "$work" "$OUT/snapshots" \
      --histories_in_memory="$in_memory"
    "$BIN/tailor-bench" --address="$addr" --users_file="$OUT/store/users.csv" \
      --mix=recommend:1,segment:1 --rate=0 --concurrency=16 --duration=5s \
      >/dev/null
    rss[$mode]+=" $(status_kb "$server" VmRSS)"
    hwm[$mode]+=" $(status_kb "$server" VmHWM)"
    kill "$server"
    wait "$server" 2>/dev/null || true
    rm -rf "$work/data-$mode-$r"
    echo "run $r, $mode: VmRSS ${rss[$mode]##* } kB, VmHWM ${hwm[$mode]##* } kB"
  done
done
for mode in memory store; do
  # shellcheck disable=SC2086
  m=$(median ${rss[$mode]})
  # shellcheck disable=SC2086
  h=$(median ${hwm[$mode]})
  echo "$mode: resident median $(mb $((${m%.*} * 1024))) MB for" \
    "$(mb "${raw[$mode]}") MB raw:" \
    "$(awk -v m="$m" -v r="${raw[$mode]}" 'BEGIN { printf "%.2f", m * 1024 / r }')x;" \
    "peak while loading $(mb $((${h%.*} * 1024))) MB"
done
