#!/usr/bin/env bash
# The live catalog under load: a store of ITEMS products (as
# catalog_scale.sh: USERS shoppers, EVENTS events, 64 factors) whose whole
# catalog is refreshed through UpdateCatalog (price and stock of every item,
# 1000 items a call) while RecommendFor runs at REC_RATE calls/s. Each run
# measures, on one server, side by side for SECONDS_PER_RUN each:
#   alone:   RecommendFor alone;
#   paced:   beside a refresh at REFRESH_ITEMS_PER_S items/s (default
#            10,000: the whole catalog every 10 s), open loop;
#   fastest: beside a refresh as fast as the server takes it (one call at
#            a time).
# Prints each run and the medians: RecommendFor p99 and p99.9 in each, the
# refresh's items/s and UpdateCatalog p99, and the hypervisor's share of
# the cores.
#   ./bench/catalog_refresh.sh  # ITEMS=100000 USERS=100000 EVENTS=5000000
#                               # REC_RATE=5000 REFRESH_ITEMS_PER_S=10000
#                               # RUNS=3 SECONDS_PER_RUN=20
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${ITEMS:-100000}
USERS=${USERS:-100000}
EVENTS=${EVENTS:-5000000}
REC_RATE=${REC_RATE:-5000}
REFRESH=${REFRESH_ITEMS_PER_S:-10000}
RUNS=${RUNS:-3}
SECS=${SECONDS_PER_RUN:-20}
# shellcheck source=bench/lib.sh
. bench/lib.sh
make_work_dir
store_and_snapshot "$USERS" "$ITEMS" "$EVENTS"
tail -1 "$work/train.log"
SERVERS="current=$BIN/tailor-server" start_servers
common=(--address="${addrs[0]}" --users_file="$work/store/users.csv"
  --items_file="$work/store/catalog.csv")
# p99.9 of a tailor-bench report's "  all:" line.
p999_of() { sed -nE 's/^  all: .*p99\.9 ([0-9]+).*/\1/p'; }
# UpdateCatalog's p99 ("  catalog: N ok, ...; ... p99 X ...").
catalog_p99() { sed -nE 's/^  catalog: .* p99 ([0-9]+).*/\1/p'; }
items_per_s() { sed -nE 's/^  catalog items changed: [0-9]+ \(([0-9]+)\/s\)/\1/p'; }
declare -A p99 p999 steal
refresh_rate="" refresh_p99="" fastest_rate="" fastest_p99=""
for r in $(seq "$RUNS"); do
  for mode in alone paced fastest; do
    refresh=()
    case $mode in
      paced) refresh=(--rate="$((REFRESH / 1000))" --concurrency=4) ;;
      fastest) refresh=(--rate=0 --concurrency=1) ;;
    esac
    if [ ${#refresh[@]} -gt 0 ]; then
      "$BIN/tailor-bench" "${common[@]}" --mix=catalog:1 --catalog_batch=1000 \
        "${refresh[@]}" --duration="${SECS}s" >"$work/refresh.txt" &
      refresher=$!
    fi
    stolen_before=$(steal_ticks)
    # Refused calls (an overloaded server) are counted, not fatal.
    out=$("$BIN/tailor-bench" "${common[@]}" --mix=recommend:1 \
      --rate="$REC_RATE" --concurrency=256 --duration="${SECS}s" || true)
    stolen=$(steal_percent $(($(steal_ticks) - stolen_before)) "$SECS")
    echo "run $r, $mode: RecommendFor at $REC_RATE/s (${stolen}% of the cores stolen)"
    sed 's/^/    /' <<<"$out"
    p99[$mode]+=" $(field p99 <<<"$out")"
    p999[$mode]+=" $(p999_of <<<"$out")"
    steal[$mode]+=" $stolen"
    if [ ${#refresh[@]} -gt 0 ]; then
      wait "$refresher" || true
      echo "  the refresh beside it:"
      sed 's/^/    /' "$work/refresh.txt"
      if [ "$mode" = paced ]; then
        refresh_rate+=" $(items_per_s <"$work/refresh.txt")"
        refresh_p99+=" $(catalog_p99 <"$work/refresh.txt")"
      else
        fastest_rate+=" $(items_per_s <"$work/refresh.txt")"
        fastest_p99+=" $(catalog_p99 <"$work/refresh.txt")"
      fi
    fi
  done
done
# shellcheck disable=SC2086  # word-split the recorded values
{
  echo "medians of $RUNS runs, $ITEMS items, RecommendFor at $REC_RATE/s:"
  for mode in alone paced fastest; do
    echo "  $mode: RecommendFor p99 $(median ${p99[$mode]}) us," \
      "p99.9 $(median ${p999[$mode]}) us (runs: ${p99[$mode]# };" \
      "stolen %: ${steal[$mode]# })"
  done
  echo "  paced refresh: $(median $refresh_rate) items/s, UpdateCatalog" \
    "p99 $(median $refresh_p99) us"
  echo "  fastest refresh: $(median $fastest_rate) items/s" \
    "($(awk -v r="$(median $fastest_rate)" -v n="$ITEMS" 'BEGIN { printf "%.1f", n / r }') s" \
    "for the whole catalog), UpdateCatalog p99 $(median $fastest_p99) us"
}
