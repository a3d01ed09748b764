// Segment features (block scaling, sizes) and cluster descriptors.
#include "core/analytics/segment_features.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;

UserProfile Profile(const char* category, double gross, double return_rate,
                    const char* band) {
  UserProfile p;
  p.orders = 2;
  p.gross = gross;
  p.return_rate = return_rate;
  p.recency_days = 10;
  p.average_order_value = gross / 2;
  p.categories = {{category, 0.9f}, {"accessories", 0.1f}};
  p.price_bands = {{band, 1.0f}};
  return p;
}

TEST(SegmentsTest, FeaturesScaleEveryBlockToItsWeight) {
  std::vector<UserProfile> profiles;
  std::vector<std::vector<float>> shares;
  RowMatrix embeddings(40, 3);
  for (int u = 0; u < 40; ++u) {
    profiles.push_back(Profile(u % 2 ? "tops" : "outerwear", 10.0 * (u + 1),
                               0.01 * u, "mid-range"));
    shares.push_back({u % 2 ? 1.0f : 0.0f, u % 2 ? 0.0f : 1.0f});
    embeddings.row(u) << 10.0f * (u + 1), 0, 0;  // unit length after scaling
  }
  SegmentFeatureOptions o;
  o.behaviour = 0.5f;
  o.shares = 2.0f;
  o.embedding = 1.0f;
  auto x = SegmentFeatures(profiles, shares, embeddings, o);
  ASSERT_TRUE(x.ok()) << x.status();
  ASSERT_EQ(x->rows(), 40);
  ASSERT_EQ(x->cols(), 5 + 2 + 3);
  auto mean_sq = [&](int first, int width) {
    return x->middleCols(first, width).squaredNorm() / 40.0;
  };
  EXPECT_NEAR(mean_sq(0, 5), 0.25, 1e-4);
  EXPECT_NEAR(mean_sq(5, 2), 4.0, 1e-4);
  EXPECT_NEAR(mean_sq(7, 3), 1.0, 1e-4);
  // Without embeddings the block is left out.
  auto no_embedding = SegmentFeatures(profiles, shares, RowMatrix(), o);
  ASSERT_TRUE(no_embedding.ok());
  EXPECT_EQ(no_embedding->cols(), 7);
  shares.pop_back();
  EXPECT_THAT(
      SegmentFeatures(profiles, shares, embeddings, o).status().message(),
      HasSubstr("must agree"));
}

TEST(SegmentsTest, DescriptorsNameCategoriesPriceSpendAndReturns) {
  std::vector<UserProfile> profiles;
  std::vector<int32_t> assignment;
  for (int u = 0; u < 30; ++u) {
    // Cluster 0: outerwear, premium, big spenders who keep what they buy.
    profiles.push_back(Profile("outerwear", 900 + u, 0.0, "premium"));
    assignment.push_back(0);
    // Cluster 1: tops, budget, small baskets, many returns.
    profiles.push_back(Profile("tops", 20 + u, 0.4, "budget"));
    assignment.push_back(1);
    // Cluster 2: shoes, mid everything.
    profiles.push_back(Profile("shoes", 300 + u, 0.1, "mid-range"));
    assignment.push_back(2);
  }
  const auto d = DescribeClusters(profiles, assignment, 4);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0], "outerwear, premium, high spend, low returns");
  EXPECT_EQ(d[1], "tops, budget, low spend, high returns");
  EXPECT_EQ(d[2], "shoes, mid-range, mid spend");
  EXPECT_EQ(d[3], "empty");
}

TEST(SegmentsTest, RefinementPlacesThinShoppersByTheirItems) {
  // Items a0..a9 belong to taste A, b0..b9 to taste B. Shoppers "A*" and
  // "B*" view five items of their taste; "thin" viewed one A item but
  // K-Means put it with B; "rich" views all A items and is right already.
  InteractionBuilder builder;
  std::vector<std::string> users;
  auto view = [&](const std::string& user, const std::string& item) {
    builder.Add(Event{user, item, EventType::kView, 1700000000, 1});
  };
  for (int u = 0; u < 20; ++u) {
    for (int j = 0; j < 5; ++j) {
      view(absl::StrCat("A", u), absl::StrCat("a", (u + j) % 10));
      view(absl::StrCat("B", u), absl::StrCat("b", (u + j) % 10));
    }
  }
  view("thin", "a3");
  for (int j = 0; j < 10; ++j) view("rich", absl::StrCat("a", j));
  const InteractionMatrix m = std::move(builder).Build();
  std::vector<int32_t> rows, assignment;
  for (int u = 0; u < 20; ++u) {
    rows.push_back(*m.users.Find(absl::StrCat("A", u)));
    assignment.push_back(0);
    rows.push_back(*m.users.Find(absl::StrCat("B", u)));
    assignment.push_back(1);
  }
  rows.push_back(*m.users.Find("thin"));
  assignment.push_back(1);  // wrong
  rows.push_back(*m.users.Find("rich"));
  assignment.push_back(0);
  rows.push_back(-1);  // a profiled user without interactions
  assignment.push_back(1);

  ClusterRefineOptions o;
  o.smoothing = 5;
  const std::vector<int64_t> moved =
      RefineClustersByItems(m, rows, 2, o, &assignment);
  EXPECT_EQ(moved, (std::vector<int64_t>{1, 0}));  // then nothing moves
  EXPECT_EQ(assignment[40], 0);                    // thin joins taste A
  EXPECT_EQ(assignment[41], 0);
  EXPECT_EQ(assignment[42], 1);  // no interactions: unchanged
  for (int u = 0; u < 20; ++u) {
    EXPECT_EQ(assignment[2 * u], 0);
    EXPECT_EQ(assignment[2 * u + 1], 1);
  }
  o.iterations = 0;
  assignment[40] = 1;
  EXPECT_TRUE(RefineClustersByItems(m, rows, 2, o, &assignment).empty());
  EXPECT_EQ(assignment[40], 1);
}

}  // namespace
}  // namespace tailor
