// A StateStore held in memory, for tests and benchmarks (the server opens
// the RocksDB one, OpenRocksDbStateStore).
#ifndef TAILOR_STORAGE_MEMORY_STATE_STORE_H_
#define TAILOR_STORAGE_MEMORY_STATE_STORE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/base/catalog.h"
#include "core/base/mutex.h"
#include "core/customers/customer_record.h"
#include "storage/state_store.h"

namespace tailor {

// An in-memory StateStore for tests and benchmarks: nothing is durable.
// Thread safety: all methods lock one mutex.
class MemoryStateStore : public StateStore {
 public:
  absl::Status PutItems(const std::vector<Item>& items) override;
  absl::StatusOr<std::vector<Item>> LoadCatalog() override;
  absl::StatusOr<CatalogWrite> ChangeCatalog(
      absl::Span<const CatalogChange> changes, int64_t now_unix) override;
  absl::Status AdoptLiveCatalog(absl::Span<const LiveItem> entries) override;
  absl::StatusOr<std::vector<LiveItem>> LoadLiveCatalog() override;
  absl::Status PutHistories(absl::Span<const std::string> ids,
                            absl::Span<const UserHistory> histories) override;
  absl::StatusOr<UserHistory> GetHistory(absl::string_view user_id) override;
  absl::Status PutCustomerRecords(
      absl::Span<const std::string> ids,
      absl::Span<const CustomerRecord> records) override;
  absl::StatusOr<std::optional<CustomerRecord>> GetCustomerRecord(
      absl::string_view user_id) override;
  absl::StatusOr<std::vector<AppendOutcome>> AppendEvents(
      absl::Span<const LoggedEvent> events) override;
  absl::StatusOr<std::vector<LoggedEvent>> UserEvents(absl::string_view user_id,
                                                      uint64_t after,
                                                      size_t limit) override;
  absl::StatusOr<std::vector<LoggedEvent>> UserEventsBefore(
      absl::string_view user_id, const EventPosition* before,
      size_t limit) override;
  uint64_t LastSequence() override;
  absl::StatusOr<std::vector<LoggedEvent>> EventsSince(uint64_t after,
                                                       size_t limit) override;
  absl::StatusOr<size_t> AppendExposures(
      absl::Span<const Exposure> exposures) override;
  absl::StatusOr<std::vector<Exposure>> UserExposures(
      absl::string_view user_id) override;
  absl::StatusOr<bool> HasExposure(
      absl::string_view user_id, absl::string_view recommendation_id) override;
  absl::StatusOr<std::vector<ExposedShopper>> ExposedShoppers(
      absl::string_view experiment) override;
  absl::Status PutExperiment(const Experiment& experiment) override;
  absl::StatusOr<std::vector<Experiment>> LoadExperiments() override;
  absl::StatusOr<std::optional<std::string>> GetMeta(
      absl::string_view key) override;
  absl::Status PutMeta(absl::string_view key, absl::string_view value) override;
  absl::StatusOr<ErasureReport> EraseUser(absl::string_view user_id) override;
  absl::StatusOr<size_t> AdoptErasures(const ErasureList& list) override;
  std::shared_ptr<const ErasureList> Erasures() override;
  size_t ErasureCount() override;
  absl::Status PurgeErased() override { return absl::OkStatus(); }
  absl::StatusOr<std::unique_ptr<BulkLoad>> StartBulkLoad() override;
  absl::StatusOr<StoreUsage> Usage() override { return StoreUsage(); }

 private:
  class Load;

  Mutex mu_;
  bool loading_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, Item> catalog_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, LiveItem> live_catalog_ ABSL_GUARDED_BY(mu_);
  uint64_t live_catalog_seq_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, UserHistory> history_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> meta_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Experiment> experiments_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, CustomerRecord> customers_
      ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, LoggedEvent> events_ ABSL_GUARDED_BY(mu_);
  // By user, then recommendation_id; by experiment, then user: the arm.
  std::map<std::string, std::map<std::string, Exposure>, std::less<>> exposures_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::map<std::string, std::string, std::less<>>,
           std::less<>>
      exposed_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint64_t> event_ids_ ABSL_GUARDED_BY(mu_);
  uint64_t last_seq_ ABSL_GUARDED_BY(mu_) = 0;
  std::shared_ptr<const ErasureList> erasures_ ABSL_GUARDED_BY(mu_) =
      std::make_shared<const ErasureList>();
};

}  // namespace tailor

#endif  // TAILOR_STORAGE_MEMORY_STATE_STORE_H_
