#!/usr/bin/env bash
# Hot-swap under load: tailor-bench sends RecommendFor at a steady RATE for
# DURATION seconds while new snapshots are published into the server's
# snapshot directory (atomic rename + CURRENT switch, as tailor-trainer
# does): three good ones and, between them, a corrupt one (a truncated
# user_factors file). The server polls every 500 ms. Prints every
# second's p99, the p99 of all calls scheduled in the 3 s after each
# publish against that of all the other calls, the failed calls and the
# answers carrying an older model_version than one already seen.
# Needs demo-data/store (./scripts/demo.sh); trains five small snapshots
# first (a few seconds each).
#   ./bench/hotswap.sh              # RATE=1000 DURATION=60
set -euo pipefail
cd "$(dirname "$0")/.."
STORE=${STORE:-demo-data/store}
RATE=${RATE:-1000}
DURATION=${DURATION:-60}
[ -s "$STORE/events.csv" ] || { echo "no $STORE: run ./scripts/demo.sh" >&2; exit 1; }
# shellcheck source=bench/lib.sh
. bench/lib.sh
make_work_dir

echo "training 5 snapshots (seeds 1..5) into a staging directory"
for seed in 1 2 3 4 5; do
  "$BIN/tailor-trainer" train --events="$STORE/events.csv" \
    --catalog="$STORE/catalog.csv" --snapshot_dir="$work/stage" \
    --seed="$seed" >"$work/train-$seed.log" 2>&1
done

mkdir -p "$work/live"
# publish VERSION [corrupt]: copy the staged version in under a temporary
# name, rename it, then switch CURRENT by rename.
publish() {
  cp -r "$work/stage/$1" "$work/live/$1.tmp"
  [ "${2:-}" = corrupt ] && truncate -s 100 "$work/live/$1.tmp/user_factors"
  sync "$work/live/$1.tmp"
  mv "$work/live/$1.tmp" "$work/live/$1"
  echo "$1" >"$work/live/CURRENT.tmp"
  mv "$work/live/CURRENT.tmp" "$work/live/CURRENT"
}
publish 00000001
start_server "$work" "$work/live" --poll_interval=500ms
"$BIN/tailor-bench" --address="$addr" --rate="$RATE" --duration=3s \
  --users_file="$STORE/users.csv" >/dev/null  # warm-up

step=$((DURATION / 5))
marks=("$step" "$((2 * step))" "$((3 * step))" "$((4 * step))")
windows=$(for m in "${marks[@]}"; do printf '%d:%d,' "$m" "$((m + 3))"; done)
"$BIN/tailor-bench" --address="$addr" --rate="$RATE" \
  --duration="${DURATION}s" --users_file="$STORE/users.csv" \
  --timeline="$work/timeline.tsv" --windows="${windows%,}" >"$work/bench.txt" &
bench=$!
for v in 2 3 4 5; do
  sleep "$step"
  if [ "$v" = 4 ]; then publish 0000000$v corrupt; else publish 0000000$v; fi
done
wait "$bench" || true
grep -E "rejected snapshot|serving snapshot" "$work/server.log" | sed 's/^/  server: /'
awk -v marks="${marks[*]}" '
  BEGIN { n = split(marks, m, " ") }
  NR > 1 {
    s = $1; swap = 0
    for (i = 1; i <= n; i++) if (s >= m[i] && s < m[i] + 3) swap = 1
    printf "  second %2d  ok %5d  errors %d  p50 %6d us  p99 %6d us%s\n", s, $2, $3, $4, $5, swap ? "  <- publish" : ""
  }' "$work/timeline.tsv"
cat "$work/bench.txt"
