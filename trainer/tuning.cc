#include "trainer/tuning.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <numeric>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/status_macros.h"
#include "core/eval/splits.h"
#include "core/models/item_neighbours.h"
#include "core/models/popularity.h"
#include "core/models/scorer.h"
#include "trainer/evaluation.h"

namespace tailor {
namespace {

// eval's temporal protocol holds out the same share.
constexpr double kValidationFraction = 0.20;
// Validation folds: enough for about this many (fold, shopper) scores, at
// most kMaxFolds.
constexpr int64_t kFoldShoppers = 3000;
constexpr int64_t kMaxFolds = 3;
// Full passes over the axes at most (a pass that changes nothing ends it).
constexpr int kMaxPasses = 3;

// One hyperparameter and the values the search may try for it.
template <typename Options>
struct Axis {
  std::vector<double> values;
  std::function<void(Options*, double)> set;
};

// One step of the coordinate search: its axes are scanned jointly (every
// combination of their values, the other hyperparameters held).
template <typename Options>
using Step = std::vector<Axis<Options>>;

// ALS's regularization and alpha are scanned together: alpha scales the
// confidence of every observed pair, so the regularization's strength is
// relative to it, and settings of equal ratio score alike. Scanned one at a
// time, the search stops on that ridge wherever it first meets it; scanned
// together, the one-standard-error rule can move along it to the strongest
// regularization within the noise.
std::vector<Step<AlsOptions>> AlsSteps() {
  return {
      {{{1, 3, 10, 30, 100, 300, 1000},
        [](AlsOptions* o, double v) { o->regularization = v; }},
       {{0.25, 0.5, 1, 2, 4}, [](AlsOptions* o, double v) { o->alpha = v; }}},
      {{{32, 64, 128},
        [](AlsOptions* o, double v) { o->factors = static_cast<int>(v); }}},
      {{{0, 1}, [](AlsOptions* o, double v) { o->frequency_scaling = v; }}},
  };
}

std::vector<Step<BprOptions>> BprSteps() {
  return {
      {{{0.0005, 0.002, 0.01},
        [](BprOptions* o, double v) { o->regularization = v; }}},
      {{{0.01, 0.05, 0.1},
        [](BprOptions* o, double v) { o->learning_rate = v; }}},
      {{{32, 64, 128},
        [](BprOptions* o, double v) { o->factors = static_cast<int>(v); }}},
  };
}

// Every combination of `step`'s values applied to `center`.
template <typename Options>
std::vector<Options> Combinations(const Options& center,
                                  const Step<Options>& step) {
  std::vector<Options> out = {center};
  for (const Axis<Options>& axis : step) {
    std::vector<Options> next;
    for (const Options& o : out) {
      for (double value : axis.values) {
        Options c = o;
        axis.set(&c, value);
        next.push_back(c);
      }
    }
    out = std::move(next);
  }
  return out;
}

// Simpler first: fewer factors, no frequency scaling, stronger
// regularization (the order ChooseWithinOneStandardError expects); among
// settings of equal complexity (alpha and the learning rate are not
// complexity), the better validation score first.
auto SimplicityKey(const TuneTrial& t) {
  if (t.algorithm == ServedAlgorithm::kAls) {
    return std::make_tuple(t.als.factors, t.als.frequency_scaling,
                           -t.als.regularization, -t.metrics.ndcg);
  }
  return std::make_tuple(t.bpr.factors, 0.0f, -t.bpr.regularization,
                         -t.metrics.ndcg);
}

bool SameSetting(const TuneTrial& t, ServedAlgorithm algorithm,
                 const AlsOptions& als, const BprOptions& bpr) {
  if (t.algorithm != algorithm) return false;
  if (algorithm == ServedAlgorithm::kAls) {
    return t.als.factors == als.factors &&
           t.als.regularization == als.regularization &&
           t.als.alpha == als.alpha &&
           t.als.frequency_scaling == als.frequency_scaling;
  }
  return t.bpr.factors == bpr.factors &&
         t.bpr.regularization == bpr.regularization &&
         t.bpr.learning_rate == bpr.learning_rate;
}

std::string ParamsOf(ServedAlgorithm algorithm, const AlsOptions& als,
                     const BprOptions& bpr) {
  if (algorithm == ServedAlgorithm::kAls) {
    return absl::StrFormat(
        "factors=%d regularization=%g alpha=%g frequency_scaling=%g",
        als.factors, als.regularization, als.alpha, als.frequency_scaling);
  }
  return absl::StrFormat("factors=%d regularization=%g learning_rate=%g",
                         bpr.factors, bpr.regularization, bpr.learning_rate);
}

int FactorsOf(ServedAlgorithm algorithm, const AlsOptions& als,
              const BprOptions& bpr) {
  return algorithm == ServedAlgorithm::kAls ? als.factors : bpr.factors;
}

using ScorerOr = absl::StatusOr<std::unique_ptr<Scorer>>;

// `algorithm` with `als` / `bpr` trained on `train`.
absl::StatusOr<std::unique_ptr<FactorScorer>> TrainFactorScorer(
    const InteractionMatrix& train, ServedAlgorithm algorithm,
    const AlsOptions& als, const BprOptions& bpr) {
  if (algorithm == ServedAlgorithm::kAls) {
    AlsOptions o = als;
    o.compute_loss = false;
    TAILOR_ASSIGN_OR_RETURN(AlsFactors f, TrainImplicitAls(train, o));
    return std::make_unique<FactorScorer>(std::move(f.user_factors),
                                          std::move(f.item_factors));
  }
  TAILOR_ASSIGN_OR_RETURN(BprFactors f, TrainBpr(train, bpr));
  return std::make_unique<FactorScorer>(std::move(f.user_factors),
                                        std::move(f.item_factors));
}

// Trains `build` on each fold's training side and scores it on the fold's
// held-out pairs: trial->metrics are the means over every (fold, shopper),
// trial->user_ndcg those scores, fold after fold.
absl::Status ScoreOnFolds(
    const std::vector<InteractionSplit>& folds, int k,
    const std::function<ScorerOr(const InteractionMatrix&)>& build,
    TuneTrial* trial) {
  RankingMetrics sum;
  trial->user_ndcg.clear();
  for (const InteractionSplit& fold : folds) {
    TAILOR_ASSIGN_OR_RETURN(const std::unique_ptr<Scorer> scorer,
                            build(fold.train));
    const RankingAccumulator acc =
        ScoreRankings(*scorer, fold.train, fold.test, k);
    const RankingMetrics mean = acc.Mean();
    const double n = static_cast<double>(acc.users());
    sum.precision += mean.precision * n;
    sum.recall += mean.recall * n;
    sum.ndcg += mean.ndcg * n;
    sum.map += mean.map * n;
    trial->user_ndcg.insert(trial->user_ndcg.end(), acc.user_ndcg().begin(),
                            acc.user_ndcg().end());
  }
  const double n = std::max<double>(1, trial->user_ndcg.size());
  trial->metrics = {sum.precision / n, sum.recall / n, sum.ndcg / n,
                    sum.map / n};
  return absl::OkStatus();
}

// The trials of one tuning run: scores settings on the folds (each once)
// and walks the axes, within the budget.
// Thread safety: used by one thread (training itself runs in parallel).
class Search {
 public:
  Search(const std::vector<InteractionSplit>& folds, const TuneOptions& options,
         const std::function<void(const std::string&)>& progress,
         std::chrono::steady_clock::time_point start, TuneResult* result)
      : folds_(folds),
        options_(options),
        progress_(progress),
        start_(start),
        result_(result) {}

