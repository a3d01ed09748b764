#!/usr/bin/env bash
# Served quality against offline quality, end to end. For each data set:
# tailor-trainer split writes eval's temporal split (per shopper, the latest
# 20% of their items held out); tailor-trainer eval scores every offline
# model on that same split (each tuned on validation carved from training);
# tailor-trainer train, with its defaults (self-tuning), trains on the
# training side; tailor-server serves the snapshot; tailor score asks
# RecommendFor for every test shopper through the gRPC API and scores the
# lists with eval's metrics.
#
# The served lists are asked as eval ranks offline: every item the shopper
# has a training event with left out (--also_exclude=view,click,add_to_cart
# on top of exclude_seen) and out-of-stock items allowed
# (--include_out_of_stock). The "default request" column asks with the
# request defaults (exclude_seen's rule only, in stock only). The "before"
# column trains without tuning and with purchases as the only consumption
# (--tune=false --consumed=purchase) and asks with the request defaults.
#
#   ./bench/served_quality.sh                    # demo movielens online-retail
#   DATASETS=movielens ./bench/served_quality.sh
# STRATEGIES="popularity segment-popularity item-neighbours als" also scores
# each served strategy (tailor score --strategy) on the same split and
# snapshot, in a second table.
# Data sets: demo (tailor-datagen, 20k shoppers, 3k products, 1M events),
# movielens (ml-100k's u.data as an events CSV of ratings, not through the
# MovieLens reader), online-retail (the UCI Online Retail sample, read with
# --format=online-retail).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
DATASETS=${DATASETS:-demo movielens online-retail}
DATA=${DATA:-../shared/data}
make_work_dir

# json_field NAME: a top-level JSON number field of the line on stdin.
json_field() { sed -E "s/.*\"$1\":([-0-9.eE]+).*/\1/"; }
# info KEY LOG: a snapshot fact from `tailor model`'s output.
info() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$2"; }

# prepare NAME DIR: writes the data set's input flags to DIR/input.
prepare() {
  local name=$1 dir=$2
  mkdir -p "$dir"
  case $name in
    demo)
      "$BIN/tailor-datagen" --users=20000 --items=3000 --events=1000000 \
        --out="$dir/store" >/dev/null
      echo "--events=$dir/store/events.csv --catalog=$dir/store/catalog.csv" \
        >"$dir/input"
      ;;
    movielens)
      [ -f "$DATA/ml-100k/u.data" ] || { echo "no MovieLens 100K at $DATA/ml-100k" >&2; return 1; }
      { echo "user_id,item_id,event_type,timestamp,value"
        awk -F'\t' '{ printf "%s,%s,rating,%s,%s\n", $1, $2, $4, $3 }' \
          "$DATA/ml-100k/u.data"; } >"$dir/events.csv"
      echo "--events=$dir/events.csv" >"$dir/input"
      ;;
    online-retail)
      local f=$DATA/online-retail-sample/online_retail_sample.csv
      [ -f "$f" ] || { echo "no Online Retail sample at $f" >&2; return 1; }
      echo "--format=online-retail --events=$f" >"$dir/input"
      ;;
    *) echo "unknown data set '$name'" >&2; return 1 ;;
  esac
}

# serve_and_score DIR SNAPSHOTS LABEL [SCORE_FLAG...]: starts a server on
# SNAPSHOTS, scores DIR/split/test.csv into DIR/LABEL.json, stops it.
serve_and_score() {
  local dir=$1 snapshots=$2 label=$3
  shift 3
  TAG=-$label start_server "$dir" "$snapshots"
  "$BIN/tailor" score "$dir/split/test.csv" --address="$addr" \
    --timeout_ms=30000 --json "$@" >"$dir/$label.json"
  "$BIN/tailor" model --address="$addr" >"$dir/$label.model"
  kill "$server"
  wait "$server" 2>/dev/null || true
}

