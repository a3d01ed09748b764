#include "server/strategy_choice.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/customers/rfm.h"

namespace tailor {

std::string ModelStrategy(const ServingState& state) {
  for (const auto& [key, value] : state.info) {
    if (key == "algorithm" && value == "bpr") return "bpr";
  }
  return "als";
}

absl::flat_hash_set<std::string> ServedStrategies(const ServingState* state) {
  absl::flat_hash_set<std::string> out = {std::string(kPopularityStrategy)};
  if (state == nullptr) return out;
  const std::string model = ModelStrategy(*state);
  out.insert(model);
  for (absl::string_view strategy :
       {kSegmentPopularityStrategy, kItemNeighboursStrategy,
        kRecentPopularityStrategy, kEaseStrategy}) {
    if (Serves(*state, model, strategy)) out.insert(std::string(strategy));
  }
  return out;
}

bool Serves(const ServingState& state, absl::string_view model,
            absl::string_view strategy) {
  switch (KindOf(strategy)) {
    case StrategyKind::kModel:
      return strategy == model;
    case StrategyKind::kRecentPopularity:
      return !state.recommender->model().recent_popularity.empty();
    case StrategyKind::kEase:
      return state.recommender->model().ease != nullptr;
    default:
      return true;
  }
}

StrategyKind KindOf(absl::string_view strategy) {
  if (strategy == kPopularityStrategy) return StrategyKind::kPopularity;
  if (strategy == kSegmentPopularityStrategy) {
    return StrategyKind::kSegmentPopularity;
  }
  if (strategy == kItemNeighboursStrategy) return StrategyKind::kItemNeighbours;
  if (strategy == kRecentPopularityStrategy) {
    return StrategyKind::kRecentPopularity;
  }
  if (strategy == kEaseStrategy) return StrategyKind::kEase;
  return StrategyKind::kModel;
}

absl::StatusOr<StrategyChoice> ChooseStrategy(
    absl::string_view requested, const std::vector<Experiment>* experiments,
    const ServingState& state, absl::string_view user_id, int64_t now_unix) {
  StrategyChoice choice;
  const std::string model = ModelStrategy(state);
  auto served = [&state, &model](absl::string_view strategy) {
    return Serves(state, model, strategy);
  };
  if (!requested.empty()) {
    if (!served(requested)) {
      const absl::flat_hash_set<std::string> all = ServedStrategies(&state);
      std::vector<std::string> names(all.begin(), all.end());
      std::sort(names.begin(), names.end());
      return absl::InvalidArgumentError(absl::StrCat(
          "strategy: '", requested, "' is not served (this snapshot serves ",
          absl::StrJoin(names, ", "), ")"));
    }
    choice.strategy = std::string(requested);
    return choice;
  }
  choice.strategy = model;
  if (experiments == nullptr) return choice;
  // What eligibility needs, looked up once and only when asked.
  std::optional<ShopperFacts> facts;
  for (const Experiment& e : *experiments) {
    if (!e.LiveAt(now_unix)) continue;
    if (!facts.has_value()) {
      facts.emplace();
      const std::optional<int32_t> customer = state.segments->Find(user_id);
      facts->new_visitor =
          !customer.has_value() &&
          !state.recommender->model().users.Find(user_id).has_value();
      if (customer.has_value()) {
        const bool by_segment = std::any_of(
            experiments->begin(), experiments->end(), [](const Experiment& x) {
              return x.eligibility == Eligibility::kSegment;
            });
        if (by_segment) {
          const CustomerRecord record = state.segments->record(*customer);
          if (record.rfm.has_value()) {
            facts->rfm_segment = RfmSegmentName(record.rfm->segment);
          }
        }
      }
    }
    const std::optional<int> arm = AssignArm(e, user_id, *facts, now_unix);
    if (!arm.has_value()) continue;
    const std::string& strategy = e.arms[*arm].strategy;
    choice.strategy = served(strategy) ? strategy : model;
    choice.experiment = e.name;
    choice.arm = e.arms[*arm].name;
    choice.probability = ArmProbability(e, *arm, now_unix);
    choice.settings = &e.arms[*arm];
    break;
  }
  return choice;
}

}  // namespace tailor
