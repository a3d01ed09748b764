# Shared by scripts/demo.sh and the bench scripts (sourced; BIN set first).

# wait_for_server PORT_FILE PID LOG [TENTHS]: waits (up to TENTHS tenths of
# a second, default 100) until the tailor-server PID has written its port to
# PORT_FILE and answers its health check, then prints 127.0.0.1:PORT. Exits,
# printing LOG, when the server stops first or never writes its port.
wait_for_server() {
  local port_file=$1 pid=$2 log=$3 tenths=${4:-100}
  for _ in $(seq 1 "$tenths"); do
    [ -s "$port_file" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
  done
  [ -s "$port_file" ] || { cat "$log" >&2; exit 1; }
  local addr=127.0.0.1:$(cat "$port_file")
  "$BIN/tailor" health --address="$addr" >/dev/null || exit 1
  echo "$addr"
}
