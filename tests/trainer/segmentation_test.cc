// The segmentation pipeline on a generated store with planted tastes:
// clusters recover the tastes, RFM covers exactly the customers, and the
// ground-truth reader checks its input.
#include "trainer/segmentation.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "tools/datagen/store_generator.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;
using testing::WriteTextFile;

TEST(SegmentationTest, ClustersRecoverThePlantedTastes) {
  TempDir dir;
  StoreConfig store;
  store.users = 3000;
  store.items = 500;
  store.events = 150000;
  store.seed = 5;
  ASSERT_TRUE(GenerateStore(store, dir.path()).ok());
  TrainingInput input;
  input.event_files = {dir.Join("events.csv")};
  input.catalog_file = dir.Join("catalog.csv");
  SegmentationOptions options;
  options.k = NumTasteGroups();
  auto r = RunSegmentation(input, options);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->users.size(), 3000);
  EXPECT_EQ(r->k, NumTasteGroups());
  ASSERT_EQ(r->descriptors.size(), static_cast<size_t>(r->k));

  auto truth = ReadGroundTruth(dir.Join("users.csv"), "taste_group");
  ASSERT_TRUE(truth.ok()) << truth.status();
  const GroundTruthAgreement agreement = AgreementWith(*r, *truth);
  EXPECT_EQ(agreement.users, 3000);
  // 0.64 at this size, where many shoppers have a handful of events (0.53
  // without the refinement by items; 0.86 on the 20k-shopper demo store);
  // 0 would be chance.
  EXPECT_GT(agreement.adjusted_rand_index, 0.58);
  ASSERT_FALSE(r->refine_moves.empty());
  EXPECT_GT(r->refine_moves[0], 0);

  // RFM exactly for the users with an order or a return.
  for (int32_t u = 0; u < r->users.size(); ++u) {
    const UserProfile& p = r->profiles[u];
    EXPECT_EQ(r->rfm[u].has_value(), p.orders > 0 || p.returned > 0)
        << r->users.id(u);
  }
}

TEST(SegmentationTest, NeedsACatalogAndAGoodGroundTruthFile) {
  TempDir dir;
  TrainingInput input;
  input.event_files = {dir.Join("events.csv")};
  EXPECT_THAT(RunSegmentation(input, {}).status().message(),
              HasSubstr("need a catalog"));
  WriteTextFile(dir.Join("truth.csv"), "user_id,taste_group\nu1,3\nu2,x\n");
  EXPECT_THAT(
      ReadGroundTruth(dir.Join("truth.csv"), "taste_group").status().message(),
      HasSubstr("truth.csv:3: taste_group: not an integer"));
  EXPECT_THAT(
      ReadGroundTruth(dir.Join("truth.csv"), "group").status().message(),
      HasSubstr("needs 'user_id' and 'group'"));
}

}  // namespace
}  // namespace tailor
