#!/usr/bin/env bash
# Overload: RecommendFor listing pages of COUNT=100 items offered at 1x, 2x
# and 3x the server's closed-loop capacity on the 100k-item store, for two
# kinds of page (PAGES): `plain` (ranked by score) and `diverse`
# (diversity DIVERSITY=0.3, which costs the server about six times as
# much per call and the client the same). For each page and multiple: the
# share of calls answered, the p99 of the answered ones, the share refused
# (RESOURCE_EXHAUSTED, with the p99 of how long a refusal took) and the
# share that timed out (DEADLINE_EXCEEDED). The server runs on CPU
# SERVER_CPUS and tailor-bench on BENCH_CPUS (default 1 and 0), so that the
# load generator does not take the server's core and the capacity is the
# server's own. tailor-bench spends about 50 us of its core per call: it
# can offer about 17,000 calls/s, three times the plain page's capacity
# at most, and well over three times the diverse page's.
# Each round measures each server's capacity (closed loop, CLOSED_CONCURRENCY
# in flight, 10 s) and then offers each multiple of it for SECONDS_PER_RUN
# (open loop, up to OPEN_CONCURRENCY in flight, DEADLINE_MS per call).
# SERVERS="name=path ..." compares builds side by side, as in
# catalog_scale.sh; extra server flags go in SERVER_FLAGS. E.g.
#   SERVERS="before=/tmp/old/tailor-server current=build/bin/tailor-server" \
#     RUNS=3 ./bench/overload.sh    # ITEMS=100000 USERS=100000
#                                   # EVENTS=5000000 MULTIPLES="1 2 3"
#                                   # SECONDS_PER_RUN=15 DEADLINE_MS=1000
#                                   # PAGES="plain diverse"
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${ITEMS:-100000}
USERS=${USERS:-100000}
EVENTS=${EVENTS:-5000000}
RUNS=${RUNS:-3}
SECS=${SECONDS_PER_RUN:-15}
MULTIPLES=${MULTIPLES:-1 2 3}
DEADLINE_MS=${DEADLINE_MS:-1000}
COUNT=${COUNT:-100}
PAGES=${PAGES:-plain diverse}
DIVERSITY=${DIVERSITY:-0.3}
# Enough to keep the server's worker busy, below its in-flight bound.
CLOSED_CONCURRENCY=${CLOSED_CONCURRENCY:-4}
OPEN_CONCURRENCY=${OPEN_CONCURRENCY:-20000}
SERVER_CPUS=${SERVER_CPUS:-1}
BENCH_CPUS=${BENCH_CPUS:-0}
# shellcheck source=bench/lib.sh
. bench/lib.sh
make_work_dir
store_and_snapshot "$USERS" "$ITEMS" "$EVENTS"
tail -1 "$work/train.log"
# Each server through a wrapper that pins it (exec keeps the pid).
pinned=
for spec in ${SERVERS:-current=$BIN/tailor-server}; do
  wrapper="$work/pinned-${spec%%=*}"
  printf '#!/bin/sh\nexec taskset -c %s %s "$@"\n' "$SERVER_CPUS" \
    "$(realpath "${spec#*=}")" >"$wrapper"
  chmod +x "$wrapper"
  pinned="$pinned ${spec%%=*}=$wrapper"
done
# shellcheck disable=SC2086
SERVERS=$pinned start_servers ${SERVER_FLAGS:-}
# tailor-bench exits non-zero when calls failed: here that is the point.
bench() { taskset -c "$BENCH_CPUS" "$BIN/tailor-bench" "$@" || true; }
# share COUNT TOTAL: COUNT as a percentage of TOTAL.
share() { awk -v c="$1" -v t="$2" 'BEGIN { printf "%.1f", t ? 100 * c / t : 0 }'; }
# code_count CODE: calls that failed with CODE, from a report on stdin.
code_count() { sed -nE "1s/.*[(,] ?$1 ([0-9]+).*/\1/p" | grep . || echo 0; }
failed_p99() { sed -nE 's/^  failed calls: .*p99 ([0-9]+).*/\1/p' | grep . || echo -; }

# wait_idle: waits (at most 120 s) until no server uses more than 5% of a
# core: a server without overload protection goes on computing the calls
# its clients gave up on, and would take the next server's CPU.
wait_idle() {
  local pid before after
  for _ in $(seq 120); do
    busy=0
    for pid in "${pids[@]}"; do
      before=$(ticks "$pid" 14)
      sleep 0.2
      after=$(ticks "$pid" 14)
      [ $((after - before)) -gt $((hz / 100)) ] && busy=1
    done
    [ "$busy" = 0 ] && return
    sleep 1
  done
  echo "  (servers still busy after 120 s)"
}

# page_flags PAGE: tailor-bench's flags for a kind of page.
page_flags() {
  case $1 in
    plain) ;;
    diverse) echo "--diversity=$DIVERSITY" ;;
    *) echo "unknown page kind '$1' (plain or diverse)" >&2 && exit 1 ;;
  esac
}

