#include "core/models/als.h"

#include <Eigen/Cholesky>
#include <random>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "core/models/popularity.h"
#include "core/serving/recommender.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/models/planted_interactions.h"

namespace tailor {
namespace {

std::shared_ptr<Model> ToModel(const InteractionMatrix& m,
                               const AlsFactors& f) {
  auto model = std::make_shared<Model>();
  model->users = m.users;
  model->items = m.items;
  model->user_factors = f.user_factors;
  model->item_factors = f.item_factors;
  model->popularity = ComputePopularity(m);
  return model;
}

// Mean recall@k of held-out items, excluding each user's training items.
double RecallAtK(const Planted& p, const Recommender& rec, bool personalised,
                 int k) {
  double sum = 0;
  for (int32_t u = 0; u < p.train.num_users(); ++u) {
    ItemSet seen(p.train.num_items());
    for (int64_t q = p.train.row_ptr[u]; q < p.train.row_ptr[u + 1]; ++q) {
      seen.Insert(p.train.item[q]);
    }
    RecommendResult r = rec.Recommend(
        personalised ? std::optional<int32_t>(u) : std::nullopt, k, &seen);
    int hits = 0;
    for (const auto& item : r.items) hits += p.test[u].count(item.item);
    sum += static_cast<double>(hits) / p.test[u].size();
  }
  return sum / p.train.num_users();
}

TEST(AlsTest, RecoversPlantedStructureFarAbovePopularity) {
  Planted p = MakePlanted(/*users=*/400, /*groups=*/5, /*per_group=*/40,
                          /*per_user=*/16, /*held_out=*/4, /*seed=*/1);
  AlsOptions options;
  options.factors = 16;
  options.iterations = 10;
  options.regularization = 0.1f;
  options.alpha = 5.0f;
  auto f = TrainImplicitAls(p.train, options);
  ASSERT_TRUE(f.ok()) << f.status();
  const std::unique_ptr<Recommender> rec =
      *Recommender::Create(ToModel(p.train, *f));
  const double als = RecallAtK(p, *rec, true, 10);
  const double pop = RecallAtK(p, *rec, false, 10);
  // A random in-group guess would get ~10/36 = 0.28 of held-out items;
  // popularity mostly recommends other groups' items.
  EXPECT_GT(als, 0.25) << "popularity " << pop;
  EXPECT_GT(als, 2.5 * pop) << "als " << als << " popularity " << pop;
}

class AlsLossTest
    : public ::testing::TestWithParam<std::tuple<AlsOptions::Solver, float>> {};

TEST_P(AlsLossTest, LossDecreasesEveryIteration) {
  Planted p = MakePlanted(300, 4, 30, 12, 2, 2);
  AlsOptions options;
  options.factors = 12;
  options.iterations = 12;
  options.regularization = 30;  // the defaults suit the demo store, not this
  options.alpha = 2;
  options.solver = std::get<0>(GetParam());
  options.frequency_scaling = std::get<1>(GetParam());
  auto f = TrainImplicitAls(p.train, options);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_EQ(f->history.size(), 12u);
  for (size_t i = 1; i < f->history.size(); ++i) {
    EXPECT_LE(f->history[i].loss, f->history[i - 1].loss * (1 + 1e-6))
        << "iteration " << i + 1;
  }
  EXPECT_LT(f->history.back().loss, 0.9 * f->history.front().loss);
  // The reported loss is the objective of the returned factors.
  EXPECT_NEAR(
      f->history.back().loss,
      ImplicitAlsLoss(p.train, f->user_factors, f->item_factors, options),
      1e-6 * f->history.back().loss);
}

INSTANTIATE_TEST_SUITE_P(
    Solvers, AlsLossTest,
    ::testing::Combine(
        ::testing::Values(AlsOptions::Solver::kCholesky,
                          AlsOptions::Solver::kConjugateGradient),
        ::testing::Values(0.0f, 1.0f)));

TEST(AlsTest, LossMatchesTheDefinitionOnATinyCase) {
  // Two users, two items, one factor; compute the objective by hand.
  InteractionBuilder b;
  b.Add({"u0", "i0", EventType::kView, 0, 1});
  b.Add({"u1", "i1", EventType::kPurchase, 0, 1});
  InteractionMatrix m = std::move(b).Build();
  RowMatrix x(2, 1), y(2, 1);
  x << 0.5f, -1.0f;
  y << 2.0f, 0.25f;
  const float reg = 0.1f, alpha = 2.0f;
  // c(u0,i0) = 1 + 2*1 = 3, c(u1,i1) = 1 + 2*8 = 17; others c=1, p=0.
  double expected =
      3 * std::pow(1 - 0.5 * 2.0, 2) + 1 * std::pow(0 - 0.5 * 0.25, 2) +
      1 * std::pow(0 - (-1.0) * 2.0, 2) + 17 * std::pow(1 - (-1.0) * 0.25, 2) +
      reg * (0.25 + 1.0 + 4.0 + 0.0625);
  AlsOptions options;
  options.regularization = reg;
  options.alpha = alpha;
  options.threads = 1;
  EXPECT_NEAR(ImplicitAlsLoss(m, x, y, options), expected, 1e-5);

  // Frequency-scaled: row masses are 2 columns + alpha * weight: users
  // 4 and 18, items 4 and 18 (mean 11), so each penalty scales by mass/11.
  options.frequency_scaling = 1.0f;
  const double scaled =
      expected - reg * (0.25 + 1.0 + 4.0 + 0.0625) +
      reg * (0.25 * 4 / 11 + 1.0 * 18 / 11 + 4.0 * 4 / 11 + 0.0625 * 18 / 11);
  EXPECT_NEAR(ImplicitAlsLoss(m, x, y, options), scaled, 1e-5);
}

TEST(AlsTest, FrequencyScaledRegularizationPerRow) {
  AlsOptions options;
  options.regularization = 2.0f;
  options.alpha = 1.0f;
  // Rows with positive weight sums 0, 2 and 4 over 6 columns: masses 6, 8
  // and 10 (mean 8).
  const std::vector<int64_t> row_ptr = {0, 1, 2, 4};
  const std::vector<float> weights = {0.0f, 2.0f, 1.0f, 3.0f};
  EXPECT_EQ(RowRegularization(row_ptr, weights, 6, options),
            (std::vector<float>{2.0f, 2.0f, 2.0f}));
  options.frequency_scaling = 1.0f;
  const std::vector<float> reg =
      RowRegularization(row_ptr, weights, 6, options);
  EXPECT_FLOAT_EQ(reg[0], 2.0f * 6 / 8);
  EXPECT_FLOAT_EQ(reg[1], 2.0f);
  EXPECT_FLOAT_EQ(reg[2], 2.0f * 10 / 8);
  options.frequency_scaling = 3.0f;
  EXPECT_THAT(ValidateAlsOptions(options).message(),
              ::testing::HasSubstr("frequency_scaling"));
}

TEST(AlsTest, FactorsDoNotDependOnTheThreadCount) {
  Planted p = MakePlanted(200, 4, 25, 10, 2, 3);
  AlsOptions options;
  options.factors = 8;
  options.iterations = 4;
  options.threads = 1;
  auto one = TrainImplicitAls(p.train, options);
  options.threads = 2;
  auto two = TrainImplicitAls(p.train, options);
  ASSERT_TRUE(one.ok() && two.ok());
  EXPECT_EQ(one->user_factors, two->user_factors);
  EXPECT_EQ(one->item_factors, two->item_factors);
}

TEST(AlsTest, ConjugateGradientApproachesTheExactSolve) {
  Planted p = MakePlanted(200, 4, 25, 10, 2, 4);
  AlsOptions exact;
  exact.factors = 8;
  exact.iterations = 8;
  exact.solver = AlsOptions::Solver::kCholesky;
  AlsOptions cg = exact;
  cg.solver = AlsOptions::Solver::kConjugateGradient;
  cg.cg_steps = 3;
  auto a = TrainImplicitAls(p.train, exact);
  auto b = TrainImplicitAls(p.train, cg);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NEAR(b->history.back().loss, a->history.back().loss,
              0.02 * a->history.back().loss);
}

// Folding a user in against fixed item factors (what the server does for a
// shopper's new events) is exactly the ALS least-squares update for that
// user: x = (Y^T C Y + reg I)^-1 Y^T C p, with c_j = 1 + alpha w_j and
// p_j = [w_j > 0], here solved densely in double precision.
TEST(AlsTest, FoldInEqualsTheClosedFormUserSolve) {
  std::mt19937_64 rng(17);
  std::normal_distribution<float> normal(0, 0.5f);
  const int items = 12, k = 4;
  RowMatrix y(items, k);
  for (Eigen::Index i = 0; i < y.size(); ++i) y.data()[i] = normal(rng);
  const Eigen::MatrixXf gram = y.transpose() * y;
  const std::vector<int32_t> cols = {1, 5, 9};
  const std::vector<float> weights = {1.0f, 8.0f, 3.0f};
  AlsOptions o;
  o.factors = k;
  o.regularization = 0.5f;
  o.alpha = 2.0f;

  Eigen::MatrixXd a = y.cast<double>().transpose() * y.cast<double>();
  Eigen::VectorXd b = Eigen::VectorXd::Zero(k);
  for (size_t n = 0; n < cols.size(); ++n) {
    const Eigen::VectorXd yj = y.row(cols[n]).cast<double>().transpose();
    const double c = 1.0 + o.alpha * weights[n];
    a += (c - 1.0) * yj * yj.transpose();
    b += c * yj;  // p_j = 1
  }
  a += o.regularization * Eigen::MatrixXd::Identity(k, k);
  const Eigen::VectorXd expected = a.ldlt().solve(b);

  o.solver = AlsOptions::Solver::kCholesky;
  Vector exact = Vector::Zero(k);
  SolveImplicitRow(y, gram, cols.data(), weights.data(), 3,
                   RowSolveOptionsOf(o), exact);
  for (int f = 0; f < k; ++f) EXPECT_NEAR(exact(f), expected(f), 1e-5);

  // Conjugate gradient from zero with k steps is exact in exact
  // arithmetic for a k x k system.
  o.solver = AlsOptions::Solver::kConjugateGradient;
  o.cg_steps = k;
  Vector cg = Vector::Zero(k);
  SolveImplicitRow(y, gram, cols.data(), weights.data(), 3,
                   RowSolveOptionsOf(o), cg);
  for (int f = 0; f < k; ++f) EXPECT_NEAR(cg(f), expected(f), 1e-3);
}

TEST(AlsTest, RejectsBadOptionsNamingTheOption) {
  InteractionBuilder b;
  b.Add({"u", "i", EventType::kView, 0, 1});
  InteractionMatrix m = std::move(b).Build();
  AlsOptions o;
  o.factors = 0;
  EXPECT_EQ(TrainImplicitAls(m, o).status().message(),
            "factors: must be in 1..1024, got 0");
  o = AlsOptions();
  o.regularization = -1;
  EXPECT_EQ(TrainImplicitAls(m, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = AlsOptions();
  o.alpha = 0;
  EXPECT_EQ(TrainImplicitAls(m, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TrainImplicitAls(InteractionMatrix(), AlsOptions()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(InteractionBuilderTest, AggregatesWeightsAndPurchaseFlags) {
  InteractionBuilder b;
  b.AddItem("catalog-only");
  b.Add({"u", "a", EventType::kView, 0, 1});
  b.Add({"u", "a", EventType::kPurchase, 0, 1});
  b.Add({"u", "b", EventType::kPurchase, 0, 1});
  b.Add({"u", "b", EventType::kReturn, 0, 1});
  b.Add({"v", "b", EventType::kRating, 0, 4});
  InteractionMatrix m = std::move(b).Build();
  ASSERT_EQ(m.num_users(), 2);
  ASSERT_EQ(m.num_items(), 3);
  EXPECT_EQ(m.items.id(0), "catalog-only");
  ASSERT_EQ(m.row_ptr, (std::vector<int64_t>{0, 2, 3}));
  EXPECT_EQ(m.weight[0], 9.0f);  // view 1 + purchase 8
  EXPECT_EQ(m.flags[0], kInteracted | kPurchased | TypeFlag(EventType::kView) |
                            TypeFlag(EventType::kPurchase));
  EXPECT_EQ(m.weight[1], 2.0f);  // purchase 8 + return -6
  // Returned: no longer purchased; both types seen.
  EXPECT_EQ(m.flags[1], kInteracted | TypeFlag(EventType::kPurchase) |
                            TypeFlag(EventType::kReturn));
  EXPECT_EQ(m.weight[2], 4.0f);  // rating 1 * 4
  EXPECT_EQ(m.flags[2], kInteracted | TypeFlag(EventType::kRating));
  // Under the default rule (purchases net of returns, ratings) a and the
  // rated b are had; the returned b is not; carts alone only when named.
  EXPECT_TRUE(
      IsConsumed(m.flags[0], m.net_purchases[0], kDefaultConsumedTypes));
  EXPECT_FALSE(
      IsConsumed(m.flags[1], m.net_purchases[1], kDefaultConsumedTypes));
  EXPECT_TRUE(
      IsConsumed(m.flags[2], m.net_purchases[2], kDefaultConsumedTypes));
  EXPECT_FALSE(IsConsumed(m.flags[2], m.net_purchases[2],
                          TypeFlag(EventType::kPurchase)));
  EXPECT_FALSE(IsConsumed(m.flags[0], m.net_purchases[0],
                          TypeFlag(EventType::kAddToCart)));
  EXPECT_TRUE(
      IsConsumed(m.flags[0], m.net_purchases[0], TypeFlag(EventType::kView)));
  std::vector<float> pop = ComputePopularity(m);
  EXPECT_EQ(pop, (std::vector<float>{0, 2, 2}));
}

TEST(InteractionBuilderTest, ConsumptionRulesParseAndName) {
  EXPECT_EQ(*ParseConsumedTypes("purchase,rating"), kDefaultConsumedTypes);
  EXPECT_EQ(ConsumedTypesName(kDefaultConsumedTypes), "purchase,rating");
  auto wide = ParseConsumedTypes(" add_to_cart , purchase ");
  ASSERT_TRUE(wide.ok()) << wide.status();
  EXPECT_EQ(ConsumedTypesName(*wide), "add_to_cart,purchase");
  EXPECT_EQ(*ParseConsumedTypes(""), 0);
  EXPECT_EQ(ParseConsumedTypes("purchase,return").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(ParseConsumedTypes("buy").status().message()),
              ::testing::HasSubstr("'buy'"));
}

}  // namespace
}  // namespace tailor
