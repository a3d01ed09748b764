#!/usr/bin/env bash
# Soak: MINUTES (default 30) of mixed load on the 100k-item store:
# RecommendFor, GetSegment and RecordEvents (MIX, at RATE calls/s, open
# loop) while a new snapshot is published every SWAP_MINUTES (default 5;
# 0: none, the cost of a server between retrains). Prints one line per
# minute: calls answered and failed, p99 / p99.9 / max latency, the
# server's CPU per answered call, the share of the cores stolen by the
# hypervisor, the server's RSS, the memory its held events take and
# RocksDB's (write buffers, block cache, table readers; from /metrics), its
# open files and how many of them are RocksDB table files, and whether a
# snapshot was published in it; then the slopes of RSS and open files
# (table files and the others) after WARMUP minutes (least squares, per
# hour), the RSS growth after WARMUP against those two memories, per event
# held, the CPU per call of the last five
# minutes against the first five, and the goals: no failed call, p99.9
# <= 20 ms in every minute, RSS and open files flat.
# Extra server flags go in SERVER_FLAGS. Between retrains at 5,000
# RecommendFor/s beside 1,000 events/s:
#   MIX=recommend:50,record:1 RATE=5100 SWAP_MINUTES=0 ./bench/soak.sh
#   ./bench/soak.sh   # MINUTES=30 RATE=2000 MIX=recommend:85,segment:10,record:5
#                     # BATCH=10 SWAP_MINUTES=5 WARMUP=5 ITEMS=100000
#                     # USERS=100000 EVENTS=5000000 SERVER_FLAGS=
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${ITEMS:-100000}
USERS=${USERS:-100000}
EVENTS=${EVENTS:-5000000}
MINUTES=${MINUTES:-30}
RATE=${RATE:-2000}
MIX=${MIX:-recommend:85,segment:10,record:5}
BATCH=${BATCH:-10}
SWAP_MINUTES=${SWAP_MINUTES:-5}
WARMUP=${WARMUP:-5}
# shellcheck source=bench/lib.sh
. bench/lib.sh
make_work_dir
swaps=0
[ "$SWAP_MINUTES" -gt 0 ] && swaps=$((MINUTES / SWAP_MINUTES))
# The snapshots to publish, trained beforehand (training beside the soak
# would measure the trainer): versions 1..swaps+1 in a staging directory.
store_and_snapshot "$USERS" "$ITEMS" "$EVENTS"
mv "$work/snapshots" "$work/staging"
for _ in $(seq "$swaps"); do
  "$BIN/tailor-trainer" train --events="$work/store/events.csv" \
    --catalog="$work/store/catalog.csv" --snapshot_dir="$work/staging" \
    --factors=64 --iterations=10 >>"$work/train.log" 2>&1
done
# publish VERSION: copies a staged version into the served directory and
# points CURRENT at it, as a trainer's publish does: whole, then renamed,
# each file written in synced 4 MB steps (a plain cp would leave its 120
# MB to the kernel's writeback, which sends it to the disk in one burst
# half a minute later).
publish() {
  local f
  mkdir "$work/snapshots/$1.tmp"
  for f in "$work/staging/$1"/*; do
    dd if="$f" of="$work/snapshots/$1.tmp/${f##*/}" bs=4M oflag=dsync \
      status=none
  done
  mv "$work/snapshots/$1.tmp" "$work/snapshots/$1"
  echo "$1" >"$work/snapshots/CURRENT.tmp"
  mv "$work/snapshots/CURRENT.tmp" "$work/snapshots/CURRENT"
}
mkdir -p "$work/snapshots"
publish 00000001
metrics_port=$(free_port)
# shellcheck disable=SC2086
start_server "$work" "$work/snapshots" \
  --metrics_address="127.0.0.1:$metrics_port" ${SERVER_FLAGS:-}
