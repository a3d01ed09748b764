#include "trainer/tuning.h"

#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/snapshot_store.h"
#include "tests/test_util.h"
#include "trainer/pipeline.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;

// Three planted tastes of 20 items each; every shopper views 12 items of
// their taste, one a day, plus one of the three best-sellers (items 0, 20,
// 40 are everyone's), so that personal lists beat popularity.
std::vector<Event> PlantedEvents(int users, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Event> events;
  for (int u = 0; u < users; ++u) {
    const int taste = u % 3;
    std::set<int> seen;
    for (int k = 0; k < 12; ++k) {
      int item = taste * 20 + static_cast<int>(rng() % 20);
      while (!seen.insert(item).second) item = taste * 20 + rng() % 20;
      events.push_back({absl::StrCat("u", u), absl::StrCat("i", item),
                        EventType::kClick, 1700000000 + 86400 * k});
    }
  }
  return events;
}

// Events whose only structure is popularity: item i is chosen with
// probability proportional to 1 / (i + 1), by everyone alike.
std::vector<Event> PopularityOnlyEvents(int users, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> weights;
  for (int i = 0; i < 60; ++i) weights.push_back(1.0 / (i + 1));
  std::discrete_distribution<int> pick(weights.begin(), weights.end());
  std::vector<Event> events;
  for (int u = 0; u < users; ++u) {
    for (int k = 0; k < 10; ++k) {
      events.push_back({absl::StrCat("u", u), absl::StrCat("i", pick(rng)),
                        EventType::kClick, 1700000000 + 86400 * k});
    }
  }
  return events;
}

InteractionMatrix Matrix(const std::vector<Event>& events) {
  InteractionBuilder builder;
  for (const Event& e : events) builder.Add(e);
  return std::move(builder).Build();
}

AlsOptions SmallAls() {
  AlsOptions als;
  als.factors = 8;
  als.iterations = 8;
  als.regularization = 100;
  als.alpha = 0.5f;
  als.threads = 1;
  return als;
}

BprOptions SmallBpr() {
  BprOptions bpr;
  bpr.factors = 8;
  bpr.epochs = 20;
  bpr.threads = 1;
  return bpr;
}

TuneOptions Unlimited() {
  TuneOptions options;
  options.enabled = true;
  options.budget_seconds = 1e9;
  return options;
}

TEST(TuningTest, ChoosesOnValidationAndBeatsTheStartingOptions) {
  const InteractionMatrix m = Matrix(PlantedEvents(300, 1));
  std::vector<std::string> lines;
  auto result = TuneServedModel(
      m, ServedAlgorithm::kAls, SmallAls(), SmallBpr(), Unlimited(),
      [&](const std::string& line) { lines.push_back(line); });
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_GE(result->trials.size(), 3u);
  // The starting options are scored first, and the chosen ones are at least
  // as good on validation (within the one-standard-error rule: never worse
  // than the best by more than the noise).
  const TuneTrial& start = result->trials[0];
  EXPECT_EQ(start.als.regularization, 100);
  EXPECT_EQ(result->algorithm, ServedAlgorithm::kAls);
  EXPECT_GE(result->best.ndcg, start.metrics.ndcg);
  EXPECT_GE(result->best.ndcg, result->chosen.ndcg);
  for (const TuneTrial& t : result->trials) {
    EXPECT_EQ(t.algorithm, ServedAlgorithm::kAls);
    EXPECT_LE(t.metrics.ndcg, result->best.ndcg);
    EXPECT_EQ(t.user_ndcg.size(), start.user_ndcg.size());
  }
  // The planted tastes are far better served than by popularity.
  EXPECT_TRUE(result->beats_popularity);
  EXPECT_GT(result->chosen.ndcg, 2 * result->popularity.ndcg);
  // So are they by the item neighbours of the shopper's items.
  EXPECT_GT(result->item_neighbours.ndcg, result->popularity.ndcg);
  EXPECT_EQ(result->skipped_for_budget, 0);
  // Regularization and alpha are scanned jointly: every pair was scored
  // with the starting factors and frequency scaling.
  std::set<std::pair<float, float>> pairs;
  for (const TuneTrial& t : result->trials) {
    if (t.als.factors == start.als.factors &&
        t.als.frequency_scaling == start.als.frequency_scaling) {
      pairs.emplace(t.als.regularization, t.als.alpha);
    }
  }
  EXPECT_EQ(pairs.size(), 7u * 5u);
  EXPECT_TRUE(pairs.contains({1000.0f, 0.25f}));
  EXPECT_TRUE(pairs.contains({1.0f, 4.0f}));
  // 300 shoppers: three rolling-origin folds. Every shopper has 12 items:
  // 20% (2) of each is held out, then 2 of the 10 left, then 2 of the 8.
  EXPECT_EQ(result->folds, 3);
  EXPECT_EQ(result->validation_shoppers, 300);
  EXPECT_EQ(result->validation_pairs, 1800);
  EXPECT_EQ(start.user_ndcg.size(), 900u);
  EXPECT_THAT(lines, ::testing::Contains(HasSubstr("tuned in")));
  // Deterministic: the same data tunes to the same choice.
  auto again = TuneServedModel(m, ServedAlgorithm::kAls, SmallAls(), SmallBpr(),
                               Unlimited());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(TunedParamsText(*again), TunedParamsText(*result));
  EXPECT_EQ(again->chosen.ndcg, result->chosen.ndcg);
}

