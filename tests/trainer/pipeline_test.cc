#include "trainer/pipeline.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/recommender.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/snapshot_store.h"
#include "tests/test_util.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;
using testing::WriteTextFile;

TEST(PipelineTest, TrainsFromCsvAndPublishesALoadableSnapshot) {
  TempDir dir;
  WriteTextFile(dir.Join("catalog.csv"),
                "item_id,title,category,brand,color,price,sizes,in_stock\n"
                "A,Coat,outerwear,Halden,camel,149.99,S|M,true\n"
                "B,Tee,tops,Basico,white,9.99,M,true\n"
                "C,Never sold,tops,Basico,black,9.99,M,false\n");
  WriteTextFile(dir.Join("events.csv"),
                "user_id,item_id,event_type,timestamp,value\n"
                "u1,A,view,1700000000\n"
                "u1,A,purchase,1700000100,1\n"
                "u2,B,view,2024-01-01T00:00:00Z\n"
                "u2,B,bogus,1700000000\n"
                "u3,D,click,1700000000\n");
  TrainingInput input;
  input.event_files = {dir.Join("events.csv")};
  input.catalog_file = dir.Join("catalog.csv");
  AlsOptions als;
  als.factors = 4;
  als.iterations = 3;
  std::vector<std::string> lines;
  auto result = RunTraining(input, {.als = als},
                            [&](const std::string& l) { lines.push_back(l); });
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->events, 4);
  const Model& m = result->snapshot.model;
  EXPECT_EQ(m.items.ids(), (std::vector<std::string>{"A", "B", "C", "D"}));
  EXPECT_EQ(m.users.size(), 3);
  EXPECT_EQ(m.factors(), 4);
  EXPECT_EQ(result->snapshot.catalog.size(), 3u);
  EXPECT_EQ(result->iterations.size(), 3u);
  // The bad row is reported with its line, not silently dropped.
  EXPECT_THAT(lines,
              ::testing::Contains(HasSubstr("events.csv:5: event_type")));

  SnapshotStore store(Env::Default(), dir.Join("snaps"));
  ASSERT_TRUE(store.Publish(result->snapshot).ok());
  auto loaded = store.LoadCurrent();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->model.items, m.items);
  bool has_rss = false;
  for (const auto& [k, v] : loaded->info) has_rss |= k == "peak_rss_mib";
  EXPECT_TRUE(has_rss);
}

// Same-day purchases become baskets and the rules reach the snapshot.
TEST(PipelineTest, MinesBoughtTogetherRulesFromSameDayPurchases) {
  TempDir dir;
  std::string events = "user_id,item_id,event_type,timestamp\n";
  for (int u = 0; u < 6; ++u) {
    // Coat and scarf bought together on one day; a tee on another day.
    absl::StrAppend(&events, "u", u, ",coat,purchase,1700000000\n", "u", u,
                    ",scarf,purchase,1700000300\n", "u", u,
                    ",tee,purchase,1700900000\n");
  }
  absl::StrAppend(&events, "u9,tee,purchase,1700000000\n",
                  "u9,socks,purchase,1700000000\n");
  WriteTextFile(dir.Join("events.csv"), events);
  TrainingInput input;
  input.event_files = {dir.Join("events.csv")};
  TrainingOptions options;
  options.als.factors = 2;
  options.als.iterations = 1;
  options.baskets.min_count = 2;
  auto result = RunTraining(input, options);
  ASSERT_TRUE(result.ok()) << result.status();
  const Snapshot& s = result->snapshot;
  // 6 coat+scarf baskets, 6 tee baskets, 1 tee+socks basket.
  EXPECT_EQ(s.rules.num_baskets, 13);
  const int32_t coat = *s.model.items.Find("coat");
  const int32_t scarf = *s.model.items.Find("scarf");
  std::vector<TogetherItem> together = BoughtTogether(s.rules, {coat}, 5);
  ASSERT_EQ(together.size(), 1u);
  EXPECT_EQ(together[0].item, scarf);
  EXPECT_FLOAT_EQ(together[0].rule->confidence, 1.0f);
  EXPECT_FLOAT_EQ(together[0].rule->lift, 13.0f / 6);
}

