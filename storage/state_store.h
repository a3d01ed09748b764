// The server's durable state: the catalog and its live changes, each user's
// interaction history, each customer's profile and segments, the event log, and
// a few metadata keys.
#ifndef TAILOR_STORAGE_STATE_STORE_H_
#define TAILOR_STORAGE_STATE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/base/catalog.h"
#include "core/base/catalog_change.h"
#include "core/base/event.h"
#include "core/customers/customer_record.h"
#include "core/experiments/experiment.h"
#include "core/experiments/exposure.h"
#include "core/serving/snapshot.h"
#include "storage/erasure_list.h"

namespace tailor {

// What training saw of a user and one item: core's kInteracted/kPurchased
// flags, the summed event weight (before clamping at 0) and purchases minus
// returns.
struct HistoryEntry {
  std::string item_id;
  uint8_t flags = 0;
  float weight_sum = 0;
  int32_t net_purchases = 0;
  bool operator==(const HistoryEntry&) const = default;
};

// A user's history as of the snapshot it was imported from.
struct UserHistory {
  // The highest event-log sequence number the entries include: the user's
  // logged events above it are not in them.
  uint64_t through_seq = 0;
  std::vector<HistoryEntry> entries;  // sorted by item_id
  bool operator==(const UserHistory&) const = default;
};

// An event as recorded by the server: the client's idempotency key, the
// event, and the sequence number the store gave it (0 before).
struct LoggedEvent {
  std::string event_id;
  Event event;
  uint64_t seq = 0;
  // The answer the event came from (RecommendResponse.recommendation_id,
  // one of the user's exposures), or "".
  std::string recommendation_id;
};

// Where an event sits in its user's log: by timestamp, then sequence.
struct EventPosition {
  int64_t timestamp = 0;
  uint64_t seq = 0;
  auto operator<=>(const EventPosition&) const = default;
};

// What AppendEvents did with one event of a batch.
struct AppendOutcome {
  uint64_t seq = 0;        // the event's sequence number (the first one's,
                           // for a duplicate)
  bool duplicate = false;  // its event_id was recorded before (or earlier
                           // in the same batch): nothing was written
  bool erased = false;     // its user was erased (StateStore::EraseUser):
                           // nothing was written, seq is 0
};

// What StateStore::EraseUser removed.
struct ErasureReport {
  // The user was on the erasure list before this call.
  bool already_erased = false;
  // Logged events removed (each with its idempotency key).
  int64_t events = 0;
  // Exposures removed (StateStore::AppendExposures).
  int64_t exposures = 0;
  // Whether a training history and a customer record were removed.
  bool history = false;
  bool customer_record = false;
  // Whether the store's files were rewritten without the removed records
  // before EraseUser returned (PurgeErased succeeded).
  bool purged = false;
};

// Many records written at once (a snapshot import): added, then made
// visible and durable together by Commit(). Until Commit returns nothing is
// visible, and a failure, a crash or destroying the load without committing
// leaves the store as it was. Within each family (items, histories,
// customer records) records must be added in strictly increasing key order
// (item_id; user_id, by bytes): INVALID_ARGUMENT otherwise. Committed
// records replace stored ones with the same key; others stay.
// Thread safety: one thread at a time; several loads of one store do not
// run at once (StartBulkLoad refuses a second).
class BulkLoad {
 public:
  virtual ~BulkLoad() = default;

  virtual absl::Status AddItem(const Item& item) = 0;
  // `history`'s entries must be sorted by item_id.
  virtual absl::Status AddHistory(absl::string_view user_id,
                                  const UserHistory& history) = 0;
  virtual absl::Status AddCustomerRecord(absl::string_view user_id,
                                         const CustomerRecord& record) = 0;
  // Makes every record added visible and durable. At most once.
  virtual absl::Status Commit() = 0;
};

// For BulkLoad implementations: checks that one family's keys increase.
// Thread safety: not thread-safe.
class BulkKeyOrder {
 public:
  explicit BulkKeyOrder(absl::string_view family) : family_(family) {}
  // INVALID_ARGUMENT naming the family and both keys unless `key` comes
  // after the previous one.
  absl::Status Next(absl::string_view key);
  bool empty() const { return !any_; }

