# Shared by the bench scripts (sourced; they set BIN first).

# make_work_dir: sets `work` to a fresh temporary directory and `server` to
# empty; at exit the servers start_server started are stopped and the
# directory removed.
make_work_dir() {
  work=$(mktemp -d)
  server=
  servers=
  trap '[ -n "$servers" ] && kill $servers 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
}

# start_server WORK SNAPSHOTS [FLAG...]: starts tailor-server in the
# background on a free loopback port with its data in WORK/data$TAG and its
# log in WORK/server$TAG.log, waits until it serves, and sets `server` (the
# pid) and `addr` (host:port). Exits, printing the log, when it does not
# start. SERVER_BIN runs another build's server (default $BIN/tailor-server);
# TAG (default empty) keeps a second server's files apart.
start_server() {
  local work=$1 snapshots=$2 tag=${TAG:-}
  shift 2
  "${SERVER_BIN:-$BIN/tailor-server}" --address=127.0.0.1:0 \
    --port_file="$work/port$tag" --snapshot_dir="$snapshots" \
    --data_dir="$work/data$tag" --require_snapshot \
    "$@" >"$work/server$tag.log" 2>&1 &
  server=$!
  servers="$servers $server"
  for _ in $(seq 1 600); do
    [ -s "$work/port$tag" ] && break
    kill -0 "$server" 2>/dev/null || { cat "$work/server$tag.log"; exit 1; }
    sleep 0.1
  done
  addr=127.0.0.1:$(cat "$work/port$tag")
  "$BIN/tailor" health --address="$addr" >/dev/null
}

# median VALUE...: the median (the mean of the middle two for an even count).
median() {
  printf '%s\n' "$@" | sort -g |
    awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# store_and_snapshot USERS ITEMS EVENTS [TRAINER_FLAG...]: generates a store
# in $work/store (log: $work/datagen.log) and trains 64 factors, 10
# iterations, into $work/snapshots (log: $work/train.log). Needs `work`
# and `BIN`.
store_and_snapshot() {
  local users=$1 items=$2 events=$3
  shift 3
  "$BIN/tailor-datagen" --users="$users" --items="$items" --events="$events" \
    --out="$work/store" >"$work/datagen.log" 2>&1
  "$BIN/tailor-trainer" train --events="$work/store/events.csv" \
    --catalog="$work/store/catalog.csv" --snapshot_dir="$work/snapshots" \
    --factors=64 --iterations=10 "$@" >"$work/train.log" 2>&1
}
