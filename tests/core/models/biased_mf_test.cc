#include "core/models/biased_mf.h"

#include <limits>

#include "core/eval/metrics.h"
#include "core/models/bayesian_mf.h"
#include "gtest/gtest.h"
#include "tests/core/models/planted_ratings.h"

namespace tailor {
namespace {

TEST(BiasedMfTest, LearnsPlantedStructureFarBetterThanTheMean) {
  Planted d = MakePlanted(1);
  BiasedMfOptions o;
  o.factors = 8;
  o.epochs = 40;
  o.learning_rate = 0.01f;
  auto m = BiasedMf::Train(d.train, 300, 200, o);
  ASSERT_TRUE(m.ok()) << m.status();
  std::vector<double> pred, mean, truth;
  for (const Rating& r : d.test) {
    pred.push_back(m->Predict(r.user, r.item));
    mean.push_back(d.mean);
    truth.push_back(r.value);
  }
  const double rmse = Rmse(pred, truth), baseline = Rmse(mean, truth);
  EXPECT_LT(rmse, 0.6 * baseline) << rmse << " vs mean-only " << baseline;
  EXPECT_NEAR(m->global_mean(), d.mean, 1e-4);
}

TEST(BiasedMfTest, SvdPlusPlusLearnsPlantedStructure) {
  Planted d = MakePlanted(3);
  BiasedMfOptions o;
  o.implicit_feedback = true;
  o.factors = 8;
  o.epochs = 40;
  o.learning_rate = 0.01f;
  auto m = BiasedMf::Train(d.train, 300, 200, o);
  ASSERT_TRUE(m.ok()) << m.status();
  std::vector<double> pred, mean, truth;
  for (const Rating& r : d.test) {
    pred.push_back(m->Predict(r.user, r.item));
    mean.push_back(d.mean);
    truth.push_back(r.value);
  }
  const double rmse = Rmse(pred, truth), baseline = Rmse(mean, truth);
  EXPECT_LT(rmse, 0.6 * baseline) << rmse << " vs mean-only " << baseline;
}

TEST(BiasedMfTest, SvdPlusPlusDeterministicForASeed) {
  Planted d = MakePlanted(4);
  BiasedMfOptions o;
  o.implicit_feedback = true;
  o.factors = 4;
  o.epochs = 3;
  auto a = BiasedMf::Train(d.train, 300, 200, o);
  auto b = BiasedMf::Train(d.train, 300, 200, o);
  o.implicit_feedback = false;
  auto plain = BiasedMf::Train(d.train, 300, 200, o);
  ASSERT_TRUE(a.ok() && b.ok() && plain.ok());
  for (int u = 0; u < 20; ++u) EXPECT_EQ(a->Predict(u, 7), b->Predict(u, 7));
  EXPECT_NE(a->Predict(3, 4), plain->Predict(3, 4));
}

TEST(BiasedMfTest, DeterministicForASeed) {
  Planted d = MakePlanted(2);
  BiasedMfOptions o;
  o.factors = 4;
  o.epochs = 3;
  auto a = BiasedMf::Train(d.train, 300, 200, o);
  auto b = BiasedMf::Train(d.train, 300, 200, o);
  o.seed = 7;
  auto c = BiasedMf::Train(d.train, 300, 200, o);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->Predict(3, 4), b->Predict(3, 4));
  EXPECT_NE(a->Predict(3, 4), c->Predict(3, 4));
}

TEST(BiasedMfTest, UnknownIdsAndClipping) {
  std::vector<Rating> ratings = {{0, 0, 5}, {0, 1, 1}, {1, 0, 4}};
  BiasedMfOptions o;
  o.factors = 2;
  auto m = BiasedMf::Train(ratings, 2, 2, o);
  ASSERT_TRUE(m.ok());
  EXPECT_NEAR(m->Predict(-1, -1), 10.0 / 3, 1e-5);  // global mean
  for (int u = -1; u < 3; ++u) {
    for (int i = -1; i < 3; ++i) {
      EXPECT_GE(m->Predict(u, i), 1.0f);
      EXPECT_LE(m->Predict(u, i), 5.0f);
    }
  }
}

TEST(BiasedMfTest, BadInputsAreClearErrors) {
  BiasedMfOptions o;
  o.epochs = 0;
  EXPECT_EQ(BiasedMf::Train({{0, 0, 1}}, 1, 1, o).status().message(),
            "epochs: must be >= 1, got 0");
  EXPECT_EQ(BiasedMf::Train({}, 1, 1, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BiasedMf::Train({{5, 0, 1}}, 1, 1, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tailor

namespace tailor {
namespace {

// The rating models share one check of their ratings (CheckRatings).
TEST(BiasedMfTest, NonFiniteRatingsAreRejectedNamingTheRating) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const absl::Status s =
      BiasedMf::Train({{0, 0, 4}, {0, 0, nan}}, 1, 1, {}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "ratings[1]: value is not finite (nan)");
  EXPECT_EQ(
      BayesianMf::Train({{0, 0, 4}, {0, 0, nan}}, 1, 1, {}).status().message(),
      s.message());
}

}  // namespace
}  // namespace tailor
