#include "trainer/evaluation.h"

#include <chrono>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/parallel.h"
#include "core/popularity.h"
#include "core/readers.h"
#include "core/recommender.h"
#include "core/splits.h"
#include "core/status_macros.h"

namespace tailor {
namespace {

constexpr double kRandomTestFraction = 0.25;
constexpr double kTemporalTestFraction = 0.20;

InteractionSplit SplitBy(const InteractionMatrix& m, Protocol protocol,
                         uint64_t seed) {
  if (protocol == Protocol::kTemporal) {
    return SplitTemporalPerUser(m, kTemporalTestFraction);
  }
  return SplitRandomPerUser(m, kRandomTestFraction, seed);
}

// A model over `train`'s ids: factors when given, popularity always. A model
// without factors (one zero column) makes every list the popularity list.
std::shared_ptr<Model> MakeModel(const InteractionMatrix& train,
                                 const AlsFactors* factors) {
  auto model = std::make_shared<Model>();
  model->users = train.users;
  model->items = train.items;
  model->popularity = ComputePopularity(train);
  if (factors != nullptr) {
    model->user_factors = factors->user_factors;
    model->item_factors = factors->item_factors;
  } else {
    model->user_factors = RowMatrix::Zero(train.num_users(), 1);
    model->item_factors = RowMatrix::Zero(train.num_items(), 1);
  }
  return model;
}

std::string JsonEscape(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

using Params = std::vector<std::pair<std::string, std::string>>;

// "name=value name=value" for tables.
std::string ParamsText(const Params& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    absl::StrAppend(&out, out.empty() ? "" : " ", name, "=", value);
  }
  return out;
}

// "\"name\":\"value\",..." for JSON objects.
std::string ParamsJson(const Params& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    absl::StrAppend(&out, out.empty() ? "" : ",", "\"", JsonEscape(name),
                    "\":\"", JsonEscape(value), "\"");
  }
  return out;
}

}  // namespace

absl::StatusOr<Protocol> ParseProtocol(absl::string_view name) {
  if (name == "random-75-25") return Protocol::kRandom75_25;
  if (name == "temporal") return Protocol::kTemporal;
  if (name == "surprise-5fold") return Protocol::kSurprise5Fold;
  return absl::InvalidArgumentError(
      absl::StrCat("--protocol: '", name,
                   "' is not one of random-75-25, temporal, surprise-5fold"));
}

const char* ProtocolName(Protocol protocol) {
  switch (protocol) {
    case Protocol::kRandom75_25:
      return "random-75-25";
    case Protocol::kTemporal:
      return "temporal";
    case Protocol::kSurprise5Fold:
      return "surprise-5fold";
  }
  return "?";
}

EvaluationPlan MakeEvaluationPlan(const InteractionMatrix& all,
                                  Protocol protocol, uint64_t seed) {
  EvaluationPlan plan;
  InteractionSplit outer = SplitBy(all, protocol, seed);
  // The validation split is carved from the training pairs only.
  InteractionSplit inner = SplitBy(outer.train, protocol, seed + 1);
  plan.train = std::move(outer.train);
  plan.test = std::move(outer.test);
  plan.tune_train = std::move(inner.train);
  plan.validation = std::move(inner.test);
  return plan;
}

RankingAccumulator ScoreRankings(const Model& model,
                                 const InteractionMatrix& train,
                                 const InteractionMatrix& test, int k) {
  // Non-owning: `model` outlives this function's recommender.
  const Recommender recommender(
      std::shared_ptr<const Model>(std::shared_ptr<const Model>(), &model));
  const int32_t users = test.num_users();
  std::vector<std::vector<int32_t>> ranked(users);
  ParallelFor(users, 0, 64, [&](int64_t begin, int64_t end) {
    for (int64_t u = begin; u < end; ++u) {
      if (test.row_ptr[u] == test.row_ptr[u + 1]) continue;
      ItemSet seen(train.num_items());
      for (int64_t p = train.row_ptr[u]; p < train.row_ptr[u + 1]; ++p) {
        seen.Insert(train.item[p]);
      }
      for (const Recommendation& r :
           recommender.Recommend(static_cast<int32_t>(u), k, &seen).items) {
        ranked[u].push_back(r.item);
      }
    }
  });
  RankingAccumulator acc(k, train.num_items());
  for (int32_t u = 0; u < users; ++u) {
    if (test.row_ptr[u] == test.row_ptr[u + 1]) continue;
    absl::flat_hash_set<int32_t> relevant(
        test.item.begin() + test.row_ptr[u],
        test.item.begin() + test.row_ptr[u + 1]);
    acc.Add(ranked[u], relevant);
  }
  return acc;
}