  // Scores one setting unless it was tried; `forced` ignores the budget.
  // Returns the index of its trial, or -1 when the budget refused it.
  absl::StatusOr<int> Try(ServedAlgorithm algorithm, const AlsOptions& als,
                          const BprOptions& bpr, bool forced) {
    std::vector<TuneTrial>& trials = result_->trials;
    for (size_t t = 0; t < trials.size(); ++t) {
      if (SameSetting(trials[t], algorithm, als, bpr)) {
        return static_cast<int>(t);
      }
    }
    if (!forced &&
        Elapsed() + Estimate(algorithm, als, bpr) > options_.budget_seconds) {
      ++result_->skipped_for_budget;
      return -1;
    }
    const auto begin = std::chrono::steady_clock::now();
    TuneTrial trial;
    trial.algorithm = algorithm;
    trial.als = als;
    trial.bpr = bpr;
    TAILOR_RETURN_IF_ERROR(ScoreOnFolds(
        folds_, options_.k,
        [&](const InteractionMatrix& train) -> ScorerOr {
          return TrainFactorScorer(train, algorithm, als, bpr);
        },
        &trial));
    trial.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin)
            .count();
    if (progress_) {
      progress_(absl::StrFormat(
          "  tune %s %s: validation NDCG@%d %.4f (%.1f s)",
          ServedAlgorithmName(algorithm), ParamsOf(algorithm, als, bpr),
          options_.k, trial.metrics.ndcg, trial.seconds));
    }
    trials.push_back(std::move(trial));
    return static_cast<int>(trials.size() - 1);
  }

