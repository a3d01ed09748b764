// RocksDB implementation of StateStore.
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "core/mutex.h"
#include "core/status_macros.h"
#include "storage/records.h"
#include "storage/state_store.h"

namespace tailor {
namespace {

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat("rocksdb: ", what, ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsIOError()) return absl::UnavailableError(msg);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) {
    return absl::UnavailableError(msg);
  }
  return absl::InternalError(msg);
}

// Column family handles are owned by the DB wrapper and closed before it.
// Thread safety: RocksDB calls are thread-safe; read-modify-write merges of
// histories are serialised by merge_mu_.
class RocksDbStateStore : public StateStore {
 public:
  RocksDbStateStore(std::unique_ptr<rocksdb::DB> db,
                    std::vector<rocksdb::ColumnFamilyHandle*> handles)
      : db_(std::move(db)), handles_(std::move(handles)) {
    sync_.sync = true;
  }

  ~RocksDbStateStore() override {
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
    return FromRocks(db_->Write(sync_, &batch), "writing catalog items");
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

  absl::Status MergeHistories(
      const std::vector<HistoryUpdate>& updates) override {
    MutexLock lock(&merge_mu_);
    rocksdb::WriteBatch batch;
    for (const HistoryUpdate& u : updates) {
      TAILOR_ASSIGN_OR_RETURN(std::vector<HistoryEntry> history,
                              GetHistory(u.user_id));
      MergeHistoryEntries(u.entries, &history);
      Encoder e;
      EncodeHistory(history, &e);
      batch.Put(history_cf(), u.user_id, e.buffer());
    }
    return FromRocks(db_->Write(sync_, &batch), "writing histories");
  }

  absl::StatusOr<std::vector<HistoryEntry>> GetHistory(
      absl::string_view user_id) override {
    std::string value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), history_cf(),
                 rocksdb::Slice(user_id.data(), user_id.size()), &value);
    std::vector<HistoryEntry> history;
    if (s.IsNotFound()) return history;
    TAILOR_RETURN_IF_ERROR(FromRocks(s, "reading a history"));
    Decoder d(value);
    if (!DecodeHistory(&d, &history)) {
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
    return FromRocks(db_->Write(sync_, &batch), "writing customer records");
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

  absl::Status PutMeta(absl::string_view key,
                       absl::string_view value) override {
    return FromRocks(
        db_->Put(sync_, meta(), rocksdb::Slice(key.data(), key.size()),
                 rocksdb::Slice(value.data(), value.size())),
        "writing metadata");
  }

 private:
  rocksdb::ColumnFamilyHandle* catalog() const { return handles_[1]; }
  rocksdb::ColumnFamilyHandle* history_cf() const { return handles_[2]; }
  rocksdb::ColumnFamilyHandle* meta() const { return handles_[3]; }
  rocksdb::ColumnFamilyHandle* customers() const { return handles_[4]; }

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::WriteOptions sync_;
  Mutex merge_mu_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<StateStore>> OpenRocksDbStateStore(
    const std::string& path) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.IncreaseParallelism(2);
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {"catalog", rocksdb::ColumnFamilyOptions()},
      {"history", rocksdb::ColumnFamilyOptions()},
      {"meta", rocksdb::ColumnFamilyOptions()},
      {"customers", rocksdb::ColumnFamilyOptions()}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  TAILOR_RETURN_IF_ERROR(
      FromRocks(rocksdb::DB::Open(options, path, families, &handles, &raw),
                absl::StrCat("opening '", path, "'")));
  return std::unique_ptr<StateStore>(new RocksDbStateStore(
      std::unique_ptr<rocksdb::DB>(raw), std::move(handles)));
}

}  // namespace tailor
