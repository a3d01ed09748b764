// The item-neighbours ("because you looked at") strategy as a Scorer, for
// offline evaluation beside the model it is served from.
#ifndef TAILOR_CORE_MODELS_ITEM_NEIGHBOURS_H_
#define TAILOR_CORE_MODELS_ITEM_NEIGHBOURS_H_

#include <cstdint>
#include <vector>

#include "core/base/matrix.h"
#include "core/models/scorer.h"

namespace tailor {

// Scores every item by its dot product with NeighbourQuery over the user's
// history (core/serving/neighbour_query.h), as the server's item-neighbours
// strategy does; a user without a usable history gets `fallback` (the
// popularity the server falls back to).
// Thread safety: immutable after construction.
class ItemNeighbourScorer : public Scorer {
 public:
  ItemNeighbourScorer(RowMatrix item_factors, std::vector<float> fallback)
      : items_(std::move(item_factors)), fallback_(std::move(fallback)) {}
  int32_t num_items() const override {
    return static_cast<int32_t>(items_.rows());
  }
  void Score(int32_t user, HistoryView history,
             absl::Span<float> scores) const override;

 private:
  RowMatrix items_;
  std::vector<float> fallback_;
};

}  // namespace tailor

#endif  // TAILOR_CORE_MODELS_ITEM_NEIGHBOURS_H_
