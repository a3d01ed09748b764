#!/usr/bin/env bash
# Configures and builds Tailor (Release by default) into ./build.
#   BUILD_DIR=build-asan CMAKE_ARGS="-DTAILOR_ASAN=ON" ./scripts/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-Release}
# shellcheck disable=SC2086
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" ${CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR" -j "${JOBS:-2}" "$@"
