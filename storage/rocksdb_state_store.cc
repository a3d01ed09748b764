// RocksDB implementation of StateStore.
#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/rate_limiter.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/background_task.h"
#include "core/base/logging.h"
#include "core/base/mutex.h"
#include "core/base/status_macros.h"
#include "storage/event_log_reader.h"
#include "storage/records.h"
#include "storage/state_store.h"

namespace tailor {
namespace {

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat("rocksdb: ", what, ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsNoSpace()) {
    return absl::UnavailableError(absl::StrCat(
        msg,
        " (the data volume is full: nothing of this write was stored; "
        "writing resumes by itself within seconds of 64 MB being free "
        "again)"));
  }
  if (s.IsIOError()) return absl::UnavailableError(msg);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) {
    return absl::UnavailableError(msg);
  }
  return absl::InternalError(msg);
}

// Big-endian fixed-width integers, so that keys sort numerically.
void PutBigEndian64(uint64_t v, std::string* out) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xFF));
  }
}

uint64_t GetBigEndian64(absl::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v = (v << 8) | static_cast<unsigned char>(in[i]);
  }
  return v;
}

std::string SeqKey(uint64_t seq) {
  std::string key;
  PutBigEndian64(seq, &key);
  return key;
}

// user_events keys: 4-byte user id length, the id, the timestamp (sign bit
// flipped so negative times sort first), the sequence number.
std::string UserPrefix(absl::string_view user_id) {
  std::string key;
  const auto n = static_cast<uint32_t>(user_id.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    key.push_back(static_cast<char>((n >> shift) & 0xFF));
  }
  key.append(user_id.data(), user_id.size());
  return key;
}

// The user part of a user_events key (length and id): the prefix its bloom
// filters are built on, so that reading one user's events skips the files
// that hold none of them instead of reading a block of each.
class UserPrefixTransform : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "tailor.UserEventsUserPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), PrefixLength(key));
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return key.size() >= 4 && key.size() >= PrefixLength(key);
  }

 private:
  static size_t PrefixLength(const rocksdb::Slice& key) {
    const auto* b = reinterpret_cast<const unsigned char*>(key.data());
    return 4 + ((size_t{b[0]} << 24) | (size_t{b[1]} << 16) |
                (size_t{b[2]} << 8) | size_t{b[3]});
  }
};

// The event log's families take a steady stream of small writes. With
// RocksDB's default 64 MB write buffers each of the three would grow for
// many minutes after start before its first flush (at 1,000 events/s,
// about 20 MB a minute between them), and the server's memory with them;
// 16 MB buffers level it off within a minute or two, for more and smaller
// flushes.
constexpr size_t kEventLogWriteBuffer = size_t{16} << 20;

// Flushes' and compactions' share of the disk, in bytes per second: well
// above what the event log needs (at 1,000 events/s, a few MB/s written
// by flushes and compactions together), well below what a disk takes.
constexpr int64_t kBackgroundWriteRate = int64_t{64} << 20;

// The least free space StateStoreOptions::min_free_bytes may ask for.
constexpr int64_t kMinFreeBytesFloor = int64_t{64} << 20;

// The smallest block cache StateStoreOptions::block_cache_bytes may ask for.
constexpr int64_t kMinBlockCacheBytes = int64_t{1} << 20;

rocksdb::ColumnFamilyOptions EventLogFamily(
    rocksdb::ColumnFamilyOptions options) {
  options.write_buffer_size = kEventLogWriteBuffer;
  return options;
}

// What a family's table files keep in memory: every family shares `cache`,
// and the files' index and filter blocks are kept there too (RocksDB's
// default keeps them beside the cache, for as long as a file is open: a
// memory that grows with the event log, every hour the server runs).
// Level-0 files' index and filter blocks stay pinned (the newest events,
// read by every request); the others are cached with high priority.
// Families read by key on a hot path get bloom filters (`bloom`): user_events
// by user prefix (a request's scan), event_ids by whole key (the writer's
// idempotency check, mostly for ids never seen).
rocksdb::ColumnFamilyOptions CachedFamily(
    std::shared_ptr<rocksdb::Cache> cache, bool bloom,
    std::shared_ptr<const rocksdb::SliceTransform> prefix = nullptr) {
  rocksdb::ColumnFamilyOptions options;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = std::move(cache);
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // Indexes and filters in blocks of 4 KB under a small top-level index
  // (pinned): a 64 MB table file's whole index is about 0.5 MB, larger
  // than a cache shard's share for it, and was read and decompressed
  // again on every lookup (four times the CPU per call once the log held
  // a million events).
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.pin_top_level_index_and_filter = true;
  if (bloom) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    table.whole_key_filtering = prefix == nullptr;
  }
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.prefix_extractor = std::move(prefix);
  return options;
}

// Appends where an event sits in its user's range: the timestamp (sign bit
// flipped, so that negative ones sort first), then the sequence number.
void PutEventPosition(const EventPosition& p, std::string* key) {
  PutBigEndian64(static_cast<uint64_t>(p.timestamp) ^ (uint64_t{1} << 63), key);
  PutBigEndian64(p.seq, key);
}

std::string UserEventKey(const Event& e, uint64_t seq) {
  std::string key = UserPrefix(e.user_id);
  PutEventPosition({e.timestamp, seq}, &key);
  return key;
}

// An event_ids value: the event's sequence number, then its timestamp
// (sign bit flipped), which retention reads. Databases written before
// hold the sequence number alone.
std::string EventIdValue(const LoggedEvent& e) {
  std::string value = SeqKey(e.seq);
  PutBigEndian64(static_cast<uint64_t>(e.event.timestamp) ^ (uint64_t{1} << 63),
                 &value);
  return value;
}

// A timestamp written by PutEventPosition or EventIdValue.
int64_t GetTimestamp(absl::string_view in) {
  return static_cast<int64_t>(GetBigEndian64(in) ^ (uint64_t{1} << 63));
}

// The time of the event an event-log entry holds (nullopt: unknown, kept).
using EventTimeOf = std::optional<int64_t> (*)(const rocksdb::Slice& key,
                                               const rocksdb::Slice& value);

std::optional<int64_t> EventsEntryTime(const rocksdb::Slice&,
                                       const rocksdb::Slice& value) {
  Decoder d(absl::string_view(value.data(), value.size()));
  LoggedEvent e;
  if (!DecodeLoggedEvent(&d, &e)) return std::nullopt;
  return e.event.timestamp;
}

std::optional<int64_t> UserEventsEntryTime(const rocksdb::Slice& key,
                                           const rocksdb::Slice&) {
  if (key.size() < 4 + 16) return std::nullopt;
  return GetTimestamp(absl::string_view(key.data() + key.size() - 16, 8));
}

std::optional<int64_t> EventIdsEntryTime(const rocksdb::Slice&,
                                         const rocksdb::Slice& value) {
  if (value.size() != 16) return std::nullopt;
  return GetTimestamp(absl::string_view(value.data() + 8, 8));
}

// The exposures family holds two kinds of keys, told apart by a first byte:
// 'u' + UserPrefix(user_id) + recommendation_id -> EncodeExposure, and
// 'e' + UserPrefix(experiment) + user_id -> the arm of the user's latest
// exposure in the experiment (ExposedShoppers' index).
constexpr char kExposureKind = 'u';
constexpr char kExposedKind = 'e';

std::string UserExposuresPrefix(absl::string_view user_id) {
  return absl::StrCat(absl::string_view(&kExposureKind, 1),
                      UserPrefix(user_id));
}

std::string ExposureKey(absl::string_view user_id,
                        absl::string_view recommendation_id) {
  return absl::StrCat(UserExposuresPrefix(user_id), recommendation_id);
}

std::string ExposedPrefix(absl::string_view experiment) {
  return absl::StrCat(absl::string_view(&kExposedKind, 1),
                      UserPrefix(experiment));
}

// The user of an exposures key (either kind); nullopt when corrupt.
std::optional<absl::string_view> ExposuresKeyUser(absl::string_view key) {
  if (key.empty()) return std::nullopt;
  const absl::string_view rest = key.substr(1);
  if (rest.size() < 4) return std::nullopt;
  const uint32_t n = (uint32_t{static_cast<uint8_t>(rest[0])} << 24) |
                     (uint32_t{static_cast<uint8_t>(rest[1])} << 16) |
                     (uint32_t{static_cast<uint8_t>(rest[2])} << 8) |
                     uint32_t{static_cast<uint8_t>(rest[3])};
  if (rest.size() < 4 + size_t{n}) return std::nullopt;
  if (key[0] == kExposureKind) return rest.substr(4, n);
  if (key[0] == kExposedKind) return rest.substr(4 + n);
  return std::nullopt;
}

std::optional<int64_t> ExposuresEntryTime(const rocksdb::Slice& key,
                                          const rocksdb::Slice& value) {
  // EncodeExposure: a format byte, then the timestamp.
  if (key.size() == 0 || key[0] != kExposureKind || value.size() < 9) {
    return std::nullopt;
  }
  int64_t t;
  std::memcpy(&t, value.data() + 1, sizeof(t));
  return t;
}

