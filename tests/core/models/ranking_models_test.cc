// The ranking models behind the Scorer interface: each learns planted taste
// groups far better than popularity, and is deterministic for a seed.
#include <cmath>

#include "core/eval/metrics.h"
#include "core/models/bpr.h"
#include "core/models/item_knn.h"
#include "core/models/popularity.h"
#include "core/models/scorer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/models/planted_interactions.h"

namespace tailor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Planted Groups() {
  return MakePlanted(/*users=*/400, /*groups=*/5, /*per_group=*/40,
                     /*per_user=*/16, /*held_out=*/4, /*seed=*/1);
}

double PopularityRecall(const Planted& p) {
  return ScorerRecallAtK(p, StaticScorer(ComputePopularity(p.train)), 10);
}

TEST(RankingModelsTest, BprLearnsPlantedGroups) {
  const Planted p = Groups();
  BprOptions o;
  o.factors = 16;
  o.epochs = 40;
  o.threads = 1;
  auto f = TrainBpr(p.train, o);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->user_factors.cols(), 17);  // + the bias column
  const double bpr =
      ScorerRecallAtK(p, FactorScorer(f->user_factors, f->item_factors), 10);
  const double pop = PopularityRecall(p);
  EXPECT_GT(bpr, 0.25);
  EXPECT_GT(bpr, 2.5 * pop) << "bpr " << bpr << " popularity " << pop;
}

TEST(RankingModelsTest, BprDeterministicWithOneThread) {
  const Planted p = Groups();
  BprOptions o;
  o.factors = 4;
  o.epochs = 2;
  o.threads = 1;
  auto a = TrainBpr(p.train, o);
  auto b = TrainBpr(p.train, o);
  o.seed = 5;
  auto c = TrainBpr(p.train, o);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->item_factors, b->item_factors);
  EXPECT_EQ(a->user_factors, b->user_factors);
  EXPECT_NE(a->item_factors, c->item_factors);
  o.learning_rate = 0;
  EXPECT_THAT(TrainBpr(p.train, o).status().message(),
              HasSubstr("learning_rate"));
}

TEST(RankingModelsTest, ItemKnnLearnsPlantedGroupsAndIsExact) {
  const Planted p = Groups();
  ItemKnnOptions o;
  o.neighbors = 30;
  o.shrinkage = 5;
  auto n = TrainItemKnn(p.train, o);
  ASSERT_TRUE(n.ok()) << n.status();
  const double knn = ScorerRecallAtK(p, NeighborScorer(*n, false), 10);
  EXPECT_GT(knn, 2.5 * PopularityRecall(p)) << knn;
  // Every row: at most 30 neighbours, never itself, best first, and each
  // weight equal to the shrunk cosine computed directly.
  const CsrView by_item = TransposeToItemMajor(p.train);
  auto users_of = [&](int32_t i) {
    return std::set<int32_t>(by_item.col.begin() + by_item.row_ptr[i],
                             by_item.col.begin() + by_item.row_ptr[i + 1]);
  };
  for (int32_t i = 0; i < n->num_items(); i += 17) {
    ASSERT_LE(n->row_ptr[i + 1] - n->row_ptr[i], 30);
    const std::set<int32_t> ui = users_of(i);
    for (int64_t q = n->row_ptr[i]; q < n->row_ptr[i + 1]; ++q) {
      const int32_t j = n->neighbor[q];
      ASSERT_NE(j, i);
      if (q > n->row_ptr[i]) {
        ASSERT_LE(n->weight[q], n->weight[q - 1]);
      }
      const std::set<int32_t> uj = users_of(j);
      int common = 0;
      for (int32_t u : ui) common += uj.count(u);
      const double expected =
          common /
          (std::sqrt(double(ui.size())) * std::sqrt(double(uj.size())) + 5.0);
      ASSERT_NEAR(n->weight[q], expected, 1e-5);
    }
  }
  // The thread count does not change the result.
  o.threads = 1;
  auto one = TrainItemKnn(p.train, o);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->neighbor, n->neighbor);
  EXPECT_EQ(one->weight, n->weight);
}

