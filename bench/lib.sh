# Shared by the bench scripts, which source it first, from the repository
# root: BIN (default build/bin) and a check that the build is there.
BIN=${BIN:-build/bin}
for binary in tailor-server tailor-trainer tailor-datagen tailor tailor-bench; do
  [ -x "$BIN/$binary" ] || {
    echo "$BIN/$binary is missing: build first (./scripts/build.sh)" >&2
    exit 1
  }
done
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

# make_work_dir: sets `work` to a fresh temporary directory and `server` to
# empty; at exit the servers start_server started are stopped and the
# directory removed.
make_work_dir() {
  work=$(mktemp -d)
  server=
  servers=
  trap '[ -n "$servers" ] && { kill $servers 2>/dev/null || true; }; wait 2>/dev/null; rm -rf "$work"' EXIT
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
  addr=$(wait_for_server "$work/port$tag" "$server" "$work/server$tag.log" 600)
}

# start_servers [FLAG...]: starts each "name=path" of SERVERS (default
# current=$BIN/tailor-server) with FLAGs on the snapshots in
# $work/snapshots, warms each up (5 s of closed-loop RecommendFor pages in
# the factors and the histories), and sets the arrays `names`, `addrs` and
# `pids`, in SERVERS' order. "name=path@FLAG@FLAG" gives one server flags
# of its own (one build with and without a feature, side by side).
start_servers() {
  names=() addrs=() pids=()
  local spec binary
  local -a own
  for spec in ${SERVERS:-current=$BIN/tailor-server}; do
    binary=${spec#*=}
    IFS=@ read -r -a own <<<"${binary#*@}"
    [ "$binary" = "${binary%%@*}" ] && own=()
    TAG=-${spec%%=*} SERVER_BIN=${binary%%@*} start_server "$work" \
      "$work/snapshots" "$@" "${own[@]}"
    names+=("${spec%%=*}") addrs+=("$addr") pids+=("$server")
    "$BIN/tailor-bench" --address="$addr" \
      --users_file="$work/store/users.csv" --mix=recommend:1 --rate=0 \
      --concurrency=16 --duration=5s >/dev/null || true  # refusals are fine
  done
}

# free_port: a loopback port nothing listens on (for a server that must
# keep its port across a restart, or a tool that cannot pick its own).
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

# scrape PORT: the body of GET /metrics on a loopback metrics endpoint.
scrape() {
  exec 3<>"/dev/tcp/127.0.0.1/$1"
  printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  sed '1,/^\r$/d' <&3
  exec 3<&-
}

# median VALUE...: the median (the mean of the middle two for an even count).
median() {
  printf '%s\n' "$@" | sort -g |
    awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# generate_store_once DIR USERS ITEMS EVENTS: generates a synthetic store
# in DIR unless DIR/events.csv is there already (the large stores are kept
# between runs). Needs `BIN`.
generate_store_once() {
  if [ ! -s "$1/events.csv" ]; then
    "$BIN/tailor-datagen" --users="$2" --items="$3" --events="$4" --out="$1"
  fi
}

# million_shopper_store DIR: the 1 M-shopper x 30 k-product x 50 M-event
# store (~1.8 GB of CSV) that profiles_scale.sh and server_memory.sh share.
million_shopper_store() { generate_store_once "$1" 1000000 30000 50000000; }

# store_and_snapshot USERS ITEMS EVENTS [TRAINER_FLAG...]: generates a store
# in $work/store (log: $work/datagen.log) and trains 64 factors, 10
# iterations, as given (no tuning: the serving benchmarks measure that model
# shape), into $work/snapshots (log: $work/train.log). Needs `work` and
# `BIN`.
store_and_snapshot() {
  local users=$1 items=$2 events=$3
  shift 3
  "$BIN/tailor-datagen" --users="$users" --items="$items" --events="$events" \
    --out="$work/store" >"$work/datagen.log" 2>&1
  "$BIN/tailor-trainer" train --events="$work/store/events.csv" \
    --catalog="$work/store/catalog.csv" --snapshot_dir="$work/snapshots" \
    --factors=64 --iterations=10 --tune=false "$@" >"$work/train.log" 2>&1
}

# CPU accounting for the load scripts (catalog_scale.sh, server_cpu.sh).
hz=$(getconf CLK_TCK)
# ticks PID FIELD: CPU time (user + system, in clock ticks) from
# /proc/PID/stat: FIELD 14 for the process itself, 16 for its waited-for
# children.
ticks() { awk -v f="$2" '{ print $f + $(f + 1) }' "/proc/$1/stat"; }
# per_call TICKS CALLS: microseconds of CPU per call (one decimal).
per_call() {
  awk -v t="$1" -v c="$2" -v hz="$hz" 'BEGIN { printf "%.1f", t * 1e6 / hz / c }'
}
# The machine's stolen time so far (ticks): the hypervisor running other
# guests on our cores. Shared machines steal in bursts, and a burst inside
# a run shows in its tail, so each run reports its share.
steal_ticks() { awk '/^cpu / { print $9 }' /proc/stat; }
# steal_percent TICKS SECONDS: stolen share of all cores' time.
steal_percent() {
  awk -v t="$1" -v s="$2" -v hz="$hz" -v n="$(nproc)" \
    'BEGIN { printf "%.1f", 100 * t / hz / s / n }'
}
# Fields of a tailor-bench report (text form) on stdin.
calls_of() { sed -nE 's/^([0-9]+) calls in .*/\1/p'; }
rate_of() { sed -nE 's/^[0-9]+ calls in .*: ([0-9.]+) calls\/s;.*/\1/p'; }
field() { sed -nE "s/^  all: .*$1 ([0-9]+).*/\1/p"; }
