#!/usr/bin/env bash
# Runs the rendered manifests' containers as their pods would run, without
# a cluster: each pod in a network namespace of its own, its command and
# arguments verbatim, as the pod's user (10001) on the image's runtime root
# mounted read-only, with only the pod's volumes writable (claims shared
# between pods as on one node, emptyDirs per pod, Secrets read-only), and
# the probes asked as the kubelet would. Then it walks the README's first
# steps:
#   1. the small overlay's writer starts with no snapshot: alive (health
#      service "liveness"), not ready;
#   2. the demo store is generated in it (kubectl exec), an event is
#      recorded through it with an ingest token;
#   3. the trainer CronJob's container trains from the store and the
#      writer's event log (its claim mounted read-only) and publishes;
#   4. the writer turns ready, recommends with a read token, and its model
#      includes the recorded event;
#   5. the large overlay's read replica starts on the same snapshots with
#      TLS, its HTTP probes answer, it recommends over TLS and refuses
#      events;
#   6. SIGTERM: the writer drains and exits 0 within the pod's grace.
# Needs root, and the runtime root scripts/check-runtime-image.sh builds
# (run it first; it also copies the built binaries in).
#   sudo ./deploy/kubernetes/check-pods.sh [ROOTFS]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOTFS=${1:-/tmp/tailor-runtime-rootfs}
[ -x "$ROOTFS/usr/local/bin/tailor-server" ] || {
  echo "no runtime root at $ROOTFS: run scripts/check-runtime-image.sh first" >&2
  exit 1
}
cp build/bin/tailor-server build/bin/tailor-trainer build/bin/tailor \
  build/bin/tailor-datagen "$ROOTFS/usr/local/bin/"
WORK=$(mktemp -d)
PIDS=()
NETNS=()
MOUNTS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; --i)); do umount "${MOUNTS[$i]}" 2>/dev/null || true; done
  for n in "${NETNS[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for log in "$WORK"/*.log; do echo "--- $log" >&2; tail -20 "$log" >&2; done
  exit 1
}

# pod_spec OVERLAY KIND NAME: the pod's user, container command and
# mounts, one per line: "user UID GID", "arg ARG" (command then args),
# "mount NAME PATH RO KIND SOURCE" (KIND claim, emptyDir or secret;
# SOURCE the claim or Secret), "grace SECONDS".
pod_spec() {
  kubectl kustomize "deploy/kubernetes/overlays/$1" 2>/dev/null | python3 -c '
import sys, yaml
kind, name = sys.argv[1], sys.argv[2]
for d in yaml.safe_load_all(sys.stdin):
    if not d or d["kind"] != kind or d["metadata"]["name"] != name:
        continue
    spec = d["spec"]
    pod = (spec["jobTemplate"]["spec"]["template"]["spec"] if kind == "CronJob"
           else spec["template"]["spec"])
    sc = pod["securityContext"]
    print("user", sc["runAsUser"], sc["runAsGroup"])
    print("grace", pod.get("terminationGracePeriodSeconds", 30))
    c = pod["containers"][0]
    for a in c["command"] + c.get("args", []):
        print("arg", a)
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for t in spec.get("volumeClaimTemplates", []):
        volumes[t["metadata"]["name"]] = {
            "persistentVolumeClaim": {"claimName": "%s-%s-0" % (t["metadata"]["name"], name)}}
    for m in c["volumeMounts"]:
        v = volumes[m["name"]]
        if "persistentVolumeClaim" in v:
            k, src = "claim", v["persistentVolumeClaim"]["claimName"]
        elif "secret" in v:
            k, src = "secret", v["secret"]["secretName"]
        else:
            k, src = "emptyDir", m["name"]
        print("mount", m["name"], m["mountPath"], int(m.get("readOnly", False)), k, src)
' "$2" "$3"
}

