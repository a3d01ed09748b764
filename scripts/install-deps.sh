#!/usr/bin/env bash
# Installs Tailor's build and test dependencies from Debian bookworm's archive.
# Idempotent: does nothing (and needs no network) when everything is already present.
set -euo pipefail

PACKAGES=(
  cmake g++ make pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libeigen3-dev librocksdb-dev
  libgtest-dev libgmock-dev libbenchmark-dev libhnswlib-dev
  # scripts/fuzz.sh: Clang with libFuzzer and the sanitizer runtimes, and
  # llvm-symbolizer for readable sanitizer reports.
  clang libclang-rt-14-dev llvm
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
