#!/usr/bin/env bash
# The crash test's long run: KILLS (default 100) kill -9s of tailor-server
# at random moments, while it records events, starts up importing a
# snapshot, or imports one it polled; every acknowledged event must be
# stored exactly once. (The suite runs the same test with 20.)
#   ./scripts/crash_loop.sh            # KILLS=100 BUILD_DIR=build
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
[ -x "$BUILD_DIR/bin/crash_test" ] || {
  echo "$BUILD_DIR/bin/crash_test is missing: build first (./scripts/build.sh)" >&2
  exit 1
}
TAILOR_CRASH_KILLS=${KILLS:-100} "$BUILD_DIR/bin/crash_test"
