#!/usr/bin/env bash
# Checks the Dockerfile's runtime stage without a Docker engine: bootstraps a
# minimal Debian bookworm root, installs exactly the runtime packages the
# Dockerfile names, copies the built binaries in, and then, as an
# unprivileged user with the image's environment, runs the compose trainer
# job, the image's ENTRYPOINT and its HEALTHCHECK command.
# Needs root, debootstrap and Debian's archive; takes a few minutes the first
# time (the bootstrapped root is cached in $ROOTFS).
#   ./scripts/check-runtime-image.sh [ROOTFS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOTFS=${1:-/tmp/tailor-runtime-rootfs}
BIN=build/bin
for b in tailor-server tailor-trainer tailor tailor-datagen; do
  [ -x "$BIN/$b" ] || { echo "build first: $BIN/$b missing" >&2; exit 1; }
done
command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap

# The runtime packages, read from the Dockerfile's second stage.
PACKAGES=$(awk '/^FROM debian:bookworm-slim/ { slim = 1 }
  slim && /--no-install-recommends/ { grab = 1; next }
  grab { line = $0; sub(/\\$/, "", line); sub(/&&.*/, "", line); printf "%s ", line
         if ($0 !~ /\\$/ || $0 ~ /&&/) exit }' Dockerfile | xargs)
echo "runtime packages: $PACKAGES"

if [ ! -x "$ROOTFS/bin/sh" ]; then
  debootstrap --variant=minbase bookworm "$ROOTFS" http://deb.debian.org/debian
fi
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
# shellcheck disable=SC2086
chroot "$ROOTFS" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null"
mkdir -p "$ROOTFS/usr/local/bin"
cp "$BIN/tailor-server" "$BIN/tailor-trainer" "$BIN/tailor" "$BIN/tailor-datagen" \
  "$ROOTFS/usr/local/bin/"
for b in tailor-server tailor-trainer tailor tailor-datagen; do
  if chroot "$ROOTFS" ldd "/usr/local/bin/$b" | grep "not found"; then
    echo "FAIL: $b needs a library the runtime packages do not provide" >&2
    exit 1
  fi
done
chroot "$ROOTFS" sh -c 'id tailor >/dev/null 2>&1 ||
  useradd --system --uid 10001 --home-dir /var/lib/tailor tailor
  rm -rf /var/lib/tailor && mkdir -p /var/lib/tailor/snapshots \
    /var/lib/tailor/data /var/lib/tailor/store &&
  chown -R tailor:tailor /var/lib/tailor'

ENVS=(TAILOR_ADDRESS=127.0.0.1:18980 TAILOR_SNAPSHOT_DIR=/var/lib/tailor/snapshots
      TAILOR_DATA_DIR=/var/lib/tailor/data TAILOR_POLL_INTERVAL=5s
      TAILOR_REQUIRE_SNAPSHOT=false TAILOR_METRICS_ADDRESS=127.0.0.1:19464
      TAILOR_TOKENS_FILE= TAILOR_TLS_CERT_FILE= TAILOR_TLS_KEY_FILE=
      TAILOR_TLS_CLIENT_CA_FILE= TAILOR_ALLOW_INSECURE=false
      HOME=/var/lib/tailor
      PATH=/usr/local/bin:/usr/bin:/bin)
as_tailor() { chroot --userspec=tailor:tailor "$ROOTFS" env -i "${ENVS[@]}" "$@"; }

# The compose trainer job (small store to keep it quick).
as_tailor sh -c 'cd /var/lib/tailor && set -e
  tailor-datagen --out=/var/lib/tailor/store --users=2000 --items=500 --events=50000
  tailor-trainer train --events=/var/lib/tailor/store/events.csv \
    --catalog=/var/lib/tailor/store/catalog.csv --snapshot_dir=/var/lib/tailor/snapshots' \
  >/tmp/tailor-runtime-trainer.log 2>&1
# The image's ENTRYPOINT, verbatim.
ENTRYPOINT=$(sed -n 's/^ENTRYPOINT \["sh", "-c", "\(.*\)", "tailor-server"\]$/\1/p' Dockerfile |
  sed 's/\\"/"/g')
[ -n "$ENTRYPOINT" ] || { echo "cannot read ENTRYPOINT from Dockerfile" >&2; exit 1; }
# Started directly (not through a function) so that $! is the server itself:
# chroot, env and sh all exec.
chroot --userspec=tailor:tailor "$ROOTFS" env -i "${ENVS[@]}" \
  sh -c "$ENTRYPOINT" tailor-server >/tmp/tailor-runtime-server.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
# The image's HEALTHCHECK command, verbatim.
HEALTH=$(sed -n 's/^  CMD \["sh", "-c", "\(.*\)"\]$/\1/p' Dockerfile)
for _ in $(seq 1 50); do
  if as_tailor sh -c "$HEALTH" >/dev/null 2>&1; then
    as_tailor tailor recommend U000001 --count=3 --address=127.0.0.1:18980
    # The metrics endpoint (prometheus-cpp's runtime libraries).
    exec 3<>/dev/tcp/127.0.0.1/19464
    printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3
    grep -q '^tailor_serving 1' <&3 || {
      echo "FAIL: the metrics endpoint does not report tailor_serving 1" >&2
      exit 1
    }
    echo "OK: runtime stage works (packages, non-root user, entrypoint," \
      "healthcheck, metrics)"
    exit 0
  fi
  sleep 0.2
done
cat /tmp/tailor-runtime-server.log
echo "FAIL: the healthcheck never reported SERVING" >&2
exit 1
