// Offline evaluation of recommendation models under fixed protocols.
//
// A protocol splits the data into train and test; tuning never sees the
// test pairs: hyperparameters are chosen on a validation split carved from
// the training pairs only, then the model is retrained on all training
// pairs with the chosen values and scored once on test.
#ifndef TAILOR_TRAINER_EVALUATION_H_
#define TAILOR_TRAINER_EVALUATION_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/interactions.h"
#include "core/base/time.h"
#include "core/eval/metrics.h"
#include "core/models/als.h"
#include "core/models/bayesian_mf.h"
#include "core/models/biased_mf.h"
#include "core/models/bpr.h"
#include "core/models/item_knn.h"
#include "core/models/scorer.h"
#include "trainer/pipeline.h"

namespace tailor {

enum class Protocol {
  // Per user, a random 25% of the user's items held out (fixed seed).
  kRandom75_25,
  // Per user, the latest 20% of the user's items held out.
  kTemporal,
  // Rating prediction on MovieLens' official folds u1..u5 (base/test).
  kSurprise5Fold,
  // Cold-start items: 10% of the items (seeded) lose every pair to test;
  // each user with test pairs ranks only those cold items.
  kColdItems,
};

// "random-75-25", "temporal", "surprise-5fold" or "cold-items".
absl::StatusOr<Protocol> ParseProtocol(absl::string_view name);
const char* ProtocolName(Protocol protocol);

struct EvaluationPlan {
  InteractionMatrix train;  // the final model trains on this
  InteractionMatrix test;   // scored once; never used for training or tuning
  InteractionMatrix
      tune_train;  // train minus validation: tuning trains on this
  InteractionMatrix validation;  // carved from train by the same protocol
  // Per item index: a dense category id from the catalog, -1 when unknown
  // (empty when there is no catalog); for popularity-category.
  std::vector<int32_t> item_category;
  // The catalog (may be empty); for als-attributes.
  std::vector<Item> catalog;
  // kColdItems: per item, whether test (validation) ranks it; everything
  // else is excluded from the rankings. Empty: every unseen item is ranked.
  std::vector<bool> test_candidates;
  std::vector<bool> validation_candidates;
};

// `protocol` must be a ranking protocol (not kSurprise5Fold). Fills the
// splits and the candidate sets, not item_category or catalog.
EvaluationPlan MakeEvaluationPlan(const InteractionMatrix& all,
                                  Protocol protocol, uint64_t seed);

struct ModelEvaluation {
  std::string model;
  RankingMetrics metrics;
  double coverage = 0;
  int64_t users = 0;  // users with at least one test item
  double tune_seconds = 0;
  double train_seconds = 0;
  double eval_seconds = 0;
  // Hyperparameters used for the final model (chosen ones when tuned).
  std::vector<std::pair<std::string, std::string>> params;
};

struct EvaluationOptions {
  int k = 10;
  // Grid-search each model's hyperparameters on validation NDCG@k (the grids
  // are in evaluation.cc and printed as they run); when false, the options
  // below are used as given.
  bool tune = true;
  AlsOptions als;
  BprOptions bpr;
  ItemKnnOptions item_knn;
  EaseOptions ease;
  // popularity-recent's window (seconds before the newest training event).
  int64_t recent_window_seconds = 30 * kSecondsPerDay;
};

// The ranking models EvaluateModel knows, in the order of a full run.
const std::vector<std::string>& RankingModelNames();
// The models a cold-items run evaluates by default (the others cannot score
// an item without interactions better than chance).
const std::vector<std::string>& ColdItemModelNames();

// One of RankingModelNames(): popularity, popularity-recent,
// popularity-category, als, als-attributes (ALS plus the cold-start
// attribute map for items without training interactions), bpr, item-knn,
// ease.
absl::StatusOr<ModelEvaluation> EvaluateModel(const EvaluationPlan& plan,
                                              const std::string& model,
                                              const EvaluationOptions& options,
                                              const ProgressFn& progress = {});

// Ranks, for every user with test pairs, all items the user has no training
// pair with by `scorer` (given the user's training history), and
// accumulates metrics at k. With `candidates` (one flag per item), only the
// flagged items are ranked.
RankingAccumulator ScoreRankings(const Scorer& scorer,
                                 const InteractionMatrix& train,
                                 const InteractionMatrix& test, int k,
                                 const std::vector<bool>* candidates = nullptr);

// Loads `input`, builds the plan for `protocol` (split seed `seed`) and
// evaluates each model in turn.
absl::StatusOr<std::vector<ModelEvaluation>> RunEvaluation(
    const TrainingInput& input, Protocol protocol,
    const std::vector<std::string>& models, const EvaluationOptions& options,
    uint64_t seed, const ProgressFn& progress = {});

// What WriteEvaluationSplit wrote.
struct SplitFiles {
  int64_t train_events = 0;   // DIR/train.csv rows
  int64_t test_pairs = 0;     // DIR/test.csv rows
  int64_t test_shoppers = 0;  // shoppers with at least one test pair
  int64_t catalog_items = 0;  // DIR/catalog.csv rows (0: none written)
};

// Writes the train/test split `protocol` (a ranking protocol; seed `seed`)
// makes of `input`, exactly as RunEvaluation makes it, for scoring a
// served model against eval's figures: DIR/train.csv holds every event of
// the training pairs (events CSV, whatever the input's format),
// DIR/test.csv the held-out pairs (user_id,item_id), and DIR/catalog.csv
// the input's catalog when it has one. DIR is created if missing.
absl::StatusOr<SplitFiles> WriteEvaluationSplit(
    const TrainingInput& input, Protocol protocol, uint64_t seed,
    const std::string& dir, const ProgressFn& progress = {});

struct RatingEvaluation {
  std::string model;
  double rmse = 0;  // mean over folds
  double mae = 0;
  std::vector<double> fold_rmse;
  std::vector<double> fold_mae;
  double seconds = 0;  // training + prediction over all folds (not reading)
  double tune_seconds = 0;  // choosing hyperparameters (when tuned)
  std::vector<std::pair<std::string, std::string>> params;
};

// One rating-prediction fold with its own dense ids; test ids unseen in
// training are -1.
struct RatingFold {
  std::vector<Rating> train;
  std::vector<Rating> test;
  int32_t num_users = 0;
  int32_t num_items = 0;
};

// MovieLens' official folds DIR/u1.base/test .. u5.base/test (strict).
absl::StatusOr<std::vector<RatingFold>> ReadMovieLensFolds(
    const std::string& movielens_dir);

struct RatingScore {
  double rmse = 0;
  double mae = 0;
};

// Trains biased MF / SVD++ or Bayesian MF on `train` and scores its
// predictions of `test`.
absl::StatusOr<RatingScore> ScoreRatingModel(const std::vector<Rating>& train,
                                             int32_t num_users,
                                             int32_t num_items,
                                             const std::vector<Rating>& test,
                                             const BiasedMfOptions& options);
absl::StatusOr<RatingScore> ScoreRatingModel(const std::vector<Rating>& train,
                                             int32_t num_users,
                                             int32_t num_items,
                                             const std::vector<Rating>& test,
                                             const BayesianMfOptions& options);

// Options of the rating-prediction models.
struct RatingModels {
  BiasedMfOptions sgd;  // svd and svdpp (implicit_feedback is set per model)
  BayesianMfOptions bayesian;
};

// The candidate values tried by rating-model tuning (every combination).
struct RatingGrid {
  std::vector<int> factors = {20, 50, 100};
  std::vector<int> epochs = {40};
  std::vector<float> learning_rates = {0.007f};
  std::vector<float> regularizations = {0.05f, 0.1f, 0.15f};
};

// Chooses, among `grid` x `base`'s other fields, the options with the lowest
// RMSE on a random 10% validation split of `train` (seeded), each candidate
// trained on the other 90%. Candidates run in parallel.
absl::StatusOr<BiasedMfOptions> TuneRatingModel(
    const std::vector<Rating>& train, int32_t num_users, int32_t num_items,
    const BiasedMfOptions& base, const RatingGrid& grid, uint64_t seed,
    const ProgressFn& progress = {});

// Explicit biased MF ("svd"), SVD++ ("svdpp") or Bayesian MF
// ("bayesian-mf") trained on each fold's base and scored on its test; RMSE
// and MAE averaged over the folds. Folds run in parallel; `seconds` is the
// wall time of training and prediction. With `grid`, each fold's svd/svdpp
// hyperparameters are tuned on that fold's base alone (TuneRatingModel);
// otherwise the options are used as given. Bayesian MF samples its
// regularization from hyperpriors and takes no grid.
absl::StatusOr<RatingEvaluation> EvaluateSurprise5Fold(
    const std::vector<RatingFold>& folds, const RatingModels& models,
    const std::string& model, const RatingGrid* grid = nullptr,
    const ProgressFn& progress = {});
std::string FormatRatingEvaluation(const RatingEvaluation& e);
std::string RatingEvaluationToJson(const RatingEvaluation& e,
                                   const std::string& dataset);

// A fixed-width table, one row per model.
std::string FormatEvaluationTable(const std::vector<ModelEvaluation>& rows,
                                  int k);
// One JSON object (one line) with every metric, timing and parameter.
std::string EvaluationToJson(const ModelEvaluation& e,
                             const std::string& dataset, Protocol protocol,
                             int k);

}  // namespace tailor

#endif  // TAILOR_TRAINER_EVALUATION_H_
