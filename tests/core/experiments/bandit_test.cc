#include "core/experiments/bandit.h"

#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace tailor {
namespace {

int32_t Sum(const std::vector<int32_t>& v) {
  int32_t s = 0;
  for (int32_t x : v) s += x;
  return s;
}

TEST(FloorSharesTest, KeepsEveryArmAboveTheFloorAndSumsToAllBuckets) {
  EXPECT_EQ(FloorShares({1, 1}, 500), (std::vector<int32_t>{5000, 5000}));
  // 99% / 1% / 0%: the two small ones are raised to 10% each.
  const std::vector<int32_t> w = FloorShares({99, 1, 0}, 1000);
  EXPECT_EQ(w, (std::vector<int32_t>{8000, 1000, 1000}));
  // Thirds round to 3334/3333/3333.
  const std::vector<int32_t> thirds = FloorShares({1, 1, 1}, 0);
  EXPECT_EQ(Sum(thirds), 10000);
  for (int32_t x : thirds) EXPECT_NEAR(x, 3333, 1);
  // All zero: an even split.
  EXPECT_EQ(FloorShares({0, 0}, 0), (std::vector<int32_t>{5000, 5000}));
}

TEST(ThompsonTest, TheAllocationFollowsTheEvidenceAndIsSeeded) {
  const BanditSettings settings{.min_share = 500};
  // No evidence: about even.
  const std::vector<int32_t> even =
      ThompsonAllocation({{}, {}}, settings, /*seed=*/1);
  EXPECT_NEAR(even[0], 5000, 200);
  // 5% against 10% over 2,000 exposures each: nearly all to the second,
  // the first kept at its floor.
  const std::vector<ArmEvidence> evidence = {
      {.exposures = 2000, .conversions = 100},
      {.exposures = 2000, .conversions = 200}};
  const std::vector<int32_t> w = ThompsonAllocation(evidence, settings, 1);
  EXPECT_EQ(w, (std::vector<int32_t>{500, 9500}));
  EXPECT_EQ(ThompsonAllocation(evidence, settings, 1), w);
  // Little evidence: still uncertain, so both keep a real share.
  const std::vector<int32_t> early =
      ThompsonAllocation({{.exposures = 20, .conversions = 1},
                          {.exposures = 20, .conversions = 2}},
                         settings, 1);
  EXPECT_GT(early[0], 1500);
  EXPECT_GT(early[1], early[0]);
  // Revenue: the arm with the higher mean per exposure wins.
  const std::vector<int32_t> revenue = ThompsonAllocation(
      {{.exposures = 500, .revenue = 500 * 2.0, .revenue_squares = 500 * 40.0},
       {.exposures = 500, .revenue = 500 * 4.0, .revenue_squares = 500 * 80.0}},
      {.metric = BanditMetric::kRevenue, .min_share = 0}, 3);
  EXPECT_GT(revenue[1], 9900);
}

// A seeded simulation: three arms converting 3%, 4% and 6%, re-allocated
// every 1,000 exposures. The allocation moves to the best arm, and the
// regret (conversions lost against always serving it) is far below an
// equal split's.
TEST(ThompsonTest, ASimulatedBanditShiftsTrafficToTheBestArm) {
  const double rate[] = {0.03, 0.04, 0.06};
  std::mt19937_64 rng(17);
  std::uniform_int_distribution<int32_t> bucket(0, 9999);
  std::vector<ArmEvidence> evidence(3);
  std::vector<int32_t> weights = {3334, 3333, 3333};
  double regret = 0;
  constexpr int kPeriods = 30;
  constexpr int kPerPeriod = 1000;
  for (int period = 0; period < kPeriods; ++period) {
    for (int i = 0; i < kPerPeriod; ++i) {
      const int32_t b = bucket(rng);
      int arm = 0;
      for (int32_t cumulative = weights[0]; b >= cumulative;) {
        cumulative += weights[++arm];
      }
      const bool bought = std::bernoulli_distribution(rate[arm])(rng);
      ++evidence[arm].exposures;
      evidence[arm].conversions += bought ? 1 : 0;
      regret += rate[2] - rate[arm];
    }
    weights = ThompsonAllocation(evidence, {.min_share = 200},
                                 static_cast<uint64_t>(period));
  }
  EXPECT_GT(weights[2], 8000);
  const double equal_split_regret =
      kPeriods * kPerPeriod * (rate[2] - (rate[0] + rate[1] + rate[2]) / 3);
  EXPECT_LT(regret, 0.5 * equal_split_regret);
}

}  // namespace
}  // namespace tailor