// Retention (StateStoreOptions::event_retention_seconds): drops the
// event-log entries of events older than the retention when RocksDB
// compacts their files; every family of the log gets one, so an event
// goes from all three. The cut-off is taken when each compaction starts.
// Thread safety: a filter serves one compaction; the factory is shared and
// immutable.
class RetentionFilter : public rocksdb::CompactionFilter {
 public:
  RetentionFilter(int64_t cutoff, EventTimeOf time_of)
      : cutoff_(cutoff), time_of_(time_of) {}
  bool Filter(int, const rocksdb::Slice& key, const rocksdb::Slice& value,
              std::string*, bool*) const override {
    const std::optional<int64_t> t = time_of_(key, value);
    return t.has_value() && *t < cutoff_;
  }
  const char* Name() const override { return "tailor.EventRetention"; }

 private:
  const int64_t cutoff_;
  const EventTimeOf time_of_;
};

class RetentionFilterFactory : public rocksdb::CompactionFilterFactory {
 public:
  RetentionFilterFactory(int64_t retention_seconds, EventTimeOf time_of)
      : retention_(retention_seconds), time_of_(time_of) {}
  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context&) override {
    return std::make_unique<RetentionFilter>(
        static_cast<int64_t>(std::time(nullptr)) - retention_, time_of_);
  }
  const char* Name() const override { return "tailor.EventRetention"; }

 private:
  const int64_t retention_;
  const EventTimeOf time_of_;
};

// `options` with retention over an event-log family (none for 0): the
// filter, and a compaction of every file at least daily, so that an event
// goes within a day of passing the retention.
rocksdb::ColumnFamilyOptions WithRetention(rocksdb::ColumnFamilyOptions options,
                                           int64_t retention_seconds,
                                           EventTimeOf time_of) {
  if (retention_seconds <= 0) return options;
  options.compaction_filter_factory =
      std::make_shared<RetentionFilterFactory>(retention_seconds, time_of);
  options.periodic_compaction_seconds = 86400;
  return options;
}

absl::StatusOr<LoggedEvent> DecodeEvent(absl::string_view value, uint64_t seq) {
  Decoder d(value);
  LoggedEvent e;
  if (!DecodeLoggedEvent(&d, &e) || d.remaining() != 0 || e.seq != seq) {
    return absl::DataLossError(
        absl::StrCat("rocksdb: event ", seq, " is corrupt"));
  }
  return e;
}

// The highest sequence number in an events family (0: none).
absl::StatusOr<uint64_t> LastSequenceIn(rocksdb::DB* db,
                                        rocksdb::ColumnFamilyHandle* events) {
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions(), events));
  it->SeekToLast();
  TAILOR_RETURN_IF_ERROR(FromRocks(it->status(), "reading the last event"));
  if (!it->Valid()) return uint64_t{0};
  if (it->key().size() != 8) {
    return absl::DataLossError("rocksdb: an events key is corrupt");
  }
  return GetBigEndian64(absl::string_view(it->key().data(), 8));
}

// Meta keys of the erasure list: the key its digests are made with, one
// key per erased user (kErasedPrefix + digest, empty value), the sequence
// number the log's numbering never goes below (its newest events may have
// been erased), and a purge still to do.
constexpr absl::string_view kErasureKeyMeta = "erasure_key";
constexpr absl::string_view kErasedPrefix = "erased/";
// Experiments in the meta family, by name.
constexpr absl::string_view kExperimentPrefix = "experiment/";
constexpr absl::string_view kSequenceFloorMeta = "sequence_floor";
constexpr absl::string_view kPurgePendingMeta = "purge_pending";
constexpr absl::string_view kLiveCatalogSeqMeta = "live_catalog_seq";

rocksdb::Slice ToSlice(absl::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}

// Every entry of a live_catalog family, in item_id byte order.
absl::StatusOr<std::vector<LiveItem>> ReadLiveCatalog(
    rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family) {
  std::vector<LiveItem> entries;
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions(), family));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    LiveItem entry;
    Decoder d(absl::string_view(it->value().data(), it->value().size()));
    if (!DecodeLiveItem(&d, &entry)) {
      return absl::DataLossError(
          absl::StrCat("rocksdb: live catalog record for '",
                       it->key().ToString(), "' is corrupt"));
    }
    entries.push_back(std::move(entry));
  }
  TAILOR_RETURN_IF_ERROR(FromRocks(it->status(), "scanning the live catalog"));
  return entries;
}

// The erasure list held in a meta family.
absl::StatusOr<ErasureList> ReadErasureList(rocksdb::DB* db,
                                            rocksdb::ColumnFamilyHandle* meta) {
  std::string key;
  rocksdb::Status s =
      db->Get(rocksdb::ReadOptions(), meta, ToSlice(kErasureKeyMeta), &key);
  if (s.IsNotFound()) return ErasureList();
  TAILOR_RETURN_IF_ERROR(FromRocks(s, "reading the erasure key"));
  absl::flat_hash_set<std::string> digests;
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions(), meta));
  for (it->Seek(ToSlice(kErasedPrefix));
       it->Valid() && it->key().starts_with(ToSlice(kErasedPrefix));
       it->Next()) {
    absl::string_view digest(it->key().data() + kErasedPrefix.size(),
                             it->key().size() - kErasedPrefix.size());
    if (digest.size() != kErasureDigestBytes) {
      return absl::DataLossError("rocksdb: an erasure list entry is corrupt");
    }
    digests.emplace(digest);
  }
  TAILOR_RETURN_IF_ERROR(FromRocks(it->status(), "reading the erasure list"));
  if (key.size() != kErasureDigestBytes) {
    return absl::DataLossError("rocksdb: the erasure key is corrupt");
  }
  return ErasureList(std::move(key), std::move(digests));
}

// The digests of `list` that `mine` lacks; FAILED_PRECONDITION when the two
// lists were made with different keys.
absl::StatusOr<absl::flat_hash_set<std::string>> NewDigests(
    const ErasureList& mine, const ErasureList& list) {
  absl::flat_hash_set<std::string> fresh;
  if (list.empty()) return fresh;
  if (!mine.key().empty() && mine.key() != list.key()) {
    return absl::FailedPreconditionError(
        "erasure list: made with another key than this data directory's "
        "(this server erased users of its own: only the writer erases)");
  }
  for (const std::string& d : list.digests()) {
    if (!mine.digests().contains(d)) fresh.insert(d);
  }
  return fresh;
}

// Calls `fn` with each event of an events family above sequence number
// `after`, in order, while it returns true.
absl::Status ScanEvents(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* events,
                        uint64_t after,
                        const std::function<bool(LoggedEvent&&)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions(), events));
  for (it->Seek(SeqKey(after + 1)); it->Valid(); it->Next()) {
    if (it->key().size() != 8) {
      return absl::DataLossError("rocksdb: an events key is corrupt");
    }
    const uint64_t seq = GetBigEndian64(absl::string_view(it->key().data(), 8));
    TAILOR_ASSIGN_OR_RETURN(
        LoggedEvent e,
        DecodeEvent(absl::string_view(it->value().data(), it->value().size()),
                    seq));
    if (!fn(std::move(e))) return absl::OkStatus();
  }
  return FromRocks(it->status(), "scanning events");
}

// Column family handles are owned by the DB wrapper and closed before it.
// After each bulk load a thread of the store's compacts the imported
// families: each import's table files land one level above the last
// import's, and RocksDB's size-driven compactions would leave them there
// (an import is far below a level's target size), so that the files and
// the space of every import would pile up. The compaction runs on
// RocksDB's low-priority pool (nice 19); the thread only waits for it.
// Thread safety: RocksDB calls are thread-safe; event appends and erasures
// are serialised by append_mu_, purges by purge_mu_.
class RocksDbStateStore : public StateStore {
 public:
  RocksDbStateStore(std::unique_ptr<rocksdb::DB> db,
                    std::vector<rocksdb::ColumnFamilyHandle*> handles,
                    std::shared_ptr<rocksdb::Cache> cache, std::string path,
                    int64_t min_free_bytes)
      : db_(std::move(db)),
        handles_(std::move(handles)),
        cache_(std::move(cache)),
        path_(std::move(path)),
        min_free_bytes_(min_free_bytes) {
    sync_.sync = true;
    compactor_ = std::make_unique<BackgroundTask>([this] { CompactImports(); });
    purger_ = std::make_unique<BackgroundTask>([this] {
      if (absl::Status s = PurgeErased(); !s.ok()) {
        LogError(absl::StrCat("purging erased records: ", s.ToString(),
                              "; done again at the next erasure or start"));
      }
    });
  }

