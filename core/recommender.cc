#include "core/recommender.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"

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

RecommendResult Recommender::Recommend(
    std::optional<int32_t> user, int count, const ItemSet* exclude,
    const std::vector<int32_t>* segment_popular) const {
  return RecommendWith(
      Personalizes(user) ? model_->user_factors.row(*user).data() : nullptr,
      count, exclude, segment_popular);
}

RecommendResult Recommender::RecommendWith(
    const float* embedding, int count, const ItemSet* exclude,
    const std::vector<int32_t>* segment_popular) const {
  using Source = Recommendation::Source;
  RecommendResult result;
  const int k = model_->factors();
  if (embedding != nullptr &&
      std::any_of(embedding, embedding + k, [](float v) { return v != 0; })) {
    std::vector<ScoredItem> top;
    retriever_.Search(embedding, count, exclude, &top);
    result.items.reserve(top.size());
    for (const ScoredItem& s : top) {
      result.items.push_back({s.item, s.score, Source::kPersonalized});
    }
    return result;
  }
  result.fallback_used = true;
  // Segment items first, then global popularity; an item taken from the
  // segment list is not repeated.
  absl::flat_hash_set<int32_t> taken;
  auto full = [&] { return static_cast<int>(result.items.size()) >= count; };
  auto eligible = [&](int32_t item) {
    return exclude == nullptr || !exclude->Contains(item);
  };
  if (segment_popular != nullptr) {
    const float n = static_cast<float>(segment_popular->size());
    for (size_t rank = 0; rank < segment_popular->size() && !full(); ++rank) {
      const int32_t item = (*segment_popular)[rank];
      if (item < 0 || item >= model_->items.size() || !eligible(item) ||
          !taken.insert(item).second) {
        continue;
      }
      result.items.push_back(
          {item, (n - static_cast<float>(rank)) / n, Source::kSegmentPopular});
    }
  }
  for (int32_t item : popular_order_) {
    if (full()) break;
    if (!eligible(item) || taken.contains(item)) continue;
    result.items.push_back({item, model_->popularity[item], Source::kPopular});
  }
  return result;
}

}  // namespace tailor