 private:
  std::string family_;
  std::string last_;
  bool any_ = false;
};

// What a store holds in memory and on disk, for monitoring. A MemoryStateStore
// has no write buffers, cache or files: all zero.
struct StoreUsage {
  // Memory: the write buffers (RocksDB's memtables) of every family,
  int64_t write_buffer_bytes = 0;
  // the shared block cache's contents and capacity (data, index and filter
  // blocks; contents may exceed the capacity while blocks are in use),
  int64_t block_cache_bytes = 0;
  int64_t block_cache_capacity = 0;
  // and what open table files hold outside the cache.
  int64_t table_reader_bytes = 0;
  // Disk: the estimated size of the live records, the bytes compactions
  // still have to rewrite, and the table files.
  int64_t live_data_bytes = 0;
  int64_t pending_compaction_bytes = 0;
  int64_t table_files = 0;
  // Time writes waited for flushes and compactions to catch up (RocksDB's
  // write stalls and slowdowns), since the store was opened.
  int64_t write_stall_micros = 0;
};

// A shopper an experiment showed answers to, and the arm of the latest.
struct ExposedShopper {
  std::string user_id;
  std::string arm;
  bool operator==(const ExposedShopper&) const = default;
};

// What StateStore::ChangeCatalog did: a result per change, and the
// entries it stored.
struct CatalogWrite {
  std::vector<CatalogChangeResult> results;
  std::vector<LiveItem> entries;
};

// Thread safety: implementations are safe to call from many threads at once.
class StateStore {
 public:
  virtual ~StateStore() = default;

  // Inserts or replaces catalog items by item_id.
  virtual absl::Status PutItems(const std::vector<Item>& items) = 0;
  // Every catalog item, in item_id byte order.
  virtual absl::StatusOr<std::vector<Item>> LoadCatalog() = 0;

  // The live catalog (core/base/catalog_change.h): what changed since the
  // catalogs snapshots carry, which snapshot imports never overwrite.
  // Applies `changes` in order, each to the item as the changes before it
  // left it (its live entry, else its catalog item), and stores the entries
  // they produce, numbered on from the last entry stored (LiveItem::seq),
  // in one synced write before returning them with one result per change.
  // Changes are applied one batch at a time.
  virtual absl::StatusOr<CatalogWrite> ChangeCatalog(
      absl::Span<const CatalogChange> changes, int64_t now_unix) = 0;
  // Every live-catalog entry, in item_id byte order.
  virtual absl::StatusOr<std::vector<LiveItem>> LoadLiveCatalog() = 0;
  // A read replica's: stores the writer's live-catalog `entries` as they
  // are (their numbers included), each replacing this store's entry of its
  // item unless that one is numbered higher, in one synced write.
  virtual absl::Status AdoptLiveCatalog(absl::Span<const LiveItem> entries) = 0;

  // Inserts or replaces histories (atomically for the batch); ids[i]
  // names histories[i], whose entries must be sorted by item_id.
  virtual absl::Status PutHistories(
      absl::Span<const std::string> ids,
      absl::Span<const UserHistory> histories) = 0;
  // The user's history; empty (through_seq 0) for an unknown user.
  virtual absl::StatusOr<UserHistory> GetHistory(absl::string_view user_id) = 0;

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
  // and is not written again. Outcomes are in the batch's order. (The
  // histories are not touched: readers add the user's events above the
  // history's through_seq.)
  virtual absl::StatusOr<std::vector<AppendOutcome>> AppendEvents(
      absl::Span<const LoggedEvent> events) = 0;
  // The user's events with a sequence number above `after`, by timestamp
  // (ties by sequence), at most `limit` of the latest.
  virtual absl::StatusOr<std::vector<LoggedEvent>> UserEvents(
      absl::string_view user_id, uint64_t after, size_t limit) = 0;
  // A page of the user's events, newest first (by timestamp, then
  // sequence): the `limit` that come before `before` in that order (all of
  // them from the newest when `before` is null). Every event the user has
  // in the log, whatever the snapshot saw.
  virtual absl::StatusOr<std::vector<LoggedEvent>> UserEventsBefore(
      absl::string_view user_id, const EventPosition* before, size_t limit) = 0;
  // The highest sequence number given so far (0: none). Never goes back,
  // even when the newest events are erased.
  virtual uint64_t LastSequence() = 0;
  // Events with a sequence number above `after`, in sequence order, at most
  // `limit` (the trainer's incremental read).
  virtual absl::StatusOr<std::vector<LoggedEvent>> EventsSince(
      uint64_t after, size_t limit) = 0;

