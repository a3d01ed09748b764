#include "storage/state_store.h"

#include <algorithm>

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
  uint64_t last = events_.empty() ? 0 : events_.rbegin()->first;
  for (const LoggedEvent& e : events) {
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
  return out;
}

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

uint64_t MemoryStateStore::LastSequence() {
  MutexLock lock(&mu_);
  return events_.empty() ? 0 : events_.rbegin()->first;
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

absl::StatusOr<bool> ImportSnapshotState(const Snapshot& snapshot,
                                         StateStore* store) {
  constexpr absl::string_view kKey = "imported_version";
  TAILOR_ASSIGN_OR_RETURN(std::optional<std::string> imported,
                          store->GetMeta(kKey));
  if (imported.has_value() && *imported >= snapshot.version) return false;

  TAILOR_RETURN_IF_ERROR(store->PutItems(snapshot.catalog));
  const TrainingHistory& h = snapshot.history;
  constexpr size_t kBatchUsers = 2048;
  std::vector<std::string> ids;
  std::vector<UserHistory> batch;
  auto flush = [&] {
    absl::Status s = store->PutHistories(ids, batch);
    ids.clear();
    batch.clear();
    return s;
  };
  for (size_t u = 0; u + 1 < h.row_ptr.size(); ++u) {
    if (h.row_ptr[u] == h.row_ptr[u + 1]) continue;
    UserHistory history;
    history.through_seq = snapshot.online.event_log_seq;
    for (int64_t p = h.row_ptr[u]; p < h.row_ptr[u + 1]; ++p) {
      history.entries.push_back({snapshot.model.items.id(h.item[p]), h.flags[p],
                                 h.weight_sum[p], h.net_purchases[p]});
    }
    std::sort(history.entries.begin(), history.entries.end(),
              [](const HistoryEntry& a, const HistoryEntry& b) {
                return a.item_id < b.item_id;
              });
    ids.push_back(snapshot.model.users.id(static_cast<int32_t>(u)));
    batch.push_back(std::move(history));
    if (batch.size() == kBatchUsers) TAILOR_RETURN_IF_ERROR(flush());
  }
  if (!batch.empty()) TAILOR_RETURN_IF_ERROR(flush());
  const CustomerSegments& seg = snapshot.segments;
  constexpr size_t kBatchCustomers = 4096;
  for (size_t begin = 0; begin < seg.records.size(); begin += kBatchCustomers) {
    const size_t n = std::min(kBatchCustomers, seg.records.size() - begin);
    TAILOR_RETURN_IF_ERROR(store->PutCustomerRecords(
        absl::MakeConstSpan(seg.users.ids()).subspan(begin, n),
        absl::MakeConstSpan(seg.records).subspan(begin, n)));
  }
  TAILOR_RETURN_IF_ERROR(store->PutMeta(kKey, snapshot.version));
  // At 1 M customers the import leaves hundreds of MB in write buffers.
  TAILOR_RETURN_IF_ERROR(store->ReleaseWriteBuffers());
  return true;
}

}  // namespace tailor
