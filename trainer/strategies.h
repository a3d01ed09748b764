// The serving strategies tailor-trainer builds into a snapshot beside the
// model (--strategies): recent popularity and EASE. The others a server
// serves (popularity, segment-popularity, item-neighbours and the model's)
// come from parts every snapshot has.
#ifndef TAILOR_TRAINER_STRATEGIES_H_
#define TAILOR_TRAINER_STRATEGIES_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/interactions.h"
#include "core/base/time.h"
#include "core/models/item_knn.h"
#include "core/serving/snapshot.h"
#include "trainer/tuning.h"

namespace tailor {

struct StrategyOptions {
  // "recent-popularity": popularity over the last window before the newest
  // training event.
  bool recent_popularity = true;
  int64_t recent_window_seconds = 30 * kSecondsPerDay;
  // "ease": kAuto builds it when the catalog has at most
  // ease_options.max_items items, kOn refuses to train a larger one.
  enum class Ease { kAuto, kOn, kOff };
  Ease ease = Ease::kAuto;
  // The served weights take 4 n^2 bytes of server memory (100 MB at the
  // default bound of 5,000 items); training 16 n^2 bytes and n^3 / 3
  // flops.
  EaseOptions ease_options = {.regularization = 500.0f, .max_items = 5000};
};

// Sets `options`' recent_popularity and ease from --strategies' `text`:
// "auto" (recent-popularity, and ease where it fits), or a comma-separated
// list of strategy names, exactly those built: recent-popularity, ease,
// and the ones every snapshot serves (popularity, segment-popularity,
// item-neighbours, als, bpr), accepted for completeness. INVALID_ARGUMENT
// naming --strategies for an empty list or an unknown name.
absl::Status ParseStrategies(absl::string_view text, StrategyOptions* options);

// Checks the windows and EASE options (INVALID_ARGUMENT naming the flag).
absl::Status ValidateStrategyOptions(const StrategyOptions& options);

// FAILED_PRECONDITION naming --ease_max_items when `options` ask for ease
// by name (kOn) and a catalog of `num_items` exceeds the bound: checked
// before anything is trained.
absl::Status CheckStrategiesFit(const StrategyOptions& options,
                                int32_t num_items);

// Builds into `model` (whose items are `m`'s) the strategies `options`
// asks for from the training matrix `m`: model->recent_popularity and
// model->ease (CheckStrategiesFit's error first). Returns the training facts to
// record: "strategies" (those built), "recent_window_days",
// "ease_regularization", "ease" (why it was not built, under kAuto).
absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
BuildStrategies(const InteractionMatrix& m, const StrategyOptions& options,
                Model* model);

// The strategies BuildStrategies would build for a catalog of `num_items`,
// as scorers for tuning's validation folds.
std::vector<ValidationStrategy> ValidationStrategies(
    const StrategyOptions& options, int32_t num_items);

}  // namespace tailor

#endif  // TAILOR_TRAINER_STRATEGIES_H_