  // Erasure (a data subject's right to be forgotten). Removes, in one
  // atomic synced write, every record of `user_id`: their logged events,
  // the events' idempotency keys, their exposures, their training history
  // and customer record; and adds them to the erasure list, so that
  // AppendEvents refuses their events from then on (AppendOutcome::erased),
  // AppendExposures leaves theirs out, and every
  // snapshot load and training run leaves them out. Then purges
  // (PurgeErased) before returning; a purge that fails, or one cut short by
  // a crash, is done again when the store is next opened. Erasing a user
  // the store holds nothing about, or one erased before, succeeds: the
  // report says what was there.
  virtual absl::StatusOr<ErasureReport> EraseUser(
      absl::string_view user_id) = 0;
  // Takes on another store's erasure list (a read replica, the writer's
  // list from the snapshot directory): adds its digests to this store's
  // list (taking its key when this store has none) and deletes the
  // training histories, customer records and exposures of the users they
  // name, then
  // purges. FAILED_PRECONDITION when this store's list was made with
  // another key (it erased users of its own). Returns how many digests
  // were new.
  virtual absl::StatusOr<size_t> AdoptErasures(const ErasureList& list) = 0;
  // The erasure list as of now (empty when nobody was erased).
  virtual std::shared_ptr<const ErasureList> Erasures() = 0;
  // How many users are on the erasure list: Erasures()->size() without
  // taking a lock (for a reader that only needs to know whether the list
  // grew since it last looked).
  virtual size_t ErasureCount() = 0;
  // Rewrites the store's files so that no byte of an erased record is left
  // in them: the write buffers are flushed, every family with erased
  // records is compacted down to its last level (dropping the removed
  // values and the deletions' own keys), the logs holding them are
  // removed, and the manifest is started afresh (it names each table
  // file's first and last key). Reads and writes go on meanwhile. Takes
  // as long as rewriting the store (RocksDB: at most its background write
  // rate).
  virtual absl::Status PurgeErased() = 0;

  // Experiments (core/experiments), each stored under its name: Put
  // replaces one durably (synced) before returning; Load gives them all,
  // by name.
  virtual absl::Status PutExperiment(const Experiment& experiment) = 0;
  virtual absl::StatusOr<std::vector<Experiment>> LoadExperiments() = 0;

  // Exposures (core/experiments/exposure.h): the answers experiments chose,
  // kept by user and recommendation_id (a second exposure with the same
  // pair replaces the first), and, for each experiment, the shoppers it
  // exposed. Append writes a batch atomically and durably (synced),
  // leaving out the exposures of erased users; it returns how many were
  // written. EraseUser removes a user's exposures; event retention
  // (StateStoreOptions::event_retention_seconds) drops exposures older
  // than it, by their timestamp, as it drops events.
  virtual absl::StatusOr<size_t> AppendExposures(
      absl::Span<const Exposure> exposures) = 0;
  // The user's exposures, by recommendation_id.
  virtual absl::StatusOr<std::vector<Exposure>> UserExposures(
      absl::string_view user_id) = 0;
  // Whether the user has an exposure with this recommendation_id.
  virtual absl::StatusOr<bool> HasExposure(
      absl::string_view user_id, absl::string_view recommendation_id) = 0;
  // Every shopper `experiment` has exposed, by user_id, with the arm of
  // the latest exposure stored (a bandit may give a shopper several).
  virtual absl::StatusOr<std::vector<ExposedShopper>> ExposedShoppers(
      absl::string_view experiment) = 0;

  // Small metadata values; nullopt when absent.
  virtual absl::StatusOr<std::optional<std::string>> GetMeta(
      absl::string_view key) = 0;
  virtual absl::Status PutMeta(absl::string_view key,
                               absl::string_view value) = 0;

  // Starts a BulkLoad (see above); FAILED_PRECONDITION while another load
  // of this store is not yet destroyed. The load must not outlive the
  // store. RocksDB: the records are written to table files beside the
  // database and added to it whole on Commit, so that the event log's
  // writes never wait behind them and no write buffer holds them.
  virtual absl::StatusOr<std::unique_ptr<BulkLoad>> StartBulkLoad() = 0;

