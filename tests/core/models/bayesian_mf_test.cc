#include "core/models/bayesian_mf.h"

#include "core/eval/metrics.h"
#include "gtest/gtest.h"
#include "tests/core/models/planted_ratings.h"

namespace tailor {
namespace {

double TestRmse(const BayesianMf& m, const std::vector<Rating>& test) {
  std::vector<double> pred, truth;
  for (const Rating& r : test) {
    pred.push_back(m.Predict(r.user, r.item));
    truth.push_back(r.value);
  }
  return Rmse(pred, truth);
}

// Factors 4 runs the fixed-size sampler (rows of 5 floats padded to 8),
// factors 24 the Eigen::Dynamic one (25 floats would pad to 28).
class BayesianMfFactorsTest : public ::testing::TestWithParam<int> {};

TEST_P(BayesianMfFactorsTest, LearnsPlantedStructureFarBetterThanTheMean) {
  Planted d = MakePlanted(1);
  BayesianMfOptions o;
  o.factors = GetParam();
  o.sweeps = 40;
  o.burn_in = 10;
  auto m = BayesianMf::Train(d.train, 300, 200, o);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->samples(), 30);
  std::vector<double> mean(d.test.size(), d.mean), truth;
  for (const Rating& r : d.test) truth.push_back(r.value);
  const double rmse = TestRmse(*m, d.test), baseline = Rmse(mean, truth);
  EXPECT_LT(rmse, 0.5 * baseline) << rmse << " vs mean-only " << baseline;
  // The planted noise has stddev 0.1 before clipping: the sampled noise
  // precision must find a small noise level, not the prior's.
  EXPECT_GT(m->noise_precision(), 10.0);
}

INSTANTIATE_TEST_SUITE_P(FixedAndDynamicSizes, BayesianMfFactorsTest,
                         ::testing::Values(4, 24));

TEST(BayesianMfTest, SameResultForAnyThreadCountAndDifferentSeedsDiffer) {
  Planted d = MakePlanted(2);
  BayesianMfOptions o;
  o.factors = 3;
  o.sweeps = 6;
  o.burn_in = 2;
  o.threads = 1;
  auto one = BayesianMf::Train(d.train, 300, 200, o);
  o.threads = 2;
  auto two = BayesianMf::Train(d.train, 300, 200, o);
  o.seed = 9;
  auto other = BayesianMf::Train(d.train, 300, 200, o);
  ASSERT_TRUE(one.ok() && two.ok() && other.ok());
  for (const Rating& r : d.test) {
    ASSERT_EQ(one->Predict(r.user, r.item), two->Predict(r.user, r.item));
  }
  EXPECT_NE(TestRmse(*one, d.test), TestRmse(*other, d.test));
}

TEST(BayesianMfTest, UnknownIdsAndClipping) {
  std::vector<Rating> ratings = {{0, 0, 5}, {0, 1, 1}, {1, 0, 4}};
  BayesianMfOptions o;
  o.factors = 2;
  o.sweeps = 5;
  o.burn_in = 1;
  auto m = BayesianMf::Train(ratings, 2, 2, o);
  ASSERT_TRUE(m.ok()) << m.status();
  for (int u = -1; u < 3; ++u) {
    for (int i = -1; i < 3; ++i) {
      EXPECT_GE(m->Predict(u, i), 1.0f);
      EXPECT_LE(m->Predict(u, i), 5.0f);
    }
  }
}

TEST(BayesianMfTest, BadInputsAreClearErrors) {
  BayesianMfOptions o;
  o.sweeps = 5;
  o.burn_in = 5;
  EXPECT_EQ(BayesianMf::Train({{0, 0, 1}}, 1, 1, o).status().message(),
            "sweeps: must exceed burn_in >= 0, got sweeps 5, burn_in 5");
  EXPECT_EQ(BayesianMf::Train({}, 1, 1, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BayesianMf::Train({{0, 3, 1}}, 1, 1, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tailor
