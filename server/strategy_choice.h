// Which serving strategy answers a RecommendFor: the one the request names,
// else the arm of the experiment the shopper is in, else the model.
#ifndef TAILOR_SERVER_STRATEGY_CHOICE_H_
#define TAILOR_SERVER_STRATEGY_CHOICE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/experiments/experiment.h"
#include "server/serving_state.h"

namespace tailor {

// The popularity fallback for everyone, whatever their embedding.
inline constexpr absl::string_view kPopularityStrategy = "popularity";

// The strategy of `state`'s model: "als" or "bpr" (by its "algorithm"
// fact; "als" when the snapshot does not say).
std::string ModelStrategy(const ServingState& state);

// The strategies an arm or a request may name while `state` serves (null:
// no model): popularity, and the model's.
absl::flat_hash_set<std::string> ServedStrategies(const ServingState* state);

struct StrategyChoice {
  std::string strategy;
  std::string experiment;  // "" when no experiment chose
  std::string arm;
  // The arm's chance of being chosen for the shopper (ArmProbability).
  double probability = 1;
};

// `requested` when set (INVALID_ARGUMENT naming `strategy` unless served).
// Otherwise the first experiment of `experiments` (oldest first; null:
// none) that
// assigns `user_id` at `now_unix` (AssignArm; eligibility from `state`: a
// new visitor has no model row and no customer record, a segment is the
// customer record's RFM segment) gives its arm's strategy, or the model's
// when the arm names one this snapshot does not serve; else the model's.
absl::StatusOr<StrategyChoice> ChooseStrategy(
    absl::string_view requested, const std::vector<Experiment>* experiments,
    const ServingState& state, absl::string_view user_id, int64_t now_unix);

}  // namespace tailor

#endif  // TAILOR_SERVER_STRATEGY_CHOICE_H_
