#include "core/experiments/statistics.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace tailor {
namespace {

TEST(MomentsTest, MeanAndSampleVariance) {
  const Moments m = Moments::Of({2, 4, 4, 4, 5, 5, 7, 9});
  EXPECT_EQ(m.n, 8);
  EXPECT_DOUBLE_EQ(m.mean, 5.0);
  EXPECT_NEAR(m.variance, 32.0 / 7.0, 1e-12);
  EXPECT_NEAR(m.MeanVariance(), 32.0 / 7.0 / 8.0, 1e-12);
  EXPECT_EQ(Moments::Of({3}).variance, 0.0);
  EXPECT_EQ(Moments::Of({}).MeanVariance(), 0.0);
}

TEST(IntervalTest, WilsonMatchesTheTextbookFormula) {
  // 50 of 100: 0.5 +- 1.96 sqrt(0.0025 + 1.96^2 / 40000) / (1 + 1.96^2/100).
  const Interval half = WilsonInterval(50, 100);
  EXPECT_NEAR(half.low, 0.40383, 1e-5);
  EXPECT_NEAR(half.high, 0.59617, 1e-5);
  // It stays inside [0, 1] and is not empty at the edges.
  const Interval none = WilsonInterval(0, 20);
  EXPECT_EQ(none.low, 0.0);
  EXPECT_NEAR(none.high, 0.16113, 1e-5);
  const Interval unknown = WilsonInterval(0, 0);
  EXPECT_EQ(unknown.low, 0.0);
  EXPECT_EQ(unknown.high, 1.0);
}

TEST(IntervalTest, MeanInterval) {
  Moments m;
  m.n = 100;
  m.mean = 10;
  m.variance = 25;
  const Interval i = MeanInterval(m);
  EXPECT_NEAR(i.low, 10 - kZ95 * 0.5, 1e-12);
  EXPECT_NEAR(i.high, 10 + kZ95 * 0.5, 1e-12);
}

TEST(IntervalTest, RatioOfSumsByTheDeltaMethod) {
  // Clicks over exposures of six shoppers: 7 / 17.
  const RatioEstimate r = RatioOf({0, 1, 2, 0, 3, 1}, {2, 3, 4, 1, 5, 2});
  EXPECT_NEAR(r.value, 7.0 / 17.0, 1e-12);
  EXPECT_NEAR(r.interval.high - r.value, 0.17612014, 1e-7);
  EXPECT_NEAR(r.value - r.interval.low, 0.17612014, 1e-7);
  EXPECT_EQ(RatioOf({1, 2}, {0, 0}).value, 0.0);
}

TEST(DistributionTest, NormalAndChiSquaredAgainstTables) {
  EXPECT_NEAR(NormalCdf(0), 0.5, 1e-15);
  EXPECT_NEAR(NormalCdf(kZ95), 0.975, 1e-12);
  EXPECT_NEAR(NormalCdf(-1), 0.158655253931457, 1e-12);
  // Critical values of the chi-squared distribution.
  EXPECT_NEAR(ChiSquaredSurvival(3.841458820694124, 1), 0.05, 1e-10);
  EXPECT_NEAR(ChiSquaredSurvival(5.991464547107979, 2), 0.05, 1e-10);
  EXPECT_NEAR(ChiSquaredSurvival(16.26623619623813, 3), 0.001, 1e-10);
  EXPECT_NEAR(ChiSquaredSurvival(9.487729036781154, 4), 0.05, 1e-10);
  EXPECT_NEAR(ChiSquaredSurvival(10.0, 10), 0.440493285065212, 1e-10);
  EXPECT_NEAR(ChiSquaredSurvival(150.0, 100), 0.000903932042354, 1e-9);
  EXPECT_EQ(ChiSquaredSurvival(0.0, 3), 1.0);
  // Q(1, x) = e^-x on both sides of the series/fraction switch.
  for (double x : {0.1, 1.5, 2.5, 30.0}) {
    EXPECT_NEAR(RegularizedGammaQ(1, x), std::exp(-x), 1e-13) << x;
  }
}

TEST(SampleRatioTest, FlagsOnlyARealMismatch) {
  const int64_t balanced[] = {5000, 5200};
  const double even[] = {1, 1};
  const SampleRatioCheck close = CheckSampleRatio(balanced, even);
  EXPECT_NEAR(close.chi_squared, 2 * 100.0 * 100.0 / 5100.0, 1e-9);
  EXPECT_NEAR(close.p_value, 0.0476704, 1e-6);
  EXPECT_FALSE(close.mismatch);

  const int64_t skewed[] = {5000, 5400};
  const SampleRatioCheck far = CheckSampleRatio(skewed, even);
  EXPECT_NEAR(far.chi_squared, 2 * 200.0 * 200.0 / 5200.0, 1e-9);
  EXPECT_LT(far.p_value, 0.001);
  EXPECT_TRUE(far.mismatch);

  // Unequal shares in basis points: 2,000 / 8,000 is what 20/80 expects.
  const int64_t fifths[] = {2000, 8000};
  const double bp[] = {2000, 8000};
  EXPECT_NEAR(CheckSampleRatio(fifths, bp).chi_squared, 0.0, 1e-12);
  EXPECT_EQ(CheckSampleRatio(fifths, bp).p_value, 1.0);
}

Moments Rate(int64_t successes, int64_t n) {
  Moments m;
  m.n = n;
  m.mean = static_cast<double>(successes) / static_cast<double>(n);
  m.variance = m.mean * (1 - m.mean) * static_cast<double>(n) /
               static_cast<double>(n - 1);
  return m;
}

TEST(CompareTest, RelativeDifferenceByTheDeltaMethod) {
  // 130 of 1,000 against 100 of 1,000: +30%, sqrt(V) = 0.162931.
  const Comparison c = Compare(Rate(130, 1000), Rate(100, 1000));
  ASSERT_TRUE(c.defined);
  EXPECT_NEAR(c.relative, 0.3, 1e-12);
  EXPECT_NEAR(c.interval.low, 0.3 - 0.319339, 1e-5);
  EXPECT_NEAR(c.interval.high, 0.3 + 0.319339, 1e-5);
  EXPECT_NEAR(c.p_value, 0.065582, 1e-5);
  // The always-valid test pays for looking any time: a wider interval, a
  // larger p-value (mixture tau = 0.1).
  EXPECT_NEAR(c.sequential_p_value, 0.737871, 1e-5);
  EXPECT_NEAR(c.sequential_interval.high - 0.3, 0.782495, 1e-5);

  // Ten times the shoppers: significant either way.
  const Comparison big = Compare(Rate(1300, 10000), Rate(1000, 10000));
  EXPECT_LT(big.p_value, 1e-6);
  EXPECT_LT(big.sequential_p_value, 0.05);
  EXPECT_GT(big.sequential_interval.low, 0.0);
  EXPECT_LT(big.sequential_interval.low, big.interval.low);
}

TEST(CompareTest, UndefinedWithoutAControlMeanOrShoppers) {
  EXPECT_FALSE(Compare(Rate(5, 100), Rate(0, 100)).defined);
  EXPECT_FALSE(Compare(Moments::Of({1}), Moments::Of({1, 2})).defined);
  const Comparison same = Compare(Moments::Of({1, 1}), Moments::Of({1, 1}));
  EXPECT_TRUE(same.defined);
  EXPECT_EQ(same.p_value, 1.0);
}

// Looking every "day" at an A/A test: the fixed-horizon p-value crosses
// 0.05 in far more than 5% of experiments, the always-valid one in at
// most 5%.
TEST(CompareTest, AlwaysValidPValueKeepsItsLevelUnderDailyLooks) {
  std::mt19937_64 rng(7);
  std::bernoulli_distribution buys(0.1);
  constexpr int kExperiments = 300;
  constexpr int kDays = 20;
  constexpr int kShoppersPerDay = 200;  // per arm
  int fixed_false = 0;
  int sequential_false = 0;
  for (int e = 0; e < kExperiments; ++e) {
    std::vector<double> a;
    std::vector<double> b;
    bool fixed = false;
    bool sequential = false;
    for (int day = 0; day < kDays; ++day) {
      for (int i = 0; i < kShoppersPerDay; ++i) {
        a.push_back(buys(rng) ? 1 : 0);
        b.push_back(buys(rng) ? 1 : 0);
      }
      const Comparison c = Compare(Moments::Of(a), Moments::Of(b));
      fixed |= c.defined && c.p_value < 0.05;
      sequential |= c.defined && c.sequential_p_value < 0.05;
    }
    fixed_false += fixed;
    sequential_false += sequential;
  }
  EXPECT_GT(fixed_false, kExperiments * 0.1);
  EXPECT_LE(sequential_false, kExperiments * 0.05);
}

TEST(CupedTest, RemovesTheVarianceThePreExperimentValueExplains) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> spend(100, 30);
  std::normal_distribution<double> noise(0, 10);
  std::vector<double> x;
  std::vector<double> y;
  for (int i = 0; i < 5000; ++i) {
    x.push_back(spend(rng));
    y.push_back(0.5 * x.back() + noise(rng));
  }
  const CupedFit fit = CupedFit::Of(y, x);
  EXPECT_NEAR(fit.theta, 0.5, 0.02);
  EXPECT_NEAR(fit.x_mean, 100, 1.5);
  std::vector<double> adjusted;
  for (size_t i = 0; i < y.size(); ++i) {
    adjusted.push_back(fit.Adjust(y[i], x[i]));
  }
  const Moments before = Moments::Of(y);
  const Moments after = Moments::Of(adjusted);
  // The mean is kept; the variance falls from 15^2 + 10^2 to about 10^2.
  EXPECT_NEAR(after.mean, before.mean, 1e-9);
  EXPECT_NEAR(after.variance, 100, 8);
  EXPECT_GT(before.variance, 300);
  // A constant covariate explains nothing.
  EXPECT_EQ(CupedFit::Of(y, std::vector<double>(y.size(), 4.0)).theta, 0.0);
}

}  // namespace
}  // namespace tailor