absl::StatusOr<ModelEvaluation> EvaluateModel(const EvaluationPlan& plan,
                                              const std::string& model,
                                              const EvaluationOptions& options,
                                              const ProgressFn& progress) {
  auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };
  ModelEvaluation e;
  e.model = model;
  std::shared_ptr<Model> final_model;
  if (model == "popularity") {
    const auto start = std::chrono::steady_clock::now();
    final_model = MakeModel(plan.train, nullptr);
    e.train_seconds = SecondsSince(start);
  } else if (model == "als") {
    AlsOptions als = options.als;
    als.compute_loss = false;
    TAILOR_RETURN_IF_ERROR(ValidateAlsOptions(als));
    if (options.tune) {
      const auto start = std::chrono::steady_clock::now();
      double best = -1;
      AlsOptions best_options = als;
      for (int factors : {32, 64}) {
        for (float reg : {0.05f, 1.0f, 10.0f, 30.0f}) {
          for (float alpha : {0.5f, 2.0f, 10.0f}) {
            AlsOptions candidate = als;
            candidate.factors = factors;
            candidate.regularization = reg;
            candidate.alpha = alpha;
            TAILOR_ASSIGN_OR_RETURN(
                AlsFactors f, TrainImplicitAls(plan.tune_train, candidate));
            const double ndcg =
                ScoreRankings(*MakeModel(plan.tune_train, &f), plan.tune_train,
                              plan.validation, options.k)
                    .Mean()
                    .ndcg;
            say(absl::StrFormat(
                "  tune als factors=%d regularization=%g alpha=%g: "
                "validation NDCG@%d %.4f",
                factors, reg, alpha, options.k, ndcg));
            if (ndcg > best) {
              best = ndcg;
              best_options = candidate;
            }
          }
        }
      }
      als = best_options;
      e.tune_seconds = SecondsSince(start);
      say(absl::StrFormat(
          "chosen on validation: factors=%d regularization=%g alpha=%g "
          "(NDCG@%d %.4f)",
          als.factors, als.regularization, als.alpha, options.k, best));
    }
    const auto start = std::chrono::steady_clock::now();
    TAILOR_ASSIGN_OR_RETURN(AlsFactors f, TrainImplicitAls(plan.train, als));
    final_model = MakeModel(plan.train, &f);
    e.train_seconds = SecondsSince(start);
    e.params = {{"factors", absl::StrCat(als.factors)},
                {"regularization", absl::StrCat(als.regularization)},
                {"alpha", absl::StrCat(als.alpha)},
                {"iterations", absl::StrCat(als.iterations)},
                {"tuned", options.tune ? "true" : "false"}};
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--model: '", model, "' is not one of popularity, als"));
  }
  const auto start = std::chrono::steady_clock::now();
  RankingAccumulator acc =
      ScoreRankings(*final_model, plan.train, plan.test, options.k);
  e.eval_seconds = SecondsSince(start);
  e.metrics = acc.Mean();
  e.coverage = acc.Coverage();
  e.users = acc.users();
  return e;
}

absl::StatusOr<std::vector<ModelEvaluation>> RunEvaluation(
    const TrainingInput& input, Protocol protocol,
    const std::vector<std::string>& models, const EvaluationOptions& options,
    uint64_t seed, const ProgressFn& progress) {
  if (protocol == Protocol::kSurprise5Fold) {
    return absl::InvalidArgumentError(
        "--protocol: surprise-5fold is a rating-prediction protocol; it "
        "evaluates --model=svd on a MovieLens directory");
  }
  TAILOR_ASSIGN_OR_RETURN(LoadedData data, LoadInteractions(input, progress));
  const EvaluationPlan plan =
      MakeEvaluationPlan(data.interactions, protocol, seed);
  if (progress) {
    progress(absl::StrFormat(
        "%s split (seed %d): %d training pairs (%d for tuning + %d "
        "validation), %d test pairs",
        ProtocolName(protocol), seed, plan.train.nnz(), plan.tune_train.nnz(),
        plan.validation.nnz(), plan.test.nnz()));
  }
  std::vector<ModelEvaluation> results;
  for (const std::string& model : models) {
    TAILOR_ASSIGN_OR_RETURN(ModelEvaluation e,
                            EvaluateModel(plan, model, options, progress));
    results.push_back(std::move(e));
  }
  return results;
}

