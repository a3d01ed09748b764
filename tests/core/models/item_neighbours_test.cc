#include "core/models/item_neighbours.h"

#include <vector>

#include "gtest/gtest.h"

namespace tailor {
namespace {

TEST(ItemNeighbourScorerTest, ScoresByTheHistorysNeighboursElsePopularity) {
  RowMatrix items(3, 2);
  items << 2, 0,  // along x
      0, 1,       // along y
      1, 1;       // between
  const ItemNeighbourScorer scorer(items, {0.1f, 0.2f, 0.3f});
  EXPECT_EQ(scorer.num_items(), 3);
  std::vector<float> scores(3);
  const std::vector<int32_t> seen = {0};
  const std::vector<float> weight = {1};
  scorer.Score(-1, {seen, weight}, absl::MakeSpan(scores));
  // The query is item 0's unit vector (1, 0).
  EXPECT_FLOAT_EQ(scores[0], 2);
  EXPECT_FLOAT_EQ(scores[1], 0);
  EXPECT_FLOAT_EQ(scores[2], 1);
  // No history: the fallback scores.
  scorer.Score(-1, {}, absl::MakeSpan(scores));
  EXPECT_EQ(scores, (std::vector<float>{0.1f, 0.2f, 0.3f}));
}

}  // namespace
}  // namespace tailor