STRATEGIES=${STRATEGIES:-}
strategy_rows=()
echo "| data set | test shoppers | best offline (NDCG@10) | popularity | served (± s.e.) | served / best | default request | before | tuning (s) | chosen |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for name in $DATASETS; do
  dir=$work/$name
  prepare "$name" "$dir"
  read -r -a input <"$dir/input"
  # The input flags name the catalog for the split; training reads the
  # split's files, in events format.
  "$BIN/tailor-trainer" split "${input[@]}" --protocol=temporal \
    --out="$dir/split" >"$dir/split.log" 2>&1
  "$BIN/tailor-trainer" eval "${input[@]}" --protocol=temporal --json \
    --model=popularity,popularity-recent,als,bpr,item-knn,ease \
    >"$dir/offline.json" 2>"$dir/offline.log"
  catalog=()
  [ -f "$dir/split/catalog.csv" ] && catalog=(--catalog="$dir/split/catalog.csv")
  "$BIN/tailor-trainer" train --events="$dir/split/train.csv" "${catalog[@]}" \
    --snapshot_dir="$dir/snapshots" >"$dir/train.log" 2>&1
  "$BIN/tailor-trainer" train --events="$dir/split/train.csv" "${catalog[@]}" \
    --tune=false --consumed=purchase --snapshot_dir="$dir/snapshots-before" \
    >"$dir/train-before.log" 2>&1
  serve_and_score "$dir" "$dir/snapshots" served \
    --also_exclude=view,click,add_to_cart --include_out_of_stock
  serve_and_score "$dir" "$dir/snapshots" default
  serve_and_score "$dir" "$dir/snapshots-before" before
  for strategy in $STRATEGIES; do
    serve_and_score "$dir" "$dir/snapshots" "strategy-$strategy" \
      --also_exclude=view,click,add_to_cart --include_out_of_stock \
      --strategy="$strategy"
    f=$dir/strategy-$strategy.json
    strategy_rows+=("$(printf '| %s | %s | %.4f ± %.4f | %.4f | %.4f | %.4f |' \
      "$name" "$strategy" "$(json_field ndcg <"$f")" \
      "$(json_field ndcg_standard_error <"$f")" "$(json_field precision <"$f")" \
      "$(json_field recall <"$f")" "$(json_field coverage <"$f")")")
  done

  best_model=$(while read -r line; do
    printf '%s %s\n' "$(json_field ndcg <<<"$line")" \
      "$(sed -E 's/.*"model":"([^"]*)".*/\1/' <<<"$line")"
  done <"$dir/offline.json" | sort -g -r | head -1)
  best=${best_model% *} model=${best_model#* }
  popularity=$(grep '"model":"popularity"' "$dir/offline.json" | json_field ndcg)
  served=$(json_field ndcg <"$dir/served.json")
  printf '| %s | %s | %.4f (%s) | %.4f | %.4f ± %.4f | %.3f | %.4f | %.4f | %s | %s %s |\n' \
    "$name" "$(json_field shoppers <"$dir/served.json")" "$best" "$model" \
    "$popularity" "$served" "$(json_field ndcg_standard_error <"$dir/served.json")" \
    "$(awk -v s="$served" -v b="$best" 'BEGIN { print s / b }')" \
    "$(json_field ndcg <"$dir/default.json")" "$(json_field ndcg <"$dir/before.json")" \
    "$(info tune_seconds "$dir/served.model")" "$(info serving "$dir/served.model")" \
    "$(for k in factors regularization alpha frequency_scaling learning_rate; do
         v=$(info "$k" "$dir/served.model"); [ -n "$v" ] && printf '%s=%s ' "$k" "$v"
       done)"
done
if [ ${#strategy_rows[@]} -gt 0 ]; then
  echo
  echo "| data set | strategy | NDCG@10 (± s.e.) | P@10 | R@10 | coverage |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${strategy_rows[@]}"
fi
