#!/usr/bin/env bash
# Memory per event held since the snapshot (--live_events_mb): generates a
# USERS x ITEMS x EVENTS store, trains 64 factors, starts two servers on
# the snapshot, one holding the events in memory (the default) and one not
# (--live_events_mb=0), records LIVE events into each (batches of 100, as
# fast as they take them; tailor-bench's record mix), and reads each
# server's VmRSS before and after (after a RecommendFor pass over every
# shopper, so both have read what they serve). Prints the growth per event
# of each and the difference: what holding the events costs in resident
# memory, against what LiveEvents accounts (tailor_live_events_held_bytes).
#   ./bench/live_memory.sh   # USERS=100000 ITEMS=100000 EVENTS=5000000
#                            # LIVE=1000000
set -euo pipefail
cd "$(dirname "$0")/.."
USERS=${USERS:-100000}
ITEMS=${ITEMS:-100000}
EVENTS=${EVENTS:-5000000}
LIVE=${LIVE:-1000000}
# shellcheck source=bench/lib.sh
. bench/lib.sh
make_work_dir
store_and_snapshot "$USERS" "$ITEMS" "$EVENTS"
SERVERS="held=$BIN/tailor-server read=$BIN/tailor-server@--live_events_mb=0" \
  start_servers
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
declare -A before after
for i in "${!names[@]}"; do
  before[$i]=$(rss_kb "${pids[$i]}")
  "$BIN/tailor-bench" --address="${addrs[$i]}" \
    --users_file="$work/store/users.csv" \
    --items_file="$work/store/catalog.csv" --mix=record:1 --batch=100 \
    --rate=0 --concurrency=8 --max_calls=$((LIVE / 100)) --duration=3600s \
    --event_id_prefix=live --seed=7 | sed -n "1s/^/${names[$i]}: /p"
  "$BIN/tailor-bench" --address="${addrs[$i]}" \
    --users_file="$work/store/users.csv" --mix=recommend:1 --rate=0 \
    --concurrency=16 --max_calls="$USERS" --duration=600s >/dev/null
  after[$i]=$(rss_kb "${pids[$i]}")
done
for i in "${!names[@]}"; do
  echo "${names[$i]}: VmRSS ${before[$i]} kB -> ${after[$i]} kB:" \
    "$(awk -v a="${before[$i]}" -v b="${after[$i]}" -v n="$LIVE" \
      'BEGIN { printf "%.0f", (b - a) * 1024 / n }') bytes per event"
done
echo "held - read: $(awk -v h="$((after[0] - before[0]))" \
  -v r="$((after[1] - before[1]))" -v n="$LIVE" \
  'BEGIN { printf "%.0f", (h - r) * 1024 / n }') bytes per event held in memory"