TEST(TuningTest, AZeroBudgetScoresOnlyTheStartingOptions) {
  const InteractionMatrix m = Matrix(PlantedEvents(90, 2));
  TuneOptions options = Unlimited();
  options.budget_seconds = 0;
  auto result = TuneServedModel(m, ServedAlgorithm::kAls, SmallAls(),
                                SmallBpr(), options);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->trials.size(), 1u);
  EXPECT_GT(result->skipped_for_budget, 0);
  EXPECT_EQ(result->als.regularization, 100);
  EXPECT_EQ(result->als.factors, 8);
}

TEST(TuningTest, AutoScoresEveryServableAlgorithmAndKeepsTheBest) {
  const InteractionMatrix m = Matrix(PlantedEvents(150, 3));
  TuneOptions options = Unlimited();
  options.auto_algorithm = true;
  auto result = TuneServedModel(m, ServedAlgorithm::kAls, SmallAls(),
                                SmallBpr(), options);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_GE(result->trials.size(), 2u);
  EXPECT_EQ(result->trials[0].algorithm, ServedAlgorithm::kAls);
  EXPECT_EQ(result->trials[1].algorithm, ServedAlgorithm::kBpr);
  double best[2] = {-1, -1};
  for (const TuneTrial& t : result->trials) {
    double& b = best[t.algorithm == ServedAlgorithm::kAls ? 0 : 1];
    b = std::max(b, t.metrics.ndcg);
  }
  const ServedAlgorithm winner =
      best[0] >= best[1] ? ServedAlgorithm::kAls : ServedAlgorithm::kBpr;
  EXPECT_EQ(result->algorithm, winner);
  EXPECT_EQ(result->best.ndcg, std::max(best[0], best[1]));
}

TEST(TuningTest, BadOptionsAndDataWithoutAValidationSplitAreRefused) {
  const InteractionMatrix m = Matrix(PlantedEvents(30, 4));
  TuneOptions options = Unlimited();
  options.budget_seconds = -1;
  EXPECT_THAT(
      TuneServedModel(m, ServedAlgorithm::kAls, SmallAls(), SmallBpr(), options)
          .status()
          .message(),
      HasSubstr("tune_budget"));
  // One item per shopper: nothing can be held out.
  const InteractionMatrix single = Matrix(
      {{"a", "x", EventType::kClick, 1}, {"b", "y", EventType::kClick, 2}});
  const auto status = TuneServedModel(single, ServedAlgorithm::kAls, SmallAls(),
                                      SmallBpr(), Unlimited())
                          .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("--tune=false"));
}

std::string EventsCsv(const std::vector<Event>& events) {
  std::string csv = "user_id,item_id,event_type,timestamp\n";
  for (const Event& e : events) {
    absl::StrAppend(&csv, e.user_id, ",", e.item_id, ",click,", e.timestamp,
                    "\n");
  }
  return csv;
}

