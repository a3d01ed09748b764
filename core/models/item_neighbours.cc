#include "core/models/item_neighbours.h"

#include <algorithm>
#include <optional>

#include "core/serving/neighbour_query.h"

namespace tailor {

void ItemNeighbourScorer::Score(int32_t, HistoryView history,
                                absl::Span<float> scores) const {
  const std::optional<Vector> query =
      NeighbourQuery(items_, history.items, history.weights);
  if (!query.has_value()) {
    std::copy_n(fallback_.begin(), std::min(fallback_.size(), scores.size()),
                scores.begin());
    return;
  }
  Eigen::Map<Vector> out(scores.data(),
                         static_cast<Eigen::Index>(scores.size()));
  out.noalias() = items_ * *query;
}

}  // namespace tailor
