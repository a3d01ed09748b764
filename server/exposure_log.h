// The exposure log's writer: stores the answers experiments chose
// (core/experiments/exposure.h) off the call path, in batches.
#ifndef TAILOR_SERVER_EXPOSURE_LOG_H_
#define TAILOR_SERVER_EXPOSURE_LOG_H_

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/base/mutex.h"
#include "core/experiments/exposure.h"
#include "server/exposure_forwarder.h"
#include "server/metrics.h"
#include "storage/state_store.h"

namespace tailor {

struct ExposureLogOptions {
  // Add drops exposures (counted) while this many wait for the disk, so a
  // stalled disk cannot grow the queue without bound.
  int64_t max_queued = 100000;
  // After a failed write, the batch is written again after this long.
  absl::Duration retry_after = absl::Seconds(1);
  // A write waits this long after the first exposure it takes arrives (or
  // until max_batch are queued, a Flush or the end), so that a busy server
  // syncs the disk a few dozen times a second rather than once per write
  // it could start.
  absl::Duration gather = absl::Milliseconds(50);
  int64_t max_batch = 5000;
};

// Queues exposures from the call workers and stores them (a read replica:
// forwards them to the writer) on a thread of its own, in batches gathered for
// up to `gather` (one synced store write for each), so a RecommendFor call only
// appends to a vector. An exposure is durable once its write returns, within
// about `gather` and a sync of the answer; one queued when the process dies is
// lost (kill -9: at most the queue). A failed write is retried (never dropped);
// an exposure that finds the queue full is dropped and counted
// (tailor_exposures_total{outcome="dropped"}), its answer still served.
// Thread safety: every method may be called from any thread at once.
class ExposureLog {
 public:
  // `store`, `metrics` (may be null) and `forward` (may be null) must
  // outlive the log. With `forward` (a read replica's), batches are sent
  // to the writer instead of stored here; everything else is the same
  // (a failed send is retried).
  explicit ExposureLog(StateStore* store, ExposureLogOptions options = {},
                       ServerMetrics* metrics = nullptr,
                       ExposureForwarder* forward = nullptr);
  // Writes everything queued, then stops; a batch whose write fails then
  // is dropped (logged and counted) rather than retried for ever.
  ~ExposureLog();
  ExposureLog(const ExposureLog&) = delete;
  ExposureLog& operator=(const ExposureLog&) = delete;

  // Queues one exposure; false when it was dropped (the queue was full).
  bool Add(Exposure exposure);
  // Whether `user_id` was shown an answer `recommendation_id`: queued,
  // being written, or stored.
  absl::StatusOr<bool> Has(absl::string_view user_id,
                           absl::string_view recommendation_id) const;
  // Returns once everything queued before the call is stored (after as
  // many retries as it takes).
  void Flush();

 private:
  static std::string PendingKey(absl::string_view user_id,
                                absl::string_view recommendation_id);
  void Run();

  // Stores (or forwards) one batch.
  absl::Status Write(const std::vector<Exposure>& batch);

  StateStore* const store_;
  const ExposureLogOptions options_;
  ServerMetrics* const metrics_;
  ExposureForwarder* const forward_;
  mutable Mutex mu_;
  std::vector<Exposure> queue_ ABSL_GUARDED_BY(mu_);
  // Queued and being written: user + '\0' + id -> how many.
  absl::flat_hash_map<std::string, int> pending_ ABSL_GUARDED_BY(mu_);
  // Batches taken by the writer, and the count done: Flush waits for
  // done_ to reach what taken_ will be after the queue it saw.
  int64_t taken_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t done_ ABSL_GUARDED_BY(mu_) = 0;
  int flushing_ ABSL_GUARDED_BY(mu_) = 0;  // Flush calls waiting
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace tailor

#endif  // TAILOR_SERVER_EXPOSURE_LOG_H_
