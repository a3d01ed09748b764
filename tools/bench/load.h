// tailor-bench's load generator: RecommendFor / GetSegment / RecordEvents
// mixes against a tailor-server, open loop at a target rate (latency
// measured from each call's scheduled start, so a slow server cannot hide
// its queueing: no coordinated omission) or closed loop to find the maximum
// throughput.
#ifndef TAILOR_TOOLS_BENCH_LOAD_H_
#define TAILOR_TOOLS_BENCH_LOAD_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/bench/histogram.h"
#include "tools/channel/secure_channel.h"

namespace tailor {

struct LoadOptions {
  std::string address = "127.0.0.1:8980";
  // TLS and the bearer token (none by default).
  ClientSecurity security;
  // Calls per second, spread evenly; 0 runs closed loop (`concurrency`
  // calls always in flight).
  double rate = 1000;
  absl::Duration duration = absl::Seconds(10);
  int64_t max_calls = 0;  // 0: no limit besides duration
  // Open loop: at most this many calls in flight (a call due while all are
  // busy waits, and its wait counts in its latency).
  int concurrency = 64;
  int connections = 2;  // gRPC channels, each its own TCP connection
  // Threads sending calls and counting answers, each with its own
  // completion queue and an equal share of the rate and of `concurrency`.
  int threads = 1;
  // Relative weights of the calls in the mix.
  double recommend_weight = 1;
  double segment_weight = 0;
  double record_weight = 0;
  // UpdateCatalog calls: each changes the price and stock of
  // catalog_batch items, taken in turn from `items` (a refresh of the
  // whole catalog every items.size() / catalog_batch calls).
  double catalog_weight = 0;
  int catalog_batch = 1000;
  int count = 10;  // RecommendFor count
  // RecommendFor's diversity and max_per_category (a diversified listing
  // page); 0 leaves them unset.
  float diversity = 0;
  int max_per_category = 0;
  int events_per_batch = 100;      // RecordEvents batch size
  std::vector<std::string> users;  // drawn uniformly
  std::vector<std::string> items;  // for RecordEvents and UpdateCatalog
  absl::Duration deadline = absl::Seconds(2);
  uint64_t seed = 1;
  // Prefix of generated event_ids; distinct per run so events are new.
  std::string event_id_prefix = "bench";
};

// Calls of one kind (or all).
struct CallStats {
  LatencyHistogram latency;  // successful calls, microseconds
  // Failed calls, microseconds: how long a refusal (RESOURCE_EXHAUSTED)
  // or a timeout took to arrive.
  LatencyHistogram failed_latency;
  int64_t ok = 0;
  std::map<std::string, int64_t> errors;  // by status code name
  // A failed call's message (the first one a client thread saw), by status
  // code name: why calls were refused (which bound) or failed.
  std::map<std::string, std::string> first_messages;
  int64_t failed() const;
};

// One second of the run, by scheduled start.
struct SecondStats {
  LatencyHistogram latency;
  int64_t errors = 0;
};

struct LoadReport {
  double seconds = 0;  // from the first scheduled call to the last answer
  int64_t calls = 0;
  CallStats total;
  std::map<std::string, CallStats> by_rpc;  // "recommend", "segment", ...
  std::vector<SecondStats> timeline;
  int64_t events_sent = 0;
  // Catalog items changed by UpdateCatalog calls that succeeded (applied
  // or unchanged).
  int64_t catalog_items = 0;
  // Events the server already held (RecordEvents' `duplicates`): 0 unless
  // an event_id_prefix is reused.
  int64_t events_duplicate = 0;
  // RecommendFor answers with a model_version older than one already
  // answered before the call was sent.
  int64_t version_regressions = 0;
  std::vector<std::string> versions;  // model versions seen, in order
  double achieved_rate() const { return seconds > 0 ? calls / seconds : 0; }
};

// Checks the options (the message names the flag).
absl::Status ValidateLoadOptions(const LoadOptions& options);

// Runs the load. Fails only when the options are invalid; call errors are
// counted in the report.
absl::StatusOr<LoadReport> RunLoad(const LoadOptions& options);

// Freshness: how long after RecordEvents is acknowledged the shopper's
// recommendations reflect it. Each probe takes a new shopper
// ("<prefix>-fresh-<n>"), asks RecommendFor, records a purchase of the
// second item of that list, and from the acknowledgement on asks
// RecommendFor until the purchased item is gone (polling at most
// `max_wait`).
struct FreshnessReport {
  int probes = 0;
  int changed = 0;                  // reflected within max_wait
  int changed_first_call = 0;       // reflected by the first call after the ack
  LatencyHistogram ack_to_change;   // microseconds, probes that changed
  LatencyHistogram record_latency;  // the RecordEvents call itself
};
absl::StatusOr<FreshnessReport> RunFreshness(
    const LoadOptions& options, int probes,
    absl::Duration max_wait = absl::Seconds(1));
std::string FormatFreshness(const FreshnessReport& report);

// Human-readable summary, or one JSON object (timeline included).
std::string FormatLoadReport(const LoadReport& report, bool json);

// Pools the timeline's seconds into those inside any of `windows` ([begin,
// end) seconds from the start) and the others: exact pooled latencies of
// the calls scheduled in each part.
struct WindowSplit {
  LatencyHistogram inside, outside;
  int64_t inside_errors = 0, outside_errors = 0;
};
WindowSplit SplitByWindows(
    const LoadReport& report,
    const std::vector<std::pair<int64_t, int64_t>>& windows);

// Parses "12:15,24:27" into windows; INVALID_ARGUMENT naming --windows.
absl::StatusOr<std::vector<std::pair<int64_t, int64_t>>> ParseWindows(
    absl::string_view spec);

// The two parts' calls, failures and latency, and the ratio of their p99s.
std::string FormatWindowSplit(const WindowSplit& split);

// Parses --mix ("recommend:90,segment:5,record:5") into the options'
// weights (unnamed kinds get 0); INVALID_ARGUMENT naming --mix.
absl::Status ParseMix(absl::string_view spec, LoadOptions* options);

// The timeline as tab-separated lines, one per `bucket_seconds` (from the
// start): first second, ok, errors, p50, p99, p99.9, max (microseconds),
// with a header line.
std::string FormatTimeline(const LoadReport& report, int bucket_seconds = 1);

// The first column of a CSV file (a header whose first field ends in "_id"
// is skipped; quotes are not interpreted): user or item ids for the mix.
absl::StatusOr<std::vector<std::string>> ReadIdColumn(const std::string& path);

}  // namespace tailor

#endif  // TAILOR_TOOLS_BENCH_LOAD_H_
