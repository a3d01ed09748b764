// tailor-bench: a gRPC load generator for tailor-server. Parses flags and
// calls RunLoad (load.h).
//
//   tailor-bench --rate=2000 --duration=30s --users_file=store/users.csv
//   tailor-bench --rate=0 --concurrency=32      closed loop: max throughput
//   tailor-bench --mix=recommend:90,segment:5,record:5
//       --items_file=store/catalog.csv --json
//   tailor-bench --freshness=200     ack-to-changed-recommendation probes
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tools/bench/load.h"
#include "tools/channel/security_flags.h"

ABSL_FLAG(std::string, address, "127.0.0.1:8980", "tailor-server host:port");
ABSL_FLAG(double, rate, 1000, "calls per second (0: closed loop)");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "how long to run");
ABSL_FLAG(int64_t, max_calls, 0, "stop after this many calls (0: no limit)");
ABSL_FLAG(int, concurrency, 64,
          "calls in flight at most (closed loop: always)");
ABSL_FLAG(int, connections, 2, "gRPC channels (TCP connections)");
ABSL_FLAG(int, threads, 1,
          "client threads, each with its own completion queue (one keeps up "
          "with about 10,000 calls/s)");
ABSL_FLAG(std::string, mix, "recommend:1",
          "call weights, e.g. recommend:90,segment:5,record:5,catalog:1");
ABSL_FLAG(int, count, 10, "RecommendFor count");
ABSL_FLAG(float, diversity, 0,
          "RecommendFor diversity (0: unset), as a storefront asks for a "
          "diversified listing page");
ABSL_FLAG(int, max_per_category, 0, "RecommendFor max_per_category (0: unset)");
ABSL_FLAG(int, batch, 100, "events per RecordEvents call");
ABSL_FLAG(int, catalog_batch, 1000,
          "items per UpdateCatalog call (mix catalog: price and stock of "
          "the --items_file items in turn)");
ABSL_FLAG(std::string, users_file, "",
          "CSV whose first column holds the user ids to call with");
ABSL_FLAG(int, users, 10000,
          "without --users_file: this many synthetic ids user-0, user-1, ...");
ABSL_FLAG(std::string, items_file, "",
          "CSV whose first column holds item ids (for RecordEvents)");
ABSL_FLAG(int, deadline_ms, 2000, "deadline per call");
ABSL_FLAG(uint64_t, seed, 1, "random seed (users, items, mix)");
ABSL_FLAG(std::string, event_id_prefix, "",
          "prefix of generated event ids (default: unique per run)");
ABSL_FLAG(int, freshness, 0,
          "instead of a load: N probes of how soon a recorded purchase "
          "leaves the shopper's recommendations");
ABSL_FLAG(std::string, windows, "",
          "also compare the calls scheduled inside these seconds with the "
          "others, e.g. 12:15,24:27 (BEGIN:END from the start)");
ABSL_FLAG(bool, json, false, "print one JSON object (with the timeline)");
ABSL_FLAG(std::string, timeline, "",
          "also write ok/errors/p50/p99/p99.9/max per --timeline_bucket to "
          "this TSV file");
ABSL_FLAG(int, timeline_bucket, 1, "seconds per line of --timeline");

namespace {

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "tailor-bench: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Load-tests tailor-server.\n  tailor-bench [--rate=N|0] "
      "[--duration=30s] [--mix=recommend:90,segment:5,record:5] "
      "[--users_file=users.csv] [--items_file=catalog.csv] [--json]");
  absl::ParseCommandLine(argc, argv);
  tailor::LoadOptions o;
  o.address = absl::GetFlag(FLAGS_address);
  o.security = tailor::ClientSecurityFromFlags();
  o.rate = absl::GetFlag(FLAGS_rate);
  o.duration = absl::GetFlag(FLAGS_duration);
  o.max_calls = absl::GetFlag(FLAGS_max_calls);
  o.concurrency = absl::GetFlag(FLAGS_concurrency);
  o.connections = absl::GetFlag(FLAGS_connections);
  o.threads = absl::GetFlag(FLAGS_threads);
  o.count = absl::GetFlag(FLAGS_count);
  o.diversity = absl::GetFlag(FLAGS_diversity);
  o.max_per_category = absl::GetFlag(FLAGS_max_per_category);
  o.events_per_batch = absl::GetFlag(FLAGS_batch);
  o.catalog_batch = absl::GetFlag(FLAGS_catalog_batch);
  o.deadline = absl::Milliseconds(absl::GetFlag(FLAGS_deadline_ms));
  o.seed = absl::GetFlag(FLAGS_seed);
  if (absl::Status s = tailor::ParseMix(absl::GetFlag(FLAGS_mix), &o);
      !s.ok()) {
    return Fail(s);
  }
  if (const std::string f = absl::GetFlag(FLAGS_users_file); !f.empty()) {
    absl::StatusOr<std::vector<std::string>> users = tailor::ReadIdColumn(f);
    if (!users.ok()) return Fail(users.status());
    o.users = *std::move(users);
  } else {
    for (int u = 0; u < absl::GetFlag(FLAGS_users); ++u) {
      o.users.push_back(absl::StrCat("user-", u));
    }
  }
  if (const std::string f = absl::GetFlag(FLAGS_items_file); !f.empty()) {
    absl::StatusOr<std::vector<std::string>> items = tailor::ReadIdColumn(f);
    if (!items.ok()) return Fail(items.status());
    o.items = *std::move(items);
  }
  o.event_id_prefix = absl::GetFlag(FLAGS_event_id_prefix);
  if (o.event_id_prefix.empty()) {
    o.event_id_prefix =
        absl::StrCat("bench-", getpid(), "-", absl::ToUnixMicros(absl::Now()));
  }
  if (const int probes = absl::GetFlag(FLAGS_freshness); probes > 0) {
    absl::StatusOr<tailor::FreshnessReport> fresh =
        tailor::RunFreshness(o, probes);
    if (!fresh.ok()) return Fail(fresh.status());
    std::fputs(tailor::FormatFreshness(*fresh).c_str(), stdout);
    return fresh->changed == fresh->probes ? 0 : 1;
  }
  absl::StatusOr<std::vector<std::pair<int64_t, int64_t>>> windows =
      tailor::ParseWindows(absl::GetFlag(FLAGS_windows));
  if (!windows.ok()) return Fail(windows.status());
  absl::StatusOr<tailor::LoadReport> report = tailor::RunLoad(o);
  if (!report.ok()) return Fail(report.status());
  if (!windows->empty()) {
    std::fputs(
        tailor::FormatWindowSplit(tailor::SplitByWindows(*report, *windows))
            .c_str(),
        stdout);
  }
  std::fputs(
      tailor::FormatLoadReport(*report, absl::GetFlag(FLAGS_json)).c_str(),
      stdout);
  if (const std::string f = absl::GetFlag(FLAGS_timeline); !f.empty()) {
    std::ofstream out(f);
    out << tailor::FormatTimeline(*report,
                                  absl::GetFlag(FLAGS_timeline_bucket));
    if (!out) return Fail(absl::UnavailableError("cannot write --timeline"));
  }
  return report->total.failed() == 0 ? 0 : 1;
}
