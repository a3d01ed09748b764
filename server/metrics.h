// Tailor's own metrics (prefixed tailor_), counted where things happen:
// recommendations by reason and by scoring path, fold-ins, events by type
// and outcome, the event log's writes, snapshot loads, swaps and
// rejections. The values read at scrape time (the serving snapshot, memory,
// RocksDB, the queues) are live_metrics.h's; the per-RPC ones
// grpc_metrics.h's. All of them live in one prometheus::Registry that
// metrics_endpoint.h serves.
//
// Cardinality is bounded by construction: labels take values from fixed
// lists (reasons, paths, event types, status codes), never ids.
#ifndef TAILOR_SERVER_METRICS_H_
#define TAILOR_SERVER_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/serving/recommender.h"
#include "server/grpc_metrics.h"
#include "tailor/v1/recommender.pb.h"

namespace tailor {

// How a RecommendFor call's list was scored: one of the retrieval paths,
// or no personalised part at all (an unknown shopper, no vector).
enum class ScoringPath { kExact, kInt8, kAnn, kFallback };
inline constexpr int kScoringPaths = 4;

// What became of one recorded event.
enum class EventOutcome { kRecorded, kDuplicate, kInvalid };
inline constexpr int kEventOutcomes = 3;

// What became of exposures (server/exposure_log.h).
enum class ExposureOutcome { kLogged, kDropped, kRetried };
inline constexpr int kExposureOutcomes = 3;

// Why a call's credentials were refused (a label; never the token).
enum class AuthFailure { kMissing, kUnknown, kForbidden };

// Thread safety: every method may be called from any thread at once (the
// counters are atomic; a histogram takes its own short lock).
class ServerMetrics {
 public:
  ServerMetrics();
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  // Every family of the server, these and others registered into it.
  const std::shared_ptr<prometheus::Registry>& registry() const {
    return registry_;
  }
  // The per-RPC metrics of the Recommender and Admin services.
  GrpcMetrics* rpc() { return rpc_.get(); }

  // One RecommendFor answer: its items by reason, their count, the path.
  void CountRecommendation(const v1::RecommendResponse& response,
                           ScoringPath path);
  // Items of a SimilarItems or BoughtTogether answer (`reason` is theirs).
  void CountItems(v1::Reason reason, int items);
  // A shopper's vector solved from their live events (not from the cache).
  void CountFoldIn(absl::Duration took);
  // A shopper's vector found in the fold-in cache.
  void CountFoldInCached();
  // One event of a RecordEvents or StreamEvents batch. `type` may be any
  // value the client sent (unknown ones count as EVENT_TYPE_UNSPECIFIED).
  void CountEvent(int type, EventOutcome outcome);
  // One synced write of the event log: `events` events, or a failure.
  void CountEventWrite(absl::Duration took, int64_t events, bool ok);
  // `n` exposures stored, dropped (the queue was full) or written again
  // after a failed write.
  void CountExposures(ExposureOutcome outcome, int64_t n);
  // A snapshot version loaded and built (`load`), then installed (`swap`:
  // the exchange plus the wait for calls still on the old one).
  void CountSnapshotLoad(absl::Duration load);
  void CountSnapshotSwap(absl::Duration swap);
  // A version that failed to load, by the status code of the reason.
  void CountSnapshotRejected(absl::StatusCode code);
  // A call refused for its credentials. `method` must be one of the
  // services' method names (a bounded set).
  void CountAuthFailure(absl::string_view method, AuthFailure why);
  // A tokens file that changed and did not parse (the old tokens stay).
  void CountTokenReloadFailure();

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<GrpcMetrics> rpc_;
  // By v1::Reason value (the enum's range is small and fixed).
  std::array<prometheus::Counter*, v1::Reason_ARRAYSIZE> items_by_reason_;
  std::array<prometheus::Counter*, kScoringPaths> calls_by_path_;
  prometheus::Histogram* items_per_call_;
  prometheus::Histogram* fold_in_seconds_;
  prometheus::Counter* fold_in_cached_;
  // [v1::EventType][EventOutcome]
  std::array<std::array<prometheus::Counter*, kEventOutcomes>,
             v1::EventType_ARRAYSIZE>
      events_;
  prometheus::Histogram* write_seconds_;
  prometheus::Histogram* write_events_;
  prometheus::Counter* write_failures_;
  std::array<prometheus::Counter*, kExposureOutcomes> exposures_;
  prometheus::Histogram* load_seconds_;
  prometheus::Histogram* swap_seconds_;
  // By absl::StatusCode (0..16).
  std::array<prometheus::Counter*, 17> rejected_;
  prometheus::Family<prometheus::Counter>* auth_failures_;
  prometheus::Counter* token_reload_failures_;
};

// The path a recommender scores personalised lists with.
ScoringPath ScoringPathOf(RetrievalPath resolved);

}  // namespace tailor

#endif  // TAILOR_SERVER_METRICS_H_
