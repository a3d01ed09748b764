#!/usr/bin/env bash
# End-to-end demo on a fresh Debian machine: installs dependencies if
# missing, builds (Release), generates the synthetic clothing store, trains a
# model and the customer segments, starts tailor-server on 127.0.0.1, asks
# for recommendations and segments for three shoppers (a long history, a
# short history, an unknown visitor), lists the segments, picks a win-back
# audience and stops the server.
#   USERS=20000 ITEMS=3000 EVENTS=1000000 ./scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
USERS=${USERS:-20000}
ITEMS=${ITEMS:-3000}
EVENTS=${EVENTS:-1000000}
OUT=${DEMO_DIR:-$ROOT/demo-data}
BIN=$ROOT/build/bin
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

step() { printf '\n== %s\n' "$*"; }

step "Building (Release)"
./scripts/build.sh --target tailor-server tailor-trainer tailor-datagen tailor

step "Generating the synthetic clothing store ($USERS shoppers, $ITEMS products, $EVENTS events)"
rm -rf "$OUT"
"$BIN/tailor-datagen" --out="$OUT/store" --users="$USERS" --items="$ITEMS" \
  --events="$EVENTS"

step "Training implicit ALS and the customer segments, publishing a snapshot"
"$BIN/tailor-trainer" train --events="$OUT/store/events.csv" \
  --catalog="$OUT/store/catalog.csv" --snapshot_dir="$OUT/snapshots"

step "Starting tailor-server on 127.0.0.1"
"$BIN/tailor-server" --address=127.0.0.1:0 --port_file="$OUT/port" \
  --snapshot_dir="$OUT/snapshots" --data_dir="$OUT/data" \
  --require_snapshot >"$OUT/server.log" 2>&1 &
SERVER=$!
cleanup() {
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
}
trap cleanup EXIT
ADDR=$(wait_for_server "$OUT/port" "$SERVER" "$OUT/server.log")
echo "serving on $ADDR"

# Shoppers to ask about: a loyal customer (the 99th percentile of history
# length), a newcomer (the 10th percentile, at least three events), and a
# visitor the store has never seen.
read -r LONG SHORT < <(awk -F, 'NR > 1 { n[$1]++ } END { for (u in n) print n[u], u }' \
  "$OUT/store/events.csv" | sort -n -k1,1 -k2,2 | awk '$1 >= 3' |
  awk '{ line[NR] = $2 } END { print line[int(NR * 0.99)], line[int(NR * 0.10) + 1] }')
UNKNOWN=new-visitor-0001

describe() {  # what the data says about a shopper
  awk -F, -v u="$1" '
    FILENAME ~ /users.csv$/ { if ($1 == u) taste = $3; next }
    FILENAME ~ /catalog.csv$/ { cat[$1] = $3; next }
    $1 == u { events++; if ($3 == "purchase") { bought++; c[cat[$2]]++ } }
    END {
      top = ""; for (k in c) top = top sprintf("%s %d, ", k, c[k]);
      printf "  history: %d events, %d purchases (%s)\n", events, bought,
             top == "" ? "none" : substr(top, 1, length(top) - 2);
      printf "  planted taste (ground truth from the generator): %s\n", taste
    }' "$OUT/store/users.csv" "$OUT/store/catalog.csv" "$OUT/store/events.csv"
}

step "A loyal customer (long history): recommendations and segment"
describe "$LONG"
"$BIN/tailor" recommend "$LONG" --address="$ADDR"
"$BIN/tailor" segment "$LONG" --address="$ADDR"

step "A newcomer (short history): recommendations and segment"
describe "$SHORT"
"$BIN/tailor" recommend "$SHORT" --address="$ADDR"
"$BIN/tailor" segment "$SHORT" --address="$ADDR"

step "An unknown visitor: recommendations and segment"
"$BIN/tailor" recommend "$UNKNOWN" --address="$ADDR"
# GetSegment answers NOT_FOUND for a shopper without a profile: the
# storefront treats them as new.
"$BIN/tailor" segment "$UNKNOWN" --address="$ADDR" || true

step "The visitor puts two dresses in the cart: personalised at once"
# Recorded events are durable before they are acknowledged; the next
# RecommendFor folds them into the visitor's vector (no retraining).
read -r DRESS1 DRESS2 < <(awk -F, '$3 == "dresses" && $8 == "true" { print $1 }' \
  "$OUT/store/catalog.csv" | head -n 2 | paste -sd' ')
for ITEM in "$DRESS1" "$DRESS2"; do
  "$BIN/tailor" record "$UNKNOWN" "$ITEM" add_to_cart --address="$ADDR"
done
"$BIN/tailor" recommend "$UNKNOWN" --address="$ADDR"

step "...and buys one: it leaves the list, and the visitor has a profile"
"$BIN/tailor" record "$UNKNOWN" "$DRESS1" purchase --address="$ADDR"
"$BIN/tailor" recommend "$UNKNOWN" --count=5 --address="$ADDR"
"$BIN/tailor" segment "$UNKNOWN" --address="$ADDR"

step "Customer segments: behavioural clusters and RFM segments"
"$BIN/tailor" segments --address="$ADDR"

step "A win-back audience: valuable customers slipping away"
"$BIN/tailor" audience --rfm="At Risk,Can't Lose Them" --min_churn=0.5 \
  --order=monetary --page_size=8 --address="$ADDR"

step "Similar items for a new arrival (in the catalog, no events yet)"
# The generator's newest SKUs have no events: the trainer gives them the
# factor vector their category, brand, color and price band predict.
NEW_ITEM=$(tail -n 1 "$OUT/store/catalog.csv" | cut -d, -f1)
awk -F, -v i="$NEW_ITEM" '$1 == i { printf "  %s: %s (%s, %s, %s, %s)\n", $1, $2, $3, $4, $5, $6 }' \
  "$OUT/store/catalog.csv"
"$BIN/tailor" similar "$NEW_ITEM" --count=5 --address="$ADDR"

step "The serving model and the snapshots on disk (Admin service)"
"$BIN/tailor" model --address="$ADDR"
"$BIN/tailor" snapshots --address="$ADDR"

step "Stopping the server"
cleanup
trap - EXIT
echo "done: data, snapshots and server log are in $OUT"
