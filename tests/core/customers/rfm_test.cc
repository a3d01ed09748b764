// RFM quintile scores and the named segments: ties, borders, a lone
// customer, customers who only returned things.
#include "core/customers/rfm.h"

#include <random>
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tailor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(RfmTest, QuintilesOfDistinctValues) {
  // Ten values: two per quintile.
  EXPECT_THAT(QuintileScores({10, 1, 9, 2, 8, 3, 7, 4, 6, 5}),
              ElementsAre(5, 1, 5, 1, 4, 2, 4, 2, 3, 3));
}

TEST(RfmTest, TiesAcrossAQuintileBorderShareOneScore) {
  // Values 1,2 then four 3s straddling the 2nd/3rd/4th quintile borders,
  // then 4,5,6,7: every 3 gets the score of where the run starts
  // (2 values below of 10: 1 + floor(5 * 2 / 10) = 2).
  EXPECT_THAT(QuintileScores({3, 1, 3, 2, 3, 3, 4, 5, 6, 7}),
              ElementsAre(2, 1, 2, 1, 2, 2, 4, 4, 5, 5));
  // 60% of customers ordered once: all score 1; the next value starts at
  // 60% and scores 4.
  EXPECT_THAT(QuintileScores({1, 1, 1, 1, 1, 1, 2, 2, 3, 9}),
              ElementsAre(1, 1, 1, 1, 1, 1, 4, 4, 5, 5));
  // Everybody equal: everybody 1.
  EXPECT_THAT(QuintileScores({7, 7, 7}), ElementsAre(1, 1, 1));
  EXPECT_TRUE(QuintileScores({}).empty());
}

TEST(RfmTest, ALoneCustomerScoresOneEverywhere) {
  auto s = ScoreRfm({{.recency_days = 3, .frequency = 1, .monetary = 50}});
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->size(), 1u);
  EXPECT_EQ((*s)[0].r, 1);
  EXPECT_EQ((*s)[0].f, 1);
  EXPECT_EQ((*s)[0].m, 1);
  EXPECT_EQ((*s)[0].segment, RfmSegment::kLost);
}

TEST(RfmTest, RecentBigSpendersAreChampionsAndReturnsOnlyCustomersAreLost) {
  std::vector<RfmValues> base;
  // 10 customers: customer k bought k+1 times, k days ago... reversed so
  // that the most frequent is also the most recent and the biggest spender.
  for (int k = 0; k < 10; ++k) {
    base.push_back({.recency_days = 100.0 - 10 * k,
                    .frequency = k + 1,
                    .monetary = 20.0 * (k + 1)});
  }
  // Only returns: never bought in the window, negative net spend.
  base.push_back({.recency_days = 1e9, .frequency = 0, .monetary = -35});
  auto s = ScoreRfm(base);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)[9].segment, RfmSegment::kChampions);
  EXPECT_EQ((*s)[9].r, 5);
  EXPECT_EQ((*s)[9].fm, 5);
  const RfmScores& returner = (*s)[10];
  EXPECT_EQ(returner.r, 1);
  EXPECT_EQ(returner.f, 1);
  EXPECT_EQ(returner.m, 1);
  EXPECT_EQ(returner.segment, RfmSegment::kLost);
  // A single order long ago, spent little: lost too.
  EXPECT_EQ((*s)[0].segment, RfmSegment::kLost);
}

TEST(RfmTest, FmRoundsHalvesUp) {
  std::vector<RfmValues> base;
  for (int k = 0; k < 5; ++k) {
    // Frequency ascending, monetary descending: F + M = 6 for everyone.
    base.push_back({.recency_days = 1, .frequency = k, .monetary = -1.0 * k});
  }
  auto s = ScoreRfm(base);
  ASSERT_TRUE(s.ok());
  for (const RfmScores& c : *s) {
    EXPECT_EQ(c.f + c.m, 6);
    EXPECT_EQ(c.fm, 3);
  }
  base[0].monetary = -100;  // now the lowest spender: the others' M shift up
  s = ScoreRfm(base);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)[4].f, 5);
  EXPECT_EQ((*s)[4].m, 2);
  EXPECT_EQ((*s)[4].fm, 4);  // (5 + 2) / 2 = 3.5 rounds up
}

TEST(RfmTest, TheGridNamesEveryCellAndAllElevenSegments) {
  std::set<std::string> names;
  for (int r = 1; r <= 5; ++r) {
    for (int fm = 1; fm <= 5; ++fm) {
      names.insert(RfmSegmentName(RfmSegmentOf(r, fm)));
    }
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kNumRfmSegments));
  EXPECT_EQ(names.count("?"), 0u);
  EXPECT_EQ(RfmSegmentOf(5, 1), RfmSegment::kNewCustomers);
  EXPECT_EQ(RfmSegmentOf(1, 5), RfmSegment::kCantLoseThem);
  EXPECT_EQ(RfmSegmentOf(3, 2), RfmSegment::kNeedAttention);
  EXPECT_EQ(RfmSegmentOf(2, 4), RfmSegment::kAtRisk);
  EXPECT_EQ(RfmSegmentOf(4, 4), RfmSegment::kLoyal);
}

TEST(RfmTest, NonFiniteValuesAreRejectedByIndex) {
  auto s = ScoreRfm({{.recency_days = 1, .frequency = 1, .monetary = 1},
                     {.recency_days = 1, .frequency = 1, .monetary = NAN}});
  EXPECT_THAT(s.status().message(), HasSubstr("customers[1]"));
}

}  // namespace
}  // namespace tailor

namespace tailor {
namespace {

// Scoring each member against the base gives what ScoreRfm gave it.
TEST(RfmScorerTest, ReproducesScoreRfmForEveryMemberOfTheBase) {
  std::mt19937_64 rng(11);
  std::vector<RfmValues> base;
  for (int c = 0; c < 500; ++c) {
    RfmValues v;
    v.recency_days = c % 7 == 0 ? kNeverBoughtDays : rng() % 120;  // ties
    v.frequency = 1 + rng() % 6;
    v.monetary = (rng() % 400) - 20.0;
    base.push_back(v);
  }
  const std::vector<RfmScores> expected = *ScoreRfm(base);
  const RfmScorer scorer(base);
  for (size_t c = 0; c < base.size(); ++c) {
    EXPECT_EQ(scorer.Score(base[c]), expected[c]) << c;
  }
  // A new customer better than everyone: 5s; worse than everyone: 1s.
  const RfmScores best = scorer.Score({0, 100, 1e6});
  EXPECT_EQ(best.r, 5);
  EXPECT_EQ(best.f, 5);
  EXPECT_EQ(best.m, 5);
  EXPECT_EQ(best.fm, 5);
  EXPECT_EQ(best.segment, RfmSegment::kChampions);
  EXPECT_EQ(scorer.Score({kNeverBoughtDays, 0, -1e6}).segment,
            RfmSegment::kLost);
  EXPECT_EQ(RfmScorer().Score({1, 1, 1}).r, 1);
}

}  // namespace
}  // namespace tailor
