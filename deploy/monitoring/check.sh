#!/usr/bin/env bash
# Checks the monitoring setup against the real thing: starts tailor-server
# (a generated store, USERS x ITEMS, one trained snapshot) with its metrics
# endpoint, sends it the mixed load with tailor-bench (RecommendFor,
# GetSegment, RecordEvents, at RATE calls/s for LOAD_SECONDS), and starts
# Debian's Prometheus on loopback scraping it every second with
# alerts.yml loaded. Then:
#   - promtool check metrics on the endpoint's output;
#   - promtool check rules alerts.yml and promtool test rules
#     alerts_test.yml;
#   - every expression of dashboard.json, run through Prometheus' query API
#     (promtool query instant): each must evaluate, and the main panels
#     must return data;
#   - the number of series one server exports under this load.
# Exits non-zero on the first failure.
#   ./deploy/monitoring/check.sh   # USERS=5000 ITEMS=2000 EVENTS=200000
#                                  # RATE=500 LOAD_SECONDS=40
set -euo pipefail
cd "$(dirname "$0")/../.."
USERS=${USERS:-5000}
ITEMS=${ITEMS:-2000}
EVENTS=${EVENTS:-200000}
RATE=${RATE:-500}
LOAD_SECONDS=${LOAD_SECONDS:-40}
here=deploy/monitoring
# shellcheck source=bench/lib.sh
. bench/lib.sh
for tool in prometheus promtool; do
  command -v "$tool" >/dev/null || {
    echo "$tool is missing: ./scripts/install-deps.sh installs Debian's" \
      "prometheus package" >&2
    exit 1
  }
done
make_work_dir

fail() { echo "FAIL: $*" >&2; exit 1; }

store_and_snapshot "$USERS" "$ITEMS" "$EVENTS"
metrics_port=$(free_port)
start_server "$work" "$work/snapshots" \
  --metrics_address="127.0.0.1:$metrics_port"
echo "tailor-server at $addr, metrics at 127.0.0.1:$metrics_port"

prom_port=$(free_port)
sed -e "s|@TARGET@|127.0.0.1:$metrics_port|" \
  -e "s|@RULES@|$PWD/$here/alerts.yml|" >"$work/prometheus.yml" <<'YAML'
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - @RULES@
scrape_configs:
  - job_name: tailor
    static_configs:
      - targets: ["@TARGET@"]
YAML
promtool check config "$work/prometheus.yml" >/dev/null ||
  fail "promtool check config"
prometheus --config.file="$work/prometheus.yml" \
  --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
servers="$servers $!"
prom=http://127.0.0.1:$prom_port

"$BIN/tailor-bench" --address="$addr" --users_file="$work/store/users.csv" \
  --items_file="$work/store/catalog.csv" \
  --mix=recommend:85,segment:10,record:5 --batch=10 --rate="$RATE" \
  --duration="${LOAD_SECONDS}s" --concurrency=200 \
  --event_id_prefix=monitoring >"$work/bench.txt"
sed 's/^/  bench: /' "$work/bench.txt" | head -3

# promtool query instant EXPR -> its output (fails the check on an error).
query() {
  promtool query instant "$prom" "$1" 2>"$work/query.err" ||
    fail "query '$1': $(cat "$work/query.err")"
}
# Prometheus scraped the server and evaluated the rules.
[ "$(query 'up{job="tailor"}' | grep -c '=> 1')" = 1 ] ||
  fail "Prometheus did not scrape tailor-server (see $work/prometheus.log)"

scrape "$metrics_port" >"$work/metrics.txt"
promtool check metrics <"$work/metrics.txt" ||
  fail "promtool check metrics"
echo "promtool check metrics: ok"
promtool check rules "$here/alerts.yml" | sed 's/^/  /'
promtool test rules "$here/alerts_test.yml" | sed 's/^/  /'

# Every dashboard expression evaluates; the ones that must have data do.
dashboard_exprs() {
  sed -n 's/^ *"expr": "\(.*\)",\{0,1\}$/\1/p' "$here/dashboard.json" |
    sed -e 's/\\"/"/g' -e 's/\\\\/\\/g' \
      -e 's/job=~"\$job",instance=~"\$instance"/job="tailor"/g' \
      -e 's/\$__rate_interval/30s/g'
}
n=0
while IFS= read -r expr; do
  query "$expr" >/dev/null
  n=$((n + 1))
done < <(dashboard_exprs)
echo "dashboard: all $n expressions evaluate"
for expr in \
  'sum(rate(grpc_server_handled_total{job="tailor",grpc_method="RecommendFor",grpc_code="OK"}[30s])) > 0' \
  'histogram_quantile(0.99, sum by (le) (rate(grpc_server_handling_seconds_bucket{job="tailor",grpc_method="RecommendFor"}[30s]))) > 0' \
  'sum(rate(tailor_recommended_items_total{job="tailor"}[30s])) > 0' \
  'sum(rate(tailor_events_total{job="tailor",outcome="recorded"}[30s])) > 0' \
  'tailor_snapshot_info{job="tailor"} == 1' \
  'tailor_memory_bytes{job="tailor",component="user_factors"} > 0' \
  'process_resident_memory_bytes{job="tailor"} > 0'; do
  [ -n "$(query "$expr")" ] || fail "no data for $expr"
done
echo "dashboard: rate, latency, items, events, snapshot and memory have data"

series=$(query 'count({job="tailor"})' | sed -n 's/.*=> \([0-9]*\) @.*/\1/p')
samples=$(grep -vc '^#' "$work/metrics.txt")
echo "series exported by one server under the mixed load: $samples" \
  "(Prometheus stores $series for the job, with up and the scrape's own)"
