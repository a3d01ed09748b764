#include "core/models/ivf_build.h"

#include <cmath>
#include <random>

#include "gtest/gtest.h"
#include "tests/core/retrieval/retrieval_test_util.h"

namespace tailor {
namespace {

TEST(IvfPartitionTest, CoversEveryItemOnceAndIsDeterministic) {
  std::mt19937_64 rng(1);
  RowMatrix items = ClusteredMatrix(5000, 16, 20, &rng);
  IvfPartition a = BuildIvf(items);
  EXPECT_EQ(a.lists(), 141);  // about 2 sqrt(5000)
  EXPECT_TRUE(a.Validate(5000, 16).ok());
  IvfPartition b = BuildIvf(items);
  EXPECT_EQ(a.items, b.items);
  EXPECT_EQ(a.list_begin, b.list_begin);
  EXPECT_TRUE(a.centroids == b.centroids);
  // Each item sits in the list of its nearest centroid.
  for (int l = 0; l < a.lists(); ++l) {
    for (int64_t p = a.list_begin[l]; p < a.list_begin[l + 1]; p += 97) {
      const auto x = items.row(a.items[p]);
      const float own = (x - a.centroids.row(l)).squaredNorm();
      for (int o = 0; o < a.lists(); ++o) {
        EXPECT_LE(own, (x - a.centroids.row(o)).squaredNorm() * (1 + 1e-5f));
      }
    }
  }
}

TEST(IvfPartitionTest, BuildRejectsBadInput) {
  EXPECT_FALSE(BuildIvfPartition(RowMatrix(0, 4), {}).ok());
  RowMatrix nan = RowMatrix::Zero(10, 4);
  nan(3, 2) = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(BuildIvfPartition(nan, {}).ok());
  RowMatrix ok = RowMatrix::Ones(10, 4);
  EXPECT_FALSE(BuildIvfPartition(ok, {.lists = -1}).ok());
  // More lists than items: one list per item at most.
  absl::StatusOr<IvfPartition> p = BuildIvfPartition(ok, {.lists = 50});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_LE(p->lists(), 10);
}

}  // namespace
}  // namespace tailor
