// The event log's writer: appends RecordEvents / StreamEvents batches to the
// state store on a thread of its own, in group commits.
#ifndef TAILOR_SERVER_EVENT_WRITER_H_
#define TAILOR_SERVER_EVENT_WRITER_H_

#include <cstdint>
#include <deque>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/mutex.h"
#include "server/metrics.h"
#include "storage/state_store.h"

namespace tailor {

struct EventWriterOptions {
  // Submit refuses a batch (RESOURCE_EXHAUSTED) while this many events wait
  // for the disk, so a stalled disk cannot grow the queue without bound.
  int64_t max_queued_events = 200000;
  // One write takes whole batches until it holds at least this many events.
  int64_t max_events_per_write = 20000;
};

// Appends submitted batches to the store's event log in submission order.
// Batches queued while a write runs go into the next write together (one
// synced store write for all of them), so the disk syncs once per group,
// not once per call. The call workers (see call_scheduler.h) then only
// parse and validate: a sync that takes milliseconds, or much longer on a
// busy volume, delays event acknowledgements but never holds a worker from
// the RecommendFor calls queued behind them.
// Thread safety: Submit may be called from any thread; callbacks run on the
// writer's thread, one at a time, in submission order.
class EventWriter {
 public:
  // The store's outcomes for one batch (one per event, in order), or the
  // error that kept the whole write, this batch included, from being stored.
  using Done =
      absl::AnyInvocable<void(absl::StatusOr<std::vector<AppendOutcome>>) &&>;

  // `store` and `metrics` (may be null: nothing counted) must outlive the
  // writer.
  explicit EventWriter(StateStore* store, EventWriterOptions options = {},
                       ServerMetrics* metrics = nullptr);
  // Writes every batch submitted so far (running their callbacks), then
  // stops.
  ~EventWriter();
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  // Queues `events` (validated, at least one) to be appended; `done` runs
  // on the writer's thread once they are durable or failed. Returns
  // RESOURCE_EXHAUSTED, without queueing or calling `done`, when the queue
  // is full.
  absl::Status Submit(std::vector<LoggedEvent> events, Done done);

  // Store writes so far (each one synced): at most the number of batches.
  int64_t writes() const;
  // Events submitted and not yet stored, the running write's included.
  int64_t queued_events() const;

 private:
  struct Batch {
    std::vector<LoggedEvent> events;
    Done done;
  };

  void Run();

  StateStore* const store_;
  const EventWriterOptions options_;
  ServerMetrics* const metrics_;
  mutable Mutex mu_;
  std::deque<Batch> queue_ ABSL_GUARDED_BY(mu_);
  int64_t queued_events_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t writes_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace tailor

#endif  // TAILOR_SERVER_EVENT_WRITER_H_
