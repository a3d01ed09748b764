// Propensity and churn models with time cut-offs: features never see the
// label window, weekly buyers are told apart from lapsed ones, and the
// reports carry the windows, sizes and rates.
#include "trainer/propensity.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;
using testing::WriteTextFile;

constexpr int64_t kDay = 86400;
constexpr int64_t kStart = 1735689600;  // 2025-01-01

// 400 days of history. "w*" buy every week until the end; "l*" bought
// weekly for the first 200 days, then only browse now and then; "late"
// appears only in the last 10 days.
void WriteStore(const TempDir& dir) {
  WriteTextFile(dir.Join("catalog.csv"),
                "item_id,title,category,brand,color,price,sizes,in_stock\n"
                "A,Tee,tops,Basico,white,10,M,true\n"
                "B,Coat,outerwear,Halden,camel,150,M,true\n");
  std::string events = "user_id,item_id,event_type,timestamp\n";
  for (int u = 0; u < 60; ++u) {
    for (int d = u % 7; d < 400; d += 7) {
      absl::StrAppend(&events, "w", u, ",A,purchase,", kStart + d * kDay, "\n");
      if (d < 200) {
        absl::StrAppend(&events, "l", u, ",B,purchase,", kStart + d * kDay,
                        "\n");
      } else if (d % 28 == u % 7) {
        absl::StrAppend(&events, "l", u, ",B,view,", kStart + d * kDay, "\n");
      }
    }
  }
  absl::StrAppend(&events, "late,A,purchase,", kStart + 395 * kDay, "\n");
  WriteTextFile(dir.Join("events.csv"), events);
}

TEST(PropensityTest, LaterWindowScoresAndNoLeakage) {
  TempDir dir;
  WriteStore(dir);
  TrainingInput input;
  input.event_files = {dir.Join("events.csv")};
  input.catalog_file = dir.Join("catalog.csv");
  auto reports = RunPropensity(input, {});
  ASSERT_TRUE(reports.ok()) << reports.status();
  ASSERT_EQ(reports->size(), 2u);
  const PropensityReport& buy = (*reports)[0];
  const PropensityReport& churn = (*reports)[1];
  EXPECT_EQ(buy.target, "purchase in 30 days");
  // The windows are cut from the latest event backwards.
  EXPECT_EQ(buy.t2_unix, buy.end_unix - 30 * kDay);
  EXPECT_EQ(buy.t1_unix, buy.t2_unix - 30 * kDay);
  EXPECT_EQ(churn.t2_unix, churn.end_unix - 90 * kDay);
  // "late" exists only after both cut-offs: in neither population.
  EXPECT_EQ(buy.train_users, 120);
  EXPECT_EQ(buy.test_users, 120);
  // Weekly buyers buy, lapsed ones do not: half positive, perfectly ranked.
  EXPECT_DOUBLE_EQ(buy.test_rate, 0.5);
  EXPECT_GT(buy.auc, 0.99);
  EXPECT_LT(buy.log_loss, buy.base_log_loss);
  EXPECT_EQ(churn.target, "churn (no purchase in 90 days)");
  EXPECT_DOUBLE_EQ(churn.test_rate, 0.5);
  EXPECT_GT(churn.auc, 0.99);
}

TEST(PropensityTest, AKnownEndGivesTheSameModelsWithoutTheExtraPass) {
  TempDir dir;
  WriteStore(dir);
  TrainingInput input;
  input.event_files = {dir.Join("events.csv")};
  input.catalog_file = dir.Join("catalog.csv");
  auto found = RunPropensity(input, {});
  ASSERT_TRUE(found.ok()) << found.status();
  PropensityOptions known;
  known.end_unix = (*found)[0].end_unix;
  auto given = RunPropensity(input, known);
  ASSERT_TRUE(given.ok()) << given.status();
  for (size_t m = 0; m < 2; ++m) {
    EXPECT_EQ((*given)[m].t1_unix, (*found)[m].t1_unix);
    EXPECT_EQ((*given)[m].test_users, (*found)[m].test_users);
    EXPECT_DOUBLE_EQ((*given)[m].auc, (*found)[m].auc);
  }
  // A different end moves the windows with it.
  known.end_unix -= 7 * kDay;
  auto earlier = RunPropensity(input, known);
  ASSERT_TRUE(earlier.ok()) << earlier.status();
  EXPECT_EQ((*earlier)[0].t2_unix, (*found)[0].t2_unix - 7 * kDay);
}

TEST(PropensityTest, FeaturesStopAtTheCutOff) {
  // Profiles as of the cut-off know nothing of the label window: a shopper
  // whose only purchase is after it has no order in the profile.
  std::vector<Item> catalog(1);
  catalog[0].item_id = "A";
  catalog[0].price = 10;
  ProfileOptions o;
  o.now_unix = kStart + 10 * kDay;
  ProfileBuilder b(catalog, o);
  b.Add({"u", "A", EventType::kView, kStart, 1});
  b.Add({"u", "A", EventType::kPurchase, kStart + 11 * kDay, 1});
  const UserProfile p = b.Build()[0];
  EXPECT_EQ(p.orders, 0);
  EXPECT_EQ(p.gross, 0);
  const std::vector<double> f = PropensityFeatures(p);
  ASSERT_EQ(f.size(), PropensityFeatureNames().size());
  EXPECT_EQ(f[0], 0);  // log1p(orders)
  EXPECT_EQ(f[3], 1);  // never bought
}

TEST(PropensityTest, TooShortAHistoryIsAClearError) {
  TempDir dir;
  WriteTextFile(dir.Join("catalog.csv"), "item_id,price\nA,10\n");
  WriteTextFile(dir.Join("events.csv"),
                "user_id,item_id,event_type,timestamp\nu,A,purchase,1000\n");
  TrainingInput input;
  input.event_files = {dir.Join("events.csv")};
  input.catalog_file = dir.Join("catalog.csv");
  EXPECT_THAT(RunPropensity(input, {}).status().message(),
              HasSubstr("too short a time"));
}

}  // namespace
}  // namespace tailor