# gauge NAME: the sum of the samples of gauge NAME (every label) in the
# metrics text on stdin.
gauge() {
  awk -v n="$1" '$1 == n || index($1, n "{") == 1 { s += $2 }
                 END { printf "%.0f", s }'
}
"$BIN/tailor-bench" --address="$addr" --users_file="$work/store/users.csv" \
  --rate=0 --concurrency=8 --duration=5s >/dev/null || true  # warm-up

"$BIN/tailor-bench" --address="$addr" --users_file="$work/store/users.csv" \
  --items_file="$work/store/catalog.csv" --mix="$MIX" --batch="$BATCH" \
  --rate="$RATE" --duration="${MINUTES}m" --concurrency=2000 \
  --event_id_prefix=soak --timeline="$work/timeline.tsv" \
  --timeline_bucket=60 >"$work/bench.txt" &
bench=$!
start=$(date +%s)
declare -a rss fds tables swapped cpu steal held held_mib rocksdb_mib
cpu_before=$(ticks "$server" 14) steal_before=$(steal_ticks)
for minute in $(seq 0 $((MINUTES - 1))); do
  if [ "$swaps" -gt 0 ] && [ "$minute" -gt 0 ] &&
    [ $((minute % SWAP_MINUTES)) = 0 ]; then
    publish "$(printf '%08d' $((minute / SWAP_MINUTES + 1)))"
    swapped[$minute]=" <- publish"
  fi
  # Sample at the end of the minute.
  wait_s=$((start + (minute + 1) * 60 - $(date +%s)))
  [ "$wait_s" -gt 0 ] && sleep "$wait_s"
  rss[$minute]=$(awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$server/status")
  metrics=$(scrape "$metrics_port")
  held[$minute]=$(gauge tailor_live_events_held <<<"$metrics")
  held_mib[$minute]=$(($(gauge tailor_live_events_held_bytes <<<"$metrics") >> 20))
  rocksdb_mib[$minute]=$(($(gauge tailor_rocksdb_memory_bytes <<<"$metrics") >> 20))
  fds[$minute]=$(find "/proc/$server/fd" -mindepth 1 -maxdepth 1 | wc -l)
  tables[$minute]=$(find "/proc/$server/fd" -mindepth 1 -maxdepth 1 \
    -lname '*.sst' | wc -l)
  cpu_now=$(ticks "$server" 14) steal_now=$(steal_ticks)
  cpu[$minute]=$((cpu_now - cpu_before)) steal[$minute]=$((steal_now - steal_before))
  cpu_before=$cpu_now steal_before=$steal_now
done
wait "$bench" || true

if [ "$swaps" -gt 0 ]; then
  echo "$MINUTES minutes at $RATE calls/s ($MIX, batches of $BATCH events)," \
    "a snapshot published every $SWAP_MINUTES minutes:"
else
  echo "$MINUTES minutes at $RATE calls/s ($MIX, batches of $BATCH events)," \
    "no snapshot published:"
fi
grep -E "rejected snapshot|serving snapshot" "$work/server.log" |
  sed 's/^/  server: /'
ms() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'; }
printf '%6s %8s %6s %9s %9s %9s %9s %7s %8s %9s %9s %6s %6s\n' minute ok \
  failed "p99 ms" "p99.9 ms" "max ms" "CPU us" stolen "RSS MiB" "held MiB" \
  "RocksDB" files tables
declare -a per_call
while read -r second ok errors _ p99 p999 max; do
  m=$((second / 60))
  [ "$m" -lt "$MINUTES" ] || continue
  per_call[$m]=$(per_call "${cpu[$m]}" "$((ok > 0 ? ok : 1))")
  printf '%6d %8d %6d %9.1f %9.1f %9.1f %9s %6s%% %8s %9s %9s %6s %6s%s\n' \
    "$m" "$ok" "$errors" "$(ms "$p99")" "$(ms "$p999")" "$(ms "$max")" \
    "${per_call[$m]}" "$(steal_percent "${steal[$m]}" 60)" "${rss[$m]}" \
    "${held_mib[$m]}" "${rocksdb_mib[$m]}" "${fds[$m]}" "${tables[$m]}" \
    "${swapped[$m]:-}"
done < <(awk 'NR > 1' "$work/timeline.tsv")
# The server's CPU per answered call, last five minutes against first five.
if [ "$MINUTES" -ge 10 ]; then
  mean5() { printf '%s\n' "$@" | awk '{ s += $1 } END { printf "%.1f", s / NR }'; }
  first=$(mean5 "${per_call[@]:0:5}")
  last=$(mean5 "${per_call[@]:$((MINUTES - 5)):5}")
  echo "server CPU per call: first five minutes $first us, last five $last us" \
    "($(awk -v a="$first" -v b="$last" 'BEGIN { printf "%+.1f", 100 * (b - a) / a }')%; goal within 10%)"
fi
# slope_per_hour VALUES...: least-squares slope over minutes WARMUP.., per
# hour.
slope_per_hour() {
  printf '%s\n' "$@" | awk -v w="$WARMUP" '
    NR > w { x = NR - 1; n++; sx += x; sy += $1; sxx += x * x; sxy += x * $1 }
    END { if (n < 2) { print "n/a"; exit }
          printf "%.1f", 60 * (n * sxy - sx * sy) / (n * sxx - sx * sx) }'
}
others=()
for m in "${!fds[@]}"; do others[$m]=$((fds[m] - tables[m])); done
echo "after minute $WARMUP: RSS $(slope_per_hour "${rss[@]}") MiB/hour" \
  "(from ${rss[$WARMUP]} MiB), open files $(slope_per_hour "${fds[@]}")/hour" \
  "(from ${fds[$WARMUP]}): RocksDB table files" \
  "$(slope_per_hour "${tables[@]}")/hour (from ${tables[$WARMUP]}, growing" \
  "with the event log), others $(slope_per_hour "${others[@]}")/hour" \
  "(from ${others[$WARMUP]})"
# Resident memory against what the server accounts for, after WARMUP: the
# events it holds (tailor_live_events_held_bytes) and RocksDB's write
# buffers, block cache and table readers (tailor_rocksdb_memory_bytes, each
# bounded); per event held.
last=$((MINUTES - 1))
if [ "$last" -gt "$WARMUP" ]; then
  events=$((held[last] - held[WARMUP]))
  per_event() { awk -v m="$1" -v e="$events" 'BEGIN { printf "%.0f", (e > 0 ? m * 1048576 / e : 0) }'; }
  rss_growth=$((rss[last] - rss[WARMUP]))
  held_growth=$((held_mib[last] - held_mib[WARMUP]))
  rocksdb_growth=$((rocksdb_mib[last] - rocksdb_mib[WARMUP]))
  rest=$((rss_growth - held_growth - rocksdb_growth))
  echo "minutes $WARMUP-$last: $events more events held; RSS +$rss_growth MiB" \
    "($(per_event "$rss_growth") B per event): events held +$held_growth MiB" \
    "($(per_event "$held_growth") B as counted), RocksDB +$rocksdb_growth MiB," \
    "the rest +$rest MiB ($(per_event "$rest") B per event)"
fi
# RocksDB's own account of the run (its info logs in the data directory).
events_in_logs() { cat "$work"/data/LOG* | grep -c "\"event\": \"$1\"" || true; }
echo "RocksDB: $(events_in_logs flush_finished) write buffers flushed," \
  "$(events_in_logs compaction_finished) compactions"
worst=$(awk 'NR > 1 { if ($6 > w) w = $6 } END { printf "%.1f", w / 1000 }' \
  "$work/timeline.tsv")
echo "worst minute's p99.9: $worst ms (goal <= 20 ms)"
sed 's/^/  /' "$work/bench.txt"
