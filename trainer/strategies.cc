#include "trainer/strategies.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/base/status_macros.h"
#include "core/models/popularity.h"
#include "core/models/scorer.h"

namespace tailor {
namespace {

constexpr absl::string_view kRecent = "recent-popularity";
constexpr absl::string_view kEase = "ease";

bool EaseFits(const StrategyOptions& options, int32_t num_items) {
  return num_items <= options.ease_options.max_items;
}

bool BuildsEase(const StrategyOptions& options, int32_t num_items) {
  return options.ease == StrategyOptions::Ease::kOn ||
         (options.ease == StrategyOptions::Ease::kAuto &&
          EaseFits(options, num_items));
}

}  // namespace

absl::Status ParseStrategies(absl::string_view text, StrategyOptions* options) {
  text = absl::StripAsciiWhitespace(text);
  if (text == "auto") {
    options->recent_popularity = true;
    options->ease = StrategyOptions::Ease::kAuto;
    return absl::OkStatus();
  }
  static constexpr absl::string_view kAlways[] = {
      "popularity", "segment-popularity", "item-neighbours", "als", "bpr"};
  bool recent = false, ease = false, any = false;
  for (absl::string_view name : absl::StrSplit(text, ',')) {
    name = absl::StripAsciiWhitespace(name);
    if (name.empty()) continue;
    any = true;
    if (name == kRecent) {
      recent = true;
    } else if (name == kEase) {
      ease = true;
    } else if (std::find(std::begin(kAlways), std::end(kAlways), name) ==
               std::end(kAlways)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--strategies: '", name,
          "' is not a strategy (auto, or any of recent-popularity, ease, "
          "popularity, segment-popularity, item-neighbours, als, bpr)"));
    }
  }
  if (!any) {
    return absl::InvalidArgumentError(
        "--strategies: empty (auto, or a comma-separated list of strategies)");
  }
  options->recent_popularity = recent;
  options->ease =
      ease ? StrategyOptions::Ease::kOn : StrategyOptions::Ease::kOff;
  return absl::OkStatus();
}

absl::Status ValidateStrategyOptions(const StrategyOptions& options) {
  if (options.recent_window_seconds <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--recent_window_days: must be > 0, got ",
        options.recent_window_seconds / static_cast<double>(kSecondsPerDay)));
  }
  if (options.ease_options.max_items <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--ease_max_items: must be > 0, got ", options.ease_options.max_items));
  }
  if (absl::Status s = ValidateEaseOptions(options.ease_options); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--ease_", s.message()));
  }
  return absl::OkStatus();
}

absl::Status CheckStrategiesFit(const StrategyOptions& options,
                                int32_t num_items) {
  if (options.ease != StrategyOptions::Ease::kOn ||
      EaseFits(options, num_items)) {
    return absl::OkStatus();
  }
  const double n = num_items;
  return absl::FailedPreconditionError(absl::StrFormat(
      "--strategies=ease: the catalog's %d items exceed --ease_max_items=%d "
      "(the served weights would take %.0f MiB, training %.0f MiB); raise "
      "the bound or leave ease out",
      num_items, options.ease_options.max_items, 4.0 * n * n / (1 << 20),
      16.0 * n * n / (1 << 20)));
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
BuildStrategies(const InteractionMatrix& m, const StrategyOptions& options,
                Model* model) {
  TAILOR_RETURN_IF_ERROR(ValidateStrategyOptions(options));
  const int32_t n = m.num_items();
  TAILOR_RETURN_IF_ERROR(CheckStrategiesFit(options, n));
  std::vector<std::pair<std::string, std::string>> facts;
  std::vector<std::string> built = {"popularity", "segment-popularity",
                                    "item-neighbours"};
  model->recent_popularity.clear();
  model->ease = nullptr;
  if (options.recent_popularity) {
    model->recent_popularity =
        ComputeRecentPopularity(m, options.recent_window_seconds);
    built.emplace_back(kRecent);
    facts.emplace_back(
        "recent_window_days",
        absl::StrFormat("%g", options.recent_window_seconds /
                                  static_cast<double>(kSecondsPerDay)));
  }
  if (BuildsEase(options, n)) {
    TAILOR_ASSIGN_OR_RETURN(RowMatrix weights,
                            TrainEase(m, options.ease_options));
    model->ease = std::make_shared<const RowMatrix>(std::move(weights));
    built.emplace_back(kEase);
    facts.emplace_back("ease_regularization",
                       absl::StrCat(options.ease_options.regularization));
  } else if (options.ease == StrategyOptions::Ease::kAuto) {
    facts.emplace_back(
        "ease", absl::StrFormat("skipped: %d items exceed --ease_max_items=%d",
                                n, options.ease_options.max_items));
  }
  facts.insert(facts.begin(), {"strategies", absl::StrJoin(built, ",")});
  return facts;
}

std::vector<ValidationStrategy> ValidationStrategies(
    const StrategyOptions& options, int32_t num_items) {
  std::vector<ValidationStrategy> out;
  if (options.recent_popularity) {
    const int64_t window = options.recent_window_seconds;
    out.push_back({std::string(kRecent),
                   [window](const InteractionMatrix& train)
                       -> absl::StatusOr<std::unique_ptr<Scorer>> {
                     return std::make_unique<StaticScorer>(
                         ComputeRecentPopularity(train, window));
                   }});
  }
  if (BuildsEase(options, num_items) && EaseFits(options, num_items)) {
    const EaseOptions ease = options.ease_options;
    out.push_back({std::string(kEase),
                   [ease](const InteractionMatrix& train)
                       -> absl::StatusOr<std::unique_ptr<Scorer>> {
                     TAILOR_ASSIGN_OR_RETURN(RowMatrix b,
                                             TrainEase(train, ease));
                     return std::make_unique<DenseItemScorer>(std::move(b));
                   }});
  }
  return out;
}

}  // namespace tailor
