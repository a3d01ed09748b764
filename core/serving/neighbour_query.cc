#include "core/serving/neighbour_query.h"

#include <algorithm>
#include <vector>

namespace tailor {

std::optional<Vector> NeighbourQuery(const RowMatrix& item_factors,
                                     absl::Span<const int32_t> items,
                                     absl::Span<const float> weights,
                                     int max_items) {
  // Indexes into items/weights of the usable interactions, strongest first.
  std::vector<size_t> strongest;
  for (size_t i = 0; i < items.size() && i < weights.size(); ++i) {
    if (weights[i] > 0 && items[i] >= 0 && items[i] < item_factors.rows()) {
      strongest.push_back(i);
    }
  }
  const size_t keep =
      std::min(strongest.size(), static_cast<size_t>(std::max(0, max_items)));
  std::partial_sort(strongest.begin(), strongest.begin() + keep,
                    strongest.end(), [&](size_t a, size_t b) {
                      return weights[a] > weights[b] ||
                             (weights[a] == weights[b] && items[a] < items[b]);
                    });
  strongest.resize(keep);
  double total = 0;
  for (size_t i : strongest) total += weights[i];
  Vector query = Vector::Zero(item_factors.cols());
  bool any = false;
  for (size_t i : strongest) {
    const auto row = item_factors.row(items[i]);
    const float norm = row.norm();
    if (norm == 0) continue;
    query += (static_cast<float>(weights[i] / total) / norm) * row.transpose();
    any = true;
  }
  if (!any) return std::nullopt;
  return query;
}

std::optional<Vector> NeighbourQuery(const Model& model,
                                     absl::Span<const ItemActivity> activity,
                                     int max_items) {
  std::vector<int32_t> items;
  std::vector<float> weights;
  items.reserve(activity.size());
  weights.reserve(activity.size());
  for (const ItemActivity& a : activity) {
    items.push_back(a.item);
    weights.push_back(a.weight());
  }
  return NeighbourQuery(model.item_factors, items, weights, max_items);
}

}  // namespace tailor
