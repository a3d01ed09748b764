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

// The strategies every snapshot serves besides its model's:
// The most popular items, for everyone.
inline constexpr absl::string_view kPopularityStrategy = "popularity";
// The shopper's behavioural cluster's most popular items first, then the
// most popular (as popularity for shoppers without a cluster).
inline constexpr absl::string_view kSegmentPopularityStrategy =
    "segment-popularity";
// "Because you looked at": the items nearest, in the model's item
// embedding space, to the items the shopper interacted with most (their
// normalised vectors summed, weighted by the interaction), whatever the
// shopper's own vector; popularity without such items.
inline constexpr absl::string_view kItemNeighboursStrategy = "item-neighbours";
// The strategies a snapshot serves when the trainer built them
// (tailor-trainer --strategies):
// The items most popular over the trainer's recent window, for everyone
// (Model::recent_popularity).
inline constexpr absl::string_view kRecentPopularityStrategy =
    "recent-popularity";
// EASE item-item weights over the shopper's history (Model::ease);
// popularity without one.
inline constexpr absl::string_view kEaseStrategy = "ease";

// How a strategy scores.
enum class StrategyKind {
  kModel,
  kPopularity,
  kSegmentPopularity,
  kItemNeighbours,
  kRecentPopularity,
  kEase
};

// The strategy of `state`'s model: "als" or "bpr" (by its "algorithm"
// fact; "als" when the snapshot does not say).
std::string ModelStrategy(const ServingState& state);

// The strategies an arm or a request may name while `state` serves (null:
// no model): popularity, segment-popularity, item-neighbours, those of
// recent-popularity and ease its snapshot has, and the model's.
absl::flat_hash_set<std::string> ServedStrategies(const ServingState* state);

// How `strategy` (one of ServedStrategies) scores: kModel for the model's
// (and any name not served).
StrategyKind KindOf(absl::string_view strategy);

struct StrategyChoice {
  std::string strategy;
  std::string experiment;  // "" when no experiment chose
  std::string arm;
  // The arm's chance of being chosen for the shopper (ArmProbability).
  double probability = 1;
  // The arm, for its serving settings (diversity, boosts); points into
  // the experiments ChooseStrategy was given, null when no arm chose.
  const ExperimentArm* settings = nullptr;
};

// Whether `state`, whose model's strategy is `model` (ModelStrategy),
// serves `strategy` (one of ServedStrategies(&state)).
bool Serves(const ServingState& state, absl::string_view model,
            absl::string_view strategy);

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
