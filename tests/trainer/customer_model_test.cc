// The customer part of a snapshot: every profiled user gets a record, the
// scores are probabilities where they apply, shoppers who lapsed score
// lower than those still active, and each cluster's cold-start list is its
// members' favourites.
#include "trainer/customer_model.h"

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base/interactions.h"
#include "core/models/popularity.h"
#include "core/models/scorer.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "tools/datagen/store_generator.h"
#include "trainer/evaluation.h"
#include "trainer/tuning.h"

namespace tailor {
namespace {

using testing::TempDir;

TEST(ClusterPopularItemsTest, PurchasesWeighFourTimesAViewPerMember) {
  // Users 0 and 1 in cluster 0, user 2 in cluster 1, user 3 unclustered.
  TrainingHistory h;
  h.row_ptr = {0, 2, 4, 5, 6};
  h.item = {0, 1, 1, 2, 2, 3};
  h.flags = {kInteracted | kPurchased,
             kInteracted,
             kInteracted,
             kInteracted,
             kInteracted,
             kInteracted | kPurchased};
  const auto lists = ClusterPopularItems(h, {0, 0, 1, -1}, 2, 4, 10);
  ASSERT_EQ(lists.size(), 2u);
  // Cluster 0: item 0 = 4, item 1 = 1 + 1, item 2 = 1.
  EXPECT_EQ(lists[0], (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(lists[1], (std::vector<int32_t>{2}));
  EXPECT_EQ(ClusterPopularItems(h, {0, 0, 1, -1}, 2, 4, 1)[0],
            (std::vector<int32_t>{0}));
}

TEST(CustomerModelTest, EveryShopperGetsARecordAndScoresTrackTheLifecycle) {
  TempDir dir;
  StoreConfig store;
  store.users = 1500;
  store.items = 300;
  store.events = 90000;
  store.seed = 11;
  ASSERT_TRUE(GenerateStore(store, dir.path()).ok());
  TrainingInput input;
  input.event_files = {dir.Join("events.csv")};
  input.catalog_file = dir.Join("catalog.csv");
  TrainingOptions training;
  training.als.factors = 16;
  training.als.iterations = 5;
  auto trained = RunTraining(input, training);
  ASSERT_TRUE(trained.ok()) << trained.status();
  Snapshot& snapshot = trained->snapshot;

  CustomerModelOptions options;
  options.segmentation.k = 4;
  options.popular_items_per_cluster = 20;
  // The validation split tuning would score on (the same load of the same
  // files indexes users and items as the training did).
  auto loaded = LoadInteractions(input);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const InteractionSplit split = ValidationSplit(loaded->interactions);
  options.validation = &split;
  ASSERT_TRUE(AddCustomerSegments(input, options, &snapshot).ok());
  // The segment-popularity strategy scored on it, beating popularity on
  // the generator's planted tastes.
  const StaticScorer popular(ComputePopularity(split.train));
  const double popularity =
      ScoreRankings(popular, split.train, split.test, 10).Mean().ndcg;
  double segment_popularity = -1;
  for (const auto& [key, value] : snapshot.info) {
    if (key == "validation_segment_popularity_ndcg@10") {
      ASSERT_TRUE(absl::SimpleAtod(value, &segment_popularity)) << value;
    }
  }
  EXPECT_GT(segment_popularity, popularity);
  ASSERT_TRUE(snapshot.Validate().ok()) << snapshot.Validate();
  const CustomerSegments& seg = snapshot.segments;
  ASSERT_EQ(seg.users.size(), 1500);
  ASSERT_EQ(seg.clusters.size(), 4u);
  for (const ClusterInfo& c : seg.clusters) {
    EXPECT_EQ(c.popular_items.size(), 20u);
    EXPECT_FALSE(c.descriptor.empty());
  }

  // Read each shopper's planted last active day.
  std::ifstream users(dir.Join("users.csv"));
  std::string line;
  std::getline(users, line);
  std::map<std::string, int> last_day;
  while (std::getline(users, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ',');
    last_day[f[0]] = std::stoi(f[6]);
  }
  double lapsed_sum = 0, active_sum = 0;
  int lapsed = 0, active = 0;
  for (int32_t u = 0; u < seg.users.size(); ++u) {
    const CustomerRecord& r = seg.records[u];
    EXPECT_GE(r.cluster, 0);
    ASSERT_FALSE(std::isnan(r.purchase_propensity));
    EXPECT_GE(r.purchase_propensity, 0.0f);
    EXPECT_LE(r.purchase_propensity, 1.0f);
    // Churn risk exactly for customers; RFM exactly for users with an
    // order or a return.
    EXPECT_EQ(std::isnan(r.churn_risk), r.profile.orders == 0);
    EXPECT_EQ(r.rfm.has_value(),
              r.profile.orders > 0 || r.profile.returned > 0);
    const int last = last_day.at(seg.users.id(u));
    if (last < store.days - 90) {
      lapsed_sum += r.purchase_propensity;
      ++lapsed;
    } else if (last == store.days - 1) {
      active_sum += r.purchase_propensity;
      ++active;
    }
  }
  ASSERT_GT(lapsed, 100);
  ASSERT_GT(active, 100);
  EXPECT_GT(active_sum / active, 2 * (lapsed_sum / lapsed));

  bool has_auc = false;
  for (const auto& [k, v] : snapshot.info)
    has_auc |= k == "propensity_test_auc";
  EXPECT_TRUE(has_auc);
}

TEST(CustomerModelTest, TooShortAHistoryLeavesScoresOutButKeepsSegments) {
  TempDir dir;
  testing::WriteTextFile(
      dir.Join("catalog.csv"),
      "item_id,title,category,brand,color,price,sizes,in_stock\n"
      "A,Tee,tops,Basico,white,10,M,true\n"
      "B,Coat,outerwear,Halden,camel,150,M,true\n");
  std::string events = "user_id,item_id,event_type,timestamp\n";
  for (int u = 0; u < 40; ++u) {
    absl::StrAppend(&events, "u", u, u % 2 ? ",A" : ",B", ",purchase,",
                    1735689600 + u * 3600, "\n");
  }
  testing::WriteTextFile(dir.Join("events.csv"), events);
  TrainingInput input;
  input.event_files = {dir.Join("events.csv")};
  input.catalog_file = dir.Join("catalog.csv");
  TrainingOptions training;
  training.als.factors = 4;
  auto trained = RunTraining(input, training);
  ASSERT_TRUE(trained.ok()) << trained.status();
  CustomerModelOptions options;
  options.segmentation.k = 2;
  ASSERT_TRUE(AddCustomerSegments(input, options, &trained->snapshot).ok());
  const CustomerSegments& seg = trained->snapshot.segments;
  ASSERT_EQ(seg.users.size(), 40);
  for (const CustomerRecord& r : seg.records) {
    EXPECT_TRUE(std::isnan(r.purchase_propensity));
    EXPECT_TRUE(r.rfm.has_value());
  }
}

}  // namespace
}  // namespace tailor
