#include "core/serving/ease_query.h"

#include <algorithm>

namespace tailor {

std::vector<float> EaseScores(const RowMatrix& weights,
                              absl::Span<const ItemActivity> activity,
                              int max_items) {
  std::vector<const ItemActivity*> history;
  for (const ItemActivity& a : activity) {
    if (a.weight_sum > 0 && a.item >= 0 && a.item < weights.rows()) {
      history.push_back(&a);
    }
  }
  if (history.empty()) return {};
  const size_t keep =
      std::min(history.size(), static_cast<size_t>(std::max(1, max_items)));
  std::partial_sort(
      history.begin(), history.begin() + keep, history.end(),
      [](const ItemActivity* a, const ItemActivity* b) {
        return a->weight_sum > b->weight_sum ||
               (a->weight_sum == b->weight_sum && a->item < b->item);
      });
  history.resize(keep);
  std::vector<float> scores(weights.cols(), 0.0f);
  Eigen::Map<Eigen::RowVectorXf> out(scores.data(), weights.cols());
  for (const ItemActivity* a : history) out += weights.row(a->item);
  return scores;
}

}  // namespace tailor
