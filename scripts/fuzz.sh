#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with Clang, AddressSanitizer and
# UBSan into build-fuzz/, and runs each for FUZZ_SECONDS (default 60) on a
# working copy of its seed corpus (fuzz/corpus/<target>/). Prints each
# target's executions, speed and coverage; exits non-zero on the first
# crash, leak or sanitizer report, whose reproducer is kept in
# build-fuzz/artifacts/<target>/ (run the target on that file to replay it;
# the script replays it once itself, with full allocation stacks).
# The runs record no allocation stacks (ASAN_OPTIONS=malloc_context_size=0
# unless ASAN_OPTIONS is set): ASan keeps every distinct stack it records
# for good, and the varied inputs of a long run make new ones without end
# (request_fuzzer grew from 336 to 602 MB in 4.2 M executions with them,
# and stayed at 299 MB for 6.5 M without), reaching -rss_limit_mb within
# the hour.
#   FUZZ_SECONDS=3600 ./scripts/fuzz.sh            # a longer run
#   FUZZ_TARGETS="readers_fuzzer" ./scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --fuzz
BUILD_DIR=${BUILD_DIR:-build-fuzz}
SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
TARGETS=${FUZZ_TARGETS:-"readers_fuzzer request_fuzzer snapshot_fuzzer records_fuzzer"}
CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
  -DTAILOR_FUZZ=ON >/dev/null
# shellcheck disable=SC2086
cmake --build "$BUILD_DIR" -j "${JOBS:-2}" --target $TARGETS
for target in $TARGETS; do
  work="$BUILD_DIR/corpus/$target" artifacts="$BUILD_DIR/artifacts/$target"
  mkdir -p "$work" "$artifacts"
  log="$BUILD_DIR/$target.log"
  echo "== $target: ${SECONDS_PER_TARGET}s"
  if ! ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=0} \
      "$BUILD_DIR/bin/$target" -max_total_time="$SECONDS_PER_TARGET" \
      -print_final_stats=1 -artifact_prefix="$artifacts/" -timeout=10 \
      -rss_limit_mb=2048 "$work" "fuzz/corpus/$target" >"$log" 2>&1; then
    tail -60 "$log"
    # shellcheck disable=SC2012
    reproducer=$(ls -t "$artifacts" | head -1)
    if [ -n "$reproducer" ]; then
      echo "== $target: replaying $artifacts/$reproducer with allocation stacks"
      "$BUILD_DIR/bin/$target" "$artifacts/$reproducer" 2>&1 | tail -80 || true
    fi
    echo "$target: FAILED (reproducer in $artifacts/)" >&2
    exit 1
  fi
  grep -E "^stat::number_of_executed_units|^stat::average_exec_per_sec|^stat::peak_rss_mb" "$log" |
    sed "s/^/  /"
  grep -E "^#[0-9]+ +DONE" "$log" | sed "s/^/  /" || true
done