# start_pod NAME OVERLAY KIND WORKLOAD: sets up the pod NAME (network
# namespace, read-only root with its volumes) and sets ARGS, UIDGID and
# GRACE from the rendered manifest.
start_pod() {
  local pod=$1 spec
  spec=$(pod_spec "$2" "$3" "$4")
  [ -n "$spec" ] || fail "no $3/$4 in overlays/$2"
  ARGS=()
  local root="$WORK/pods/$pod/root"
  mkdir -p "$root"
  while read -r what a b c d e; do
    case $what in
      user) UIDGID="$a:$b" ;;
      grace) GRACE=$a ;;
      arg) ARGS+=("$a") ;;
      mount)
        local src
        case $d in
          claim) src="$WORK/claims/$e" ;;
          secret) src="$WORK/secrets/$e" ;;
          emptyDir) src="$WORK/pods/$pod/empty/$a" ;;
        esac
        [ -d "$src" ] || { mkdir -p "$src" && chown 10001:10001 "$src"; }
        mkdir -p "$ROOTFS$b"
        echo "$src $b $c" >>"$WORK/pods/$pod/mounts"
        ;;
    esac
  done <<<"$spec"
  mount --bind "$ROOTFS" "$root" && MOUNTS+=("$root")
  mount -o remount,bind,ro "$root"
  mount --bind /dev "$root/dev" && MOUNTS+=("$root/dev")
  mount -t proc proc "$root/proc" && MOUNTS+=("$root/proc")
  while read -r src path ro; do
    mount --bind "$src" "$root$path" && MOUNTS+=("$root$path")
    [ "$ro" = 1 ] && mount -o remount,bind,ro "$root$path"
  done <"$WORK/pods/$pod/mounts"
  ip netns add "tailor-$pod" && NETNS+=("tailor-$pod")
  ip -n "tailor-$pod" link set lo up
}
# in_pod POD CMD...: runs CMD in the pod (kubectl exec).
in_pod() {
  local pod=$1
  shift
  ip netns exec "tailor-$pod" chroot --userspec=10001:10001 \
    "$WORK/pods/$pod/root" env -i PATH=/usr/local/bin:/usr/bin:/bin \
    HOME=/tmp "$@"
}
# http_status POD PORT PATH: the status code of GET PATH, as an httpGet
# probe asks it.
http_status() {
  ip netns exec "tailor-$1" bash -c "exec 3<>/dev/tcp/127.0.0.1/$2 &&
    printf 'GET $3 HTTP/1.0\r\n\r\n' >&3 && head -1 <&3" 2>/dev/null |
    awk '{ print $2 }'
}
# eventually TENTHS CMD...: true once CMD succeeds within TENTHS tenths of a
# second.
eventually() {
  local tenths=$1
  shift
  for _ in $(seq 1 "$tenths"); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# The Secrets: four tokens (the replicas' own ingest token among them),
# and a certificate for the Services' names.
mkdir -p "$WORK/secrets/tailor-tokens" "$WORK/secrets/tailor-tls" \
  "$WORK/secrets/tailor-replica-token"
declare -A TOKEN
for who in read ingest admin replicas; do
  TOKEN[$who]=$(openssl rand -hex 32)
  printf '%s %s sha256:%s\n' "$who" "$who" \
    "$(printf %s "${TOKEN[$who]}" | sha256sum | cut -d' ' -f1)" \
    >>"$WORK/secrets/tailor-tokens/tokens"
done
sed -i 's/^replicas replicas /replicas ingest /' "$WORK/secrets/tailor-tokens/tokens"
printf '%s\n' "${TOKEN[replicas]}" >"$WORK/secrets/tailor-replica-token/token"
tls="$WORK/secrets/tailor-tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=tailor-ca \
  -keyout "$WORK/ca.key" -out "$tls/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=tailor.tailor.svc \
  -keyout "$tls/tls.key" -out "$WORK/tls.csr" 2>/dev/null
printf 'subjectAltName=DNS:tailor.tailor.svc,DNS:tailor-writer\n' >"$WORK/san.ext"
openssl x509 -req -in "$WORK/tls.csr" -CA "$tls/ca.crt" -CAkey "$WORK/ca.key" \
  -CAcreateserial -days 2 -extfile "$WORK/san.ext" -out "$tls/tls.crt" 2>/dev/null
chgrp -R 10001 "$WORK/secrets"
chmod 0750 "$WORK/secrets"/*
chmod 0440 "$WORK/secrets"/*/*

# 1. The writer, before anything was trained.
start_pod writer small StatefulSet tailor-writer
writer_grace=$GRACE
ip netns exec tailor-writer chroot --userspec="$UIDGID" "$WORK/pods/writer/root" \
  env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp "${ARGS[@]}" \
  >"$WORK/writer.log" 2>&1 &
WRITER=$!
PIDS+=("$WRITER")
eventually 100 in_pod writer tailor health --service=liveness ||
  fail "the writer's liveness probe never passed"
in_pod writer tailor health >/dev/null 2>&1 &&
  fail "the writer is ready with no snapshot"
echo "OK: the writer runs (read-only root, uid ${UIDGID%:*}): alive, not ready before a snapshot"

# 2. The demo store, and an event through the writer.
in_pod writer tailor-datagen --out=/var/lib/tailor/store --users=2000 \
  --items=500 --events=50000 >"$WORK/datagen.log" 2>&1 ||
  fail "tailor-datagen in the writer pod"
in_pod writer tailor record U000001 SKU000001 purchase \
  --token="${TOKEN[ingest]}" >"$WORK/record.log" 2>&1 ||
  fail "recording an event through the writer"
in_pod writer tailor record U000001 SKU000001 purchase \
  --token="${TOKEN[read]}" >/dev/null 2>&1 &&
  fail "a read token recorded an event"
echo "OK: store generated in the writer pod; an event recorded with the ingest token"

# 3. The trainer CronJob's container.
start_pod trainer small CronJob tailor-trainer
ip netns exec tailor-trainer chroot --userspec="$UIDGID" "$WORK/pods/trainer/root" \
  env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp "${ARGS[@]}" \
  >"$WORK/trainer.log" 2>&1 || fail "the trainer failed"
echo "OK: the trainer read the writer's event log (mounted read-only) and published"

# 4. The writer loads it.
eventually 150 in_pod writer tailor health || fail "the writer never turned ready"
in_pod writer tailor recommend U000001 --count=3 --token="${TOKEN[read]}" \
  >"$WORK/recommend.log" 2>&1 || fail "RecommendFor on the writer"
in_pod writer tailor model --token="${TOKEN[admin]}" >"$WORK/model.log" 2>&1 ||
  fail "GetModelInfo on the writer"
grep -q "event log through sequence 1" "$WORK/model.log" ||
  fail "the model does not include the recorded event"
echo "OK: the writer serves the snapshot, which includes the recorded event"

# 5. A read replica of the large overlay, with TLS.
start_pod reader large Deployment tailor-reader
ip netns exec tailor-reader chroot --userspec="$UIDGID" "$WORK/pods/reader/root" \
  env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp "${ARGS[@]}" \
  >"$WORK/reader.log" 2>&1 &
PIDS+=("$!")
# The client's copy of the CA, in the pod's /tmp.
install -m 0444 "$tls/ca.crt" "$WORK/pods/reader/empty/tmp/tailor-ca.crt"
reader_ready() { [ "$(http_status reader 9464 /ready)" = 200 ]; }
eventually 150 reader_ready ||
  fail "the reader's readiness probe (/ready) never passed"
[ "$(http_status reader 9464 /healthz)" = 200 ] || fail "the reader's /healthz"
tls_flags=(--tls --tls_ca_file=/tmp/tailor-ca.crt --tls_server_name=tailor.tailor.svc)
in_pod reader tailor recommend U000001 --count=3 --token="${TOKEN[read]}" \
  "${tls_flags[@]}" >"$WORK/reader-recommend.log" 2>&1 ||
  fail "RecommendFor over TLS on the reader"
in_pod reader tailor recommend U000001 --token="${TOKEN[read]}" >/dev/null 2>&1 &&
  fail "the reader answered in plain text"
in_pod reader tailor record U000002 SKU000002 view --token="${TOKEN[ingest]}" \
  "${tls_flags[@]}" >"$WORK/reader-record.log" 2>&1 &&
  fail "the reader took an event"
grep -q FAILED_PRECONDITION "$WORK/reader-record.log" ||
  fail "the reader refused the event otherwise than FAILED_PRECONDITION"
echo "OK: the read replica serves the snapshot over TLS, its probes answer, it refuses events"

# 6. SIGTERM to the writer: drained and stopped within the pod's grace.
kill -TERM "$WRITER"
rc=0
for _ in $(seq 1 $((writer_grace * 10))); do
  kill -0 "$WRITER" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$WRITER" 2>/dev/null && fail "the writer still runs ${writer_grace} s after SIGTERM"
wait "$WRITER" || rc=$?
[ "$rc" = 0 ] || fail "the writer exited $rc after SIGTERM"
echo "OK: the writer drained and exited 0 within terminationGracePeriodSeconds ($writer_grace s)"
