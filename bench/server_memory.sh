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
# Then it activates the other of two published versions (a second one is
# trained with one iteration if OUT/snapshots has only one: the same
# sizes) through the Admin service, sends 5 s more, and reads VmRSS and
# VmHWM again: the peak across a swap, when the old and the new snapshot
# are held together, is what a container's memory limit must allow.
# Raw bytes: the snapshot's user and item factors and customer records
# (its files user_factors, item_factors and segments, as stored), plus, in
# memory mode, its training histories (file history): what each mode holds.
#   ./bench/server_memory.sh        # OUT=/tmp/tailor-profiles RUNS=2
# Another store size (a small shop, say) in another OUT:
#   OUT=/tmp/tailor-small SHOPPERS=100000 PRODUCTS=100000 EVENTS=5000000 \
#     ./bench/server_memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/tailor-profiles}
RUNS=${RUNS:-2}
# shellcheck source=bench/lib.sh
. bench/lib.sh
if [ -z "${SHOPPERS:-}${PRODUCTS:-}${EVENTS:-}" ]; then
  million_shopper_store "$OUT/store"
else
  generate_store_once "$OUT/store" "${SHOPPERS:-1000000}" \
    "${PRODUCTS:-30000}" "${EVENTS:-50000000}"
fi
if [ ! -s "$OUT/snapshots/CURRENT" ]; then
  "$BIN/tailor-trainer" train --events="$OUT/store/events.csv" \
    --catalog="$OUT/store/catalog.csv" --snapshot_dir="$OUT/snapshots" \
    >"$OUT/train.log" 2>&1
fi
if [ "$(find "$OUT/snapshots" -mindepth 1 -maxdepth 1 -name '0*' -type d | wc -l)" -lt 2 ]; then
  "$BIN/tailor-trainer" train --events="$OUT/store/events.csv" \
    --catalog="$OUT/store/catalog.csv" --snapshot_dir="$OUT/snapshots" \
    --iterations=1 >"$OUT/train2.log" 2>&1
fi
current=$(cat "$OUT/snapshots/CURRENT")
other=$(find "$OUT/snapshots" -mindepth 1 -maxdepth 1 -name '0*' -type d \
  -printf '%f\n' | grep -v "^$current\$" | sort | tail -1)
snapshot="$OUT/snapshots/$current"
bytes() { stat -c %s "$snapshot/$1"; }
factors=$(($(bytes user_factors) + $(bytes item_factors)))
records=$(bytes segments)
histories=$(bytes history)
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
echo "snapshot $snapshot: factors $(mb "$factors") MB, customer records" \
  "$(mb "$records") MB, training histories $(mb "$histories") MB"
make_work_dir
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
declare -A rss hwm raw swap_rss swap_hwm
raw[memory]=$((factors + records + histories))
raw[store]=$((factors + records))
for r in $(seq "$RUNS"); do
  for mode in memory store; do
    in_memory=true
    [ "$mode" = store ] && in_memory=false
    # Its own snapshot directory (hard links): the server may rewrite
    # CURRENT and delete versions.
    snaps="$work/snapshots-$mode-$r"
    cp -al "$OUT/snapshots" "$snaps"
    TAG=-$mode-$r start_server "$work" "$snaps" \
      --histories_in_memory="$in_memory" --keep_snapshots=0
    calls() {
      "$BIN/tailor-bench" --address="$addr" \
        --users_file="$OUT/store/users.csv" --mix=recommend:1,segment:1 \
        --rate=0 --concurrency=16 --duration=5s >/dev/null
    }
    calls
    rss[$mode]+=" $(status_kb "$server" VmRSS)"
    hwm[$mode]+=" $(status_kb "$server" VmHWM)"
    "$BIN/tailor" activate "$other" --address="$addr" --timeout_ms=600000 \
      >/dev/null
    calls
    swap_rss[$mode]+=" $(status_kb "$server" VmRSS)"
    swap_hwm[$mode]+=" $(status_kb "$server" VmHWM)"
    kill "$server"
    wait "$server" 2>/dev/null || true
    rm -rf "$work/data-$mode-$r" "$snaps"
    echo "run $r, $mode: VmRSS ${rss[$mode]##* } kB, VmHWM ${hwm[$mode]##* } kB;" \
      "after a swap: VmRSS ${swap_rss[$mode]##* } kB, VmHWM ${swap_hwm[$mode]##* } kB"
  done
done
for mode in memory store; do
  # shellcheck disable=SC2086
  m=$(median ${rss[$mode]})
  # shellcheck disable=SC2086
  h=$(median ${hwm[$mode]})
  # shellcheck disable=SC2086
  sr=$(median ${swap_rss[$mode]})
  # shellcheck disable=SC2086
  sh=$(median ${swap_hwm[$mode]})
  echo "$mode: resident median $(mb $((${m%.*} * 1024))) MB for" \
    "$(mb "${raw[$mode]}") MB raw:" \
    "$(awk -v m="$m" -v r="${raw[$mode]}" 'BEGIN { printf "%.2f", m * 1024 / r }')x;" \
    "peak while loading $(mb $((${h%.*} * 1024))) MB;" \
    "after a swap $(mb $((${sr%.*} * 1024))) MB, peak across it $(mb $((${sh%.*} * 1024))) MB"
done
