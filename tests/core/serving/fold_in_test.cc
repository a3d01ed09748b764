#include "core/serving/fold_in.h"

#include <Eigen/Cholesky>
#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"
#include "core/models/als.h"
#include "gtest/gtest.h"

namespace tailor {
namespace {

Event E(const std::string& user, const std::string& item, EventType type,
        double value = 1.0) {
  return Event{user, item, type, 1700000000, value};
}

// Adding live events to the aggregate training saw gives exactly what the
// trainer's InteractionBuilder computes from all the events together,
// returns and ratings included.
TEST(OnlineTest, TrainingAggregatePlusLiveEventsEqualsAggregatingEverything) {
  const EventWeights weights;
  const std::vector<Event> old_events = {
      E("u", "A", EventType::kView), E("u", "A", EventType::kPurchase),
      E("u", "C", EventType::kClick), E("u", "D", EventType::kRating, 4.0),
      E("v", "B", EventType::kView)};
  const std::vector<Event> new_events = {
      E("u", "A", EventType::kReturn),   E("u", "B", EventType::kPurchase),
      E("u", "B", EventType::kPurchase), E("u", "C", EventType::kAddToCart),
      E("u", "E", EventType::kReturn),   E("u", "D", EventType::kRating, 2.0)};

  auto build = [&](bool with_new) {
    InteractionBuilder b(weights);
    for (const char* item : {"A", "B", "C", "D", "E"}) b.AddItem(item);
    for (const Event& e : old_events) b.Add(e);
    if (with_new) {
      for (const Event& e : new_events) b.Add(e);
    }
    return std::move(b).Build();
  };
  const InteractionMatrix before = build(false);
  const InteractionMatrix after = build(true);
  const int32_t u = *before.users.Find("u");

  std::vector<ItemActivity> activity;
  for (int64_t p = before.row_ptr[u]; p < before.row_ptr[u + 1]; ++p) {
    activity.push_back({before.item[p], before.weight_sum[p],
                        before.net_purchases[p],
                        static_cast<uint8_t>(before.flags[p] & kTypeFlags)});
  }
  std::vector<std::pair<int32_t, EventContribution>> live;
  for (const Event& e : new_events) {
    live.emplace_back(*before.items.Find(e.item_id),
                      ContributionOf(e, weights));
  }
  AddContributions(live, &activity);

  std::vector<ItemActivity> expected;
  for (int64_t p = after.row_ptr[u]; p < after.row_ptr[u + 1]; ++p) {
    expected.push_back({after.item[p], after.weight_sum[p],
                        after.net_purchases[p],
                        static_cast<uint8_t>(after.flags[p] & kTypeFlags)});
    EXPECT_EQ(after.weight[p], expected.back().weight());
    EXPECT_EQ((after.flags[p] & kPurchased) != 0, expected.back().purchased());
  }
  EXPECT_EQ(activity, expected);
  // A bought then returned: no longer purchased; B bought twice.
  EXPECT_FALSE(activity[0].purchased());
  EXPECT_EQ(activity[1].net_purchases, 2);
  // E was only returned: a negative sum, weight 0.
  EXPECT_LT(activity[4].weight_sum, 0);
  EXPECT_EQ(activity[4].weight(), 0);
}

// The fold-in is the implicit-ALS update for one user with training's
// frequency-scaled regularization: solved here densely in double precision
// from the definition.
TEST(OnlineTest, FoldInEqualsTheFullAlsUserSolveOnTheSameData) {
  std::mt19937_64 rng(23);
  std::normal_distribution<float> normal(0, 0.4f);
  const int items = 40, k = 6;
  RowMatrix y(items, k);
  for (Eigen::Index i = 0; i < y.size(); ++i) y.data()[i] = normal(rng);
  OnlineParams params;
  params.fold_in = true;
  params.alpha = 0.5f;
  params.regularization = 3.0f;
  params.frequency_scaling = 0.5f;
  params.mean_row_mass = items + 9.0;
  const FoldIn fold_in(&y, params);

  const std::vector<ItemActivity> activity = {
      {2, 8.0f, 1}, {7, 1.0f, 0}, {11, -6.0f, -1}, {19, 3.0f, 0}, {30, 0, 0}};
  double mass = items;
  for (const ItemActivity& a : activity) mass += params.alpha * a.weight();
  const double reg =
      params.regularization * std::pow(mass / params.mean_row_mass, 0.5);
  Eigen::MatrixXd a = y.cast<double>().transpose() * y.cast<double>();
  Eigen::VectorXd b = Eigen::VectorXd::Zero(k);
  for (const ItemActivity& act : activity) {
    if (act.weight() <= 0) continue;  // p = 0, c = 1: as unobserved
    const Eigen::VectorXd yj = y.row(act.item).cast<double>().transpose();
    const double c = 1.0 + params.alpha * act.weight();
    a += (c - 1.0) * yj * yj.transpose();
    b += c * yj;
  }
  a += reg * Eigen::MatrixXd::Identity(k, k);
  const Eigen::VectorXd expected = a.ldlt().solve(b);
  const Vector x = fold_in.Solve(activity);
  ASSERT_EQ(x.size(), k);
  for (int f = 0; f < k; ++f) EXPECT_NEAR(x(f), expected(f), 1e-5) << f;

  // Nothing positive: no vector. Disabled: no vector.
  EXPECT_TRUE(fold_in.Solve({{11, -6.0f, -1}}).isZero(0));
  OnlineParams off = params;
  off.fold_in = false;
  EXPECT_TRUE(FoldIn(&y, off).Solve(activity).isZero(0));
}

// With the trainer's mean mass, folding in a training user's own row
// reproduces the regularization ALS gave that row.
TEST(OnlineTest, MeanRowMassReproducesTrainingsRowRegularization) {
  InteractionBuilder b;
  std::mt19937_64 rng(5);
  for (int u = 0; u < 30; ++u) {
    for (int n = 0; n < 1 + u % 7; ++n) {
      b.Add(E(absl::StrCat("u", u), absl::StrCat("i", rng() % 20),
              static_cast<EventType>(rng() % 4)));
    }
  }
  const InteractionMatrix m = std::move(b).Build();
  AlsOptions o;
  o.alpha = 0.7f;
  o.regularization = 2.0f;
  o.frequency_scaling = 0.8f;
  const std::vector<float> reg =
      RowRegularization(m.row_ptr, m.weight, m.num_items(), o);
  const double mean = MeanRowMass(m.row_ptr, m.weight, m.num_items(), o.alpha);
  // The definition, computed here on its own: a row's mass is the number
  // of items plus alpha times its positive weights; its regularization is
  // reg * (mass / mean mass)^frequency_scaling.
  std::vector<double> mass(m.num_users(), m.num_items());
  double total = 0;
  for (int32_t u = 0; u < m.num_users(); ++u) {
    for (int64_t p = m.row_ptr[u]; p < m.row_ptr[u + 1]; ++p) {
      if (m.weight[p] > 0) mass[u] += double{o.alpha} * m.weight[p];
    }
    total += mass[u];
  }
  const double expected_mean = total / m.num_users();
  EXPECT_NEAR(mean, expected_mean, 1e-9 * expected_mean);
  for (int32_t u = 0; u < m.num_users(); ++u) {
    const double expected =
        o.regularization * std::pow(mass[u] / expected_mean, 0.8);
    EXPECT_NEAR(reg[u], expected, 1e-5 * expected) << u;
    const int64_t begin = m.row_ptr[u], n = m.row_ptr[u + 1] - begin;
    EXPECT_EQ(ScaledRegularization(
                  RowMass(m.weight.data() + begin, n, m.num_items(), o.alpha),
                  mean, o.regularization, o.frequency_scaling),
              reg[u]);
  }
}

}  // namespace
}  // namespace tailor
