#!/usr/bin/env bash
# Installs missing dependencies, builds, and runs every test with ctest.
# Exits non-zero on any build or test failure.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
cd "$BUILD_DIR"
ctest --output-on-failure -j "${JOBS:-2}" --timeout 300