declare -A answered p99 refused refused_p99 timed_out capacity
for r in $(seq "$RUNS"); do
  for page in $PAGES; do
    for i in "${!names[@]}"; do
      name=${names[$i]}
      wait_idle
      # shellcheck disable=SC2207
      common=(--address="${addrs[$i]}" --users_file="$work/store/users.csv"
        --deadline_ms="$DEADLINE_MS" --count="$COUNT" $(page_flags "$page"))
      out=$(bench "${common[@]}" --rate=0 \
        --concurrency="$CLOSED_CONCURRENCY" --duration=10s)
      cap=$(rate_of <<<"$out")
      cap=${cap%.*}
      capacity[$name $page]="${capacity[$name $page]:-} $cap"
      echo "run $r $page $name: closed loop $cap calls/s," \
        "p99 $(field p99 <<<"$out") us"
      for m in $MULTIPLES; do
        rate=$((cap * m))
        wait_idle
        out=$(bench "${common[@]}" --rate="$rate" \
          --concurrency="$OPEN_CONCURRENCY" --duration="${SECS}s")
        calls=$(calls_of <<<"$out")
        ok=$(sed -nE '1s/.*; ([0-9]+) ok,.*/\1/p' <<<"$out")
        re=$(code_count RESOURCE_EXHAUSTED <<<"$out")
        de=$(code_count DEADLINE_EXCEEDED <<<"$out")
        key="$name $page $m"
        answered[$key]="${answered[$key]:-} $(share "$ok" "$calls")"
        p99[$key]="${p99[$key]:-} $(field p99 <<<"$out")"
        refused[$key]="${refused[$key]:-} $(share "$re" "$calls")"
        refused_p99[$key]="${refused_p99[$key]:-} $(failed_p99 <<<"$out")"
        timed_out[$key]="${timed_out[$key]:-} $(share "$de" "$calls")"
        echo "  ${m}x ($rate calls/s offered):" \
          "answered $(share "$ok" "$calls")%, p99 $(field p99 <<<"$out") us;" \
          "refused $(share "$re" "$calls")% (p99 $(failed_p99 <<<"$out") us);" \
          "timed out $(share "$de" "$calls")%"
      done
    done
  done
done
echo
echo "medians of $RUNS runs (server on CPU $SERVER_CPUS, tailor-bench on CPU $BENCH_CPUS):"
printf '%-8s %-10s %-5s %9s %9s %10s %10s %12s %10s\n' page server load \
  offered/s answered "p99 (us)" refused "refusal p99" "timed out"
for page in $PAGES; do
  for name in "${names[@]}"; do
    # shellcheck disable=SC2086
    cap=$(median ${capacity[$name $page]})
    for m in $MULTIPLES; do
      key="$name $page $m"
      # shellcheck disable=SC2086
      printf '%-8s %-10s %-5s %9.0f %8s%% %10s %9s%% %12s %9s%%\n' "$page" \
        "$name" "${m}x" "$(awk -v c="$cap" -v m="$m" 'BEGIN { print c * m }')" \
        "$(median ${answered[$key]})" "$(median ${p99[$key]})" \
        "$(median ${refused[$key]})" \
        "$(median $(tr ' ' '\n' <<<"${refused_p99[$key]}" | grep -v -- - || echo 0))" \
        "$(median ${timed_out[$key]})"
    done
  done
done