  // Coordinate search from trial `from` over `steps`; returns the chosen
  // trial's index. Each step is scanned whole (every combination of its
  // axes' values, the others held at the current setting; the budget may
  // cut a scan short); the next step starts from the simplest trial within
  // one standard error of the best so far (Choose), so that the search
  // moves only for gains larger than the validation noise. Passes repeat
  // until one moves nothing.
  template <typename Options>
  absl::StatusOr<int> Descend(ServedAlgorithm algorithm, int from,
                              const std::vector<Step<Options>>& steps) {
    int center = from;
    for (int pass = 0; pass < kMaxPasses; ++pass) {
      const int center_before_pass = center;
      for (const Step<Options>& step : steps) {
        TuneTrial candidate = result_->trials[center];
        for (const Options& o :
             Combinations(*Select<Options>(&candidate), step)) {
          *Select<Options>(&candidate) = o;
          TAILOR_RETURN_IF_ERROR(
              Try(algorithm, candidate.als, candidate.bpr, false).status());
        }
        center = Choose(algorithm);
      }
      if (center == center_before_pass) break;
    }
    return center;
  }

  // Among the trials of `algorithm`, the simplest within one standard error
  // of the best.
  int Choose(ServedAlgorithm algorithm) const {
    const std::vector<TuneTrial>& trials = result_->trials;
    std::vector<int> own;
    for (size_t t = 0; t < trials.size(); ++t) {
      if (trials[t].algorithm == algorithm) own.push_back(static_cast<int>(t));
    }
    std::stable_sort(own.begin(), own.end(), [&](int a, int b) {
      return SimplicityKey(trials[a]) < SimplicityKey(trials[b]);
    });
    std::vector<std::vector<double>> per_user;
    for (int t : own) per_user.push_back(trials[t].user_ndcg);
    return own[ChooseWithinOneStandardError(per_user)];
  }

