#include "storage/state_store.h"

#include <algorithm>

#include "core/base/status_macros.h"

namespace tailor {

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
  TAILOR_RETURN_IF_ERROR(store->PersistBulkWrites());
  TAILOR_RETURN_IF_ERROR(store->PutMeta(kKey, snapshot.version));
  return true;
}

}  // namespace tailor