  // Reads the log's last sequence number (an unreadable one fails the open
  // rather than numbering new events over old ones) and the erasure list,
  // starts a purge an erasure left undone, and upgrades old histories.
  absl::Status Init() {
    TAILOR_ASSIGN_OR_RETURN(uint64_t last, LastSequenceIn(db_.get(), events()));
    TAILOR_ASSIGN_OR_RETURN(std::optional<std::string> floor,
                            GetMeta(kSequenceFloorMeta));
    if (floor.has_value()) {
      if (floor->size() != 8) {
        return absl::DataLossError("rocksdb: the sequence floor is corrupt");
      }
      last = std::max(last, GetBigEndian64(*floor));
    }
    TAILOR_ASSIGN_OR_RETURN(ErasureList erasures,
                            ReadErasureList(db_.get(), meta()));
    {
      MutexLock lock(&append_mu_);
      last_seq_ = last;
      SetErasures(std::make_shared<const ErasureList>(std::move(erasures)));
    }
    TAILOR_ASSIGN_OR_RETURN(std::optional<std::string> pending,
                            GetMeta(kPurgePendingMeta));
    if (pending.has_value()) {
      LogInfo("an erasure's purge was left undone: purging now");
      purger_->Request();
    }
    return UpgradeHistoryFormat();
  }

  // Has the next snapshot load import its state again (after a salvage,
  // which may have lost some of the imported records).
  absl::Status ForgetImportedSnapshot() {
    rocksdb::WriteBatch batch;
    batch.Delete(meta(), "imported_version");
    return Write(&batch, "forgetting the imported snapshot");
  }

  ~RocksDbStateStore() override {
    closing_.store(true, std::memory_order_release);
    db_->DisableManualCompaction();  // ends one under way
    compactor_.reset();              // after its run under way
    purger_.reset();
    for (auto* h : handles_)
      db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    db_->Close().PermitUncheckedError();
  }

  absl::Status PutItems(const std::vector<Item>& items) override {
    rocksdb::WriteBatch batch;
    for (const Item& it : items) {
      Encoder e;
      EncodeItem(it, &e);
      batch.Put(catalog(), it.item_id, e.buffer());
    }
    return Write(&batch, "writing catalog items");
  }

