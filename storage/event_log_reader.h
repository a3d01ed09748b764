// Reading a live tailor-server's event log from another process (the
// trainer), without stopping or slowing the server: a RocksDB secondary
// instance over the server's --data_dir that catches up with its writes.
#ifndef TAILOR_STORAGE_EVENT_LOG_READER_H_
#define TAILOR_STORAGE_EVENT_LOG_READER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "storage/erasure_list.h"
#include "storage/state_store.h"

namespace tailor {

// Thread safety: not thread-safe; use from one thread.
class EventLogReader {
 public:
  virtual ~EventLogReader() = default;

  // Catches up with what the server has written (its memtables and WAL
  // included) and returns the highest sequence number now visible (0: an
  // empty log). Acknowledged events are visible: the server syncs the WAL
  // before acknowledging.
  virtual absl::StatusOr<uint64_t> CatchUp() = 0;

  // Calls `fn` for each event with a sequence number in (after, through],
  // in sequence order, as of the last CatchUp.
  virtual absl::Status ReadEvents(
      uint64_t after, uint64_t through,
      const std::function<void(LoggedEvent&&)>& fn) = 0;

  // The server's erasure list as of the last CatchUp (StateStore::
  // EraseUser): the erased users' events are gone from the log, and a
  // trainer leaves them out of its other inputs too.
  virtual absl::StatusOr<ErasureList> Erasures() = 0;

  // The server's live catalog as of the last CatchUp (StateStore::
  // ChangeCatalog): the products added, changed and retired since the
  // catalog files, which a trainer lays over them.
  virtual absl::StatusOr<std::vector<LiveItem>> LiveCatalog() = 0;
};

// Opens the event log of the RocksDB database at `db_path` as a secondary
// instance; `secondary_path` is a directory of the reader's own (created if
// missing; not shared with another reader). NOT_FOUND when there is no
// database at `db_path`.
absl::StatusOr<std::unique_ptr<EventLogReader>> OpenEventLogReader(
    const std::string& db_path, const std::string& secondary_path);

}  // namespace tailor

#endif  // TAILOR_STORAGE_EVENT_LOG_READER_H_
