#include "core/recommender.h"

namespace tailor {

Recommender::Recommender(std::shared_ptr<const Model> model)
    : model_(std::move(model)),
      retriever_(&model_->item_factors),
      popular_order_(PopularityOrder(model_->popularity)) {}

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
