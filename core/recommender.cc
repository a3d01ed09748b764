#include "core/recommender.h"

namespace tailor {

namespace {

RowMatrix UnitRows(const RowMatrix& m) {
  RowMatrix out = m;
  for (Eigen::Index r = 0; r < out.rows(); ++r) {
    const float norm = out.row(r).norm();
    if (norm > 0) out.row(r) /= norm;
  }
  return out;
}

}  // namespace

Recommender::Recommender(std::shared_ptr<const Model> model)
    : model_(std::move(model)),
      retriever_(&model_->item_factors),
      popular_order_(PopularityOrder(model_->popularity)),
      unit_items_(UnitRows(model_->item_factors)),
      unit_retriever_(&unit_items_) {}

std::vector<ScoredItem> Recommender::SimilarItems(int32_t item,
                                                  int count) const {
  std::vector<ScoredItem> out;
  if (item < 0 || item >= unit_items_.rows() ||
      unit_items_.row(item).isZero(0)) {
    return out;
  }
  // Zero rows score 0 against everything: exclude them with the item.
  ItemSet exclude(static_cast<int32_t>(unit_items_.rows()));
  exclude.Insert(item);
  for (Eigen::Index r = 0; r < unit_items_.rows(); ++r) {
    if (unit_items_.row(r).isZero(0)) exclude.Insert(static_cast<int32_t>(r));
  }
  unit_retriever_.Search(unit_items_.row(item).data(), count, &exclude, &out);
  return out;
}

RecommendResult Recommender::Recommend(std::optional<int32_t> user, int count,
                                       const ItemSet* exclude) const {
  RecommendResult result;
  if (user.has_value() && !model_->user_factors.row(*user).isZero(0)) {
    std::vector<ScoredItem> top;
    retriever_.Search(model_->user_factors.row(*user).data(), count, exclude,
                      &top);
    result.items.reserve(top.size());
    for (const ScoredItem& s : top) {
      result.items.push_back({s.item, s.score, true});
    }
    return result;
  }
  result.fallback_used = true;
  for (int32_t item : popular_order_) {
    if (static_cast<int>(result.items.size()) >= count) break;
    if (exclude != nullptr && exclude->Contains(item)) continue;
    result.items.push_back({item, model_->popularity[item], false});
  }
  return result;
}

}  // namespace tailor