// train with tuning: the snapshot records what was chosen and how it did on
// validation.
TEST(TuningTest, TrainingRecordsTheTunedChoiceInTheSnapshot) {
  testing::TempDir dir;
  testing::WriteTextFile(dir.Join("events.csv"),
                         EventsCsv(PlantedEvents(300, 5)));
  TrainingInput input;
  input.event_files = {dir.Join("events.csv")};
  TrainingOptions options;
  options.als = SmallAls();
  options.tune = Unlimited();
  auto result = RunTraining(input, options);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->tuning.has_value());
  const Snapshot& s = result->snapshot;
  EXPECT_FALSE(s.online.popularity_fallback);
  EXPECT_EQ(s.model.factors(), result->tuning->als.factors);
  EXPECT_THAT(s.info, ::testing::Contains(Pair(
                          "regularization",
                          absl::StrCat(result->tuning->als.regularization))));
  EXPECT_THAT(s.info, ::testing::Contains(Pair("serving", "implicit-als")));
  EXPECT_THAT(s.info,
              ::testing::Contains(
                  Pair("validation_ndcg@10",
                       absl::StrFormat("%.4f", result->tuning->chosen.ndcg))));
  EXPECT_THAT(s.info,
              ::testing::Contains(Pair("tuned", HasSubstr("300 shoppers"))));
  EXPECT_THAT(
      s.info,
      ::testing::Contains(
          Pair("validation_item_neighbours_ndcg@10",
               absl::StrFormat("%.4f", result->tuning->item_neighbours.ndcg))));
  // The strategies built beside the model (60 items: EASE fits), each
  // scored on the same split; EASE, a personal model, beats popularity on
  // planted tastes.
  EXPECT_THAT(s.info, ::testing::Contains(
                          Pair("strategies",
                               "popularity,segment-popularity,item-neighbours,"
                               "recent-popularity,ease")));
  EXPECT_EQ(s.model.recent_popularity.size(), 60u);
  ASSERT_NE(s.model.ease, nullptr);
  EXPECT_EQ(s.model.ease->rows(), 60);
  ASSERT_EQ(result->tuning->strategies.size(), 2u);
  EXPECT_EQ(result->tuning->strategies[0].first, "recent-popularity");
  EXPECT_EQ(result->tuning->strategies[1].first, "ease");
  const RankingMetrics& ease = result->tuning->strategies[1].second;
  EXPECT_GT(ease.ndcg, result->tuning->popularity.ndcg);
  EXPECT_THAT(s.info,
              ::testing::Contains(Pair("validation_ease_ndcg@10",
                                       absl::StrFormat("%.4f", ease.ndcg))));
  EXPECT_THAT(
      s.info,
      ::testing::Contains(Pair(
          "validation_recent_popularity_ndcg@10",
          absl::StrFormat("%.4f", result->tuning->strategies[0].second.ndcg))));
  // algorithm=auto needs tuning.
  options.tune.enabled = false;
  options.tune.auto_algorithm = true;
  EXPECT_THAT(RunTraining(input, options).status().message(),
              HasSubstr("needs tuning"));
}

// A model that does not beat popularity on validation is published marked
// for the popularity fallback, and says why.
TEST(TuningTest, AModelThatLosesToPopularityIsPublishedWithTheFallback) {
  testing::TempDir dir;
  testing::WriteTextFile(dir.Join("events.csv"),
                         EventsCsv(PopularityOnlyEvents(300, 6)));
  TrainingInput input;
  input.event_files = {dir.Join("events.csv")};
  TrainingOptions options;
  // No iteration leaves the vectors at their random start: the model ranks
  // by chance. A zero budget keeps it the only candidate.
  options.als = SmallAls();
  options.als.iterations = 0;
  options.tune = Unlimited();
  options.tune.budget_seconds = 0;
  std::vector<std::string> lines;
  auto result = RunTraining(
      input, options, [&](const std::string& line) { lines.push_back(line); });
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->tuning.has_value());
  EXPECT_FALSE(result->tuning->beats_popularity);
  EXPECT_TRUE(result->snapshot.online.popularity_fallback);
  EXPECT_THAT(
      result->snapshot.info,
      ::testing::Contains(Pair("serving", HasSubstr("popularity fallback"))));
  EXPECT_THAT(lines,
              ::testing::Contains(HasSubstr("does not beat popularity")));
  SnapshotStore store(Env::Default(), dir.Join("snaps"));
  ASSERT_TRUE(store.Publish(result->snapshot).ok());
  auto loaded = store.LoadCurrent();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->online.popularity_fallback);
}

}  // namespace
}  // namespace tailor
