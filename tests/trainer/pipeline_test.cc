#include "trainer/pipeline.h"

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
  auto result = RunTraining(input, als,
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

TEST(PipelineTest, StrictModeFailsOnTheFirstBadRow) {
  TempDir dir;
  WriteTextFile(dir.Join("events.csv"), "u1,A,view,1\nu1,A,oops,1\n");
  TrainingInput input;
  input.event_files = {dir.Join("events.csv")};
  input.read_options.strict = true;
  auto result = RunTraining(input, AlsOptions());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("events.csv:2: event_type"));
}

TEST(PipelineTest, NoUsableEventsIsAnError) {
  TempDir dir;
  WriteTextFile(dir.Join("events.csv"),
                "user_id,item_id,event_type,timestamp\n");
  TrainingInput input;
  input.event_files = {dir.Join("events.csv")};
  EXPECT_THAT(RunTraining(input, AlsOptions()).status().message(),
              HasSubstr("no usable event"));
}

}  // namespace
}  // namespace tailor
