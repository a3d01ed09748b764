#include "core/eval/metrics.h"

#include <cmath>

#include "gtest/gtest.h"

namespace tailor {
namespace {

TEST(RankingMetricsTest, HandComputedCase) {
  // Hits at ranks 2 and 5 of 5; 3 relevant items.
  RankingMetrics m = RankingMetricsAtK({1, 2, 3, 4, 5}, {2, 5, 9}, 5);
  EXPECT_DOUBLE_EQ(m.precision, 2.0 / 5);
  EXPECT_DOUBLE_EQ(m.recall, 2.0 / 3);
  const double dcg = 1 / std::log2(3.0) + 1 / std::log2(6.0);
  const double idcg = 1 + 1 / std::log2(3.0) + 1 / std::log2(4.0);
  EXPECT_NEAR(m.ndcg, dcg / idcg, 1e-12);
  EXPECT_NEAR(m.ndcg, 0.4776237, 1e-6);
  EXPECT_DOUBLE_EQ(m.map, (1.0 / 2 + 2.0 / 5) / 3);
}

TEST(RankingMetricsTest, FewerRelevantItemsThanK) {
  // One relevant item, found first: perfect except precision.
  RankingMetrics m =
      RankingMetricsAtK({7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, {7}, 10);
  EXPECT_DOUBLE_EQ(m.precision, 0.1);
  EXPECT_DOUBLE_EQ(m.recall, 1.0);
  EXPECT_DOUBLE_EQ(m.ndcg, 1.0);
  EXPECT_DOUBLE_EQ(m.map, 1.0);
}

TEST(RankingMetricsTest, ListShorterThanK) {
  RankingMetrics m = RankingMetricsAtK({3}, {3, 4}, 10);
  EXPECT_DOUBLE_EQ(m.precision, 0.1);  // still divided by k
  EXPECT_DOUBLE_EQ(m.recall, 0.5);
  EXPECT_NEAR(m.ndcg, 1 / (1 + 1 / std::log2(3.0)), 1e-12);
  EXPECT_DOUBLE_EQ(m.map, 0.5);  // 1 / min(2, 10)
}

TEST(RankingMetricsTest, OnlyTheFirstKCount) {
  RankingMetrics m = RankingMetricsAtK({1, 2, 3}, {3}, 2);
  EXPECT_EQ(m.precision, 0);
  EXPECT_EQ(m.ndcg, 0);
}

TEST(RankingMetricsTest, NoHitsOrNothingRelevant) {
  RankingMetrics none = RankingMetricsAtK({1, 2}, {5}, 2);
  EXPECT_EQ(none.precision, 0);
  EXPECT_EQ(none.recall, 0);
  EXPECT_EQ(none.ndcg, 0);
  EXPECT_EQ(none.map, 0);
  RankingMetrics empty = RankingMetricsAtK({1, 2}, {}, 2);
  EXPECT_EQ(empty.recall, 0);
}

TEST(RankingAccumulatorTest, MeansAndCoverage) {
  RankingAccumulator acc(5, 10);
  acc.Add({1, 2, 3, 4, 5}, {2, 5, 9});
  acc.Add({6, 7, 1}, {8});
  EXPECT_EQ(acc.users(), 2);
  EXPECT_DOUBLE_EQ(acc.Mean().precision, (0.4 + 0.0) / 2);
  EXPECT_DOUBLE_EQ(acc.Mean().recall, (2.0 / 3) / 2);
  EXPECT_DOUBLE_EQ(acc.Coverage(), 7.0 / 10);  // items 1..7
}

TEST(RatingMetricsTest, RmseAndMae) {
  EXPECT_NEAR(Rmse({1, 2, 3}, {2, 2, 5}), std::sqrt(5.0 / 3), 1e-12);
  EXPECT_DOUBLE_EQ(Mae({1, 2, 3}, {2, 2, 5}), 1.0);
  EXPECT_EQ(Rmse({}, {}), 0);
}

TEST(MetricsTest, OneStandardErrorRulePrefersTheSimplestCloseCandidate) {
  // Best: candidate 2, mean 0.5 over values 0 and 1 (n = 4): standard
  // error sqrt(1/3 / 4) = 0.2887, so anything >= 0.2113 is close enough.
  const std::vector<double> best = {0, 1, 0, 1};
  EXPECT_EQ(
      ChooseWithinOneStandardError({{0, 0, 0, 0.8}, {0, 0, 0.5, 0.5}, best}),
      1u);  // 0.2 is too far, 0.25 is close
  EXPECT_EQ(ChooseWithinOneStandardError(
                {{0.1, 0.1, 0.1, 0.1}, {0.2, 0.2, 0.2, 0.2}, best}),
            2u);  // nothing close: the best itself
  // Near-identical candidates: a tiny, consistent gain does not buy the
  // costlier one (a paired standard error would have been ~0).
  EXPECT_EQ(ChooseWithinOneStandardError(
                {{0.299, 0.299, 0.701, 0.701}, {0.3, 0.3, 0.7, 0.71}}),
            0u);
  EXPECT_EQ(ChooseWithinOneStandardError({}), 0u);
}

}  // namespace
}  // namespace tailor
