// The metrics read at scrape time rather than counted as things happen: the
// serving snapshot (version, age, size, memory by component), the events
// logged since it, the event log's queue, the calls in flight and refused
// by method, RocksDB's memory, disk and write stalls, and the process's
// CPU, memory, files and threads.
#ifndef TAILOR_SERVER_LIVE_METRICS_H_
#define TAILOR_SERVER_LIVE_METRICS_H_

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <vector>

#include "server/call_scheduler.h"
#include "server/event_writer.h"
#include "server/serving_state.h"
#include "server/snapshot_manager.h"
#include "storage/env.h"
#include "storage/state_store.h"

namespace tailor {

// Where the values come from. Every pointer must outlive the collectable.
struct LiveSources {
  const ServingStateHolder* holder = nullptr;
  StateStore* store = nullptr;
  const EventWriter* writer = nullptr;
  const CallScheduler* scheduler = nullptr;
  const SnapshotManager* manager = nullptr;
  // The clock the snapshot's age is read by.
  Env* env = Env::Default();
};

// A source that cannot be read at a scrape (RocksDB's properties, /proc)
// leaves its families out of that scrape; the others are still served.
// Thread safety: Collect may run on several of the endpoint's threads at
// once; it only reads the sources, each of which is thread-safe.
class LiveMetrics : public prometheus::Collectable {
 public:
  explicit LiveMetrics(LiveSources sources) : s_(std::move(sources)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const LiveSources s_;
};

}  // namespace tailor

#endif  // TAILOR_SERVER_LIVE_METRICS_H_
