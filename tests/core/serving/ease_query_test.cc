#include "core/serving/ease_query.h"

#include "gtest/gtest.h"

namespace tailor {
namespace {

TEST(EaseQueryTest, SumsTheRowsOfTheShoppersItems) {
  RowMatrix b(3, 3);
  b << 0, 1, 2,  //
      3, 0, 4,   //
      5, 6, 0;
  // a and c held (binary: their weights do not scale the rows); b returned.
  const std::vector<float> scores =
      EaseScores(b, {{.item = 0, .weight_sum = 3},
                     {.item = 1, .weight_sum = -2},
                     {.item = 2, .weight_sum = 1}});
  EXPECT_EQ(scores, (std::vector<float>{5, 7, 2}));
  // At most the strongest one.
  EXPECT_EQ(
      EaseScores(
          b, {{.item = 0, .weight_sum = 1}, {.item = 2, .weight_sum = 4}}, 1),
      (std::vector<float>{5, 6, 0}));
  // Nothing to score from: no positive interaction, or items outside.
  EXPECT_TRUE(EaseScores(b, {{.item = 1, .weight_sum = 0}}).empty());
  EXPECT_TRUE(EaseScores(b, {{.item = 7, .weight_sum = 1}}).empty());
  EXPECT_TRUE(EaseScores(b, {}).empty());
}

}  // namespace
}  // namespace tailor