  absl::StatusOr<std::vector<Item>> LoadCatalog() override {
    std::vector<Item> items;
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), catalog()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      Item item;
      Decoder d(absl::string_view(it->value().data(), it->value().size()));
      if (!DecodeItem(&d, &item)) {
        return absl::DataLossError(absl::StrCat("rocksdb: catalog record for '",
                                                it->key().ToString(),
                                                "' is corrupt"));
      }
      items.push_back(std::move(item));
    }
    TAILOR_RETURN_IF_ERROR(FromRocks(it->status(), "scanning catalog"));
    return items;
  }

  // The number of the last live-catalog entry stored, read once.
  absl::Status LoadLiveSeqLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(catalog_mu_) {
    if (live_catalog_seq_.has_value()) return absl::OkStatus();
    TAILOR_ASSIGN_OR_RETURN(std::optional<std::string> last,
                            GetMeta(kLiveCatalogSeqMeta));
    uint64_t seq = 0;
    if (last.has_value() && !absl::SimpleAtoi(*last, &seq)) {
      return absl::DataLossError(
          absl::StrCat("rocksdb: meta key ", kLiveCatalogSeqMeta,
                       " is not a number: '", *last, "'"));
    }
    live_catalog_seq_ = seq;
    return absl::OkStatus();
  }

  absl::Status AdoptLiveCatalog(absl::Span<const LiveItem> entries) override {
    MutexLock lock(&catalog_mu_);
    TAILOR_RETURN_IF_ERROR(LoadLiveSeqLocked());
    if (entries.empty()) return absl::OkStatus();
    TAILOR_ASSIGN_OR_RETURN(const std::vector<LiveItem> held,
                            ReadLiveCatalog(db_.get(), live_catalog()));
    absl::flat_hash_map<absl::string_view, uint64_t> held_seq;
    for (const LiveItem& h : held) held_seq[h.item.item_id] = h.seq;
    rocksdb::WriteBatch batch;
    uint64_t last = *live_catalog_seq_;
    for (const LiveItem& entry : entries) {
      if (auto it = held_seq.find(entry.item.item_id);
          it != held_seq.end() && it->second > entry.seq) {
        continue;
      }
      Encoder e;
      EncodeLiveItem(entry, &e);
      batch.Put(live_catalog(), entry.item.item_id, e.buffer());
      last = std::max(last, entry.seq);
    }
    if (batch.Count() == 0) return absl::OkStatus();
    batch.Put(meta(), ToSlice(kLiveCatalogSeqMeta), absl::StrCat(last));
    TAILOR_RETURN_IF_ERROR(Write(&batch, "adopting the writer's live catalog"));
    live_catalog_seq_ = last;
    return absl::OkStatus();
  }

  absl::StatusOr<CatalogWrite> ChangeCatalog(
      absl::Span<const CatalogChange> changes, int64_t now_unix) override {
    MutexLock lock(&catalog_mu_);
    TAILOR_RETURN_IF_ERROR(LoadLiveSeqLocked());
    TAILOR_ASSIGN_OR_RETURN(
        CatalogWrite write,
        PlanCatalogChanges(
            changes, now_unix, *live_catalog_seq_ + 1,
            [&](const std::vector<std::string>& ids,
                std::vector<std::optional<LiveItem>>* live,
                std::vector<std::optional<Item>>* base) -> absl::Status {
              // Batched reads (the keys are sorted, as MultiGet likes): the
              // live entries, then the catalog items of the ids without one
              // (an item's live entry is all a change needs).
              std::vector<size_t> wanted(ids.size());
              for (size_t k = 0; k < ids.size(); ++k) wanted[k] = k;
              for (const bool of_live : {true, false}) {
                if (wanted.empty()) break;
                std::vector<rocksdb::Slice> keys;
                keys.reserve(wanted.size());
                for (size_t k : wanted) keys.emplace_back(ids[k]);
                std::vector<rocksdb::PinnableSlice> values(wanted.size());
                std::vector<rocksdb::Status> statuses(wanted.size());
                db_->MultiGet(rocksdb::ReadOptions(),
                              of_live ? live_catalog() : catalog(), keys.size(),
                              keys.data(), values.data(), statuses.data(),
                              /*sorted_input=*/true);
                std::vector<size_t> missing;
                for (size_t j = 0; j < wanted.size(); ++j) {
                  const size_t k = wanted[j];
                  if (statuses[j].IsNotFound()) {
                    missing.push_back(k);
                    continue;
                  }
                  if (!statuses[j].ok()) {
                    return FromRocks(statuses[j],
                                     of_live ? "reading the live catalog"
                                             : "reading the catalog");
                  }
                  Decoder d(
                      absl::string_view(values[j].data(), values[j].size()));
                  const bool decoded =
                      of_live ? DecodeLiveItem(&d, &(*live)[k].emplace())
                              : DecodeItem(&d, &(*base)[k].emplace());
                  if (!decoded) {
                    return absl::DataLossError(absl::StrCat(
                        "rocksdb: ", of_live ? "live catalog" : "catalog",
                        " record for '", ids[k], "' is corrupt"));
                  }
                }
                wanted = std::move(missing);
              }
              return absl::OkStatus();
            }));
    if (!write.entries.empty()) {
      rocksdb::WriteBatch batch;
      for (const LiveItem& entry : write.entries) {
        Encoder e;
        EncodeLiveItem(entry, &e);
        batch.Put(live_catalog(), entry.item.item_id, e.buffer());
      }
      const uint64_t last = write.entries.back().seq;
      batch.Put(meta(), ToSlice(kLiveCatalogSeqMeta), absl::StrCat(last));
      TAILOR_RETURN_IF_ERROR(Write(&batch, "writing live catalog changes"));
      live_catalog_seq_ = last;
    }
    return write;
  }

  absl::StatusOr<std::vector<LiveItem>> LoadLiveCatalog() override {
    return ReadLiveCatalog(db_.get(), live_catalog());
  }

  // Histories written before format 2 (flags only, no through_seq) cannot
  // be read: they are derived data, so they are dropped and the next
  // snapshot is imported again.
  absl::Status UpgradeHistoryFormat() {
    constexpr absl::string_view kFormatKey = "history_format";
    std::string format;
    rocksdb::Status st =
        db_->Get(rocksdb::ReadOptions(), meta(),
                 rocksdb::Slice(kFormatKey.data(), kFormatKey.size()), &format);
    if (st.ok() && format == "2") return absl::OkStatus();
    if (!st.ok() && !st.IsNotFound()) {
      return FromRocks(st, "reading the history format");
    }
    rocksdb::WriteBatch batch;
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), history_cf()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      batch.Delete(history_cf(), it->key());
    }
    TAILOR_RETURN_IF_ERROR(FromRocks(it->status(), "scanning histories"));
    batch.Delete(meta(), "imported_version");
    batch.Put(meta(), rocksdb::Slice(kFormatKey.data(), kFormatKey.size()),
              "2");
    return Write(&batch, "upgrading histories");
  }

  absl::Status PutHistories(absl::Span<const std::string> ids,
                            absl::Span<const UserHistory> histories) override {
    if (ids.size() != histories.size()) {
      return absl::InvalidArgumentError("ids and histories: sizes differ");
    }
    rocksdb::WriteBatch batch;
    for (size_t i = 0; i < ids.size(); ++i) {
      Encoder e;
      EncodeHistory(histories[i], &e);
      batch.Put(history_cf(), ids[i], e.buffer());
    }
    return Write(&batch, "writing histories");
  }

  absl::StatusOr<UserHistory> GetHistory(absl::string_view user_id) override {
    std::string value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), history_cf(),
                 rocksdb::Slice(user_id.data(), user_id.size()), &value);
    UserHistory history;
    if (s.IsNotFound()) return history;
    TAILOR_RETURN_IF_ERROR(FromRocks(s, "reading a history"));
    Decoder d(value);
    if (!DecodeHistory(&d, &history) || d.remaining() != 0) {
      return absl::DataLossError(absl::StrCat(
          "rocksdb: history record of user '", user_id, "' is corrupt"));
    }
    return history;
  }

  absl::Status PutCustomerRecords(
      absl::Span<const std::string> ids,
      absl::Span<const CustomerRecord> records) override {
    if (ids.size() != records.size()) {
      return absl::InvalidArgumentError("ids and records: sizes differ");
    }
    rocksdb::WriteBatch batch;
    for (size_t i = 0; i < ids.size(); ++i) {
      Encoder e;
      EncodeCustomerRecord(records[i], &e);
      batch.Put(customers(), ids[i], e.buffer());
    }
    return Write(&batch, "writing customer records");
  }

  absl::StatusOr<std::optional<CustomerRecord>> GetCustomerRecord(
      absl::string_view user_id) override {
    std::string value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), customers(),
                 rocksdb::Slice(user_id.data(), user_id.size()), &value);
    if (s.IsNotFound()) return std::optional<CustomerRecord>();
    TAILOR_RETURN_IF_ERROR(FromRocks(s, "reading a customer record"));
    Decoder d(value);
    CustomerRecord record;
    if (!DecodeCustomerRecord(&d, &record) || d.remaining() != 0) {
      return absl::DataLossError(absl::StrCat(
          "rocksdb: customer record of user '", user_id, "' is corrupt"));
    }
    return std::optional<CustomerRecord>(std::move(record));
  }

  absl::StatusOr<std::vector<AppendOutcome>> AppendEvents(
      absl::Span<const LoggedEvent> events) override {
    MutexLock lock(&append_mu_);
    std::vector<AppendOutcome> out;
    out.reserve(events.size());
    absl::flat_hash_map<std::string, uint64_t> in_batch;
    rocksdb::WriteBatch batch;
    uint64_t last = last_seq_;
    const std::shared_ptr<const ErasureList> erasures = Erasures();
    for (const LoggedEvent& e : events) {
      if (erasures->Contains(e.event.user_id)) {
        out.push_back({0, false, true});
        continue;
      }
      if (auto it = in_batch.find(e.event_id); it != in_batch.end()) {
        out.push_back({it->second, true});
        continue;
      }
      std::string seen;
      rocksdb::Status st =
          db_->Get(rocksdb::ReadOptions(), event_ids(), e.event_id, &seen);
      if (st.ok() && seen.size() >= 8) {
        out.push_back({GetBigEndian64(seen), true});
        continue;
      }
      if (!st.IsNotFound()) {
        TAILOR_RETURN_IF_ERROR(FromRocks(st, "reading an event id"));
      }
      LoggedEvent stored = e;
      stored.seq = ++last;
      Encoder enc;
      EncodeLoggedEvent(stored, &enc);
      batch.Put(this->events(), SeqKey(stored.seq), enc.buffer());
      // The event twice: by sequence (the trainer's read) and by user (a
      // request's read, one range scan).
      batch.Put(user_events(), UserEventKey(stored.event, stored.seq),
                enc.buffer());
      batch.Put(event_ids(), e.event_id, EventIdValue(stored));
      in_batch.emplace(e.event_id, stored.seq);
      out.push_back({stored.seq, false});
    }
    if (batch.Count() > 0) {
      // The numbering resumes from here after a restart even if the newest
      // events are gone by then (erased, or past the retention).
      std::string floor;
      PutBigEndian64(last, &floor);
      batch.Put(meta(), ToSlice(kSequenceFloorMeta), floor);
      TAILOR_RETURN_IF_ERROR(Write(&batch, "writing events"));
    }
    last_seq_ = last;
    return out;
  }

  uint64_t LastSequence() override {
    MutexLock lock(&append_mu_);
    return last_seq_;
  }

  absl::StatusOr<std::vector<LoggedEvent>> UserEvents(absl::string_view user_id,
                                                      uint64_t after,
                                                      size_t limit) override {
    std::vector<LoggedEvent> out;
    TAILOR_RETURN_IF_ERROR(
        ScanUserEvents(user_id, /*before=*/nullptr, after, limit, &out));
    std::reverse(out.begin(), out.end());
    return out;
  }

  absl::StatusOr<std::vector<LoggedEvent>> UserEventsBefore(
      absl::string_view user_id, const EventPosition* before,
      size_t limit) override {
    std::vector<LoggedEvent> out;
    TAILOR_RETURN_IF_ERROR(
        ScanUserEvents(user_id, before, /*after=*/0, limit, &out));
    return out;
  }

  absl::StatusOr<std::vector<LoggedEvent>> EventsSince(uint64_t after,
                                                       size_t limit) override {
    std::vector<LoggedEvent> out;
    if (limit == 0) return out;
    TAILOR_RETURN_IF_ERROR(
        ScanEvents(db_.get(), events(), after, [&](LoggedEvent&& e) {
          out.push_back(std::move(e));
          return out.size() < limit;
        }));
    return out;
  }

  absl::StatusOr<ErasureReport> EraseUser(absl::string_view user_id) override {
    ErasureReport report;
    {
      // No event or exposure of theirs is appended meanwhile, and none
      // after.
      MutexLock lock(&append_mu_);
      MutexLock exposures_lock(&exposures_mu_);
      const std::shared_ptr<const ErasureList> erasures = Erasures();
      rocksdb::WriteBatch batch;
      std::string key = erasures->key();
      if (key.empty()) {
        TAILOR_ASSIGN_OR_RETURN(key, NewErasureKey());
        batch.Put(meta(), ToSlice(kErasureKeyMeta), key);
      }
      const std::string digest = ErasureDigest(key, user_id);
      report.already_erased = erasures->digests().contains(digest);
      TAILOR_RETURN_IF_ERROR(DeleteUserEvents(user_id, &batch, &report));
      TAILOR_RETURN_IF_ERROR(DeleteUserExposures(user_id, &batch, &report));
      for (auto [cf, removed] :
           {std::pair(history_cf(), &report.history),
            std::pair(customers(), &report.customer_record)}) {
        std::string value;
        rocksdb::Status s =
            db_->Get(rocksdb::ReadOptions(), cf, ToSlice(user_id), &value);
        if (!s.IsNotFound()) {
          TAILOR_RETURN_IF_ERROR(FromRocks(s, "reading a record to erase"));
          batch.Delete(cf, ToSlice(user_id));
          *removed = true;
        }
      }
      batch.Put(meta(), absl::StrCat(kErasedPrefix, digest), "");
      std::string floor;
      PutBigEndian64(last_seq_, &floor);
      batch.Put(meta(), ToSlice(kSequenceFloorMeta), floor);
      batch.Put(meta(), ToSlice(kPurgePendingMeta), "");
      TAILOR_RETURN_IF_ERROR(Write(&batch, "erasing a user"));
      // No id in the log: it would outlive the erasure.
      LogInfo(absl::StrCat("erased a user (", report.events,
                           " events): purging the data directory"));
      if (!report.already_erased) {
        absl::flat_hash_set<std::string> digests = erasures->digests();
        digests.insert(digest);
        SetErasures(
            std::make_shared<const ErasureList>(key, std::move(digests)));
      }
    }
    if (absl::Status s = PurgeErased(); !s.ok()) {
      LogError(absl::StrCat("purging an erasure's records: ", s.ToString(),
                            "; done again at the next erasure or start"));
    } else {
      report.purged = true;
    }
    return report;
  }

  absl::StatusOr<size_t> AdoptErasures(const ErasureList& list) override {
    size_t added = 0;
    {
      MutexLock lock(&append_mu_);
      MutexLock exposures_lock(&exposures_mu_);
      const std::shared_ptr<const ErasureList> erasures = Erasures();
      TAILOR_ASSIGN_OR_RETURN(absl::flat_hash_set<std::string> fresh,
                              NewDigests(*erasures, list));
      if (fresh.empty()) return size_t{0};
      rocksdb::WriteBatch batch;
      if (erasures->key().empty()) {
        batch.Put(meta(), ToSlice(kErasureKeyMeta), list.key());
      }
      // Only digests are known: every key of the families keyed by user
      // is digested and compared.
      for (rocksdb::ColumnFamilyHandle* cf : {history_cf(), customers()}) {
        std::unique_ptr<rocksdb::Iterator> it(
            db_->NewIterator(rocksdb::ReadOptions(), cf));
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
          const absl::string_view user(it->key().data(), it->key().size());
          if (fresh.contains(ErasureDigest(list.key(), user))) {
            batch.Delete(cf, it->key());
          }
        }
        TAILOR_RETURN_IF_ERROR(
            FromRocks(it->status(), "scanning records to erase"));
      }
      std::unique_ptr<rocksdb::Iterator> it(
          db_->NewIterator(rocksdb::ReadOptions(), exposures()));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        const std::optional<absl::string_view> user = ExposuresKeyUser(
            absl::string_view(it->key().data(), it->key().size()));
        if (user.has_value() &&
            fresh.contains(ErasureDigest(list.key(), *user))) {
          batch.Delete(exposures(), it->key());
        }
      }
      TAILOR_RETURN_IF_ERROR(
          FromRocks(it->status(), "scanning exposures to erase"));
      absl::flat_hash_set<std::string> digests = erasures->digests();
      for (const std::string& d : fresh) {
        batch.Put(meta(), absl::StrCat(kErasedPrefix, d), "");
        digests.insert(d);
      }
      batch.Put(meta(), ToSlice(kPurgePendingMeta), "");
      TAILOR_RETURN_IF_ERROR(Write(&batch, "adopting an erasure list"));
      SetErasures(
          std::make_shared<const ErasureList>(list.key(), std::move(digests)));
      added = fresh.size();
      LogInfo(absl::StrCat("took on ", added,
                           " erasures: purging the data directory"));
    }
    TAILOR_RETURN_IF_ERROR(PurgeErased());
    return added;
  }

  std::shared_ptr<const ErasureList> Erasures() override {
    MutexLock lock(&erasures_mu_);
    return erasures_;
  }

  size_t ErasureCount() override {
    return erasure_count_.load(std::memory_order_acquire);
  }

  absl::Status PurgeErased() override {
    MutexLock lock(&purge_mu_);
    // Every write buffer to a table file, so that no log holds a removed
    // record (or a deletion's key) once the files are compacted.
    rocksdb::FlushOptions flush;
    flush.allow_write_stall = true;
    TAILOR_RETURN_IF_ERROR(
        FromRocks(db_->Flush(flush, handles_), "flushing the write buffers"));
    rocksdb::CompactRangeOptions compact;
    compact.exclusive_manual_compaction = false;  // the event log's go on
    compact.bottommost_level_compaction =
        rocksdb::BottommostLevelCompaction::kForce;
    for (rocksdb::ColumnFamilyHandle* cf :
         {events(), user_events(), event_ids(), history_cf(), customers(),
          exposures()}) {
      if (closing_.load(std::memory_order_acquire)) {
        return absl::CancelledError("purge: the store is closing");
      }
      TAILOR_RETURN_IF_ERROR(
          FromRocks(db_->CompactRange(compact, cf, nullptr, nullptr),
                    absl::StrCat("compacting the ", cf->GetName(), " family")));
    }
    // One more change to the table files (the flush of this deletion):
    // the manifest is started afresh at every change
    // (max_manifest_file_size), so that it then names only the files that
    // are left, not the first and last keys of those compacted away.
    rocksdb::WriteBatch done;
    done.Delete(meta(), ToSlice(kPurgePendingMeta));
    TAILOR_RETURN_IF_ERROR(Write(&done, "recording the purge"));
    TAILOR_RETURN_IF_ERROR(
        FromRocks(db_->Flush(flush, meta()), "flushing the metadata"));
    // The logs, table files and manifests left obsolete are deleted now
    // rather than at RocksDB's next periodic cleanup.
    TAILOR_RETURN_IF_ERROR(
        FromRocks(db_->DisableFileDeletions(), "pausing file deletions"));
    TAILOR_RETURN_IF_ERROR(FromRocks(db_->EnableFileDeletions(/*force=*/true),
                                     "deleting obsolete files"));
    LogInfo("purged the data directory of erased records");
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<std::string>> GetMeta(
      absl::string_view key) override {
    std::string value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), meta(),
                 rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    TAILOR_RETURN_IF_ERROR(FromRocks(s, "reading metadata"));
    return std::optional<std::string>(std::move(value));
  }

  absl::Status PutExperiment(const Experiment& experiment) override {
    Encoder e;
    EncodeExperiment(experiment, &e);
    rocksdb::WriteBatch batch;
    batch.Put(meta(), ToSlice(absl::StrCat(kExperimentPrefix, experiment.name)),
              ToSlice(e.buffer()));
    return Write(&batch, "writing an experiment");
  }

  absl::StatusOr<std::vector<Experiment>> LoadExperiments() override {
    std::vector<Experiment> out;
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), meta()));
    for (it->Seek(ToSlice(kExperimentPrefix));
         it->Valid() && it->key().starts_with(ToSlice(kExperimentPrefix));
         it->Next()) {
      Decoder d(absl::string_view(it->value().data(), it->value().size()));
      Experiment& x = out.emplace_back();
      if (!DecodeExperiment(&d, &x)) {
        return absl::DataLossError(
            absl::StrCat("rocksdb: experiment '",
                         it->key().ToString().substr(kExperimentPrefix.size()),
                         "' is corrupt"));
      }
    }
    TAILOR_RETURN_IF_ERROR(FromRocks(it->status(), "reading the experiments"));
    return out;
  }

  absl::StatusOr<size_t> AppendExposures(
      absl::Span<const Exposure> exposures) override {
    // Not beside an erasure: none of the user's is written after it.
    MutexLock lock(&exposures_mu_);
    const std::shared_ptr<const ErasureList> erasures = Erasures();
    rocksdb::WriteBatch batch;
    size_t written = 0;
    for (const Exposure& x : exposures) {
      if (erasures->Contains(x.user_id)) continue;
      Encoder e;
      EncodeExposure(x, &e);
      batch.Put(this->exposures(),
                ToSlice(ExposureKey(x.user_id, x.recommendation_id)),
                ToSlice(e.buffer()));
      ++written;
      // The index, written blind (no read before the write): the latest
      // exposure's arm.
      if (!x.experiment.empty()) {
        batch.Put(this->exposures(),
                  ToSlice(absl::StrCat(ExposedPrefix(x.experiment), x.user_id)),
                  ToSlice(x.arm));
      }
    }
    if (written == 0) return written;
    TAILOR_RETURN_IF_ERROR(Write(&batch, "writing exposures"));
    return written;
  }

  absl::StatusOr<std::vector<Exposure>> UserExposures(
      absl::string_view user_id) override {
    std::vector<Exposure> out;
    const std::string prefix = UserExposuresPrefix(user_id);
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), exposures()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
         it->Next()) {
      Decoder d(absl::string_view(it->value().data(), it->value().size()));
      if (!DecodeExposure(&d, &out.emplace_back())) {
        return absl::DataLossError("rocksdb: an exposure is corrupt");
      }
    }
    TAILOR_RETURN_IF_ERROR(FromRocks(it->status(), "reading exposures"));
    return out;
  }

  absl::StatusOr<bool> HasExposure(
      absl::string_view user_id, absl::string_view recommendation_id) override {
    std::string value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), exposures(),
                 ToSlice(ExposureKey(user_id, recommendation_id)), &value);
    if (s.IsNotFound()) return false;
    TAILOR_RETURN_IF_ERROR(FromRocks(s, "reading an exposure"));
    return true;
  }

  absl::StatusOr<std::vector<ExposedShopper>> ExposedShoppers(
      absl::string_view experiment) override {
    std::vector<ExposedShopper> out;
    const std::string prefix = ExposedPrefix(experiment);
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), exposures()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
         it->Next()) {
      out.push_back({std::string(it->key().data() + prefix.size(),
                                 it->key().size() - prefix.size()),
                     it->value().ToString()});
    }
    TAILOR_RETURN_IF_ERROR(FromRocks(it->status(), "reading exposed shoppers"));
    return out;
  }

  absl::Status PutMeta(absl::string_view key,
                       absl::string_view value) override {
    rocksdb::WriteBatch batch;
    batch.Put(meta(), rocksdb::Slice(key.data(), key.size()),
              rocksdb::Slice(value.data(), value.size()));
    return Write(&batch, "writing metadata");
  }

  absl::StatusOr<std::unique_ptr<BulkLoad>> StartBulkLoad() override {
    bool idle = false;
    if (!loading_.compare_exchange_strong(idle, true)) {
      return absl::FailedPreconditionError(
          "bulk load: another load of this store is in progress");
    }
    auto load = std::make_unique<TableFileLoad>(this);
    TAILOR_RETURN_IF_ERROR(load->Init());
    return std::unique_ptr<BulkLoad>(std::move(load));
  }

  absl::StatusOr<StoreUsage> Usage() override {
    StoreUsage usage;
    const std::pair<const std::string*, int64_t*> sums[] = {
        {&rocksdb::DB::Properties::kCurSizeAllMemTables,
         &usage.write_buffer_bytes},
        {&rocksdb::DB::Properties::kEstimateTableReadersMem,
         &usage.table_reader_bytes},
        {&rocksdb::DB::Properties::kEstimateLiveDataSize,
         &usage.live_data_bytes},
        {&rocksdb::DB::Properties::kEstimatePendingCompactionBytes,
         &usage.pending_compaction_bytes}};
    for (const auto& [name, out] : sums) {
      uint64_t value = 0;
      if (!db_->GetAggregatedIntProperty(*name, &value)) {
        return absl::InternalError(
            absl::StrCat("rocksdb: cannot read the property ", *name));
      }
      *out = static_cast<int64_t>(value);
    }
    std::map<std::string, std::string> db_stats;
    if (db_->GetMapProperty(rocksdb::DB::Properties::kDBStats, &db_stats)) {
      auto it = db_stats.find("db.user_write_stall_micros");
      if (it != db_stats.end() &&
          absl::SimpleAtoi(it->second, &usage.write_stall_micros)) {
        usage.write_stall_micros =
            std::max<int64_t>(0, usage.write_stall_micros);
      }
    }
    usage.block_cache_bytes = static_cast<int64_t>(cache_->GetUsage());
    usage.block_cache_capacity = static_cast<int64_t>(cache_->GetCapacity());
    std::vector<rocksdb::LiveFileMetaData> files;
    db_->GetLiveFilesMetaData(&files);
    usage.table_files = static_cast<int64_t>(files.size());
    return usage;
  }

 private:
  // Appends to `out` the user's events with a sequence number above
  // `after`, newest first from just before `before` (or from the newest),
  // at most `limit`. Reading from the end of the user's range, a request
  // reads at most `limit` events however long the user's log is. Values
  // hold the event itself (databases written before that hold nothing: the
  // event is then read from the events family).
  absl::Status ScanUserEvents(absl::string_view user_id,
                              const EventPosition* before, uint64_t after,
                              size_t limit, std::vector<LoggedEvent>* out) {
    const std::string prefix = UserPrefix(user_id);
    std::string end = prefix;
    if (before != nullptr) {
      PutEventPosition(*before, &end);
    } else {
      end.append(16, '\xff');
    }
    rocksdb::ReadOptions read;
    read.prefix_same_as_start = true;  // this user's files only
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(read, user_events()));
    for (it->SeekForPrev(end);
         it->Valid() && it->key().starts_with(prefix) && out->size() < limit;
         it->Prev()) {
      if (it->key().size() != prefix.size() + 16) {
        return absl::DataLossError("rocksdb: a user_events key is corrupt");
      }
      if (before != nullptr && it->key() == rocksdb::Slice(end)) continue;
      const uint64_t seq = GetBigEndian64(
          absl::string_view(it->key().data() + prefix.size() + 8, 8));
      if (seq <= after) continue;
      std::string stored;
      absl::string_view value(it->value().data(), it->value().size());
      if (value.empty()) {
        TAILOR_RETURN_IF_ERROR(FromRocks(
            db_->Get(rocksdb::ReadOptions(), events(), SeqKey(seq), &stored),
            "reading an event"));
        value = stored;
      }
      TAILOR_ASSIGN_OR_RETURN(LoggedEvent e, DecodeEvent(value, seq));
      out->push_back(std::move(e));
    }
    return FromRocks(it->status(), "scanning user events");
  }

  // Adds to `batch` the deletion of every logged event of `user_id` (by
  // user, by sequence, and its idempotency key), counting them in
  // `report`.
  // Adds to `batch` the deletion of the user's exposures and of their
  // entries in each experiment's shoppers, counting them in `report`.
  absl::Status DeleteUserExposures(absl::string_view user_id,
                                   rocksdb::WriteBatch* batch,
                                   ErasureReport* report)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(exposures_mu_) {
    TAILOR_ASSIGN_OR_RETURN(std::vector<Exposure> exposures,
                            UserExposures(user_id));
    absl::flat_hash_set<std::string> experiments;
    for (const Exposure& x : exposures) {
      batch->Delete(this->exposures(),
                    ToSlice(ExposureKey(user_id, x.recommendation_id)));
      if (!x.experiment.empty()) experiments.insert(x.experiment);
    }
    for (const std::string& experiment : experiments) {
      batch->Delete(this->exposures(),
                    ToSlice(absl::StrCat(ExposedPrefix(experiment), user_id)));
    }
    report->exposures = static_cast<int64_t>(exposures.size());
    return absl::OkStatus();
  }

  absl::Status DeleteUserEvents(absl::string_view user_id,
                                rocksdb::WriteBatch* batch,
                                ErasureReport* report)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_) {
    const std::string prefix = UserPrefix(user_id);
    rocksdb::ReadOptions read;
    read.prefix_same_as_start = true;
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(read, user_events()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
         it->Next()) {
      if (it->key().size() != prefix.size() + 16) {
        return absl::DataLossError("rocksdb: a user_events key is corrupt");
      }
      const uint64_t seq = GetBigEndian64(
          absl::string_view(it->key().data() + prefix.size() + 8, 8));
      std::string stored;
      absl::string_view value(it->value().data(), it->value().size());
      if (value.empty()) {
        TAILOR_RETURN_IF_ERROR(FromRocks(
            db_->Get(rocksdb::ReadOptions(), events(), SeqKey(seq), &stored),
            "reading an event to erase"));
        value = stored;
      }
      TAILOR_ASSIGN_OR_RETURN(LoggedEvent e, DecodeEvent(value, seq));
      batch->Delete(user_events(), it->key());
      batch->Delete(events(), SeqKey(seq));
      batch->Delete(event_ids(), e.event_id);
      ++report->events;
    }
    return FromRocks(it->status(), "scanning events to erase");
  }

  void SetErasures(std::shared_ptr<const ErasureList> erasures) {
    MutexLock lock(&erasures_mu_);
    erasure_count_.store(erasures->size(), std::memory_order_release);
    erasures_ = std::move(erasures);
  }

  // The compactor's run: compacts the imported families whole.
  void CompactImports() {
    rocksdb::CompactRangeOptions options;
    options.exclusive_manual_compaction = false;  // the event log's go on
    for (rocksdb::ColumnFamilyHandle* cf :
         {catalog(), history_cf(), customers()}) {
      rocksdb::Status s = db_->CompactRange(options, cf, nullptr, nullptr);
      if (closing_.load(std::memory_order_acquire)) return;
      if (!s.ok()) {
        LogWarning(absl::StrCat("compacting the imported ", cf->GetName(),
                                " family: ", s.ToString()));
      }
    }
  }

  // Writes each family's records to a table file (SstFileWriter) in
  // `<path>/bulk_load`, on the calling thread, and adds the files to the
  // database in one atomic ingestion on Commit: no write-ahead log, no
  // write buffer, no flush, and the event log's writes never queue behind
  // the load's. The directory is emptied when a load starts (a crash
  // leaves its files) and when it is destroyed.
  // Thread safety: one thread at a time (BulkLoad).
  class TableFileLoad : public BulkLoad {
   public:
    explicit TableFileLoad(RocksDbStateStore* store)
        : store_(store),
          dir_(store->path_ + "/bulk_load"),
          families_{Family("catalog", store->catalog()),
                    Family("history", store->history_cf()),
                    Family("customer record", store->customers())} {}
    ~TableFileLoad() override {
      for (Family& f : families_) f.writer.reset();
      RemoveDir();
      store_->loading_.store(false, std::memory_order_release);
    }

    absl::Status Init() {
      RemoveDir();
      return FromRocks(store_->db_->GetEnv()->CreateDirIfMissing(dir_),
                       "creating the bulk load's directory");
    }

    absl::Status AddItem(const Item& item) override {
      Encoder e;
      EncodeItem(item, &e);
      return Add(&families_[0], item.item_id, e.buffer());
    }
    absl::Status AddHistory(absl::string_view user_id,
                            const UserHistory& history) override {
      Encoder e;
      EncodeHistory(history, &e);
      return Add(&families_[1], user_id, e.buffer());
    }
    absl::Status AddCustomerRecord(absl::string_view user_id,
                                   const CustomerRecord& record) override {
      Encoder e;
      EncodeCustomerRecord(record, &e);
      return Add(&families_[2], user_id, e.buffer());
    }

    absl::Status Commit() override {
      if (committed_) {
        return absl::FailedPreconditionError("bulk load: committed already");
      }
      committed_ = true;
      std::vector<rocksdb::IngestExternalFileArg> args;
      for (Family& f : families_) {
        if (f.writer == nullptr) continue;
        TAILOR_RETURN_IF_ERROR(FromRocks(
            f.writer->Finish(),
            absl::StrCat("finishing the bulk load's ", f.name, " table")));
        f.writer.reset();
        rocksdb::IngestExternalFileArg arg;
        arg.column_family = f.cf;
        arg.external_files = {f.file};
        arg.options.move_files = true;  // a hard link: same volume
        arg.options.write_global_seqno = false;
        args.push_back(std::move(arg));
      }
      if (args.empty()) return absl::OkStatus();
      TAILOR_RETURN_IF_ERROR(store_->CheckFreeSpace("adding a bulk load"));
      TAILOR_RETURN_IF_ERROR(FromRocks(store_->db_->IngestExternalFiles(args),
                                       "adding the bulk load's table files"));
      store_->compactor_->Request();
      return absl::OkStatus();
    }

   private:
    // The free space is checked every this many bytes of a table file.
    static constexpr uint64_t kCheckSpaceEvery = uint64_t{4} << 20;

    struct Family {
      Family(const char* family_name, rocksdb::ColumnFamilyHandle* handle)
          : name(family_name), cf(handle), order(family_name) {}
      std::string name;
      rocksdb::ColumnFamilyHandle* cf;
      BulkKeyOrder order;
      std::unique_ptr<rocksdb::SstFileWriter> writer;  // from the first add
      std::string file;
      uint64_t checked_at = 0;  // the file's size at the last space check
    };

    absl::Status Add(Family* f, absl::string_view key,
                     absl::string_view value) {
      TAILOR_RETURN_IF_ERROR(f->order.Next(key));
      const std::string what =
          absl::StrCat("writing the bulk load's ", f->name, " table");
      if (f->writer == nullptr) {
        TAILOR_RETURN_IF_ERROR(store_->CheckFreeSpace(what));
        rocksdb::DB* db = store_->db_.get();
        f->writer = std::make_unique<rocksdb::SstFileWriter>(
            rocksdb::EnvOptions(db->GetDBOptions()), db->GetOptions(f->cf),
            f->cf);
        f->file = absl::StrCat(dir_, "/", f->cf->GetName(), ".sst");
        TAILOR_RETURN_IF_ERROR(FromRocks(f->writer->Open(f->file), what));
      }
      TAILOR_RETURN_IF_ERROR(
          FromRocks(f->writer->Put(rocksdb::Slice(key.data(), key.size()),
                                   rocksdb::Slice(value.data(), value.size())),
                    what));
      if (const uint64_t size = f->writer->FileSize();
          size >= f->checked_at + kCheckSpaceEvery) {
        f->checked_at = size;
        TAILOR_RETURN_IF_ERROR(store_->CheckFreeSpace(what));
      }
      return absl::OkStatus();
    }

    void RemoveDir() {
      rocksdb::Env* env = store_->db_->GetEnv();
      std::vector<std::string> children;
      if (!env->GetChildren(dir_, &children).ok()) return;
      for (const std::string& c : children) {
        if (c == "." || c == "..") continue;
        env->DeleteFile(absl::StrCat(dir_, "/", c)).PermitUncheckedError();
      }
      env->DeleteDir(dir_).PermitUncheckedError();
    }

    RocksDbStateStore* const store_;
    const std::string dir_;
    Family families_[3];
    bool committed_ = false;
  };

  // UNAVAILABLE when the data volume has less than min_free_bytes_ free:
  // the write is refused before RocksDB runs out of room. (A write that
  // fails for want of room leaves RocksDB 7.8 able to reuse the failed log
  // file after recovering, which Debian's build stops on with an
  // assertion; and a flush needs room for a whole write buffer.)
  absl::Status CheckFreeSpace(absl::string_view what) const {
    struct statvfs fs;
    if (statvfs(path_.c_str(), &fs) != 0) return absl::OkStatus();
    const int64_t free_bytes =
        static_cast<int64_t>(fs.f_bavail) * static_cast<int64_t>(fs.f_frsize);
    if (free_bytes >= min_free_bytes_) return absl::OkStatus();
    return absl::UnavailableError(absl::StrCat(
        "rocksdb: ", what, ": the data volume is full: ", free_bytes >> 20,
        " MB free in '", path_, "', less than the ", min_free_bytes_ >> 20,
        " MB kept free (--min_free_disk_mb); nothing of this write was "
        "stored; writing resumes by itself once more is free"));
  }

  // A synced write. After a write fails (a full or read-only volume),
  // RocksDB refuses every write until resumed; the next write resumes it
  // first, which succeeds once the cause is gone, so that writing comes
  // back by itself.
  absl::Status Write(rocksdb::WriteBatch* batch, absl::string_view what) {
    TAILOR_RETURN_IF_ERROR(CheckFreeSpace(what));
    if (write_failed_.load(std::memory_order_acquire)) {
      // Busy: RocksDB is recovering by itself (it does from a full
      // volume); the write below fails until it has.
      if (rocksdb::Status r = db_->Resume(); !r.ok() && !r.IsBusy()) {
        return FromRocks(
            r, absl::StrCat(what, " (resuming after a failed write)"));
      }
    }
    rocksdb::Status s = db_->Write(sync_, batch);
    write_failed_.store(!s.ok(), std::memory_order_release);
    return FromRocks(s, what);
  }

  rocksdb::ColumnFamilyHandle* catalog() const { return handles_[1]; }
  rocksdb::ColumnFamilyHandle* history_cf() const { return handles_[2]; }
  rocksdb::ColumnFamilyHandle* meta() const { return handles_[3]; }
  rocksdb::ColumnFamilyHandle* customers() const { return handles_[4]; }
  rocksdb::ColumnFamilyHandle* events() const { return handles_[5]; }
  rocksdb::ColumnFamilyHandle* user_events() const { return handles_[6]; }
  rocksdb::ColumnFamilyHandle* event_ids() const { return handles_[7]; }
  rocksdb::ColumnFamilyHandle* live_catalog() const { return handles_[8]; }
  rocksdb::ColumnFamilyHandle* exposures() const { return handles_[9]; }

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  const std::shared_ptr<rocksdb::Cache> cache_;  // every family's
  rocksdb::WriteOptions sync_;
  std::atomic<bool> write_failed_{false};
  const std::string path_;
  const int64_t min_free_bytes_;
  std::atomic<bool> loading_{false};  // a TableFileLoad exists
  std::atomic<bool> closing_{false};
  std::unique_ptr<BackgroundTask> compactor_;  // CompactImports
  std::unique_ptr<BackgroundTask> purger_;     // PurgeErased, after a crash
  Mutex purge_mu_;                             // one purge at a time
  Mutex erasures_mu_;
  std::shared_ptr<const ErasureList> erasures_ ABSL_GUARDED_BY(erasures_mu_) =
      std::make_shared<const ErasureList>();
  std::atomic<size_t> erasure_count_{0};
  // Serialises live-catalog changes (each reads what the last stored).
  Mutex catalog_mu_;
  // The last live-catalog entry's number (read at the first change).
  std::optional<uint64_t> live_catalog_seq_ ABSL_GUARDED_BY(catalog_mu_);
  // Serialises appends: idempotency checks and sequence numbers.
  Mutex append_mu_;
  uint64_t last_seq_ ABSL_GUARDED_BY(append_mu_) = 0;
  // Exposure writes; erasures hold it too (after append_mu_).
  Mutex exposures_mu_;
};

