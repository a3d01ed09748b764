#include "core/experiments/results.h"

#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace tailor {
namespace {

constexpr int64_t kStart = 1'700'000'000;
constexpr int64_t kDay = 86400;

Experiment TwoArms() {
  Experiment x;
  x.name = "x";
  x.start_unix = kStart;
  x.arms = {{.name = "control",
             .strategy = "popularity",
             .share = 5000,
             .control = true},
            {.name = "model", .strategy = "als", .share = 5000}};
  return x;
}

ArmOutcome Shopper(int arm, bool converted, double revenue, int64_t day,
                   int64_t clicks = 0, int64_t exposures = 1,
                   double spend_before = 0) {
  ArmOutcome s;
  s.arm = arm;
  s.outcome.exposures = exposures;
  s.outcome.first_exposure = kStart + day * kDay + 10;
  s.outcome.clicks = clicks;
  s.outcome.converted = converted;
  s.outcome.added_to_cart = converted;
  s.outcome.converted_at = converted ? s.outcome.first_exposure + 60 : 0;
  s.outcome.revenue = revenue;
  s.outcome.spend_before = spend_before;
  return s;
}

TEST(ResultsTest, RatesRevenueAndTheComparisonPerArm) {
  std::vector<ArmOutcome> shoppers;
  // Control: 100 of 1,000 convert (each 50); model: 130 of 1,000.
  for (int i = 0; i < 1000; ++i) {
    shoppers.push_back(Shopper(0, i < 100, i < 100 ? 50 : 0, i % 2, i % 5, 2));
    shoppers.push_back(Shopper(1, i < 130, i < 130 ? 50 : 0, i % 2, i % 4, 2));
  }
  shoppers.push_back(Shopper(7, true, 1, 0));  // no such arm: left out
  const ExperimentResults r = SummariseExperiment(
      TwoArms(), shoppers, {}, {.now_unix = kStart + kDay + 20});
  ASSERT_EQ(r.arms.size(), 2u);
  const ArmResult& control = r.arms[0];
  const ArmResult& model = r.arms[1];
  EXPECT_TRUE(control.control);
  EXPECT_EQ(model.strategy, "als");
  EXPECT_EQ(control.shoppers, 1000);
  EXPECT_EQ(model.exposures, 2000);
  EXPECT_NEAR(control.conversion.estimate.value, 0.1, 1e-12);
  EXPECT_NEAR(model.conversion.estimate.value, 0.13, 1e-12);
  // The Wilson interval of 130 of 1,000.
  EXPECT_NEAR(model.conversion.estimate.interval.low, 0.110560, 1e-5);
  EXPECT_NEAR(model.conversion.estimate.interval.high, 0.152268, 1e-5);
  EXPECT_NEAR(model.revenue.estimate.value, 6.5, 1e-12);
  // Clicks: 0..4 cycling over 2 exposures each = 2 / 2 per shopper.
  EXPECT_NEAR(control.click_through.value, 2.0 / 2.0, 1e-12);
  EXPECT_NEAR(model.click_through.value, 1.5 / 2.0, 1e-12);
  // The statistics' own test checks the numbers: here, that they are the
  // arm's against the control's (+30%, p = 0.0656).
  EXPECT_FALSE(control.conversion.vs_control.defined);
  ASSERT_TRUE(model.conversion.vs_control.defined);
  EXPECT_NEAR(model.conversion.vs_control.relative, 0.3, 1e-12);
  EXPECT_NEAR(model.conversion.vs_control.p_value, 0.0656, 1e-3);
  EXPECT_NEAR(model.revenue.vs_control.relative, 0.3, 1e-12);
  // No spend before: CUPED changes nothing.
  EXPECT_NEAR(model.revenue.cuped_vs_control.p_value,
              model.revenue.vs_control.p_value, 1e-12);
  EXPECT_NEAR(r.cuped_variance_reduction, 0.0, 1e-12);
  EXPECT_FALSE(r.sample_ratio.mismatch);
  // Two days of cumulative conversion: the even shoppers came on day 0.
  ASSERT_EQ(model.timeline.size(), 2u);
  EXPECT_EQ(model.timeline[0].shoppers, 500);
  EXPECT_EQ(model.timeline[0].converted, 65);
  EXPECT_EQ(model.timeline[1].shoppers, 1000);
  EXPECT_EQ(model.timeline[1].converted, 130);
  EXPECT_EQ(model.timeline[1].day_end, kStart + 10 + 2 * kDay);
}

TEST(ResultsTest, ASkewedSplitIsFlagged) {
  std::vector<ArmOutcome> shoppers;
  for (int i = 0; i < 5000; ++i) shoppers.push_back(Shopper(0, false, 0, 0));
  for (int i = 0; i < 5400; ++i) shoppers.push_back(Shopper(1, false, 0, 0));
  const ExperimentResults r =
      SummariseExperiment(TwoArms(), shoppers, {}, {.now_unix = kStart});
  EXPECT_TRUE(r.sample_ratio.mismatch);
  EXPECT_LT(r.sample_ratio.p_value, 0.001);
  // No conversions in the control: nothing to compare against.
  EXPECT_FALSE(r.arms[1].conversion.vs_control.defined);
}

TEST(ResultsTest, CupedNarrowsTheRevenueIntervalWhenEarlierSpendPredictsIt) {
  std::mt19937_64 rng(11);
  std::gamma_distribution<double> spend(2.0, 50.0);
  std::normal_distribution<double> noise(0, 20);
  std::vector<ArmOutcome> shoppers;
  for (int i = 0; i < 4000; ++i) {
    const int arm = i % 2;
    const double before = spend(rng);
    const double revenue =
        std::max(0.0, 0.5 * before * (arm == 1 ? 1.1 : 1.0) + noise(rng));
    shoppers.push_back(Shopper(arm, revenue > 0, revenue, 0, 0, 1, before));
  }
  const ExperimentResults r =
      SummariseExperiment(TwoArms(), shoppers, {}, {.now_unix = kStart});
  const MetricResult& m = r.arms[1].revenue;
  ASSERT_TRUE(m.vs_control.defined);
  ASSERT_TRUE(m.cuped_vs_control.defined);
  EXPECT_GT(r.cuped_variance_reduction, 0.5);
  const double raw = m.vs_control.interval.high - m.vs_control.interval.low;
  const double cuped =
      m.cuped_vs_control.interval.high - m.cuped_vs_control.interval.low;
  EXPECT_LT(cuped, 0.75 * raw);
  EXPECT_LT(m.cuped_vs_control.p_value, m.vs_control.p_value);
  // Both estimate the same +10%.
  EXPECT_NEAR(m.cuped_vs_control.relative, 0.1, 0.05);
}

// Logged with uneven probabilities (a bandit favouring arm 1 in a second
// period): the per-exposure rates mix the periods, the self-normalised
// IPS estimate weighs each exposure by 1 / its probability.
TEST(ResultsTest, OffPolicyEstimateWeighsExposuresByTheirProbability) {
  std::vector<ExposureRecord> exposures;
  // Period 1, 50/50: arm 0 converts 10%, arm 1 20%.
  for (int i = 0; i < 1000; ++i) {
    exposures.push_back({.arm = 0, .probability = 0.5, .purchased = i < 100});
    exposures.push_back({.arm = 1,
                         .probability = 0.5,
                         .purchased = i < 200,
                         .revenue = i < 200 ? 30.0 : 0.0});
  }
  // Period 2, 10/90: the same rates.
  for (int i = 0; i < 200; ++i) {
    exposures.push_back({.arm = 0, .probability = 0.1, .purchased = i < 20});
  }
  for (int i = 0; i < 1800; ++i) {
    exposures.push_back({.arm = 1,
                         .probability = 0.9,
                         .purchased = i < 360,
                         .revenue = i < 360 ? 30.0 : 0.0});
  }
  Experiment x = TwoArms();
  x.allocation = Allocation::kThompson;
  const ExperimentResults r = SummariseExperiment(x, {}, exposures, {});
  EXPECT_NEAR(r.arms[0].off_policy_conversion.value, 0.1, 1e-12);
  EXPECT_NEAR(r.arms[1].off_policy_conversion.value, 0.2, 1e-12);
  EXPECT_NEAR(r.arms[1].off_policy_revenue.value, 6.0, 1e-9);
  EXPECT_LT(r.arms[0].off_policy_conversion.interval.low, 0.1);
  EXPECT_GT(r.arms[0].off_policy_conversion.interval.high, 0.1);
  EXPECT_EQ(r.arms[1].evidence.exposures, 2800);
  EXPECT_EQ(r.arms[1].evidence.conversions, 560);
  EXPECT_DOUBLE_EQ(r.arms[1].evidence.revenue, 560 * 30.0);
  // No sample-ratio check for a bandit.
  EXPECT_EQ(r.sample_ratio.p_value, 1.0);
}

}  // namespace
}  // namespace tailor
