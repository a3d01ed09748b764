// Updating one shopper between retrains: the events logged since the model
// was trained are added to what training saw for them, and their vector is
// re-estimated against the model's fixed item factors (the implicit-ALS
// least-squares solve for one user, "fold-in").
#ifndef TAILOR_CORE_SERVING_FOLD_IN_H_
#define TAILOR_CORE_SERVING_FOLD_IN_H_

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "core/base/interactions.h"
#include "core/base/matrix.h"
#include "core/serving/snapshot.h"

namespace tailor {

// One shopper's aggregate for one item, as the trainer's InteractionBuilder
// would compute it from the same events.
struct ItemActivity {
  int32_t item = 0;  // model item index
  float weight_sum = 0;
  int32_t net_purchases = 0;  // purchases minus returns
  uint8_t flags = 0;  // the TypeFlags of its events (kTypeFlags bits only)

  float weight() const { return std::max(0.0f, weight_sum); }
  bool purchased() const { return net_purchases > 0; }
  bool consumed(ConsumedTypes rule) const {
    return IsConsumed(flags, net_purchases, rule);
  }
  bool operator==(const ItemActivity&) const = default;
};

// Adds each (item, contribution) to `activity`, which is sorted by item and
// stays so (items not in it yet are inserted).
void AddContributions(
    absl::Span<const std::pair<int32_t, EventContribution>> contributions,
    std::vector<ItemActivity>* activity);

// Re-estimates user vectors against one model's item factors.
// Thread safety: immutable after construction; Solve may be called from many
// threads at once.
class FoldIn {
 public:
  // `item_factors` must outlive this object. Precomputes Y^T Y.
  FoldIn(const RowMatrix* item_factors, const OnlineParams& params);

  // False for models without fold-in parameters (Solve returns zeros).
  bool enabled() const { return params_.fold_in; }

  // The vector x minimising sum_i c_i (p_i - x . y_i)^2 over every item
  // (p_i = [weight_i > 0], c_i = 1 + alpha * weight_i) plus reg |x|^2, with
  // the frequency-scaled regularization training used for a row of this
  // mass: exactly the ALS user half-step for this user (solved by Cholesky).
  // All zeros when no item has a positive weight (the server then uses its
  // fallbacks).
  Vector Solve(absl::Span<const ItemActivity> activity) const;

 private:
  const RowMatrix* items_;
  OnlineParams params_;
  Eigen::MatrixXf gram_;
};

}  // namespace tailor

#endif  // TAILOR_CORE_SERVING_FOLD_IN_H_