TEST(PipelineTest, StrictModeFailsOnTheFirstBadRow) {
  TempDir dir;
  WriteTextFile(dir.Join("events.csv"), "u1,A,view,1\nu1,A,oops,1\n");
  TrainingInput input;
  input.event_files = {dir.Join("events.csv")};
  input.read_options.strict = true;
  auto result = RunTraining(input, {});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("events.csv:2: event_type"));
}

TEST(PipelineTest, NoUsableEventsIsAnError) {
  TempDir dir;
  WriteTextFile(dir.Join("events.csv"),
                "user_id,item_id,event_type,timestamp\n");
  TrainingInput input;
  input.event_files = {dir.Join("events.csv")};
  EXPECT_THAT(RunTraining(input, {}).status().message(),
              HasSubstr("no usable event"));
}

// Real data: train on MovieLens' official u1.base fold (ratings taken as
// implicit interactions) and rank all unseen movies for every test user.
// The hyperparameters come from a small manual sweep on this fold (alpha
// 0.5..3, regularization 0.05..100, 32/64 factors), so this is a sanity
// check of the pipeline on real data, not an unbiased evaluation; tuning on
// validation splits only belongs to the evaluation harness.
TEST(PipelineTest, MovieLensModelBeatsPopularityOnTheOfficialFold) {
  const std::string dir = testing::MovieLensDir();
  if (dir.empty())
    GTEST_SKIP() << "MovieLens 100K not found under ../shared/data";
  TrainingInput input;
  input.format = TrainingInput::Format::kMovieLens;
  input.event_files = {dir + "/u1.base"};
  input.catalog_file = dir + "/u.item";
  AlsOptions als;
  als.factors = 32;
  als.iterations = 10;
  als.alpha = 0.5f;
  als.regularization = 20.0f;
  auto result = RunTraining(input, {.als = als});
  ASSERT_TRUE(result.ok()) << result.status();
  const Snapshot& s = result->snapshot;
  EXPECT_EQ(s.model.items.size(), 1682);
  EXPECT_EQ(s.catalog.size(), 1682u);

  std::map<std::string, std::set<int32_t>> test;
  ReadReport report;
  ASSERT_TRUE(ReadMovieLensRatings(
                  dir + "/u1.test", {},
                  [&](Event&& e) {
                    test[e.user_id].insert(*s.model.items.Find(e.item_id));
                  },
                  &report)
                  .ok());
  EXPECT_EQ(report.accepted, 20000);

  Recommender rec(std::make_shared<Model>(s.model));
  double als_hits = 0, pop_hits = 0;
  int users = 0;
  for (const auto& [user, items] : test) {
    auto u = s.model.users.Find(user);
    ASSERT_TRUE(u.has_value()) << user;
    ItemSet seen(s.model.items.size());
    for (int64_t p = s.history.row_ptr[*u]; p < s.history.row_ptr[*u + 1];
         ++p) {
      seen.Insert(s.history.item[p]);
    }
    for (const auto& r : rec.Recommend(*u, 10, &seen).items)
      als_hits += items.count(r.item);
    for (const auto& r : rec.Recommend(std::nullopt, 10, &seen).items)
      pop_hits += items.count(r.item);
    ++users;
  }
  const double als_p10 = als_hits / (10.0 * users);
  const double pop_p10 = pop_hits / (10.0 * users);
  RecordProperty("als_precision_at_10", std::to_string(als_p10));
  RecordProperty("popularity_precision_at_10", std::to_string(pop_p10));
  std::printf("u1 fold: precision@10 ALS %.4f, popularity %.4f\n", als_p10,
              pop_p10);
  EXPECT_GT(als_p10, 1.4 * pop_p10);
}

}  // namespace
}  // namespace tailor
