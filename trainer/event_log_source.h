// A live tailor-server's event log as a trainer input: read through a
// RocksDB secondary instance, so the server keeps serving and recording.
#ifndef TAILOR_TRAINER_EVENT_LOG_SOURCE_H_
#define TAILOR_TRAINER_EVENT_LOG_SOURCE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/serving/snapshot.h"
#include "storage/event_log_reader.h"
#include "trainer/pipeline.h"

namespace tailor {

// Every pass reads the events up to the sequence number the log had when
// the source was opened, so all of a training run's passes see the same
// events and the snapshot records exactly what it included.
// Thread safety: not thread-safe (one trainer thread reads it).
class EventLogSource : public EventSource {
 public:
  // `data_dir` is the server's --data_dir; `secondary_dir` a scratch
  // directory of this reader's own.
  static absl::StatusOr<std::unique_ptr<EventLogSource>> Open(
      const std::string& data_dir, const std::string& secondary_dir);

  absl::Status ForEach(const EventSink& sink,
                       ReadReport* report) const override;
  uint64_t through_seq() const override { return through_; }

  // The server's erasure list when the source was opened: ForEach leaves
  // their events out (the log holds none of them by then, but for events
  // of someone erased while this source reads), and a trainer leaves them
  // out of its other inputs too (TrainingInput::erased).
  const ErasureList& erasures() const { return erasures_; }
  // erasures() as TrainingInput::erased (unset when nobody was erased).
  // The source must outlive it.
  std::function<bool(absl::string_view)> ErasedCheck() const;
  // The last check before publishing: removes from `snapshot` everyone on
  // the server's erasure list as it is now (someone may have been erased
  // while the trainer ran) and records the list's size in its info
  // ("erasure_list_size").
  absl::StatusOr<RemovedUsers> RemoveErased(Snapshot* snapshot);
  // The server's live catalog when the source was opened (products added,
  // changed and retired through UpdateCatalog), for TrainingInput::
  // live_catalog.
  const std::vector<LiveItem>& live_catalog() const { return live_catalog_; }

 private:
  EventLogSource(std::unique_ptr<EventLogReader> reader, std::string data_dir,
                 uint64_t through, ErasureList erasures,
                 std::vector<LiveItem> live_catalog)
      : reader_(std::move(reader)),
        data_dir_(std::move(data_dir)),
        through_(through),
        erasures_(std::move(erasures)),
        live_catalog_(std::move(live_catalog)) {}

  std::unique_ptr<EventLogReader> reader_;
  std::string data_dir_;
  uint64_t through_;
  ErasureList erasures_;
  std::vector<LiveItem> live_catalog_;
};

}  // namespace tailor

#endif  // TAILOR_TRAINER_EVENT_LOG_SOURCE_H_
