#include "tools/bench/histogram.h"

#include <random>

#include "gtest/gtest.h"

namespace tailor {
namespace {

TEST(LatencyHistogramTest, SmallValuesAreExactAndPercentilesUseNearestRank) {
  LatencyHistogram h;
  EXPECT_EQ(h.Percentile(0.99), 0);
  for (int v = 1; v <= 50; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 50);
  EXPECT_EQ(h.min(), 1);
  EXPECT_EQ(h.max(), 50);
  EXPECT_DOUBLE_EQ(h.mean(), 25.5);
  EXPECT_EQ(h.Percentile(0.5), 25);  // the 25th smallest
  EXPECT_EQ(h.Percentile(0.9), 45);
  EXPECT_EQ(h.Percentile(0.99), 50);  // rank ceil(49.5) = 50
  EXPECT_EQ(h.Percentile(1.0), 50);
  h.Record(-3);  // a clock step backwards counts as 0
  EXPECT_EQ(h.min(), 0);
}

// Against the exact nearest-rank percentiles of a long-tailed sample: never
// below the true value, and at most 1/64 above it.
TEST(LatencyHistogramTest, LargeValuesStayWithinOneSixtyFourth) {
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> dist(6.0, 1.5);
  std::vector<int64_t> values;
  LatencyHistogram h, a, b;
  for (int i = 0; i < 100000; ++i) {
    const auto v = static_cast<int64_t>(dist(rng));
    values.push_back(v);
    h.Record(v);
    (i % 2 ? a : b).Record(v);
  }
  std::sort(values.begin(), values.end());
  a.Merge(b);
  for (double p : {0.5, 0.9, 0.99, 0.999, 0.9999}) {
    const int64_t exact =
        values[static_cast<size_t>(std::ceil(p * values.size())) - 1];
    const int64_t got = h.Percentile(p);
    EXPECT_GE(got, exact) << p;
    EXPECT_LE(got, exact + exact / 64 + 1) << p;
    EXPECT_EQ(a.Percentile(p), got) << "merged halves differ at " << p;
  }
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(a.count(), 100000);
  EXPECT_EQ(a.max(), h.max());
  // An hour and more lands in the last bucket; max stays exact.
  h.Record(int64_t{1} << 40);
  EXPECT_EQ(h.max(), int64_t{1} << 40);
  EXPECT_EQ(h.Percentile(1.0), int64_t{1} << 40);
}

}  // namespace
}  // namespace tailor
