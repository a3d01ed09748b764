// Self-tuning for `tailor-trainer train`: chooses the served model's
// hyperparameters (and, on request, the algorithm) on a validation split
// carved from the training data, within a time budget, and says whether the
// chosen model beats popularity there.
//
// The split is eval's temporal protocol: per shopper, the latest 20% of the
// shopper's items are held out. Candidates train on the rest and rank every
// item the shopper has no training pair with; NDCG@k over the held-out
// items scores them. When the first split holds fewer than 3,000 shoppers,
// up to two more folds by rolling origin (the latest 20% of the previous
// fold's training side) add to the scores, which are otherwise noisy. The
// search is a coordinate search from the given options (one hyperparameter at a
// time over a fixed list of values, the others held at the best so far; ALS's
// regularization and alpha together, as they interact), in the order written
// in tuning.cc, until it has nothing left to try or the next candidate would
// overrun the budget. Among the tried settings of the winning
// algorithm, the simplest one within one standard error of the best is chosen
// (ChooseWithinOneStandardError; simpler = fewer factors, no frequency
// scaling, stronger regularization).
#ifndef TAILOR_TRAINER_TUNING_H_
#define TAILOR_TRAINER_TUNING_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/interactions.h"
#include "core/eval/metrics.h"
#include "core/eval/splits.h"
#include "core/models/als.h"
#include "core/models/bpr.h"
#include "core/models/scorer.h"

namespace tailor {

// The embedding models the server can serve.
enum class ServedAlgorithm { kAls, kBpr };

// "als" or "bpr".
const char* ServedAlgorithmName(ServedAlgorithm algorithm);

// A serving strategy scored beside the model on the validation folds:
// `build` makes its scorer from a fold's training side.
struct ValidationStrategy {
  std::string name;
  std::function<absl::StatusOr<std::unique_ptr<Scorer>>(
      const InteractionMatrix& train)>
      build;
};

struct TuneOptions {
  // Whether RunTraining tunes (tailor-trainer train's --tune, on by
  // default there; off here so that library callers train what they ask).
  bool enabled = false;
  // Every servable algorithm competes (--algorithm=auto); otherwise only
  // the given one is tuned.
  bool auto_algorithm = false;
  // Wall-clock seconds for the search (the split, every candidate and the
  // popularity baseline). At least each competing algorithm's starting
  // options are always scored, whatever the budget.
  double budget_seconds = 45;
  // Validation list length.
  int k = 10;
  // Strategies to score on the same folds, after the search (their
  // metrics go to TuneResult::strategies; they do not compete).
  std::vector<ValidationStrategy> strategies;
};

// One scored candidate.
struct TuneTrial {
  ServedAlgorithm algorithm = ServedAlgorithm::kAls;
  AlsOptions als;  // the candidate's options (the other algorithm's unused)
  BprOptions bpr;
  RankingMetrics metrics;         // validation means
  std::vector<double> user_ndcg;  // per validation shopper, in one order
  double seconds = 0;             // training and scoring
};

struct TuneResult {
  ServedAlgorithm algorithm = ServedAlgorithm::kAls;
  AlsOptions als;  // chosen (or as given, for the algorithm not chosen)
  BprOptions bpr;
  RankingMetrics chosen;      // the chosen candidate's validation metrics
  RankingMetrics best;        // the best candidate's (>= chosen's NDCG)
  RankingMetrics popularity;  // popularity's on the same split
  // The item-neighbours strategy served from the chosen model's item
  // factors (ItemNeighbourScorer), on the same split.
  RankingMetrics item_neighbours;
  // TuneOptions::strategies' metrics on the same split, in their order.
  std::vector<std::pair<std::string, RankingMetrics>> strategies;
  // The first validation fold (ValidationSplit), for strategies scored
  // after training (the customer segments' segment-popularity).
  InteractionSplit validation;
  bool beats_popularity = false;
  std::vector<TuneTrial> trials;  // in the order tried
  // Candidates left untried because the budget ran out.
  int skipped_for_budget = 0;
  int folds = 1;                    // validation folds (rolling origin)
  int64_t validation_shoppers = 0;  // of the first fold
  int64_t validation_pairs = 0;     // over every fold
  double seconds = 0;
};

// The first validation fold tuning scores on: per shopper, the latest 20%
// of their items held out of `all`.
InteractionSplit ValidationSplit(const InteractionMatrix& all);

// "factors=32 regularization=30 ..." for the chosen algorithm's options.
std::string TunedParamsText(const TuneResult& result);

// Tunes on `all` (the whole training matrix; not modified), starting from
// `als` / `bpr` (validated by the caller) for `algorithm`, or for both
// with options.auto_algorithm. FAILED_PRECONDITION when no shopper has
// enough pairs to hold any out.
absl::StatusOr<TuneResult> TuneServedModel(
    const InteractionMatrix& all, ServedAlgorithm algorithm,
    const AlsOptions& als, const BprOptions& bpr, const TuneOptions& options,
    const std::function<void(const std::string&)>& progress = {});

}  // namespace tailor

#endif  // TAILOR_TRAINER_TUNING_H_