  double Elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start_)
        .count();
  }

 private:
  template <typename Options>
  static Options* Select(TuneTrial* trial) {
    if constexpr (std::is_same_v<Options, AlsOptions>) {
      return &trial->als;
    } else {
      return &trial->bpr;
    }
  }

  // Seconds the candidate should take: the latest trial of its algorithm,
  // scaled by the square of the factor ratio (the per-row solves' cost
  // grows faster than linearly with the factors).
  double Estimate(ServedAlgorithm algorithm, const AlsOptions& als,
                  const BprOptions& bpr) const {
    const std::vector<TuneTrial>& trials = result_->trials;
    for (auto t = trials.rbegin(); t != trials.rend(); ++t) {
      if (t->algorithm != algorithm) continue;
      const double ratio = static_cast<double>(FactorsOf(algorithm, als, bpr)) /
                           FactorsOf(algorithm, t->als, t->bpr);
      return t->seconds * std::max(1.0, ratio * ratio);
    }
    return 0;
  }

  const std::vector<InteractionSplit>& folds_;
  const TuneOptions& options_;
  const std::function<void(const std::string&)>& progress_;
  std::chrono::steady_clock::time_point start_;
  TuneResult* result_;
};

}  // namespace

const char* ServedAlgorithmName(ServedAlgorithm algorithm) {
  return algorithm == ServedAlgorithm::kAls ? "als" : "bpr";
}

std::string TunedParamsText(const TuneResult& result) {
  return ParamsOf(result.algorithm, result.als, result.bpr);
}

InteractionSplit ValidationSplit(const InteractionMatrix& all) {
  return SplitTemporalPerUser(all, kValidationFraction);
}

