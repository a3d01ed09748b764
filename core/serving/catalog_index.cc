#include "core/serving/catalog_index.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"

namespace tailor {

CatalogIndex::CatalogIndex(const std::vector<Item>& items,
                           const std::vector<int32_t>& retired) {
  Grow(static_cast<int32_t>(items.size()));
  auto next_retired = retired.begin();
  for (int32_t i = 0; i < num_items_; ++i) {
    while (next_retired != retired.end() && *next_retired < i) ++next_retired;
    const bool is_retired = next_retired != retired.end() && *next_retired == i;
    if (is_retired || !items[i].item_id.empty()) {
      Remove(i);
      Place(i, items[i], is_retired);
    }
  }
}

std::unique_ptr<CatalogIndex> CatalogIndex::Updated(
    int32_t num_items, const std::vector<IndexedItem>& changed) const {
  std::unique_ptr<CatalogIndex> out(new CatalogIndex(*this));
  out->Grow(num_items);
  for (const IndexedItem& c : changed) {
    out->Remove(c.index);
    out->Place(c.index, *c.item, c.retired);
  }
  return out;
}

void CatalogIndex::Grow(int32_t n) {
  if (n <= num_items_) return;
  const int32_t old = num_items_;
  num_items_ = n;
  for (ItemSet* set : {&listed_set_, &sellable_, &listable_, &one_size_}) {
    set->Resize(n);
  }
  for (ItemSet& set : category_sets_) set.Resize(n);
  for (auto& [size, set] : size_sets_) set.Resize(n);
  category_of_.resize(n, -1);
  prices_.resize(n, std::numeric_limits<float>::quiet_NaN());
  // Unlisted items are not known to be out of stock.
  for (int32_t i = old; i < n; ++i) {
    sellable_.Insert(i);
    listable_.Insert(i);
  }
}

void CatalogIndex::Remove(int32_t i) {
  if (listed_set_.Contains(i)) {
    --listed_;
    listed_set_.Erase(i);
  }
  if (!listable_.Contains(i)) --retired_;
  sellable_.Insert(i);
  listable_.Insert(i);
  if (const int32_t c = category_of_[i]; c >= 0) {
    category_sets_[c].Erase(i);
    std::vector<int32_t>& members = category_items_[c];
    auto it = std::lower_bound(members.begin(), members.end(), i);
    if (it != members.end() && *it == i) members.erase(it);
    category_of_[i] = -1;
  }
  one_size_.Erase(i);
  for (auto& [size, set] : size_sets_) set.Erase(i);
  prices_[i] = std::numeric_limits<float>::quiet_NaN();
}

void CatalogIndex::Place(int32_t i, const Item& item, bool retired) {
  if (retired) {
    ++retired_;
    sellable_.Erase(i);
    listable_.Erase(i);
    return;
  }
  if (item.item_id.empty()) return;  // unlisted: as Remove left it
  ++listed_;
  listed_set_.Insert(i);
  if (!item.in_stock) sellable_.Erase(i);
  prices_[i] = static_cast<float>(item.price);
  if (!item.category.empty()) {
    auto [it, inserted] = category_ids_.try_emplace(
        item.category, static_cast<int32_t>(category_items_.size()));
    if (inserted) {
      category_items_.emplace_back();
      category_sets_.emplace_back(num_items_);
    }
    category_of_[i] = it->second;
    std::vector<int32_t>& members = category_items_[it->second];
    members.insert(std::lower_bound(members.begin(), members.end(), i), i);
    category_sets_[it->second].Insert(i);
  }
  if (item.sizes.empty()) {
    one_size_.Insert(i);
    for (auto& [size, set] : size_sets_) set.Insert(i);
    return;
  }
  for (size_t k = 0; k < item.sizes.size(); ++k) {
    // A size seen first has the one-size items already.
    ItemSet& set =
        size_sets_.try_emplace(item.sizes[k], one_size_).first->second;
    const bool sold_out = k < item.size_stock.size() && item.size_stock[k] <= 0;
    if (!sold_out) set.Insert(i);
  }
}

const ItemSet* CatalogIndex::in_size(absl::string_view size) const {
  auto it = size_sets_.find(size);
  return it == size_sets_.end() ? nullptr : &it->second;
}

int32_t CatalogIndex::category_id(absl::string_view category) const {
  auto it = category_ids_.find(category);
  return it == category_ids_.end() ? -1 : it->second;
}

size_t CatalogIndex::memory_bytes() const {
  size_t bytes = sellable_.memory_bytes() + listable_.memory_bytes() +
                 listed_set_.memory_bytes() + one_size_.memory_bytes() +
                 category_of_.size() * sizeof(int32_t) +
                 prices_.size() * sizeof(float);
  for (const auto& v : category_items_) bytes += v.size() * sizeof(int32_t);
  for (const auto& s : category_sets_) bytes += s.memory_bytes();
  for (const auto& [size, s] : size_sets_) bytes += s.memory_bytes();
  return bytes;
}

absl::Status ApplyCatalogQuery(const CatalogIndex& index,
                               const CatalogQuery& query,
                               CatalogFilterStorage* storage,
                               RecommendOptions* options) {
  const bool by_catalog = !query.size.empty() || !query.categories.empty() ||
                          std::isfinite(query.min_price) ||
                          std::isfinite(query.max_price) ||
                          query.max_per_category > 0;
  if (by_catalog && !index.has_catalog()) {
    return absl::FailedPreconditionError(
        "size, categories, min_price, max_price and max_per_category need a "
        "catalog: this model was trained without one (tailor-trainer "
        "--catalog=...)");
  }
  ItemFilter& filter = options->filter;
  // Retired items are not sellable either.
  if (query.in_stock_only) {
    filter.require.push_back(&index.sellable());
  } else if (index.listable() != nullptr) {
    filter.require.push_back(index.listable());
  }
  if (!query.size.empty()) {
    const ItemSet* in_size = index.in_size(query.size);
    if (in_size == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "size: no catalog item comes in size '", query.size, "'"));
    }
    filter.require.push_back(in_size);
  }
  if (!query.categories.empty()) {
    std::vector<int32_t> ids;
    int64_t kept = 0;
    for (size_t i = 0; i < query.categories.size(); ++i) {
      const int32_t id = index.category_id(query.categories[i]);
      if (id < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("categories[", i, "]: '", query.categories[i],
                         "' is not a category of the catalog"));
      }
      if (std::find(ids.begin(), ids.end(), id) != ids.end()) continue;
      ids.push_back(id);
      kept += static_cast<int64_t>(index.category_items(id).size());
    }
    if (ids.size() == 1) {
      // The snapshot's own set, shared by every request: a retriever
      // searches a selective one through its cached compact copy
      // (ExactOptions::compact_share), by decreasing norm.
      filter.require.push_back(&index.category_set(ids[0]));
    } else if (kept * 8 < index.num_items()) {
      for (int32_t id : ids) {
        const auto& items = index.category_items(id);
        storage->candidates.insert(storage->candidates.end(), items.begin(),
                                   items.end());
      }
      std::sort(storage->candidates.begin(), storage->candidates.end());
      filter.candidates = &storage->candidates;
    } else {
      storage->categories = ItemSet(index.num_items());
      for (int32_t id : ids) {
        for (int32_t item : index.category_items(id)) {
          storage->categories.Insert(item);
        }
      }
      filter.require.push_back(&storage->categories);
    }
  }
  if (std::isfinite(query.min_price) || std::isfinite(query.max_price)) {
    filter.values = index.prices().data();
    filter.min_value = static_cast<float>(query.min_price);
    filter.max_value = static_cast<float>(query.max_price);
  }
  if (query.max_per_category > 0) {
    options->group_of = index.category_of().data();
    options->max_per_group = query.max_per_category;
  }
  return absl::OkStatus();
}

}  // namespace tailor