// The events, meta and live_catalog column families of a secondary
// instance.
// Thread safety: not thread-safe (see EventLogReader).
class RocksDbEventLogReader : public EventLogReader {
 public:
  RocksDbEventLogReader(std::unique_ptr<rocksdb::DB> db,
                        std::vector<rocksdb::ColumnFamilyHandle*> handles)
      : db_(std::move(db)), handles_(std::move(handles)) {}
  ~RocksDbEventLogReader() override {
    for (auto* h : handles_) {
      db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    }
    db_->Close().PermitUncheckedError();
  }

  absl::StatusOr<uint64_t> CatchUp() override {
    TAILOR_RETURN_IF_ERROR(
        FromRocks(db_->TryCatchUpWithPrimary(), "catching up with the server"));
    return LastSequenceIn(db_.get(), handles_[1]);
  }

  absl::Status ReadEvents(
      uint64_t after, uint64_t through,
      const std::function<void(LoggedEvent&&)>& fn) override {
    return ScanEvents(db_.get(), handles_[1], after, [&](LoggedEvent&& e) {
      if (e.seq > through) return false;
      fn(std::move(e));
      return true;
    });
  }

  absl::StatusOr<ErasureList> Erasures() override {
    return ReadErasureList(db_.get(), handles_[2]);
  }

