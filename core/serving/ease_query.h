// The scores of the EASE strategy for one shopper.
#ifndef TAILOR_CORE_SERVING_EASE_QUERY_H_
#define TAILOR_CORE_SERVING_EASE_QUERY_H_

#include <vector>

#include "absl/types/span.h"
#include "core/base/matrix.h"
#include "core/serving/fold_in.h"

namespace tailor {

// EASE's score of every model item for a shopper: the rows of `weights`
// (items x items, Model::ease) of the items they interacted with, summed
// (the binary history EASE was trained on: every item with a positive
// weight, at most `max_items` of the strongest). Empty when they have no
// such item (the caller falls back to popularity). Cost: items x catalog.
std::vector<float> EaseScores(const RowMatrix& weights,
                              absl::Span<const ItemActivity> activity,
                              int max_items = 500);

}  // namespace tailor

#endif  // TAILOR_CORE_SERVING_EASE_QUERY_H_
