#include "storage/memory_state_store.h"

#include <algorithm>
#include <utility>

#include "core/base/status_macros.h"

namespace tailor {

absl::Status MemoryStateStore::PutItems(const std::vector<Item>& items) {
  MutexLock lock(&mu_);
  for (const Item& it : items) catalog_[it.item_id] = it;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Item>> MemoryStateStore::LoadCatalog() {
  MutexLock lock(&mu_);
  std::vector<Item> items;
  items.reserve(catalog_.size());
  for (const auto& [id, it] : catalog_) items.push_back(it);
  return items;
}

absl::StatusOr<CatalogWrite> MemoryStateStore::ChangeCatalog(
    absl::Span<const CatalogChange> changes, int64_t now_unix) {
  MutexLock lock(&mu_);
  TAILOR_ASSIGN_OR_RETURN(
      CatalogWrite write,
      PlanCatalogChanges(changes, now_unix, live_catalog_seq_ + 1,
                         [&](const std::vector<std::string>& ids,
                             std::vector<std::optional<LiveItem>>* live,
                             std::vector<std::optional<Item>>* base)
                             ABSL_NO_THREAD_SAFETY_ANALYSIS {
                               for (size_t k = 0; k < ids.size(); ++k) {
                                 if (auto it = live_catalog_.find(ids[k]);
                                     it != live_catalog_.end()) {
                                   (*live)[k] = it->second;
                                 }
                                 if (auto it = catalog_.find(ids[k]);
                                     it != catalog_.end()) {
                                   (*base)[k] = it->second;
                                 }
                               }
                               return absl::OkStatus();
                             }));
  for (const LiveItem& entry : write.entries) {
    live_catalog_[entry.item.item_id] = entry;
    live_catalog_seq_ = entry.seq;
  }
  return write;
}

absl::Status MemoryStateStore::AdoptLiveCatalog(
    absl::Span<const LiveItem> entries) {
  MutexLock lock(&mu_);
  for (const LiveItem& entry : entries) {
    auto [it, inserted] = live_catalog_.try_emplace(entry.item.item_id, entry);
    if (!inserted && it->second.seq <= entry.seq) it->second = entry;
    live_catalog_seq_ = std::max(live_catalog_seq_, entry.seq);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<LiveItem>> MemoryStateStore::LoadLiveCatalog() {
  MutexLock lock(&mu_);
  std::vector<LiveItem> out;
  out.reserve(live_catalog_.size());
  for (const auto& [id, entry] : live_catalog_) out.push_back(entry);
  return out;
}

absl::Status MemoryStateStore::PutHistories(
    absl::Span<const std::string> ids,
    absl::Span<const UserHistory> histories) {
  if (ids.size() != histories.size()) {
    return absl::InvalidArgumentError("ids and histories: sizes differ");
  }
  MutexLock lock(&mu_);
  for (size_t i = 0; i < ids.size(); ++i) history_[ids[i]] = histories[i];
  return absl::OkStatus();
}

absl::StatusOr<UserHistory> MemoryStateStore::GetHistory(
    absl::string_view user_id) {
  MutexLock lock(&mu_);
  auto it = history_.find(user_id);
  if (it == history_.end()) return UserHistory();
  return it->second;
}

absl::Status MemoryStateStore::PutExperiment(const Experiment& experiment) {
  MutexLock lock(&mu_);
  experiments_[experiment.name] = experiment;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Experiment>> MemoryStateStore::LoadExperiments() {
  MutexLock lock(&mu_);
  std::vector<Experiment> out;
  for (const auto& [name, experiment] : experiments_) out.push_back(experiment);
  return out;
}

absl::StatusOr<std::optional<std::string>> MemoryStateStore::GetMeta(
    absl::string_view key) {
  MutexLock lock(&mu_);
  auto it = meta_.find(key);
  if (it == meta_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

absl::Status MemoryStateStore::PutMeta(absl::string_view key,
                                       absl::string_view value) {
  MutexLock lock(&mu_);
  meta_[key] = std::string(value);
  return absl::OkStatus();
}

absl::Status MemoryStateStore::PutCustomerRecords(
    absl::Span<const std::string> ids,
    absl::Span<const CustomerRecord> records) {
  if (ids.size() != records.size()) {
    return absl::InvalidArgumentError("ids and records: sizes differ");
  }
  MutexLock lock(&mu_);
  for (size_t i = 0; i < ids.size(); ++i) customers_[ids[i]] = records[i];
  return absl::OkStatus();
}

absl::StatusOr<std::optional<CustomerRecord>>
MemoryStateStore::GetCustomerRecord(absl::string_view user_id) {
  MutexLock lock(&mu_);
  auto it = customers_.find(user_id);
  if (it == customers_.end()) return std::optional<CustomerRecord>();
  return std::optional<CustomerRecord>(it->second);
}

absl::StatusOr<std::vector<AppendOutcome>> MemoryStateStore::AppendEvents(
    absl::Span<const LoggedEvent> events) {
  MutexLock lock(&mu_);
  std::vector<AppendOutcome> out;
  out.reserve(events.size());
  uint64_t last = last_seq_;
  for (const LoggedEvent& e : events) {
    if (erasures_->Contains(e.event.user_id)) {
      out.push_back({0, false, true});
      continue;
    }
    auto [it, inserted] = event_ids_.try_emplace(e.event_id, last + 1);
    if (!inserted) {
      out.push_back({it->second, true});
      continue;
    }
    LoggedEvent stored = e;
    stored.seq = ++last;
    events_.emplace(stored.seq, std::move(stored));
    out.push_back({last, false});
  }
  last_seq_ = last;
  return out;
}

absl::StatusOr<ErasureReport> MemoryStateStore::EraseUser(
    absl::string_view user_id) {
  MutexLock lock(&mu_);
  ErasureReport report;
  std::string key = erasures_->key();
  if (key.empty()) {
    TAILOR_ASSIGN_OR_RETURN(key, NewErasureKey());
  }
  const std::string digest = ErasureDigest(key, user_id);
  report.already_erased = erasures_->digests().contains(digest);
  for (auto it = events_.begin(); it != events_.end();) {
    if (it->second.event.user_id == user_id) {
      event_ids_.erase(it->second.event_id);
      it = events_.erase(it);
      ++report.events;
    } else {
      ++it;
    }
  }
  report.history = history_.erase(user_id) > 0;
  report.customer_record = customers_.erase(user_id) > 0;
  if (auto it = exposures_.find(user_id); it != exposures_.end()) {
    report.exposures = static_cast<int64_t>(it->second.size());
    exposures_.erase(it);
  }
  for (auto& [experiment, shoppers] : exposed_) {
    if (auto it = shoppers.find(user_id); it != shoppers.end()) {
      shoppers.erase(it);
    }
  }
  absl::flat_hash_set<std::string> digests = erasures_->digests();
  digests.insert(digest);
  erasures_ = std::make_shared<const ErasureList>(key, std::move(digests));
  report.purged = true;  // nothing is kept elsewhere
  return report;
}

absl::StatusOr<size_t> MemoryStateStore::AdoptErasures(
    const ErasureList& list) {
  MutexLock lock(&mu_);
  if (list.empty()) return size_t{0};
  if (!erasures_->key().empty() && erasures_->key() != list.key()) {
    return absl::FailedPreconditionError(
        "erasure list: made with another key than this store's");
  }
  absl::flat_hash_set<std::string> digests = erasures_->digests();
  size_t added = 0;
  for (const std::string& d : list.digests()) added += digests.insert(d).second;
  auto named = [&](const std::string& user) {
    return digests.contains(ErasureDigest(list.key(), user));
  };
  absl::erase_if(history_, [&](const auto& kv) { return named(kv.first); });
  absl::erase_if(customers_, [&](const auto& kv) { return named(kv.first); });
  std::erase_if(exposures_, [&](const auto& kv) { return named(kv.first); });
  for (auto& [experiment, shoppers] : exposed_) {
    std::erase_if(shoppers, [&](const auto& kv) { return named(kv.first); });
  }
  erasures_ =
      std::make_shared<const ErasureList>(list.key(), std::move(digests));
  return added;
}

absl::StatusOr<size_t> MemoryStateStore::AppendExposures(
    absl::Span<const Exposure> exposures) {
  MutexLock lock(&mu_);
  size_t written = 0;
  for (const Exposure& x : exposures) {
    if (erasures_->Contains(x.user_id)) continue;
    exposures_[x.user_id][x.recommendation_id] = x;
    if (!x.experiment.empty()) exposed_[x.experiment][x.user_id] = x.arm;
    ++written;
  }
  return written;
}

absl::StatusOr<std::vector<Exposure>> MemoryStateStore::UserExposures(
    absl::string_view user_id) {
  MutexLock lock(&mu_);
  std::vector<Exposure> out;
  if (auto it = exposures_.find(user_id); it != exposures_.end()) {
    for (const auto& [id, x] : it->second) out.push_back(x);
  }
  return out;
}

absl::StatusOr<bool> MemoryStateStore::HasExposure(
    absl::string_view user_id, absl::string_view recommendation_id) {
  MutexLock lock(&mu_);
  auto it = exposures_.find(user_id);
  return it != exposures_.end() &&
         it->second.contains(std::string(recommendation_id));
}

absl::StatusOr<std::vector<ExposedShopper>> MemoryStateStore::ExposedShoppers(
    absl::string_view experiment) {
  MutexLock lock(&mu_);
  std::vector<ExposedShopper> out;
  if (auto it = exposed_.find(experiment); it != exposed_.end()) {
    for (const auto& [user, arm] : it->second) out.push_back({user, arm});
  }
  return out;
}

std::shared_ptr<const ErasureList> MemoryStateStore::Erasures() {
  MutexLock lock(&mu_);
  return erasures_;
}

size_t MemoryStateStore::ErasureCount() { return Erasures()->size(); }

absl::StatusOr<std::vector<LoggedEvent>> MemoryStateStore::UserEvents(
    absl::string_view user_id, uint64_t after, size_t limit) {
  MutexLock lock(&mu_);
  std::vector<LoggedEvent> out;
  for (auto it = events_.upper_bound(after); it != events_.end(); ++it) {
    if (it->second.event.user_id == user_id) out.push_back(it->second);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const LoggedEvent& a, const LoggedEvent& b) {
                     return a.event.timestamp < b.event.timestamp;
                   });
  if (out.size() > limit) out.erase(out.begin(), out.end() - limit);
  return out;
}

absl::StatusOr<std::vector<LoggedEvent>> MemoryStateStore::UserEventsBefore(
    absl::string_view user_id, const EventPosition* before, size_t limit) {
  MutexLock lock(&mu_);
  auto position = [](const LoggedEvent& e) {
    return EventPosition{e.event.timestamp, e.seq};
  };
  std::vector<LoggedEvent> out;
  for (const auto& [seq, e] : events_) {
    if (e.event.user_id != user_id) continue;
    if (before != nullptr && !(position(e) < *before)) continue;
    out.push_back(e);
  }
  std::sort(out.begin(), out.end(),
            [&](const LoggedEvent& a, const LoggedEvent& b) {
              return position(b) < position(a);
            });
  if (out.size() > limit) out.resize(limit);
  return out;
}

uint64_t MemoryStateStore::LastSequence() {
  MutexLock lock(&mu_);
  return last_seq_;
}

absl::StatusOr<std::vector<LoggedEvent>> MemoryStateStore::EventsSince(
    uint64_t after, size_t limit) {
  MutexLock lock(&mu_);
  std::vector<LoggedEvent> out;
  for (auto it = events_.upper_bound(after);
       it != events_.end() && out.size() < limit; ++it) {
    out.push_back(it->second);
  }
  return out;
}

// Keeps the records until Commit, which applies them under the store's
// lock. Thread safety: one thread at a time (BulkLoad).
class MemoryStateStore::Load : public BulkLoad {
 public:
  explicit Load(MemoryStateStore* store) : store_(store) {}
  ~Load() override {
    MutexLock lock(&store_->mu_);
    store_->loading_ = false;
  }

  absl::Status AddItem(const Item& item) override {
    TAILOR_RETURN_IF_ERROR(item_order_.Next(item.item_id));
    items_.push_back(item);
    return absl::OkStatus();
  }
  absl::Status AddHistory(absl::string_view user_id,
                          const UserHistory& history) override {
    TAILOR_RETURN_IF_ERROR(history_order_.Next(user_id));
    histories_.emplace_back(std::string(user_id), history);
    return absl::OkStatus();
  }
  absl::Status AddCustomerRecord(absl::string_view user_id,
                                 const CustomerRecord& record) override {
    TAILOR_RETURN_IF_ERROR(customer_order_.Next(user_id));
    customers_.emplace_back(std::string(user_id), record);
    return absl::OkStatus();
  }
  absl::Status Commit() override {
    if (committed_) {
      return absl::FailedPreconditionError("bulk load: committed already");
    }
    committed_ = true;
    MutexLock lock(&store_->mu_);
    for (Item& item : items_) {
      std::string id = item.item_id;
      store_->catalog_[std::move(id)] = std::move(item);
    }
    for (auto& [id, h] : histories_) store_->history_[id] = std::move(h);
    for (auto& [id, r] : customers_) store_->customers_[id] = std::move(r);
    return absl::OkStatus();
  }

 private:
  MemoryStateStore* const store_;
  BulkKeyOrder item_order_{"catalog"};
  BulkKeyOrder history_order_{"history"};
  BulkKeyOrder customer_order_{"customer record"};
  std::vector<Item> items_;
  std::vector<std::pair<std::string, UserHistory>> histories_;
  std::vector<std::pair<std::string, CustomerRecord>> customers_;
  bool committed_ = false;
};

absl::StatusOr<std::unique_ptr<BulkLoad>> MemoryStateStore::StartBulkLoad() {
  MutexLock lock(&mu_);
  if (loading_) {
    return absl::FailedPreconditionError(
        "bulk load: another load of this store is in progress");
  }
  loading_ = true;
  return std::unique_ptr<BulkLoad>(new Load(this));
}

}  // namespace tailor
