#!/usr/bin/env bash
# RecommendFor end to end over loopback on a 100k-item catalog (the serving
# target: >= 5,000 calls/s at p99 <= 5 ms): generates a store (USERS
# shoppers, ITEMS products, EVENTS events), trains 64 factors, starts
# tailor-server, and runs RUNS times
# tailor-bench's RecommendFor at REC_RATE calls/s for SECONDS_PER_RUN while
# a second tailor-bench records EVENT_RATE events/s (batches of 10). Prints
# each run and the medians of the achieved rate and p50/p99. Server and
# load generators share the machine's 2 cores.
# SERVERS="name=path/to/tailor-server ..." starts each of those servers
# (default: current=build/bin/tailor-server) on the same snapshot and
# alternates runs between them in that order, printing medians for each:
# a side-by-side comparison of builds. Each round then also runs
# RecommendFor alone in closed loop (16 in flight, CLOSED_SECONDS, default
# 10) against each server: its throughput and CPU per call when calls
# queue up. E.g.
#   SERVERS="before=/tmp/old/build/bin/tailor-server current=build/bin/tailor-server"
#   ./bench/catalog_scale.sh   # ITEMS=100000 USERS=100000 EVENTS=5000000
#                              # REC_RATE=5000 EVENT_RATE=1000 RUNS=3
#                              # SECONDS_PER_RUN=20 RETRIEVAL=auto
#                              # PRELOAD_EVENTS=0
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${ITEMS:-100000}
USERS=${USERS:-100000}
EVENTS=${EVENTS:-5000000}
REC_RATE=${REC_RATE:-5000}
EVENT_RATE=${EVENT_RATE:-1000}
RUNS=${RUNS:-3}
SECS=${SECONDS_PER_RUN:-20}
CLOSED_SECS=${CLOSED_SECONDS:-10}
RETRIEVAL=${RETRIEVAL:-auto}
PRELOAD_EVENTS=${PRELOAD_EVENTS:-0}
# shellcheck source=bench/lib.sh
. bench/lib.sh
make_work_dir
store_and_snapshot "$USERS" "$ITEMS" "$EVENTS"
tail -1 "$work/train.log"
start_servers --retrieval="$RETRIEVAL"
# PRELOAD_EVENTS: events recorded into each server first (batches of 100,
# as fast as it takes them), to measure a server that has run for a while
# since its snapshot: 600000 is 10 minutes at EVENT_RATE 1000.
if [ "$PRELOAD_EVENTS" -gt 0 ]; then
  for i in "${!names[@]}"; do
    "$BIN/tailor-bench" --address="${addrs[$i]}" \
      --users_file="$work/store/users.csv" \
      --items_file="$work/store/catalog.csv" --mix=record:1 --batch=100 \
      --rate=0 --concurrency=8 --max_calls=$((PRELOAD_EVENTS / 100)) \
      --duration=3600s --event_id_prefix=preload --seed=7 |
      sed -n "1s/^/${names[$i]} server, preload: /p"
  done
fi
declare -A rates p50 p99 server_cpu client_cpu closed_rates closed_p99 \
  closed_cpu steal
for r in $(seq "$RUNS"); do
  for i in "${!names[@]}"; do
    name=${names[$i]}
    common=(--address="${addrs[$i]}" --users_file="$work/store/users.csv"
      --items_file="$work/store/catalog.csv")
    "$BIN/tailor-bench" "${common[@]}" --mix=record:1 --batch=10 \
      --rate="$((EVENT_RATE / 10))" --duration="${SECS}s" >"$work/record.txt" &
    writer=$!
    before=$(ticks "${pids[$i]}" 14)
    stolen_before=$(steal_ticks)
    # The subshell reports the load generator's CPU time once it has
    # waited for it.
    out=$("$BIN/tailor-bench" "${common[@]}" --mix=recommend:1 \
      --rate="$REC_RATE" --concurrency=256 --duration="${SECS}s"
      me=$BASHPID
      echo "client ticks $(ticks "$me" 16)")
    after=$(ticks "${pids[$i]}" 14)
    stolen=$(steal_percent $(($(steal_ticks) - stolen_before)) "$SECS")
    wait "$writer" || true
    calls=$(calls_of <<<"$out")
    # CPU per RecommendFor call (the server's includes the RecordEvents
    # calls beside them).
    server_cpu[$name]+=" $(per_call $((after - before)) "$calls")"
    client_cpu[$name]+=" $(per_call "$(sed -nE 's/^client ticks ([0-9]+)/\1/p' <<<"$out")" "$calls")"
    echo "run $r, $name server: RecommendFor at $REC_RATE/s beside RecordEvents at $EVENT_RATE events/s (${stolen}% of the cores stolen)"
    steal[$name]+=" $stolen"
    grep -v '^client ticks' <<<"$out" | sed 's/^/    /'
    sed 's/^/    /' "$work/record.txt"
    rates[$name]+=" $(rate_of <<<"$out")"
    p50[$name]+=" $(field p50 <<<"$out")"
    p99[$name]+=" $(field p99 <<<"$out")"
  done
  for i in "${!names[@]}"; do
    name=${names[$i]}
    before=$(ticks "${pids[$i]}" 14)
    out=$("$BIN/tailor-bench" --address="${addrs[$i]}" \
      --users_file="$work/store/users.csv" --mix=recommend:1 --rate=0 \
      --concurrency=16 --duration="${CLOSED_SECS}s")
    after=$(ticks "${pids[$i]}" 14)
    echo "run $r, $name server: RecommendFor alone, closed loop, 16 in flight"
    sed 's/^/    /' <<<"$out"
    closed_rates[$name]+=" $(rate_of <<<"$out")"
    closed_p99[$name]+=" $(field p99 <<<"$out")"
    closed_cpu[$name]+=" $(per_call $((after - before)) "$(calls_of <<<"$out")")"
  done
done
for name in "${names[@]}"; do
  # shellcheck disable=SC2086  # word-split the recorded values
  echo "medians of $RUNS runs, $name server, $ITEMS items, retrieval=$RETRIEVAL:" \
    "RecommendFor $(median ${rates[$name]}) calls/s," \
    "p50 $(median ${p50[$name]}) us, p99 $(median ${p99[$name]}) us" \
    "(runs: ${p99[$name]# }; stolen %: ${steal[$name]# });" \
    "CPU per call: server $(median ${server_cpu[$name]}) us," \
    "RecommendFor load generator $(median ${client_cpu[$name]}) us;" \
    "closed loop: $(median ${closed_rates[$name]}) calls/s," \
    "p99 $(median ${closed_p99[$name]}) us, server CPU per call" \
    "$(median ${closed_cpu[$name]}) us"
done
