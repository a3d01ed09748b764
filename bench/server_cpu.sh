#!/usr/bin/env bash
# Server CPU per RecommendFor call at a steady rate, builds side by side:
# generates the store catalog_scale.sh uses (100 k shoppers, 100 k
# products, 5 M events, 64 factors), starts each of SERVERS
# ("name=path ...", default current=build/bin/tailor-server) on the same
# snapshot, and runs RecommendFor alone at RATE calls/s for
# SECONDS_PER_RUN against each in turn, RUNS rounds. Each run prints the
# server's CPU time per call (from /proc), the latencies and the share of
# the cores stolen; then the medians per build. E.g.
#   SERVERS="before=/tmp/old/tailor-server current=build/bin/tailor-server" \
#     ./bench/server_cpu.sh   # RATE=5000 RUNS=3 SECONDS_PER_RUN=10
# Each round runs the servers in turn, in reverse order every other round,
# and reports each server's CPU per call as a ratio to the first server's
# in the same round; the median of those paired ratios is the comparison
# (a second copy of the first build, "a=B b=B", shows the noise floor).
# One build with and without a feature ("name=path@FLAG@FLAG"):
#   SERVERS="off=build/bin/tailor-server \
#     on=build/bin/tailor-server@--metrics_address=127.0.0.1:0" \
#     ./bench/server_cpu.sh
# EXPERIMENT="NAME --arms=..." creates that experiment (tailor
# create-experiment) on the servers named in EXPERIMENT_ON (default: all
# but the first) before the runs, e.g. the cost of assignment and exposure
# logging, both arms serving the model:
#   SERVERS="off=build/bin/tailor-server on=build/bin/tailor-server" \
#     EXPERIMENT="cost --arms=a:als:5000:control,b:als:5000" \
#     ./bench/server_cpu.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${RATE:-5000}
RUNS=${RUNS:-3}
SECS=${SECONDS_PER_RUN:-10}
# shellcheck source=bench/lib.sh
. bench/lib.sh
make_work_dir
store_and_snapshot 100000 100000 5000000
start_servers
if [ -n "${EXPERIMENT:-}" ]; then
  for i in "${!names[@]}"; do
    [ "$i" -eq 0 ] && [ -z "${EXPERIMENT_ON:-}" ] && continue
    [ -n "${EXPERIMENT_ON:-}" ] && [[ " $EXPERIMENT_ON " != *" ${names[$i]} "* ]] && continue
    # shellcheck disable=SC2086  # EXPERIMENT is a name and flags
    "$BIN/tailor" --address="${addrs[$i]}" create-experiment $EXPERIMENT >/dev/null
    echo "experiment on the ${names[$i]} server: $EXPERIMENT"
  done
fi
declare -A cpu p99 ratio this
order=("${!names[@]}")
for r in $(seq "$RUNS"); do
  for ((k = 0; k < ${#order[@]}; ++k)); do
    i=${order[$k]}
    [ $((r % 2)) -eq 0 ] && i=${order[$((${#order[@]} - 1 - k))]}
    name=${names[$i]}
    before=$(ticks "${pids[$i]}" 14)
    stolen_before=$(steal_ticks)
    out=$("$BIN/tailor-bench" --address="${addrs[$i]}" \
      --users_file="$work/store/users.csv" --mix=recommend:1 \
      --rate="$RATE" --concurrency=256 --duration="${SECS}s") || true  # refusals are reported
    after=$(ticks "${pids[$i]}" 14)
    stolen=$(steal_percent $(($(steal_ticks) - stolen_before)) "$SECS")
    us=$(per_call $((after - before)) "$(calls_of <<<"$out")")
    echo "run $r, $name server: $us us of server CPU per call," \
      "${stolen}% of the cores stolen; $(grep '^  all:' <<<"$out" | sed 's/^ *//')"
    cpu[$name]+=" $us"
    this[$name]=$us
    p99[$name]+=" $(field p99 <<<"$out")"
  done
  for name in "${names[@]}"; do
    ratio[$name]+=" $(awk -v a="${this[$name]}" -v b="${this[${names[0]}]}" \
      'BEGIN { printf "%.3f", a / b }')"
  done
done
for name in "${names[@]}"; do
  # shellcheck disable=SC2086  # word-split the recorded values
  echo "medians of $RUNS runs, $name server, RecommendFor at $RATE/s:" \
    "server CPU per call $(median ${cpu[$name]}) us (runs: ${cpu[$name]# })," \
    "p99 $(median ${p99[$name]}) us;" \
    "CPU per call / ${names[0]}'s in the same round: median $(median ${ratio[$name]})" \
    "(rounds: ${ratio[$name]# })"
done
