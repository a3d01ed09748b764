#include "core/serving/catalog_view.h"

#include <utility>

namespace tailor {

std::shared_ptr<const CatalogView> CatalogView::Build(
    std::shared_ptr<const Model> model, std::vector<Item> catalog,
    const std::vector<LiveItem>& live,
    std::shared_ptr<const AttributeMap> map) {
  std::shared_ptr<CatalogView> view(new CatalogView());
  view->model_ = std::move(model);
  view->map_ = std::move(map);
  const int32_t n = view->model_->items.size();
  view->items_.resize(n);
  view->retired_.assign(n, false);
  view->seq_.assign(n, 0);
  for (Item& item : catalog) {
    if (std::optional<int32_t> i = view->model_->items.Find(item.item_id)) {
      view->items_[*i] = std::move(item);
    }
  }
  view->added_.first = n;
  view->added_.factors.resize(0, view->model_->factors());
  view->added_.unit.resize(0, view->model_->factors());
  for (const LiveItem& entry : live) view->Lay(entry);
  view->Index();
  return view;
}

std::shared_ptr<const CatalogView> CatalogView::With(
    const std::vector<LiveItem>& changed) const {
  std::shared_ptr<CatalogView> view(new CatalogView());
  view->model_ = model_;
  view->map_ = map_;
  view->items_ = items_;
  view->retired_ = retired_;
  view->seq_ = seq_;
  view->added_ids_ = added_ids_;
  view->added_ = added_;
  for (const LiveItem& entry : changed) view->Lay(entry);
  view->Index();
  return view;
}

void CatalogView::Lay(const LiveItem& entry) {
  std::optional<int32_t> i = Find(entry.item.item_id);
  if (i.has_value() && seq_[*i] != 0 && entry.seq <= seq_[*i]) return;
  if (!i.has_value()) {
    if (entry.retired) return;  // never listed: nothing to hide
    const int32_t k = added_.size();
    i = added_.first + k;
    added_ids_.emplace(entry.item.item_id, *i);
    items_.emplace_back();
    retired_.push_back(false);
    seq_.push_back(0);
    added_.factors.conservativeResize(k + 1, Eigen::NoChange);
    added_.unit.conservativeResize(k + 1, Eigen::NoChange);
  }
  items_[*i] = entry.item;
  retired_[*i] = entry.retired;
  seq_[*i] = entry.seq;
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
}

void CatalogView::Index() {
  std::vector<int32_t> retired;
  for (int32_t i = 0; i < num_items(); ++i) {
    if (retired_[i]) retired.push_back(i);
  }
  retired_count_ = static_cast<int64_t>(retired.size());
  index_ = std::make_unique<const CatalogIndex>(items_, retired);
}

std::optional<int32_t> CatalogView::Find(absl::string_view item_id) const {
  if (std::optional<int32_t> i = model_->items.Find(item_id)) return i;
  if (auto it = added_ids_.find(item_id); it != added_ids_.end()) {
    return it->second;
  }
  return std::nullopt;
}

const std::string& CatalogView::id(int32_t item) const {
  return item < added_.first ? model_->items.id(item) : items_[item].item_id;
}

size_t CatalogView::memory_bytes() const {
  size_t bytes =
      index_->memory_bytes() + items_.capacity() * sizeof(Item) +
      retired_.capacity() / 8 + seq_.capacity() * sizeof(uint64_t) +
      static_cast<size_t>(added_.factors.size() + added_.unit.size()) *
          sizeof(float);
  for (const Item& item : items_) {
    bytes += item.item_id.capacity() + item.title.capacity() +
             item.category.capacity() + item.brand.capacity() +
             item.color.capacity() +
             item.sizes.capacity() * sizeof(std::string) +
             item.size_stock.capacity() * sizeof(int32_t);
  }
  return bytes;
}

}  // namespace tailor
