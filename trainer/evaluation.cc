#include "trainer/evaluation.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <numeric>
#include <optional>
#include <random>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/base/parallel.h"
#include "core/base/status_macros.h"
#include "core/base/time.h"
#include "core/data/readers.h"
#include "core/eval/splits.h"
#include "core/models/attribute_embedding.h"
#include "core/models/popularity.h"

namespace tailor {
namespace {

constexpr double kRandomTestFraction = 0.25;
constexpr double kTemporalTestFraction = 0.20;
constexpr double kColdItemFraction = 0.10;

InteractionSplit SplitBy(const InteractionMatrix& m, Protocol protocol,
                         uint64_t seed) {
  if (protocol == Protocol::kTemporal) {
    return SplitTemporalPerUser(m, kTemporalTestFraction);
  }
  return SplitRandomPerUser(m, kRandomTestFraction, seed);
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

Params RatingParams(const BiasedMfOptions& o) {
  return {
      {"factors", absl::StrCat(o.factors)},
      {"epochs", absl::StrCat(o.epochs)},
      {"learning_rate", absl::StrCat(o.learning_rate)},
      {"learning_rate_decay", absl::StrCat(o.learning_rate_decay)},
      {"regularization", absl::StrCat(o.regularization)},
      {"bias_regularization",
       absl::StrCat(o.bias_regularization >= 0 ? o.bias_regularization
                                               : o.regularization)},
      {"implicit_regularization",
       absl::StrCat(o.implicit_regularization >= 0 ? o.implicit_regularization
                                                   : o.regularization)},
      {"init_stddev", absl::StrCat(o.init_stddev)}};
}

}  // namespace

absl::StatusOr<Protocol> ParseProtocol(absl::string_view name) {
  if (name == "random-75-25") return Protocol::kRandom75_25;
  if (name == "temporal") return Protocol::kTemporal;
  if (name == "surprise-5fold") return Protocol::kSurprise5Fold;
  if (name == "cold-items") return Protocol::kColdItems;
  return absl::InvalidArgumentError(absl::StrCat(
      "--protocol: '", name,
      "' is not one of random-75-25, temporal, surprise-5fold, cold-items"));
}

const char* ProtocolName(Protocol protocol) {
  switch (protocol) {
    case Protocol::kRandom75_25:
      return "random-75-25";
    case Protocol::kTemporal:
      return "temporal";
    case Protocol::kSurprise5Fold:
      return "surprise-5fold";
    case Protocol::kColdItems:
      return "cold-items";
  }
  return "?";
}

EvaluationPlan MakeEvaluationPlan(const InteractionMatrix& all,
                                  Protocol protocol, uint64_t seed) {
  EvaluationPlan plan;
  if (protocol == Protocol::kColdItems) {
    InteractionSplit outer =
        SplitItemsOut(all, kColdItemFraction, seed, &plan.test_candidates);
    // Validation holds out other items, from the training side only.
    InteractionSplit inner = SplitItemsOut(
        outer.train, kColdItemFraction, seed + 1, &plan.validation_candidates);
    plan.train = std::move(outer.train);
    plan.test = std::move(outer.test);
    plan.tune_train = std::move(inner.train);
    plan.validation = std::move(inner.test);
    return plan;
  }
  InteractionSplit outer = SplitBy(all, protocol, seed);
  // The validation split is carved from the training pairs only.
  InteractionSplit inner = SplitBy(outer.train, protocol, seed + 1);
  plan.train = std::move(outer.train);
  plan.test = std::move(outer.test);
  plan.tune_train = std::move(inner.train);
  plan.validation = std::move(inner.test);
  return plan;
}

RankingAccumulator ScoreRankings(const Scorer& scorer,
                                 const InteractionMatrix& train,
                                 const InteractionMatrix& test, int k,
                                 const std::vector<bool>* candidates) {
  const int32_t users = test.num_users();
  // Items no user may be shown: the non-candidates, built once.
  ItemSet excluded(train.num_items());
  if (candidates != nullptr) {
    for (int32_t i = 0; i < train.num_items(); ++i) {
      if (!(*candidates)[i]) excluded.Insert(i);
    }
  }
  std::vector<std::vector<int32_t>> ranked(users);
  ParallelFor(users, 0, 64, [&](int64_t begin, int64_t end) {
    std::vector<float> scores(scorer.num_items());
    for (int64_t u = begin; u < end; ++u) {
      if (test.row_ptr[u] == test.row_ptr[u + 1]) continue;
      const int32_t user = static_cast<int32_t>(u);
      const HistoryView history = HistoryOf(train, user);
      ItemSet seen = excluded;
      for (int32_t i : history.items) seen.Insert(i);
      scorer.Score(user, history, absl::MakeSpan(scores));
      for (const ScoredItem& s : TopK(scores, k, &seen)) {
        ranked[u].push_back(s.item);
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

namespace {

using ScorerOr = absl::StatusOr<std::unique_ptr<Scorer>>;

// One hyperparameter setting of a model: its parameters for display and how
// to train it on a given matrix.
struct Candidate {
  Params params;
  std::function<ScorerOr(const InteractionMatrix&)> build;
};

Candidate AlsCandidate(const AlsOptions& o) {
  return {{{"factors", absl::StrCat(o.factors)},
           {"regularization", absl::StrCat(o.regularization)},
           {"frequency_scaling", absl::StrCat(o.frequency_scaling)},
           {"alpha", absl::StrCat(o.alpha)},
           {"iterations", absl::StrCat(o.iterations)}},
          [o](const InteractionMatrix& m) -> ScorerOr {
            TAILOR_ASSIGN_OR_RETURN(AlsFactors f, TrainImplicitAls(m, o));
            return std::make_unique<FactorScorer>(std::move(f.user_factors),
                                                  std::move(f.item_factors));
          }};
}

// ALS, then the cold-start hybrid: items without a positive training
// interaction get the vector their catalog attributes predict.
Candidate AlsAttributesCandidate(const AlsOptions& o,
                                 const std::vector<Item>* catalog) {
  Candidate c = AlsCandidate(o);
  c.build = [o, catalog](const InteractionMatrix& m) -> ScorerOr {
    TAILOR_ASSIGN_OR_RETURN(AlsFactors f, TrainImplicitAls(m, o));
    AttributeEmbeddingOptions attributes;
    attributes.seed = o.seed;
    TAILOR_RETURN_IF_ERROR(EmbedColdItems(m, *catalog, /*cold_below_users=*/1,
                                          attributes, &f.item_factors)
                               .status());
    return std::make_unique<FactorScorer>(std::move(f.user_factors),
                                          std::move(f.item_factors));
  };
  return c;
}

// The ALS tuning grid, simplest first (see ChooseWithinOneStandardError):
// fewer factors, no frequency scaling, stronger regularization.
std::vector<AlsOptions> AlsGrid(const AlsOptions& base) {
  std::vector<AlsOptions> out;
  for (int factors : {32, 64}) {
    for (float scaling : {0.0f, 1.0f}) {
      for (float reg : {100.0f, 30.0f, 10.0f, 1.0f}) {
        for (float alpha : {0.25f, 0.5f, 2.0f}) {
          AlsOptions c = base;
          c.factors = factors;
          c.frequency_scaling = scaling;
          c.regularization = reg;
          c.alpha = alpha;
          out.push_back(c);
        }
      }
    }
  }
  return out;
}

// Training popularity, where items without any training interaction get
// the mean popularity of the interacted items of their category (a prior
// for new products; unchanged for the rest).
std::vector<float> PopularityWithCategoryPrior(
    const InteractionMatrix& m, const std::vector<int32_t>& category) {
  std::vector<float> popularity = ComputePopularity(m);
  std::vector<double> sum, count;
  for (size_t i = 0; i < popularity.size(); ++i) {
    const int32_t c = category[i];
    if (c < 0 || popularity[i] <= 0) continue;
    if (static_cast<size_t>(c) >= sum.size()) {
      sum.resize(c + 1, 0.0);
      count.resize(c + 1, 0.0);
    }
    sum[c] += popularity[i];
    count[c] += 1;
  }
  for (size_t i = 0; i < popularity.size(); ++i) {
    const int32_t c = category[i];
    if (popularity[i] <= 0 && c >= 0 && static_cast<size_t>(c) < sum.size() &&
        count[c] > 0) {
      popularity[i] = static_cast<float>(sum[c] / count[c]);
    }
  }
  return popularity;
}

Candidate BprCandidate(const BprOptions& o) {
  return {{{"factors", absl::StrCat(o.factors)},
           {"epochs", absl::StrCat(o.epochs)},
           {"learning_rate", absl::StrCat(o.learning_rate)},
           {"regularization", absl::StrCat(o.regularization)},
           {"threads", absl::StrCat(ResolveThreadCount(o.threads))}},
          [o](const InteractionMatrix& m) -> ScorerOr {
            TAILOR_ASSIGN_OR_RETURN(BprFactors f, TrainBpr(m, o));
            return std::make_unique<FactorScorer>(std::move(f.user_factors),
                                                  std::move(f.item_factors));
          }};
}

Candidate ItemKnnCandidate(const ItemKnnOptions& o) {
  return {{{"neighbors", absl::StrCat(o.neighbors)},
           {"shrinkage", absl::StrCat(o.shrinkage)}},
          [o](const InteractionMatrix& m) -> ScorerOr {
            TAILOR_ASSIGN_OR_RETURN(ItemNeighbors n, TrainItemKnn(m, o));
            return std::make_unique<NeighborScorer>(std::move(n), false);
          }};
}

Candidate EaseCandidate(const EaseOptions& o) {
  return {{{"regularization", absl::StrCat(o.regularization)}},
          [o](const InteractionMatrix& m) -> ScorerOr {
            TAILOR_ASSIGN_OR_RETURN(RowMatrix b, TrainEase(m, o));
            return std::make_unique<DenseItemScorer>(std::move(b));
          }};
}

Candidate RecentPopularityCandidate(int64_t window_seconds) {
  return {{{"window_days", absl::StrCat(window_seconds /
                                        static_cast<double>(kSecondsPerDay))}},
          [window_seconds](const InteractionMatrix& m) -> ScorerOr {
            return std::make_unique<StaticScorer>(
                ComputeRecentPopularity(m, window_seconds));
          }};
}

// The candidates of `model`: the grid when tuning, else the given options.
absl::StatusOr<std::vector<Candidate>> MakeCandidates(
    const std::string& model, const EvaluationOptions& options,
    const EvaluationPlan& plan) {
  std::vector<Candidate> out;
  const bool tune = options.tune;
  if (model == "popularity") {
    out.push_back({{}, [](const InteractionMatrix& m) -> ScorerOr {
                     return std::make_unique<StaticScorer>(
                         ComputePopularity(m));
                   }});
  } else if (model == "popularity-recent") {
    if (!tune) {
      out.push_back(RecentPopularityCandidate(options.recent_window_seconds));
    } else {
      for (int days : {365, 90, 30, 7}) {
        out.push_back(
            RecentPopularityCandidate(int64_t{days} * kSecondsPerDay));
      }
    }
  } else if (model == "popularity-category") {
    if (plan.item_category.empty()) {
      return absl::FailedPreconditionError(
          "popularity-category: needs a catalog with item categories");
    }
    const std::vector<int32_t> category = plan.item_category;
    out.push_back({{}, [category](const InteractionMatrix& m) -> ScorerOr {
                     return std::make_unique<CategoryPopularityScorer>(
                         PopularityWithCategoryPrior(m, category), category);
                   }});
  } else if (model == "als" || model == "als-attributes") {
    AlsOptions als = options.als;
    als.compute_loss = false;
    TAILOR_RETURN_IF_ERROR(ValidateAlsOptions(als));
    if (model == "als-attributes" && plan.catalog.empty()) {
      return absl::FailedPreconditionError(
          "als-attributes: needs a catalog with item attributes");
    }
    const std::vector<AlsOptions> grid =
        tune ? AlsGrid(als) : std::vector<AlsOptions>{als};
    for (const AlsOptions& c : grid) {
      out.push_back(model == "als" ? AlsCandidate(c)
                                   : AlsAttributesCandidate(c, &plan.catalog));
    }
  } else if (model == "bpr") {
    TAILOR_RETURN_IF_ERROR(ValidateBprOptions(options.bpr));
    if (!tune) {
      out.push_back(BprCandidate(options.bpr));
    } else {
      for (float reg : {0.01f, 0.002f, 0.0005f}) {
        for (float lr : {0.01f, 0.05f}) {
          BprOptions c = options.bpr;
          c.learning_rate = lr;
          c.regularization = reg;
          out.push_back(BprCandidate(c));
        }
      }
    }
  } else if (model == "item-knn") {
    TAILOR_RETURN_IF_ERROR(ValidateItemKnnOptions(options.item_knn));
    if (!tune) {
      out.push_back(ItemKnnCandidate(options.item_knn));
    } else {
      for (int neighbors : {50, 100, 200, 400}) {
        for (float shrinkage : {100.0f, 50.0f, 10.0f, 0.0f}) {
          ItemKnnOptions c = options.item_knn;
          c.neighbors = neighbors;
          c.shrinkage = shrinkage;
          out.push_back(ItemKnnCandidate(c));
        }
      }
    }
  } else if (model == "ease") {
    TAILOR_RETURN_IF_ERROR(ValidateEaseOptions(options.ease));
    if (!tune) {
      out.push_back(EaseCandidate(options.ease));
    } else {
      for (float reg : {2000.0f, 1000.0f, 500.0f, 200.0f, 100.0f, 50.0f}) {
        EaseOptions c = options.ease;
        c.regularization = reg;
        out.push_back(EaseCandidate(c));
      }
    }
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--model: '", model, "' is not one of ",
                     absl::StrJoin(RankingModelNames(), ", ")));
  }
  return out;
}

}  // namespace

const std::vector<std::string>& RankingModelNames() {
  static const auto* names = new std::vector<std::string>{"popularity",
                                                          "popularity-recent",
                                                          "popularity-category",
                                                          "als",
                                                          "als-attributes",
                                                          "bpr",
                                                          "item-knn",
                                                          "ease"};
  return *names;
}

const std::vector<std::string>& ColdItemModelNames() {
  static const auto* names = new std::vector<std::string>{
      "popularity", "popularity-category", "als", "als-attributes"};
  return *names;
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
  TAILOR_ASSIGN_OR_RETURN(std::vector<Candidate> candidates,
                          MakeCandidates(model, options, plan));
  size_t chosen = 0;
  if (candidates.size() > 1) {
    // Tuning trains on tune_train and scores validation: never the test.
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::vector<double>> per_user;
    std::vector<double> means;
    for (size_t c = 0; c < candidates.size(); ++c) {
      TAILOR_ASSIGN_OR_RETURN(std::unique_ptr<Scorer> scorer,
                              candidates[c].build(plan.tune_train));
      const RankingAccumulator acc = ScoreRankings(
          *scorer, plan.tune_train, plan.validation, options.k,
          plan.validation_candidates.empty() ? nullptr
                                             : &plan.validation_candidates);
      means.push_back(acc.Mean().ndcg);
      per_user.push_back(acc.user_ndcg());
      say(absl::StrFormat("  tune %s %s: validation NDCG@%d %.4f", model,
                          ParamsText(candidates[c].params), options.k,
                          means.back()));
    }
    // The simplest candidate within one standard error of the best.
    chosen = ChooseWithinOneStandardError(per_user);
    const size_t best = static_cast<size_t>(
        std::max_element(means.begin(), means.end()) - means.begin());
    e.tune_seconds = SecondsSince(start);
    say(absl::StrFormat(
        "%s chosen on validation: %s (NDCG@%d %.4f; best %.4f with %s)", model,
        ParamsText(candidates[chosen].params), options.k, means[chosen],
        means[best], ParamsText(candidates[best].params)));
  }
  auto start = std::chrono::steady_clock::now();
  TAILOR_ASSIGN_OR_RETURN(std::unique_ptr<Scorer> scorer,
                          candidates[chosen].build(plan.train));
  e.train_seconds = SecondsSince(start);
  e.params = candidates[chosen].params;
  if (!e.params.empty()) {
    e.params.push_back({"tuned", candidates.size() > 1 ? "true" : "false"});
  }
  start = std::chrono::steady_clock::now();
  RankingAccumulator acc = ScoreRankings(
      *scorer, plan.train, plan.test, options.k,
      plan.test_candidates.empty() ? nullptr : &plan.test_candidates);
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
  EvaluationPlan plan = MakeEvaluationPlan(data.interactions, protocol, seed);
  plan.catalog = data.catalog;
  if (!data.catalog.empty()) {
    absl::flat_hash_map<std::string, int32_t> categories;
    plan.item_category.assign(plan.train.num_items(), -1);
    for (const Item& item : data.catalog) {
      const std::optional<int32_t> index = plan.train.items.Find(item.item_id);
      if (!index.has_value() || item.category.empty()) continue;
      plan.item_category[*index] =
          categories.try_emplace(item.category, categories.size())
              .first->second;
    }
  }
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

absl::StatusOr<SplitFiles> WriteEvaluationSplit(const TrainingInput& input,
                                                Protocol protocol,
                                                uint64_t seed,
                                                const std::string& dir,
                                                const ProgressFn& progress) {
  if (protocol == Protocol::kSurprise5Fold) {
    return absl::InvalidArgumentError(
        "--protocol: surprise-5fold has its own folds (u1..u5); split writes "
        "ranking protocols only");
  }
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot create '", dir, "': ", error.message()));
  }
  TAILOR_ASSIGN_OR_RETURN(LoadedData data, LoadInteractions(input, progress));
  const EvaluationPlan plan =
      MakeEvaluationPlan(data.interactions, protocol, seed);
  const InteractionMatrix& all = data.interactions;
  SplitFiles files;
  absl::flat_hash_set<uint64_t> held_out;
  auto key = [](int32_t user, int32_t item) {
    return (static_cast<uint64_t>(user) << 32) | static_cast<uint32_t>(item);
  };
  const std::string test_path = dir + "/test.csv";
  std::ofstream test(test_path, std::ios::binary | std::ios::trunc);
  test << "user_id,item_id\n";
  for (int32_t u = 0; u < plan.test.num_users(); ++u) {
    const int64_t begin = plan.test.row_ptr[u], end = plan.test.row_ptr[u + 1];
    files.test_shoppers += end > begin ? 1 : 0;
    for (int64_t p = begin; p < end; ++p) {
      held_out.insert(key(u, plan.test.item[p]));
      test << CsvEscape(all.users.id(u)) << ","
           << CsvEscape(all.items.id(plan.test.item[p])) << "\n";
      ++files.test_pairs;
    }
  }
  test.close();
  if (!test) {
    return absl::UnavailableError(
        absl::StrCat("cannot write '", test_path, "'"));
  }
  const std::string train_path = dir + "/train.csv";
  std::ofstream train(train_path, std::ios::binary | std::ios::trunc);
  train << EventsCsvHeader() << "\n";
  TAILOR_RETURN_IF_ERROR(ReadInputEvents(
      input, /*pipelined=*/true,
      [&](Event&& e) {
        const std::optional<int32_t> user = all.users.Find(e.user_id);
        const std::optional<int32_t> item = all.items.Find(e.item_id);
        if (user.has_value() && item.has_value() &&
            held_out.contains(key(*user, *item))) {
          return;
        }
        train << EventCsvRow(e) << "\n";
        ++files.train_events;
      },
      [](const ReadReport&) {}));
  train.close();
  if (!train) {
    return absl::UnavailableError(
        absl::StrCat("cannot write '", train_path, "'"));
  }
  if (!data.catalog.empty()) {
    const std::string catalog_path = dir + "/catalog.csv";
    std::ofstream catalog(catalog_path, std::ios::binary | std::ios::trunc);
    catalog << CatalogCsvHeader() << "\n";
    for (const Item& item : data.catalog)
      catalog << CatalogCsvRow(item) << "\n";
    catalog.close();
    if (!catalog) {
      return absl::UnavailableError(
          absl::StrCat("cannot write '", catalog_path, "'"));
    }
    files.catalog_items = static_cast<int64_t>(data.catalog.size());
  }
  if (progress) {
    progress(absl::StrFormat(
        "%s split (seed %d) written to %s: train.csv %d events, test.csv %d "
        "pairs of %d shoppers%s",
        ProtocolName(protocol), seed, dir, files.train_events, files.test_pairs,
        files.test_shoppers,
        files.catalog_items > 0
            ? absl::StrFormat(", catalog.csv %d items", files.catalog_items)
            : std::string()));
  }
  return files;
}

absl::StatusOr<std::vector<RatingFold>> ReadMovieLensFolds(
    const std::string& movielens_dir) {
  ReadOptions strict;
  strict.strict = true;
  std::vector<RatingFold> folds(5);
  for (int fold = 1; fold <= 5; ++fold) {
    RatingFold& f = folds[fold - 1];
    IdMap users, items;
    ReadReport report;
    TAILOR_RETURN_IF_ERROR(ReadMovieLensRatings(
        absl::StrCat(movielens_dir, "/u", fold, ".base"), strict,
        [&](Event&& ev) {
          f.train.push_back({users.Insert(ev.user_id), items.Insert(ev.item_id),
                             static_cast<float>(ev.value)});
        },
        &report));
    TAILOR_RETURN_IF_ERROR(ReadMovieLensRatings(
        absl::StrCat(movielens_dir, "/u", fold, ".test"), strict,
        [&](Event&& ev) {
          // Ids unseen in training stay unknown (-1): predicted from biases.
          f.test.push_back({users.Find(ev.user_id).value_or(-1),
                            items.Find(ev.item_id).value_or(-1),
                            static_cast<float>(ev.value)});
        },
        &report));
    f.num_users = users.size();
    f.num_items = items.size();
  }
  return folds;
}

namespace {

// RMSE and MAE of `model.Predict` over `test`.
template <typename Model>
RatingScore ScorePredictions(const Model& model,
                             const std::vector<Rating>& test) {
  std::vector<double> predicted, truth;
  predicted.reserve(test.size());
  truth.reserve(test.size());
  for (const Rating& r : test) {
    predicted.push_back(model.Predict(r.user, r.item));
    truth.push_back(r.value);
  }
  return RatingScore{Rmse(predicted, truth), Mae(predicted, truth)};
}

}  // namespace

absl::StatusOr<RatingScore> ScoreRatingModel(const std::vector<Rating>& train,
                                             int32_t num_users,
                                             int32_t num_items,
                                             const std::vector<Rating>& test,
                                             const BiasedMfOptions& options) {
  TAILOR_ASSIGN_OR_RETURN(
      BiasedMf model, BiasedMf::Train(train, num_users, num_items, options));
  return ScorePredictions(model, test);
}

absl::StatusOr<RatingScore> ScoreRatingModel(const std::vector<Rating>& train,
                                             int32_t num_users,
                                             int32_t num_items,
                                             const std::vector<Rating>& test,
                                             const BayesianMfOptions& options) {
  TAILOR_ASSIGN_OR_RETURN(
      BayesianMf model,
      BayesianMf::Train(train, num_users, num_items, options));
  return ScorePredictions(model, test);
}

absl::StatusOr<BiasedMfOptions> TuneRatingModel(
    const std::vector<Rating>& train, int32_t num_users, int32_t num_items,
    const BiasedMfOptions& base, const RatingGrid& grid, uint64_t seed,
    const ProgressFn& progress) {
  std::vector<BiasedMfOptions> candidates;
  for (int factors : grid.factors) {
    for (int epochs : grid.epochs) {
      for (float lr : grid.learning_rates) {
        for (float reg : grid.regularizations) {
          BiasedMfOptions c = base;
          c.factors = factors;
          c.epochs = epochs;
          c.learning_rate = lr;
          c.regularization = reg;
          TAILOR_RETURN_IF_ERROR(ValidateBiasedMfOptions(c));
          candidates.push_back(c);
        }
      }
    }
  }
  if (candidates.empty()) {
    return absl::InvalidArgumentError("tuning grid: no candidates");
  }
  // A seeded 90/10 split of the training ratings.
  std::vector<uint32_t> order(train.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  const size_t held = train.size() / 10;
  std::vector<Rating> fit, validation;
  for (size_t k = 0; k < order.size(); ++k) {
    (k < held ? validation : fit).push_back(train[order[k]]);
  }
  std::vector<absl::StatusOr<RatingScore>> scores(candidates.size(),
                                                  RatingScore{});
  ParallelFor(static_cast<int64_t>(candidates.size()), 0, 1,
              [&](int64_t begin, int64_t end) {
                for (int64_t k = begin; k < end; ++k) {
                  scores[k] = ScoreRatingModel(fit, num_users, num_items,
                                               validation, candidates[k]);
                }
              });
  size_t best = 0;
  for (size_t k = 0; k < candidates.size(); ++k) {
    if (!scores[k].ok()) return scores[k].status();
    if (progress) {
      progress(absl::StrFormat(
          "  tune factors=%d epochs=%d learning_rate=%g regularization=%g: "
          "validation RMSE %.4f",
          candidates[k].factors, candidates[k].epochs,
          candidates[k].learning_rate, candidates[k].regularization,
          scores[k]->rmse));
    }
    if (scores[k]->rmse < scores[best]->rmse) best = k;
  }
  return candidates[best];
}

namespace {

// Scores each fold with `score(fold index)` in parallel (one fold per
// thread) and averages; fills everything but params and tune_seconds.
template <typename ScoreFn>
absl::Status ScoreFolds(const std::vector<RatingFold>& folds, int fold_threads,
                        ScoreFn score, const ProgressFn& progress,
                        RatingEvaluation* e) {
  const int n = static_cast<int>(folds.size());
  std::vector<absl::StatusOr<RatingScore>> scores(n, RatingScore{});
  const auto start = std::chrono::steady_clock::now();
  ParallelFor(n, fold_threads, 1, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) scores[k] = score(k);
  });
  e->seconds = SecondsSince(start);
  for (int k = 0; k < n; ++k) {
    if (!scores[k].ok()) return scores[k].status();
    e->fold_rmse.push_back(scores[k]->rmse);
    e->fold_mae.push_back(scores[k]->mae);
    e->rmse += scores[k]->rmse / n;
    e->mae += scores[k]->mae / n;
    if (progress) {
      progress(absl::StrFormat(
          "fold u%d: %d train, %d test ratings: RMSE %.4f MAE %.4f", k + 1,
          folds[k].train.size(), folds[k].test.size(), scores[k]->rmse,
          scores[k]->mae));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RatingEvaluation> EvaluateSurprise5Fold(
    const std::vector<RatingFold>& folds, const RatingModels& models,
    const std::string& model, const RatingGrid* grid,
    const ProgressFn& progress) {
  RatingEvaluation e;
  e.model = model;
  if (model == "bayesian-mf") {
    // Folds run in parallel and each samples on all cores too: on 2 cores
    // this measured 2.4 s, against 2.9 s for folds in turn (per-sweep
    // hand-offs) and 3.1 s for one thread per fold (5 folds = 3 rounds).
    const BayesianMfOptions& options = models.bayesian;
    TAILOR_RETURN_IF_ERROR(ValidateBayesianMfOptions(options));
    e.params = {{"factors", absl::StrCat(options.factors)},
                {"sweeps", absl::StrCat(options.sweeps)},
                {"burn_in", absl::StrCat(options.burn_in)},
                {"tuned", "false (hyperpriors)"}};
    TAILOR_RETURN_IF_ERROR(ScoreFolds(
        folds, /*fold_threads=*/0,
        [&](int64_t k) {
          return ScoreRatingModel(folds[k].train, folds[k].num_users,
                                  folds[k].num_items, folds[k].test, options);
        },
        progress, &e));
    return e;
  }
  BiasedMfOptions options = models.sgd;
  if (model == "svd") {
    options.implicit_feedback = false;
  } else if (model == "svdpp") {
    options.implicit_feedback = true;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--model: '", model,
                     "' is not one of svd, svdpp, bayesian-mf "
                     "(surprise-5fold)"));
  }
  TAILOR_RETURN_IF_ERROR(ValidateBiasedMfOptions(options));
  const int n = static_cast<int>(folds.size());
  std::vector<BiasedMfOptions> chosen(n, options);
  if (grid != nullptr) {
    const auto start = std::chrono::steady_clock::now();
    for (int k = 0; k < n; ++k) {
      TAILOR_ASSIGN_OR_RETURN(
          chosen[k], TuneRatingModel(folds[k].train, folds[k].num_users,
                                     folds[k].num_items, options, *grid,
                                     options.seed + k, progress));
      if (progress) {
        progress(absl::StrCat("fold u", k + 1, " chosen on validation: ",
                              ParamsText(RatingParams(chosen[k]))));
      }
    }
    e.tune_seconds = SecondsSince(start);
  }
  // One value per parameter, or the per-fold values joined by '/'.
  for (int k = 0; k < n; ++k) {
    const Params p = RatingParams(chosen[k]);
    if (k == 0) {
      e.params = p;
      continue;
    }
    for (size_t j = 0; j < p.size(); ++j) {
      absl::StrAppend(&e.params[j].second, "/", p[j].second);
    }
  }
  for (auto& [name, value] : e.params) {
    std::vector<std::string> parts = absl::StrSplit(value, '/');
    if (std::all_of(parts.begin(), parts.end(),
                    [&](const std::string& v) { return v == parts[0]; })) {
      value = parts[0];
    }
  }
  e.params.push_back({"tuned", grid != nullptr ? "true" : "false"});
  // SGD is sequential: one fold per core.
  TAILOR_RETURN_IF_ERROR(ScoreFolds(
      folds, /*fold_threads=*/0,
      [&](int64_t k) {
        return ScoreRatingModel(folds[k].train, folds[k].num_users,
                                folds[k].num_items, folds[k].test, chosen[k]);
      },
      progress, &e));
  return e;
}

std::string FormatRatingEvaluation(const RatingEvaluation& e) {
  const std::string params = ParamsText(e.params);
  return absl::StrFormat(
      "%-12s %8s %8s %12s %8s  %s\n%-12s %8.4f %8.4f %12.2f %8.2f  %s\n",
      "model", "RMSE", "MAE", "5 folds (s)", "tune s", "params", e.model,
      e.rmse, e.mae, e.seconds, e.tune_seconds, params);
}

std::string RatingEvaluationToJson(const RatingEvaluation& e,
                                   const std::string& dataset) {
  const std::string params = ParamsJson(e.params);
  return absl::StrFormat(
      "{\"dataset\":\"%s\",\"protocol\":\"surprise-5fold\",\"model\":\"%s\","
      "\"rmse\":%.6f,\"mae\":%.6f,\"fold_rmse\":[%s],\"fold_mae\":[%s],"
      "\"seconds\":%.3f,\"tune_seconds\":%.3f,\"params\":{%s}}",
      JsonEscape(dataset), JsonEscape(e.model), e.rmse, e.mae,
      absl::StrJoin(e.fold_rmse, ",",
                    [](std::string* out, double v) {
                      absl::StrAppendFormat(out, "%.6f", v);
                    }),
      absl::StrJoin(e.fold_mae, ",",
                    [](std::string* out, double v) {
                      absl::StrAppendFormat(out, "%.6f", v);
                    }),
      e.seconds, e.tune_seconds, params);
}

std::string FormatEvaluationTable(const std::vector<ModelEvaluation>& rows,
                                  int k) {
  std::string out =
      absl::StrFormat("%-19s %8s %8s %8s %8s %9s %7s %9s %9s  %s\n", "model",
                      absl::StrCat("P@", k), absl::StrCat("R@", k),
                      absl::StrCat("NDCG@", k), absl::StrCat("MAP@", k),
                      "coverage", "users", "train s", "eval s", "params");
  for (const ModelEvaluation& e : rows) {
    const std::string params = ParamsText(e.params);
    absl::StrAppendFormat(
        &out, "%-19s %8.4f %8.4f %8.4f %8.4f %9.4f %7d %9.2f %9.2f  %s\n",
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
