// The query of the item-neighbours ("because you looked at") strategy.
#ifndef TAILOR_CORE_SERVING_NEIGHBOUR_QUERY_H_
#define TAILOR_CORE_SERVING_NEIGHBOUR_QUERY_H_

#include <optional>

#include "absl/types/span.h"
#include "core/base/matrix.h"
#include "core/serving/fold_in.h"
#include "core/serving/snapshot.h"

namespace tailor {

// A vector whose top-N against the model's item factors are the items
// nearest the shopper's: the unit-length item vectors of their
// `max_items` strongest interactions (by weight), summed, each weighted
// by its share of those interactions' weight. nullopt when none of them
// has a nonzero vector (the caller falls back to popularity).
std::optional<Vector> NeighbourQuery(const Model& model,
                                     absl::Span<const ItemActivity> activity,
                                     int max_items = 10);
// The same over a history given as parallel items and weights (rows of
// `item_factors`; items out of range are skipped).
std::optional<Vector> NeighbourQuery(const RowMatrix& item_factors,
                                     absl::Span<const int32_t> items,
                                     absl::Span<const float> weights,
                                     int max_items = 10);

}  // namespace tailor

#endif  // TAILOR_CORE_SERVING_NEIGHBOUR_QUERY_H_
