// Logistic regression against closed-form solutions on tiny data, its
// optimality conditions with L2, recovery of a planted model; AUC, log-loss
// and calibration on hand-computed cases.
#include "core/models/logistic.h"

#include <cmath>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;

double Logit(double p) { return std::log(p / (1 - p)); }

TEST(LogisticTest, InterceptOnlyIsTheLogOddsOfTheMean) {
  const std::vector<int> y = {1, 0, 0, 1, 0, 0, 0, 1, 0, 0};  // 3 of 10
  auto m = LogisticModel::Fit(Eigen::MatrixXd(10, 0), y, {});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_NEAR(m->intercept(), Logit(0.3), 1e-9);
}

TEST(LogisticTest, OneBinaryFeatureGivesEachGroupsLogOdds) {
  // x = 0: 2 of 8 positive; x = 1: 6 of 8 positive. Unpenalised, the MLE
  // fits each group's rate exactly.
  Eigen::MatrixXd x(16, 1);
  std::vector<int> y;
  for (int i = 0; i < 16; ++i) {
    x(i, 0) = i < 8 ? 0 : 1;
    y.push_back(i < 8 ? (i < 2) : (i < 14));
  }
  for (bool standardize : {false, true}) {
    LogisticOptions o;
    o.l2 = 0;
    o.standardize = standardize;
    auto m = LogisticModel::Fit(x, y, o);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_NEAR(m->intercept(), Logit(0.25), 1e-8) << standardize;
    EXPECT_NEAR(m->weights()(0), Logit(0.75) - Logit(0.25), 1e-8);
    EXPECT_NEAR(m->Predict(Eigen::VectorXd::Ones(1)), 0.75, 1e-9);
  }
}

TEST(LogisticTest, PenalisedSolutionMeetsItsOptimalityConditions) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal;
  Eigen::MatrixXd x(200, 3);
  std::vector<int> y;
  for (int i = 0; i < 200; ++i) {
    for (int j = 0; j < 3; ++j) x(i, j) = normal(rng);
    y.push_back(x(i, 0) - 0.5 * x(i, 1) + normal(rng) > 0);
  }
  LogisticOptions o;
  o.l2 = 5;
  o.standardize = false;
  auto m = LogisticModel::Fit(x, y, o);
  ASSERT_TRUE(m.ok()) << m.status();
  // Gradient of the penalised log-likelihood vanishes: sum (p - y) = 0 for
  // the unpenalised intercept, X^T (p - y) + l2 w = 0 for the weights.
  const std::vector<double> p = m->PredictAll(x);
  Eigen::VectorXd residual(200);
  for (int i = 0; i < 200; ++i) residual(i) = p[i] - y[i];
  EXPECT_NEAR(residual.sum(), 0, 1e-8);
  const Eigen::VectorXd g = x.transpose() * residual + o.l2 * m->weights();
  EXPECT_LT(g.cwiseAbs().maxCoeff(), 1e-8);
  // And the penalty shrinks the weights.
  o.l2 = 0;
  auto free = LogisticModel::Fit(x, y, o);
  ASSERT_TRUE(free.ok());
  EXPECT_LT(m->weights().norm(), free->weights().norm());
}

TEST(LogisticTest, RecoversAPlantedModelAndRanksWell) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uni(0, 1);
  const int n = 20000;
  Eigen::MatrixXd x(n, 2);
  std::vector<int> y;
  for (int i = 0; i < n; ++i) {
    x(i, 0) = normal(rng);
    x(i, 1) = 100 + 30 * normal(rng);  // a raw, large-scale feature
    const double z = -1 + 1.5 * x(i, 0) + 0.02 * (x(i, 1) - 100);
    y.push_back(uni(rng) < 1 / (1 + std::exp(-z)));
  }
  LogisticOptions o;
  o.l2 = 1e-3;
  auto m = LogisticModel::Fit(x, y, o);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_NEAR(m->weights()(0), 1.5, 0.1);
  EXPECT_NEAR(m->weights()(1), 0.02, 0.003);
  EXPECT_NEAR(m->intercept(), -1 - 0.02 * 100, 0.3);
  const std::vector<double> p = m->PredictAll(x);
  EXPECT_GT(RocAuc(p, y), 0.8);
  // Calibrated: every well-filled bin's observed rate is near its mean
  // prediction.
  for (const CalibrationBin& b : CalibrationTable(p, y, 10)) {
    if (b.count < 500) continue;
    EXPECT_NEAR(b.observed_rate, b.mean_predicted, 0.03)
        << "bin " << b.low << ".." << b.high;
  }
}

TEST(LogisticTest, BadInputsAreClearErrors) {
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(3, 1);
  EXPECT_THAT(LogisticModel::Fit(x, {0, 1, 2}, {}).status().message(),
              HasSubstr("labels[2]: must be 0 or 1"));
  EXPECT_THAT(LogisticModel::Fit(x, {0, 1}, {}).status().message(),
              HasSubstr("2 labels for 3"));
  x(1, 0) = NAN;
  EXPECT_THAT(LogisticModel::Fit(x, {0, 1, 0}, {}).status().message(),
              HasSubstr("finite"));
  LogisticOptions o;
  o.l2 = -1;
  EXPECT_THAT(ValidateLogisticOptions(o).message(), HasSubstr("l2"));
}

TEST(ProbabilityMetricsTest, HandComputedCases) {
  EXPECT_DOUBLE_EQ(RocAuc({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(RocAuc({0.9, 0.8, 0.2, 0.1}, {0, 0, 1, 1}), 0.0);
  // Of the 4 (positive, negative) pairs, 3 are ordered right.
  EXPECT_DOUBLE_EQ(RocAuc({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}), 0.75);
  EXPECT_DOUBLE_EQ(RocAuc({0.5, 0.5, 0.5}, {0, 1, 0}), 0.5);  // all tied
  EXPECT_DOUBLE_EQ(RocAuc({0.3, 0.7}, {1, 1}), 0.5);          // no negative
  EXPECT_NEAR(LogLoss({0.5, 0.5}, {1, 0}), std::log(2.0), 1e-12);
  EXPECT_NEAR(LogLoss({0.9, 0.2}, {1, 0}), -(std::log(0.9) + std::log(0.8)) / 2,
              1e-12);
  EXPECT_LT(LogLoss({0.0}, {1}), 40);  // clipped, not infinite
  const auto table =
      CalibrationTable({0.05, 0.15, 0.12, 0.95}, {0, 1, 0, 1}, 10);
  ASSERT_EQ(table.size(), 10u);
  EXPECT_EQ(table[0].count, 1);
  EXPECT_EQ(table[1].count, 2);
  EXPECT_NEAR(table[1].mean_predicted, 0.135, 1e-12);
  EXPECT_DOUBLE_EQ(table[1].observed_rate, 0.5);
  EXPECT_EQ(table[9].count, 1);
  EXPECT_DOUBLE_EQ(table[9].observed_rate, 1.0);
}

}  // namespace
}  // namespace tailor