absl::StatusOr<TuneResult> TuneServedModel(
    const InteractionMatrix& all, ServedAlgorithm algorithm,
    const AlsOptions& als, const BprOptions& bpr, const TuneOptions& options,
    const std::function<void(const std::string&)>& progress) {
  if (!(options.budget_seconds >= 0) ||
      !std::isfinite(options.budget_seconds)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tune_budget: must be a finite number of seconds >= 0, got ",
        options.budget_seconds));
  }
  if (options.k <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("tune k: must be > 0, got ", options.k));
  }
  const auto start = std::chrono::steady_clock::now();
  // Rolling origin: the first fold holds out each shopper's latest 20%,
  // each next one the latest 20% of what the previous trained on. Few
  // shoppers make a noisy validation score: they get more folds.
  std::vector<InteractionSplit> folds;
  folds.push_back(ValidationSplit(all));
  if (folds[0].test.nnz() == 0) {
    return absl::FailedPreconditionError(
        "tuning: no shopper has two or more items to hold one out for "
        "validation (train with --tune=false)");
  }
  int64_t first_fold_shoppers = 0;
  for (int32_t u = 0; u < folds[0].test.num_users(); ++u) {
    first_fold_shoppers +=
        folds[0].test.row_ptr[u + 1] > folds[0].test.row_ptr[u] ? 1 : 0;
  }
  const int64_t wanted = std::clamp<int64_t>(
      (kFoldShoppers + first_fold_shoppers - 1) / first_fold_shoppers, 1,
      kMaxFolds);
  while (static_cast<int64_t>(folds.size()) < wanted) {
    InteractionSplit next =
        SplitTemporalPerUser(folds.back().train, kValidationFraction);
    if (next.test.nnz() == 0) break;
    folds.push_back(std::move(next));
  }
  TuneResult result;
  result.als = als;
  result.bpr = bpr;
  result.algorithm = algorithm;
  result.folds = static_cast<int>(folds.size());
  for (const InteractionSplit& fold : folds) {
    result.validation_pairs += fold.test.nnz();
  }
  TuneTrial popular;
  TAILOR_RETURN_IF_ERROR(ScoreOnFolds(
      folds, options.k,
      [](const InteractionMatrix& train) -> ScorerOr {
        return std::make_unique<StaticScorer>(ComputePopularity(train));
      },
      &popular));
  result.popularity = popular.metrics;
  result.validation_shoppers = first_fold_shoppers;
  if (progress) {
    progress(absl::StrFormat(
        "tuning on %d temporal validation fold%s: %d shoppers, %d held-out "
        "pairs (budget %.0f s); popularity NDCG@%d %.4f",
        result.folds, result.folds > 1 ? "s" : "", result.validation_shoppers,
        result.validation_pairs, options.budget_seconds, options.k,
        result.popularity.ndcg));
  }

  Search search(folds, options, progress, start, &result);
  std::vector<ServedAlgorithm> algorithms = {algorithm};
  if (options.auto_algorithm) {
    algorithms = {ServedAlgorithm::kAls, ServedAlgorithm::kBpr};
  }
  // Every competitor's starting options are scored first, whatever the
  // budget; the search then refines the leader first.
  std::vector<int> starts;
  for (ServedAlgorithm a : algorithms) {
    TAILOR_ASSIGN_OR_RETURN(int t, search.Try(a, als, bpr, /*forced=*/true));
    starts.push_back(t);
  }
  std::vector<size_t> order(algorithms.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return result.trials[starts[a]].metrics.ndcg >
           result.trials[starts[b]].metrics.ndcg;
  });
  for (size_t o : order) {
    if (algorithms[o] == ServedAlgorithm::kAls) {
      TAILOR_RETURN_IF_ERROR(
          search.Descend(ServedAlgorithm::kAls, starts[o], AlsSteps())
              .status());
    } else {
      TAILOR_RETURN_IF_ERROR(
          search.Descend(ServedAlgorithm::kBpr, starts[o], BprSteps())
              .status());
    }
  }

  // The winning algorithm is the best trial's; among its trials, the
  // simplest within one standard error of the best.
  const std::vector<TuneTrial>& trials = result.trials;
  size_t best = 0;
  for (size_t t = 1; t < trials.size(); ++t) {
    if (trials[t].metrics.ndcg > trials[best].metrics.ndcg) best = t;
  }
  result.algorithm = trials[best].algorithm;
  const TuneTrial& chosen = trials[search.Choose(result.algorithm)];
  if (result.algorithm == ServedAlgorithm::kAls) {
    result.als = chosen.als;
  } else {
    result.bpr = chosen.bpr;
  }
  result.chosen = chosen.metrics;
  result.best = trials[best].metrics;
  result.beats_popularity = result.chosen.ndcg > result.popularity.ndcg;
  // The item-neighbours strategy the server serves from the same model,
  // on the same folds.
  TuneTrial neighbours;
  TAILOR_RETURN_IF_ERROR(ScoreOnFolds(
      folds, options.k,
      [&](const InteractionMatrix& train) -> ScorerOr {
        TAILOR_ASSIGN_OR_RETURN(
            std::unique_ptr<FactorScorer> model,
            TrainFactorScorer(train, result.algorithm, result.als, result.bpr));
        return std::make_unique<ItemNeighbourScorer>(model->item_factors(),
                                                     ComputePopularity(train));
      },
      &neighbours));
  result.item_neighbours = neighbours.metrics;
  for (const ValidationStrategy& strategy : options.strategies) {
    TuneTrial trial;
    TAILOR_RETURN_IF_ERROR(
        ScoreOnFolds(folds, options.k, strategy.build, &trial));
    result.strategies.emplace_back(strategy.name, trial.metrics);
    if (progress) {
      progress(absl::StrFormat("strategy %s: validation NDCG@%d %.4f",
                               strategy.name, options.k, trial.metrics.ndcg));
    }
  }
  result.seconds = search.Elapsed();
  if (progress) {
    progress(absl::StrFormat(
        "tuned in %.1f s (%d candidates tried, %d left for the budget): %s "
        "%s, validation NDCG@%d %.4f (best %.4f; popularity %.4f; "
        "item-neighbours %.4f)",
        result.seconds, trials.size(), result.skipped_for_budget,
        ServedAlgorithmName(result.algorithm), TunedParamsText(result),
        options.k, result.chosen.ndcg, result.best.ndcg, result.popularity.ndcg,
        result.item_neighbours.ndcg));
  }
  result.validation = std::move(folds.front());
  return result;
}

}  // namespace tailor
