#include "core/serving/neighbour_query.h"

#include <algorithm>
#include <vector>

namespace tailor {

std::optional<Vector> NeighbourQuery(const Model& model,
                                     absl::Span<const ItemActivity> activity,
                                     int max_items) {
  std::vector<const ItemActivity*> strongest;
  for (const ItemActivity& a : activity) {
    if (a.weight() > 0 && a.item >= 0 && a.item < model.items.size()) {
      strongest.push_back(&a);
    }
  }
  const size_t keep =
      std::min(strongest.size(), static_cast<size_t>(max_items));
  std::partial_sort(strongest.begin(), strongest.begin() + keep,
                    strongest.end(),
                    [](const ItemActivity* a, const ItemActivity* b) {
                      return a->weight() > b->weight() ||
                             (a->weight() == b->weight() && a->item < b->item);
                    });
  strongest.resize(keep);
  double total = 0;
  for (const ItemActivity* a : strongest) total += a->weight();
  Vector query = Vector::Zero(model.factors());
  bool any = false;
  for (const ItemActivity* a : strongest) {
    const auto row = model.item_factors.row(a->item);
    const float norm = row.norm();
    if (norm == 0) continue;
    query += (static_cast<float>(a->weight() / total) / norm) * row.transpose();
    any = true;
  }
  if (!any) return std::nullopt;
  return query;
}

}  // namespace tailor
