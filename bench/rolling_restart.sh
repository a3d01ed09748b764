#!/usr/bin/env bash
# Rolling restart behind a real HTTP/2 proxy: two tailor-servers (a demo
# store, USERS x ITEMS x EVENTS, one trained snapshot) behind Debian's
# HAProxy on loopback, which balances gRPC over HTTP/2 and checks each
# server's /ready (the metrics port). Under the mixed load (tailor-bench,
# RATE calls/s for LOAD_SECONDS) each server in turn gets SIGTERM (it turns not
# ready, answers for --drain_seconds, closes, writes its queued events),
# is started again on its data directory, and rejoins once ready. Prints
# the bench's report (goal: 0 failed calls) and the proxy's view of the
# servers going down and up.
#   ./bench/rolling_restart.sh   # RATE=1000 LOAD_SECONDS=30 USERS=20000
#                                # ITEMS=3000 EVENTS=300000 DRAIN=2
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${RATE:-1000}
LOAD_SECONDS=${LOAD_SECONDS:-30}
USERS=${USERS:-20000}
ITEMS=${ITEMS:-3000}
EVENTS=${EVENTS:-300000}
DRAIN=${DRAIN:-2}
# shellcheck source=bench/lib.sh
. bench/lib.sh
command -v haproxy >/dev/null || {
  echo "haproxy is missing: ./scripts/install-deps.sh installs Debian's" >&2
  exit 1
}
make_work_dir
store_and_snapshot "$USERS" "$ITEMS" "$EVENTS"

declare -A grpc_port metrics_port pid
# launch NAME: starts server NAME on its ports and data directory.
launch() {
  "$BIN/tailor-server" --address="127.0.0.1:${grpc_port[$1]}" \
    --metrics_address="127.0.0.1:${metrics_port[$1]}" \
    --snapshot_dir="$work/snapshots" --data_dir="$work/data-$1" \
    --drain_seconds="$DRAIN" >>"$work/server-$1.log" 2>&1 &
  pid[$1]=$!
  servers="$servers ${pid[$1]}"
}
# wait_ready NAME: until its /ready answers 200.
wait_ready() {
  for _ in $(seq 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/${metrics_port[$1]}" &&
      printf 'GET /ready HTTP/1.0\r\n\r\n' >&3 && head -1 <&3 | grep -q 200) \
      2>/dev/null; then
      return
    fi
    sleep 0.1
  done
  cat "$work/server-$1.log" >&2
  exit 1
}
for s in a b; do
  grpc_port[$s]=$(free_port)
  metrics_port[$s]=$(free_port)
  launch "$s"
done
for s in a b; do wait_ready "$s"; done

proxy_port=$(free_port)
cat >"$work/haproxy.cfg" <<CFG
global
  maxconn 4096
defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response
frontend grpc
  bind 127.0.0.1:$proxy_port proto h2
  default_backend tailor
backend tailor
  balance roundrobin
  option httpchk GET /ready
  http-check expect status 200
  server a 127.0.0.1:${grpc_port[a]} proto h2 check port ${metrics_port[a]} check-proto h1 inter 200ms fall 1 rise 2
  server b 127.0.0.1:${grpc_port[b]} proto h2 check port ${metrics_port[b]} check-proto h1 inter 200ms fall 1 rise 2
CFG
haproxy -c -q -f "$work/haproxy.cfg"
haproxy -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
servers="$servers $!"
sleep 1

"$BIN/tailor-bench" --address="127.0.0.1:$proxy_port" \
  --users_file="$work/store/users.csv" --items_file="$work/store/catalog.csv" \
  --mix=recommend:85,segment:10,record:5 --rate="$RATE" \
  --duration="${LOAD_SECONDS}s" --concurrency=500 \
  --event_id_prefix=rolling >"$work/bench.txt" &
bench=$!
start=$(date +%s.%N)
stamp() { awk -v s="$start" -v n="$(date +%s.%N)" 'BEGIN { printf "%5.1f s", n - s }'; }
for s in a b; do
  sleep $((LOAD_SECONDS / 5))
  echo "$(stamp): SIGTERM to server $s"
  kill -TERM "${pid[$s]}"
  wait "${pid[$s]}" || { echo "server $s exited non-zero" >&2; exit 1; }
  echo "$(stamp): server $s stopped; starting it again"
  launch "$s"
  wait_ready "$s"
  echo "$(stamp): server $s ready"
done
wait "$bench" || true
grep -oE "Server tailor/[ab] is (DOWN|UP)" "$work/haproxy.log" |
  sed 's/^/  haproxy: /'
sed 's/^/  /' "$work/bench.txt"
