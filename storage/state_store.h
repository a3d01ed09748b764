// The server's durable state: the catalog, each user's interaction history,
// each customer's profile and segments, the event log, and a few metadata
// keys.
#ifndef TAILOR_STORAGE_STATE_STORE_H_
#define TAILOR_STORAGE_STATE_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/catalog.h"
#include "core/customer_segments.h"
#include "core/event.h"
#include "core/model.h"
#include "core/mutex.h"

namespace tailor {

// What a user did with one item; flags are core's kInteracted/kPurchased.
struct HistoryEntry {
  std::string item_id;
  uint8_t flags = 0;
  bool operator==(const HistoryEntry&) const = default;
};

// One user's history update: entries are OR-ed into what is stored.
struct HistoryUpdate {
  std::string user_id;
  std::vector<HistoryEntry> entries;
};

// An event as recorded by the server: the client's idempotency key, the
// event, and the sequence number the store gave it (0 before).
struct LoggedEvent {
  std::string event_id;
  Event event;
  uint64_t seq = 0;
};

// What AppendEvents did with one event of a batch.
struct AppendOutcome {
  uint64_t seq = 0;        // the event's sequence number (the first one's,
                           // for a duplicate)
  bool duplicate = false;  // its event_id was recorded before (or earlier
                           // in the same batch): nothing was written
};

// Thread safety: implementations are safe to call from many threads at once.
class StateStore {
 public:
  virtual ~StateStore() = default;

  // Inserts or replaces catalog items by item_id.
  virtual absl::Status PutItems(const std::vector<Item>& items) = 0;
  // Every catalog item, in item_id byte order.
  virtual absl::StatusOr<std::vector<Item>> LoadCatalog() = 0;

  // Merges updates into the stored histories (flags OR-ed per item),
  // atomically for the whole batch.
  virtual absl::Status MergeHistories(
      const std::vector<HistoryUpdate>& updates) = 0;
  // The user's history, sorted by item_id; empty for an unknown user.
  virtual absl::StatusOr<std::vector<HistoryEntry>> GetHistory(
      absl::string_view user_id) = 0;

  // Inserts or replaces customer records; ids[i] names records[i].
  virtual absl::Status PutCustomerRecords(
      absl::Span<const std::string> ids,
      absl::Span<const CustomerRecord> records) = 0;
  // The user's record; nullopt for a user without one.
  virtual absl::StatusOr<std::optional<CustomerRecord>> GetCustomerRecord(
      absl::string_view user_id) = 0;

  // The event log. Appends `events` atomically and durably (the write is
  // synced before this returns), giving each new event_id the next
  // sequence number (1, 2, ...); an event_id recorded before is a duplicate
  // and is not written again. In the same write, each new event is merged
  // into its user's history (kInteracted; purchases also kPurchased; a
  // return clears nothing until the next snapshot's histories are
  // imported). Outcomes are in the batch's order.
  virtual absl::StatusOr<std::vector<AppendOutcome>> AppendEvents(
      absl::Span<const LoggedEvent> events) = 0;
  // The user's events by timestamp (ties by sequence), at most `limit`
  // of the latest.
  virtual absl::StatusOr<std::vector<LoggedEvent>> UserEvents(
      absl::string_view user_id, size_t limit) = 0;
  // Events with a sequence number above `after`, in sequence order, at most
  // `limit` (the trainer's incremental read).
  virtual absl::StatusOr<std::vector<LoggedEvent>> EventsSince(
      uint64_t after, size_t limit) = 0;

  // Small metadata values; nullopt when absent.
  virtual absl::StatusOr<std::optional<std::string>> GetMeta(
      absl::string_view key) = 0;
  virtual absl::Status PutMeta(absl::string_view key,
                               absl::string_view value) = 0;
};

// Opens (creating if missing) a RocksDB database under `path` with column
// families "catalog", "history", "customers", "meta", and for the event
// log "events" (by sequence), "user_events" (by user, then time) and
// "event_ids" (idempotency keys). Writes go through the
// WAL and are synced, so acknowledged writes survive a crash.
absl::StatusOr<std::unique_ptr<StateStore>> OpenRocksDbStateStore(
    const std::string& path);

// An in-memory StateStore for unit tests.
// Thread safety: all methods lock one mutex.
class MemoryStateStore : public StateStore {
 public:
  absl::Status PutItems(const std::vector<Item>& items) override;
  absl::StatusOr<std::vector<Item>> LoadCatalog() override;
  absl::Status MergeHistories(
      const std::vector<HistoryUpdate>& updates) override;
  absl::StatusOr<std::vector<HistoryEntry>> GetHistory(
      absl::string_view user_id) override;
  absl::Status PutCustomerRecords(
      absl::Span<const std::string> ids,
      absl::Span<const CustomerRecord> records) override;
  absl::StatusOr<std::optional<CustomerRecord>> GetCustomerRecord(
      absl::string_view user_id) override;
  absl::StatusOr<std::vector<AppendOutcome>> AppendEvents(
      absl::Span<const LoggedEvent> events) override;
  absl::StatusOr<std::vector<LoggedEvent>> UserEvents(absl::string_view user_id,
                                                      size_t limit) override;
  absl::StatusOr<std::vector<LoggedEvent>> EventsSince(uint64_t after,
                                                       size_t limit) override;
  absl::StatusOr<std::optional<std::string>> GetMeta(
      absl::string_view key) override;
  absl::Status PutMeta(absl::string_view key, absl::string_view value) override;

 private:
  Mutex mu_;
  std::map<std::string, Item> catalog_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::map<std::string, uint8_t>> history_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> meta_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, CustomerRecord> customers_
      ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, LoggedEvent> events_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint64_t> event_ids_ ABSL_GUARDED_BY(mu_);
};

// The history entries a batch of new events adds, per user.
std::vector<HistoryUpdate> HistoryUpdatesOf(
    const std::vector<const Event*>& events);

// Merges entries into a sorted-by-item history, OR-ing flags per item.
void MergeHistoryEntries(const std::vector<HistoryEntry>& update,
                         std::vector<HistoryEntry>* history);

// Writes a snapshot's catalog, training histories and customer records into
// `store` unless this
// version was already imported (tracked under meta key "imported_version").
// Returns whether anything was written.
absl::StatusOr<bool> ImportSnapshotState(const Snapshot& snapshot,
                                         StateStore* store);

}  // namespace tailor

#endif  // TAILOR_STORAGE_STATE_STORE_H_