  absl::StatusOr<std::vector<LiveItem>> LiveCatalog() override {
    return ReadLiveCatalog(db_.get(), handles_[3]);
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<EventLogReader>> OpenEventLogReader(
    const std::string& db_path, const std::string& secondary_path) {
  rocksdb::Options options;
  options.max_open_files = -1;  // required for a secondary instance
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {"events", rocksdb::ColumnFamilyOptions()},
      {"meta", rocksdb::ColumnFamilyOptions()},
      {"live_catalog", rocksdb::ColumnFamilyOptions()}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenAsSecondary(
      options, db_path, secondary_path, families, &handles, &raw);
  if (!s.ok()) {
    absl::Status status = FromRocks(
        s, absl::StrCat("opening the event log in '", db_path,
                        "' (a tailor-server --data_dir) as a secondary"));
    if (s.IsInvalidArgument() || s.IsPathNotFound() || s.IsNotFound()) {
      return absl::NotFoundError(status.message());
    }
    return status;
  }
  return std::unique_ptr<EventLogReader>(new RocksDbEventLogReader(
      std::unique_ptr<rocksdb::DB>(raw), std::move(handles)));
}

namespace {

// RocksDB names a damaged table file in the open's status, but a damaged
// write-ahead log only in its info log ("<path>/000012.log: dropping 9447
// bytes; Corruption: ..."): the last such line of `path`/LOG, or "".
std::string DamagedLogReport(const std::string& path) {
  std::ifstream in(std::filesystem::path(path) / "LOG");
  std::string line, last;
  while (std::getline(in, line)) {
    if (line.find(".log: dropping") != std::string::npos) last = line;
  }
  const size_t begin = last.find(path);
  return begin == std::string::npos ? std::string() : last.substr(begin);
}

// The open's failure, with what it means for the operator and what to do.
absl::Status OpenError(const std::string& path, const rocksdb::Status& s) {
  if (s.IsCorruption()) {
    std::string detail = s.ToString();
    if (std::string log = DamagedLogReport(path); !log.empty()) {
      absl::StrAppend(&detail, " (", log, ")");
    }
    return absl::DataLossError(absl::StrCat(
        "data_dir '", path, "' is damaged: ", detail,
        ". tailor-server does not serve from a damaged store, so that it "
        "never answers from records that are not there. To recover: restore "
        "the directory from a backup, or start once with --salvage_data_dir, "
        "which keeps every record that checks out, moves the files it cannot "
        "read to '",
        path,
        "/lost' and imports the snapshot's catalog, histories and customer "
        "records again (events recorded since the snapshot that were in the "
        "damaged files are lost)"));
  }
  if (s.IsIOError()) {
    return absl::UnavailableError(absl::StrCat(
        "data_dir '", path, "' cannot be opened: ", s.ToString(),
        ". tailor-server writes its event log there: the directory must be "
        "writable, on a volume with free space"));
  }
  return FromRocks(s, absl::StrCat("opening '", path, "'"));
}

// RocksDB's RepairDB over `path`; returns what it moved to `path`/lost
// (names and sizes), or "nothing".
absl::StatusOr<std::string> Salvage(
    const std::string& path, const rocksdb::Options& options,
    const std::vector<rocksdb::ColumnFamilyDescriptor>& families) {
  TAILOR_RETURN_IF_ERROR(FromRocks(rocksdb::RepairDB(path, options, families),
                                   absl::StrCat("salvaging '", path, "'")));
  std::vector<std::string> moved;
  std::error_code ec;
  const std::filesystem::path lost = std::filesystem::path(path) / "lost";
  for (auto it = std::filesystem::recursive_directory_iterator(lost, ec);
       !ec && it != std::filesystem::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    moved.push_back(
        absl::StrCat(std::filesystem::relative(it->path(), path).string(), " (",
                     it->file_size(), " bytes)"));
  }
  std::sort(moved.begin(), moved.end());
  return moved.empty() ? std::string("nothing") : absl::StrJoin(moved, ", ");
}

// Opens the database at `path` with `options`, except that its manifest
// is started afresh (with the live table files only) at every change to the
// table files, rather than appended to until it reaches 1 GB: the manifest
// names each table file's first and last key, which must not outlive an
// erasure's purge (PurgeErased). A few kilobytes written per flush or
// compaction. RocksDB 7.8 cannot start a manifest while it creates a
// column family (an assertion in Debian's build), so a database missing
// some of `families` (a new or a salvaged one) is first opened once with
// the default manifest size to create them.
rocksdb::Status OpenWithFreshManifests(
    rocksdb::Options options, const std::string& path,
    const std::vector<rocksdb::ColumnFamilyDescriptor>& families,
    std::vector<rocksdb::ColumnFamilyHandle*>* handles, rocksdb::DB** db) {
  std::vector<std::string> names;
  bool complete = rocksdb::DB::ListColumnFamilies(options, path, &names).ok();
  for (const rocksdb::ColumnFamilyDescriptor& f : families) {
    complete = complete &&
               std::find(names.begin(), names.end(), f.name) != names.end();
  }
  if (!complete) {
    rocksdb::DB* created = nullptr;
    std::vector<rocksdb::ColumnFamilyHandle*> created_handles;
    rocksdb::Status s =
        rocksdb::DB::Open(options, path, families, &created_handles, &created);
    if (!s.ok()) return s;
    for (rocksdb::ColumnFamilyHandle* h : created_handles) {
      created->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    }
    s = created->Close();
    delete created;
    if (!s.ok()) return s;
  }
  options.max_manifest_file_size = 1;
  return rocksdb::DB::Open(options, path, families, handles, db);
}

}  // namespace

absl::StatusOr<std::unique_ptr<StateStore>> OpenRocksDbStateStore(
    const std::string& path, const StateStoreOptions& store_options) {
  if (store_options.block_cache_bytes < kMinBlockCacheBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "block_cache_mb: must be at least ", kMinBlockCacheBytes >> 20,
        " (the table files' index and filter blocks are kept in it), got ",
        store_options.block_cache_bytes >> 20));
  }
  if (store_options.min_free_bytes < kMinFreeBytesFloor) {
    return absl::InvalidArgumentError(absl::StrCat(
        "min_free_disk_mb: must be at least ", kMinFreeBytesFloor >> 20,
        " (RocksDB needs room to flush its write buffers and to recover; "
        "a write that fails inside it on a full volume can stop the "
        "server), got ",
        store_options.min_free_bytes >> 20));
  }
  if (store_options.event_retention_seconds < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "event_retention_days: must be >= 0 (0 keeps every event), got ",
        store_options.event_retention_seconds / 86400));
  }
  const int64_t retention = store_options.event_retention_seconds;
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.IncreaseParallelism(2);
  // Compactions run at the lowest priority (nice 19): they are never
  // urgent, and at nice 0 they would take the CPU from the request path
  // for tens of milliseconds at a time. Flushes keep theirs: a flush that
  // falls behind stalls the writes.
  if (rocksdb::Status st = options.env->LowerThreadPoolCPUPriority(
          rocksdb::Env::Priority::LOW, rocksdb::CpuPriority::kLow);
      !st.ok()) {
    LogWarning(
        absl::StrCat("cannot lower the priority of RocksDB's "
                     "compactions: ",
                     st.ToString()));
  }
  // Table files (flushes, compactions, bulk loads) are handed to the disk
  // a megabyte at a time as they are written rather than synced whole at
  // the end, and flushes and compactions together write at most
  // kBackgroundWriteRate: a compaction's tens of MB sent to the disk at
  // once kept each sync of the event log (every RecordEvents batch)
  // waiting behind them for up to 180 ms.
  options.bytes_per_sync = 1 << 20;
  options.rate_limiter.reset(
      rocksdb::NewGenericRateLimiter(kBackgroundWriteRate));
  // Every write is synced before it is acknowledged, so only the last
  // record of a log can be incomplete (a crash during its write, never
  // acknowledged): that is tolerated, and damage anywhere else fails the
  // open rather than dropping the acknowledged records after it.
  options.wal_recovery_mode =
      rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  // 16 shards (RocksDB's choice would be 64 of 1 MB for 64 MB: too small
  // for the larger blocks), half of each for index and filter blocks.
  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(
      static_cast<size_t>(store_options.block_cache_bytes),
      /*num_shard_bits=*/4, /*strict_capacity_limit=*/false,
      /*high_pri_pool_ratio=*/0.5);
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, CachedFamily(cache, false)},
      {"catalog", CachedFamily(cache, false)},
      {"history", CachedFamily(cache, false)},
      {"meta", CachedFamily(cache, false)},
      {"customers", CachedFamily(cache, false)},
      {"events", WithRetention(EventLogFamily(CachedFamily(cache, false)),
                               retention, EventsEntryTime)},
      {"user_events",
       WithRetention(EventLogFamily(CachedFamily(
                         cache, true, std::make_shared<UserPrefixTransform>())),
                     retention, UserEventsEntryTime)},
      {"event_ids", WithRetention(EventLogFamily(CachedFamily(cache, true)),
                                  retention, EventIdsEntryTime)},
      {"live_catalog", CachedFamily(cache, false)},
      {"exposures", WithRetention(EventLogFamily(CachedFamily(cache, false)),
                                  retention, ExposuresEntryTime)}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      OpenWithFreshManifests(options, path, families, &handles, &raw);
  bool salvaged = false;
  if (s.IsCorruption() && store_options.salvage) {
    LogWarning(absl::StrCat("data_dir '", path, "' is damaged (", s.ToString(),
                            "): salvaging it"));
    TAILOR_ASSIGN_OR_RETURN(std::string moved,
                            Salvage(path, options, families));
    s = OpenWithFreshManifests(options, path, families, &handles, &raw);
    if (s.ok()) {
      LogWarning(absl::StrCat("salvaged data_dir '", path,
                              "': moved what could not be read: ", moved));
      salvaged = true;
    }
  }
  if (!s.ok()) return OpenError(path, s);
  auto store = std::make_unique<RocksDbStateStore>(
      std::unique_ptr<rocksdb::DB>(raw), std::move(handles), std::move(cache),
      path, store_options.min_free_bytes);
  TAILOR_RETURN_IF_ERROR(store->Init());
  if (salvaged) {
    TAILOR_RETURN_IF_ERROR(store->ForgetImportedSnapshot());
    LogWarning(absl::StrCat("the salvaged event log ends at sequence ",
                            store->LastSequence(),
                            "; the snapshot's state will be imported again"));
  }
  return std::unique_ptr<StateStore>(std::move(store));
}

}  // namespace tailor
