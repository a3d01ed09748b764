#!/usr/bin/env bash
# Reproduces the model-quality figures of docs/performance.md on MovieLens
# 100K: surprise-5fold RMSE / MAE and the time for all five folds (median of
# RUNS runs), and the random-75-25 ranking table (deterministic: one run).
#   ./bench/model_quality.sh            # DATA=../shared/data/ml-100k RUNS=3
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/ml-100k}
RUNS=${RUNS:-3}
TRAINER=${TRAINER:-build/bin/tailor-trainer}
[ -f "$DATA/u1.base" ] || { echo "no MovieLens 100K at $DATA" >&2; exit 1; }
[ -x "$TRAINER" ] || { echo "build first: ./scripts/build.sh" >&2; exit 1; }

# field NAME: the value of a top-level JSON number field on stdin.
field() { sed -E "s/.*\"$1\":([-0-9.eE]+).*/\1/"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

echo "## surprise-5fold (official u1..u5 folds), median of $RUNS runs"
echo "| model | RMSE | MAE | train + predict, 5 folds (s) | tuning (s) |"
echo "|---|---|---|---|---|"
for model in svd svdpp bayesian-mf; do
  for _ in $(seq "$RUNS"); do
    "$TRAINER" eval --data="$DATA" --format=movielens --protocol=surprise-5fold \
      --model="$model" --json 2>/dev/null
  done >"$tmp"
  printf '| %s | %.4f | %.4f | %.2f | %.2f |\n' "$model" \
    "$(head -1 "$tmp" | field rmse)" "$(head -1 "$tmp" | field mae)" \
    "$(field seconds <"$tmp" | median)" "$(field tune_seconds <"$tmp" | median)"
done

echo
echo "## random-75-25 (seed 42), every ranking model tuned on validation"
echo "| model | P@10 | R@10 | NDCG@10 | MAP@10 | coverage | tune + train (s) |"
echo "|---|---|---|---|---|---|---|"
"$TRAINER" eval --data="$DATA" --format=movielens --protocol=random-75-25 \
  --json 2>/dev/null >"$tmp"
while read -r line; do
  model=$(sed -E 's/.*"model":"([^"]*)".*/\1/' <<<"$line")
  printf '| %s | %.4f | %.4f | %.4f | %.4f | %.3f | %.2f |\n' "$model" \
    "$(field precision <<<"$line")" "$(field recall <<<"$line")" \
    "$(field ndcg <<<"$line")" "$(field map <<<"$line")" \
    "$(field coverage <<<"$line")" \
    "$(echo "$(field tune_seconds <<<"$line") $(field train_seconds <<<"$line")" |
      awk '{ print $1 + $2 }')"
done <"$tmp"
