#include "core/serving/neighbour_query.h"

#include "gtest/gtest.h"

namespace tailor {
namespace {

Model ThreeItems() {
  Model m;
  m.items = IdMap({"a", "b", "c"});
  m.item_factors.resize(3, 2);
  m.item_factors << 3, 0,  // a: along x, long
      0, 1,                // b: along y
      0, 0;                // c: no vector
  m.popularity = {1, 1, 1};
  return m;
}

TEST(NeighbourQueryTest, UnitVectorsWeightedByTheStrongestInteractions) {
  const Model m = ThreeItems();
  // a weighs 3, b 1: the query is 0.75 x + 0.25 y, whatever a's length.
  const std::optional<Vector> q = NeighbourQuery(
      m, {{.item = 0, .weight_sum = 3}, {.item = 1, .weight_sum = 1}});
  ASSERT_TRUE(q.has_value());
  EXPECT_NEAR((*q)(0), 0.75f, 1e-6);
  EXPECT_NEAR((*q)(1), 0.25f, 1e-6);
  // Only the strongest one kept.
  const std::optional<Vector> one = NeighbourQuery(
      m, {{.item = 0, .weight_sum = 1}, {.item = 1, .weight_sum = 2}}, 1);
  ASSERT_TRUE(one.has_value());
  EXPECT_NEAR((*one)(0), 0.0f, 1e-6);
  EXPECT_NEAR((*one)(1), 1.0f, 1e-6);
  // Nothing to start from: a return (negative weight), a zero vector.
  EXPECT_FALSE(NeighbourQuery(m, {{.item = 0, .weight_sum = -2}}).has_value());
  EXPECT_FALSE(NeighbourQuery(m, {{.item = 2, .weight_sum = 5}}).has_value());
  EXPECT_FALSE(NeighbourQuery(m, {}).has_value());
}

}  // namespace
}  // namespace tailor
