#include "storage/state_store.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"

namespace tailor {

absl::Status BulkKeyOrder::Next(absl::string_view key) {
  if (any_ && key <= absl::string_view(last_)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bulk load: ", family_, " key '", key, "' does not come after '", last_,
        "': each family's records must be added in increasing key "
        "order, each key once"));
  }
  last_.assign(key.data(), key.size());
  any_ = true;
  return absl::OkStatus();
}

namespace {

// Indices 0..n-1 ordered by key(i).
template <typename KeyFn>
std::vector<int32_t> OrderByKey(size_t n, KeyFn key) {
  std::vector<int32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return key(a) < key(b); });
  return order;
}

}  // namespace

absl::StatusOr<CatalogWrite> PlanCatalogChanges(
    absl::Span<const CatalogChange> changes, int64_t now_unix,
    uint64_t next_seq, const CatalogLookup& lookup) {
  struct Known {
    std::optional<LiveItem> live;
    std::optional<Item> base;
    bool changed = false;
  };
  std::map<std::string, Known> items;
  for (const CatalogChange& change : changes) items[change.item_id];
  {
    std::vector<std::string> ids;
    ids.reserve(items.size());
    for (const auto& [id, known] : items) ids.push_back(id);
    std::vector<std::optional<LiveItem>> live(ids.size());
    std::vector<std::optional<Item>> base(ids.size());
    TAILOR_RETURN_IF_ERROR(lookup(ids, &live, &base));
    size_t k = 0;
    for (auto& [id, known] : items) {
      known.live = std::move(live[k]);
      known.base = std::move(base[k]);
      ++k;
    }
  }
  CatalogWrite out;
  out.results.reserve(changes.size());
  for (const CatalogChange& change : changes) {
    Known& known = items[change.item_id];
    AppliedChange applied = ApplyCatalogChange(
        change, known.live.has_value() ? &*known.live : nullptr,
        known.base.has_value() ? &*known.base : nullptr, now_unix);
    if (applied.entry.has_value()) {
      known.live = std::move(*applied.entry);
      known.changed = true;
    }
    out.results.push_back(std::move(applied.result));
  }
  for (auto& [id, known] : items) {
    if (known.changed) {
      known.live->seq = next_seq++;
      out.entries.push_back(std::move(*known.live));
    }
  }
  return out;
}

absl::StatusOr<bool> ImportSnapshotState(const Snapshot& snapshot,
                                         StateStore* store) {
  constexpr absl::string_view kKey = "imported_version";
  TAILOR_ASSIGN_OR_RETURN(std::optional<std::string> imported,
                          store->GetMeta(kKey));
  if (imported.has_value() && *imported >= snapshot.version) return false;

  TAILOR_ASSIGN_OR_RETURN(std::unique_ptr<BulkLoad> load,
                          store->StartBulkLoad());
  const std::vector<Item>& catalog = snapshot.catalog;
  const std::vector<int32_t> items = OrderByKey(
      catalog.size(),
      [&](int32_t i) -> absl::string_view { return catalog[i].item_id; });
  for (size_t k = 0; k < items.size(); ++k) {
    // Of equal ids (adjacent, in catalog order) the last is kept.
    if (k + 1 < items.size() &&
        catalog[items[k]].item_id == catalog[items[k + 1]].item_id) {
      continue;
    }
    TAILOR_RETURN_IF_ERROR(load->AddItem(catalog[items[k]]));
  }

  const TrainingHistory& h = snapshot.history;
  const IdMap& users = snapshot.model.users;
  const size_t history_users = h.row_ptr.empty() ? 0 : h.row_ptr.size() - 1;
  for (int32_t u : OrderByKey(
           history_users,
           [&](int32_t u) -> const std::string& { return users.id(u); })) {
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
    TAILOR_RETURN_IF_ERROR(load->AddHistory(users.id(u), history));
  }

  const CustomerSegments& seg = snapshot.segments;
  for (int32_t c : OrderByKey(
           seg.records.size(),
           [&](int32_t c) -> const std::string& { return seg.users.id(c); })) {
    TAILOR_RETURN_IF_ERROR(
        load->AddCustomerRecord(seg.users.id(c), seg.records[c]));
  }
  TAILOR_RETURN_IF_ERROR(load->Commit());
  TAILOR_RETURN_IF_ERROR(store->PutMeta(kKey, snapshot.version));
  return true;
}

}  // namespace tailor