absl::StatusOr<RatingEvaluation> EvaluateSurprise5Fold(
    const std::string& movielens_dir, const BiasedMfOptions& options,
    const ProgressFn& progress) {
  TAILOR_RETURN_IF_ERROR(ValidateBiasedMfOptions(options));
  RatingEvaluation e;
  e.model = "svd";
  e.params = {{"factors", absl::StrCat(options.factors)},
              {"epochs", absl::StrCat(options.epochs)},
              {"learning_rate", absl::StrCat(options.learning_rate)},
              {"regularization", absl::StrCat(options.regularization)}};
  ReadOptions strict;
  strict.strict = true;
  for (int fold = 1; fold <= 5; ++fold) {
    IdMap users, items;
    std::vector<Rating> train;
    std::vector<std::pair<std::pair<int32_t, int32_t>, double>> test;
    ReadReport report;
    const std::string base = absl::StrCat(movielens_dir, "/u", fold, ".base");
    const std::string test_file =
        absl::StrCat(movielens_dir, "/u", fold, ".test");
    TAILOR_RETURN_IF_ERROR(ReadMovieLensRatings(
        base, strict,
        [&](Event&& ev) {
          train.push_back({users.Insert(ev.user_id), items.Insert(ev.item_id),
                           static_cast<float>(ev.value)});
        },
        &report));
    TAILOR_RETURN_IF_ERROR(ReadMovieLensRatings(
        test_file, strict,
        [&](Event&& ev) {
          // Ids unseen in training stay unknown (-1): predicted from biases.
          test.push_back({{users.Find(ev.user_id).value_or(-1),
                           items.Find(ev.item_id).value_or(-1)},
                          ev.value});
        },
        &report));
    const auto start = std::chrono::steady_clock::now();
    TAILOR_ASSIGN_OR_RETURN(
        BiasedMf model,
        BiasedMf::Train(train, users.size(), items.size(), options));
    std::vector<double> predicted, truth;
    predicted.reserve(test.size());
    truth.reserve(test.size());
    for (const auto& [ui, rating] : test) {
      predicted.push_back(model.Predict(ui.first, ui.second));
      truth.push_back(rating);
    }
    e.seconds += SecondsSince(start);
    e.fold_rmse.push_back(Rmse(predicted, truth));
    e.fold_mae.push_back(Mae(predicted, truth));
    if (progress) {
      progress(
          absl::StrFormat("fold u%d: %d train, %d test ratings: RMSE "
                          "%.4f MAE %.4f",
                          fold, train.size(), test.size(), e.fold_rmse.back(),
                          e.fold_mae.back()));
    }
  }
  for (int f = 0; f < 5; ++f) {
    e.rmse += e.fold_rmse[f] / 5;
    e.mae += e.fold_mae[f] / 5;
  }
  return e;
}

std::string FormatRatingEvaluation(const RatingEvaluation& e) {
  const std::string params = ParamsText(e.params);
  return absl::StrFormat("%-8s %8s %8s %12s  %s\n%-8s %8.4f %8.4f %12.2f  %s\n",
                         "model", "RMSE", "MAE", "5 folds (s)", "params",
                         e.model, e.rmse, e.mae, e.seconds, params);
}

std::string RatingEvaluationToJson(const RatingEvaluation& e,
                                   const std::string& dataset) {
  const std::string params = ParamsJson(e.params);
  return absl::StrFormat(
      "{\"dataset\":\"%s\",\"protocol\":\"surprise-5fold\",\"model\":\"%s\","
      "\"rmse\":%.6f,\"mae\":%.6f,\"fold_rmse\":[%s],\"fold_mae\":[%s],"
      "\"seconds\":%.3f,\"params\":{%s}}",
      JsonEscape(dataset), JsonEscape(e.model), e.rmse, e.mae,
      absl::StrJoin(e.fold_rmse, ",",
                    [](std::string* out, double v) {
                      absl::StrAppendFormat(out, "%.6f", v);
                    }),
      absl::StrJoin(e.fold_mae, ",",
                    [](std::string* out, double v) {
                      absl::StrAppendFormat(out, "%.6f", v);
                    }),
      e.seconds, params);
}

std::string FormatEvaluationTable(const std::vector<ModelEvaluation>& rows,
                                  int k) {
  std::string out =
      absl::StrFormat("%-12s %8s %8s %8s %8s %9s %7s %9s %9s  %s\n", "model",
                      absl::StrCat("P@", k), absl::StrCat("R@", k),
                      absl::StrCat("NDCG@", k), absl::StrCat("MAP@", k),
                      "coverage", "users", "train s", "eval s", "params");
  for (const ModelEvaluation& e : rows) {
    const std::string params = ParamsText(e.params);
    absl::StrAppendFormat(
        &out, "%-12s %8.4f %8.4f %8.4f %8.4f %9.4f %7d %9.2f %9.2f  %s\n",
        e.model, e.metrics.precision, e.metrics.recall, e.metrics.ndcg,
        e.metrics.map, e.coverage, e.users, e.train_seconds + e.tune_seconds,
        e.eval_seconds, params);
  }
  return out;
}

std::string EvaluationToJson(const ModelEvaluation& e,
                             const std::string& dataset, Protocol protocol,
                             int k) {
  const std::string params = ParamsJson(e.params);
  return absl::StrFormat(
      "{\"dataset\":\"%s\",\"protocol\":\"%s\",\"model\":\"%s\",\"k\":%d,"
      "\"precision\":%.6f,\"recall\":%.6f,\"ndcg\":%.6f,\"map\":%.6f,"
      "\"coverage\":%.6f,\"users\":%d,\"tune_seconds\":%.3f,"
      "\"train_seconds\":%.3f,\"eval_seconds\":%.3f,\"params\":{%s}}",
      JsonEscape(dataset), ProtocolName(protocol), JsonEscape(e.model), k,
      e.metrics.precision, e.metrics.recall, e.metrics.ndcg, e.metrics.map,
      e.coverage, e.users, e.tune_seconds, e.train_seconds, e.eval_seconds,
      params);
}

}  // namespace tailor