TEST(RankingModelsTest, EaseLearnsPlantedGroupsWithZeroDiagonal) {
  const Planted p = Groups();
  EaseOptions o;
  o.regularization = 50;
  auto b = TrainEase(p.train, o);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->diagonal().cwiseAbs().maxCoeff(), 0.0f);
  const double ease = ScorerRecallAtK(p, DenseItemScorer(*b), 10);
  EXPECT_GT(ease, 0.25);
  EXPECT_GT(ease, 2.5 * PopularityRecall(p)) << ease;
  o.max_items = 10;
  EXPECT_THAT(TrainEase(p.train, o).status().message(),
              HasSubstr("exceed max_items 10"));
}

// EASE's closed form on a tiny case: B solves min |X - XB|^2 + lambda |B|^2
// with diag(B) = 0, so for two items always bought together, B(0,1) =
// n / (n + lambda).
TEST(RankingModelsTest, EaseMatchesTheClosedFormOnTwoItems) {
  InteractionBuilder builder;
  for (int u = 0; u < 6; ++u) {
    for (const char* item : {"a", "b"}) {
      Event e;
      e.user_id = absl::StrCat("u", u);
      e.item_id = item;
      e.type = EventType::kPurchase;
      builder.Add(e);
    }
  }
  const InteractionMatrix m = std::move(builder).Build();
  EaseOptions o;
  o.regularization = 2;
  auto b = TrainEase(m, o);
  ASSERT_TRUE(b.ok());
  EXPECT_NEAR((*b)(0, 1), 6.0 / 8.0, 1e-6);
  EXPECT_NEAR((*b)(1, 0), 6.0 / 8.0, 1e-6);
}

TEST(RankingModelsTest, CategoryPopularityPrefersTheUsersCategories) {
  // Items 0,1 in category 0; 2,3 in category 1; item 3 the most popular.
  CategoryPopularityScorer scorer({2, 1, 3, 9}, {0, 0, 1, 1});
  std::vector<float> scores(4);
  const std::vector<int32_t> items = {0, 1, 0};
  const std::vector<float> weights = {1, 1, 1};
  scorer.Score(-1, {items, weights}, absl::MakeSpan(scores));
  // Shares: category 0 = (3+1)/(3+3), category 1 = 1/6, none = 1/6.
  EXPECT_FLOAT_EQ(scores[0], 4.0f / 6 * 2);
  EXPECT_FLOAT_EQ(scores[3], 1.0f / 6 * 9);
  EXPECT_THAT(TopK(scores, 2, nullptr),
              ElementsAre(ScoredItem{3, 1.5f}, ScoredItem{0, 4.0f / 3}));
}

TEST(RankingModelsTest, RecentPopularityCountsOnlyTheWindow) {
  InteractionBuilder builder;
  auto add = [&](const char* user, const char* item, int64_t day) {
    Event e;
    e.user_id = user;
    e.item_id = item;
    e.type = EventType::kClick;
    e.timestamp = day * 86400;
    builder.Add(e);
  };
  add("u1", "old", 1);
  add("u2", "old", 2);
  add("u3", "old", 3);
  add("u1", "new", 99);
  add("u2", "new", 100);
  const InteractionMatrix m = std::move(builder).Build();
  const int32_t old_i = *m.items.Find("old"), new_i = *m.items.Find("new");
  const std::vector<float> all = ComputePopularity(m);
  EXPECT_GT(all[old_i], all[new_i]);
  const std::vector<float> recent = ComputeRecentPopularity(m, 10 * 86400);
  EXPECT_EQ(recent[old_i], 0);
  EXPECT_EQ(recent[new_i], 2);
}

TEST(RankingModelsTest, OneStandardErrorRulePrefersTheSimplerTie) {
  // Candidate 1 is best by a hair with noisy per-user differences:
  // candidate 0 (simpler) is within one standard error and wins.
  const std::vector<double> simple = {0.5, 0.2, 0.9, 0.4};
  const std::vector<double> noisy = {0.6, 0.1, 1.0, 0.35};
  EXPECT_EQ(ChooseWithinOneStandardError({simple, noisy}), 0u);
  // A clear, consistent gain wins.
  const std::vector<double> better = {0.7, 0.4, 1.0, 0.6};
  EXPECT_EQ(ChooseWithinOneStandardError({simple, better}), 1u);
  EXPECT_EQ(ChooseWithinOneStandardError({}), 0u);
}

}  // namespace
}  // namespace tailor
