#!/usr/bin/env bash
# Installs Tailor's build and test dependencies from Debian bookworm's archive.
# Idempotent: does nothing (and needs no network) when everything is already present.
#   ./scripts/install-deps.sh --fuzz   # also what scripts/fuzz.sh needs
set -euo pipefail

PACKAGES=(
  cmake g++ make pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libeigen3-dev librocksdb-dev
  libgtest-dev libgmock-dev libbenchmark-dev libhnswlib-dev
  # The metrics endpoint (prometheus-cpp), and Prometheus itself: promtool
  # checks the exposition in the tests, deploy/monitoring/check.sh scrapes a
  # server with it.
  prometheus-cpp-dev prometheus
  # SHA-256 of bearer tokens, checks of TLS certificates; openssl makes the
  # tests' certificates.
  libssl-dev openssl
  # The HTTP/2 proxy bench/rolling_restart.sh puts in front of two servers.
  haproxy
  # deploy_test reads the rendered Kubernetes manifests as JSON.
  python3-yaml
)
# kubectl renders deploy/kubernetes (kubectl kustomize) in deploy_test:
# Debian's kubernetes-client, unless a kubectl is installed already (one
# from another source conflicts with it).
if ! command -v kubectl >/dev/null 2>&1; then
  PACKAGES+=(kubernetes-client)
fi
if [ "${1:-}" = "--fuzz" ]; then
  # Clang with libFuzzer and the sanitizer runtimes, and llvm-symbolizer
  # for readable sanitizer reports.
  PACKAGES+=(clang libclang-rt-14-dev llvm)
fi

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