  // What the store holds now (see StoreUsage).
  virtual absl::StatusOr<StoreUsage> Usage() = 0;
};

struct StateStoreOptions {
  // Open a damaged database (a file truncated or overwritten) by salvaging
  // it, instead of failing: RocksDB's RepairDB keeps every record that
  // checks out and moves the files it cannot read to `path`/lost; what was
  // moved is logged, and the next snapshot load imports its state again.
  bool salvage = false;
  // Writes are refused (UNAVAILABLE, "the data volume is full") while the
  // data volume has less than this free, before RocksDB runs out of room:
  // it keeps room to flush the write buffers and to recover, and no write
  // fails inside RocksDB for want of room (after such a failure RocksDB
  // 7.8 can reuse the failed log file, which Debian's build stops on with
  // an assertion). At least 64 MB (INVALID_ARGUMENT below).
  int64_t min_free_bytes = int64_t{128} << 20;
  // The block cache every family shares: the table files' recently read
  // data blocks and their index and filter blocks, so that the store's
  // memory stays within its write buffers and this however large the event
  // log grows (StoreUsage::table_reader_bytes stays near 0). At least 1 MB
  // (INVALID_ARGUMENT below).
  int64_t block_cache_bytes = int64_t{64} << 20;
  // Events whose timestamp is older than this (seconds before now) are
  // dropped from the event log, with their idempotency keys, when RocksDB
  // next compacts their files, at the latest a day after they pass it
  // (every file is compacted at least daily then). Histories, customer
  // records and snapshots are not touched: a model trained before keeps
  // what it learnt, and the next one trains on what remains. Events
  // recorded with an old timestamp go as soon as their file is compacted.
  // 0 keeps every event; INVALID_ARGUMENT below 0.
  int64_t event_retention_seconds = 0;
};

// Opens (creating if missing) a RocksDB database under `path` with column
// families "catalog", "history", "customers", "meta", and for the event
// log "events" (by sequence), "user_events" (by user, then time) and
// "event_ids" (idempotency keys), and "exposures". Writes go through the WAL
// and are synced, so acknowledged writes survive a crash. Fails with DATA_LOSS
// naming the damaged file and how to recover when the database is damaged
// (unless salvaging), and UNAVAILABLE when it cannot be written (a read-only or
// full volume). After a write fails (UNAVAILABLE; a full volume says so),
// the next write resumes the database first, so writing comes back once
// the cause is gone (for a full volume: RocksDB's own recovery, which
// checks every 5 s for room to flush a write buffer, 64 MB). The event
// log's families flush every 16 MB, so that memory levels off soon after
// start; compactions run at the lowest CPU priority (nice 19).
absl::StatusOr<std::unique_ptr<StateStore>> OpenRocksDbStateStore(
    const std::string& path, const StateStoreOptions& options = {});

// Writes a snapshot's catalog, training histories (replacing each of its
// users' stored history, with through_seq = the snapshot's event_log_seq)
// and customer records into `store` in one BulkLoad, unless this version
// was already imported (tracked under meta key "imported_version", written
// after the load is committed, so that an import cut short is done again).
// Of catalog items with the same item_id the last is kept. Returns whether
// anything was written.
absl::StatusOr<bool> ImportSnapshotState(const Snapshot& snapshot,
                                         StateStore* store);

// ChangeCatalog's plan, shared by the stores: applies `changes` in order,
// reading the items' stored entries through one call of `lookup` (for
// each of `item_ids`, distinct and in byte order: its live entry, and its
// catalog item when it has no live entry; either may be absent), and
// returns the results and the entries to store (one per item changed, in
// item_id order, numbered from `next_seq`).
using CatalogLookup =
    std::function<absl::Status(const std::vector<std::string>& item_ids,
                               std::vector<std::optional<LiveItem>>* live,
                               std::vector<std::optional<Item>>* base)>;
absl::StatusOr<CatalogWrite> PlanCatalogChanges(
    absl::Span<const CatalogChange> changes, int64_t now_unix,
    uint64_t next_seq, const CatalogLookup& lookup);

}  // namespace tailor

#endif  // TAILOR_STORAGE_STATE_STORE_H_
