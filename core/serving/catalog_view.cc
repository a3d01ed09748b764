#include "core/serving/catalog_view.h"

#include <algorithm>
#include <utility>

namespace tailor {

const CatalogView::Entry* CatalogView::Unlisted() {
  static const Entry* const kUnlisted = new Entry();
  return kUnlisted;
}

std::shared_ptr<const CatalogView> CatalogView::Build(
    std::shared_ptr<const Model> model, std::vector<Item> catalog,
    const std::vector<LiveItem>& live,
    std::shared_ptr<const AttributeMap> map) {
  std::shared_ptr<CatalogView> view(new CatalogView());
  view->model_ = std::move(model);
  view->map_ = std::move(map);
  view->pool_ = std::make_shared<ItemPool>();
  const int32_t n = view->model_->items.size();
  view->items_.assign(n, Unlisted());
  for (Item& item : catalog) {
    if (std::optional<int32_t> i = view->model_->items.Find(item.item_id)) {
      view->items_[*i] = view->pool_->Add({std::move(item)});
    }
  }
  view->added_.first = n;
  view->added_.factors.resize(0, view->model_->factors());
  view->added_.unit.resize(0, view->model_->factors());
  for (const LiveItem& entry : live) view->Lay(entry);
  // The index places every listed or retired entry into an empty one (no
  // copy of the items).
  std::vector<IndexedItem> placed;
  for (int32_t i = 0; i < view->num_items(); ++i) {
    const Entry* e = view->items_[i];
    if (e == Unlisted()) continue;
    placed.push_back({i, &e->item, e->retired});
    view->retired_count_ += e->retired;
  }
  view->index_ =
      CatalogIndex(std::vector<Item>()).Updated(view->num_items(), placed);
  return view;
}

std::shared_ptr<const CatalogView> CatalogView::With(
    const std::vector<LiveItem>& changed) const {
  std::shared_ptr<CatalogView> view(new CatalogView());
  view->model_ = model_;
  view->map_ = map_;
  view->pool_ = pool_;
  view->items_ = items_;
  view->added_ids_ = added_ids_;
  view->added_ = added_;
  view->retired_count_ = retired_count_;
  std::vector<int32_t> touched;
  for (const LiveItem& entry : changed) {
    if (std::optional<int32_t> i = view->Lay(entry)) touched.push_back(*i);
  }
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  std::vector<IndexedItem> placed;
  placed.reserve(touched.size());
  for (int32_t i : touched) {
    placed.push_back({i, &view->items_[i]->item, view->items_[i]->retired});
    const bool was = i < num_items() && items_[i]->retired;
    view->retired_count_ += static_cast<int64_t>(view->items_[i]->retired) -
                            static_cast<int64_t>(was);
  }
  view->index_ = index_->Updated(view->num_items(), placed);
  // Mostly replaced entries: the new view starts a pool of its own (the
  // old one goes with the last view that uses it).
  if (view->pool_->size() > 2 * view->items_.size() + 1024) {
    auto pool = std::make_shared<ItemPool>();
    for (const Entry*& entry : view->items_) {
      if (entry != Unlisted()) entry = pool->Add(*entry);
    }
    view->pool_ = std::move(pool);
  }
  return view;
}

std::optional<int32_t> CatalogView::Lay(const LiveItem& entry) {
  std::optional<int32_t> i = Find(entry.item.item_id);
  if (i.has_value() && items_[*i]->seq != 0 && entry.seq <= items_[*i]->seq) {
    return std::nullopt;
  }
  if (!i.has_value()) {
    if (entry.retired) return std::nullopt;  // never listed: nothing to hide
    const int32_t k = added_.size();
    i = added_.first + k;
    added_ids_.emplace(entry.item.item_id, *i);
    items_.push_back(Unlisted());
    added_.factors.conservativeResize(k + 1, Eigen::NoChange);
    added_.unit.conservativeResize(k + 1, Eigen::NoChange);
  }
  items_[*i] = pool_->Add({entry.item, entry.retired, entry.seq});
  if (*i >= added_.first) {
    const int32_t k = *i - added_.first;
    if (map_ != nullptr) {
      added_.factors.row(k) = map_->Embed(entry.item).transpose();
    } else {
      added_.factors.row(k).setZero();
    }
    const float norm = added_.factors.row(k).norm();
    added_.unit.row(k) = added_.factors.row(k);
    if (norm > 0) added_.unit.row(k) /= norm;
  }
  return i;
}

std::optional<int32_t> CatalogView::Find(absl::string_view item_id) const {
  if (std::optional<int32_t> i = model_->items.Find(item_id)) return i;
  if (auto it = added_ids_.find(item_id); it != added_ids_.end()) {
    return it->second;
  }
  return std::nullopt;
}

const std::string& CatalogView::id(int32_t item) const {
  return item < added_.first ? model_->items.id(item)
                             : items_[item]->item.item_id;
}

size_t CatalogView::memory_bytes() const {
  size_t bytes =
      index_->memory_bytes() + items_.capacity() * sizeof(const Entry*) +
      static_cast<size_t>(added_.factors.size() + added_.unit.size()) *
          sizeof(float);
  for (const Entry* entry : items_) {
    if (entry == Unlisted()) continue;
    const Item& item = entry->item;
    bytes += sizeof(Entry) + item.item_id.capacity() + item.title.capacity() +
             item.category.capacity() + item.brand.capacity() +
             item.color.capacity() +
             item.sizes.capacity() * sizeof(std::string) +
             item.size_stock.capacity() * sizeof(int32_t);
  }
  return bytes;
}

}  // namespace tailor
