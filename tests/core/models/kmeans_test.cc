// K-Means++: exact recovery of well-separated blobs (full batch and
// mini-batch), determinism across thread counts, the silhouette choosing
// the planted k, and the adjusted Rand index on hand-computed cases.
#include "core/models/kmeans.h"

#include <random>

#include "core/eval/metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;

struct Blobs {
  RowMatrix points;
  std::vector<int32_t> truth;
};

// `k` blobs of `per` points in `dims` dimensions: centres 20 apart on
// random axes, unit-variance noise.
Blobs MakeBlobs(int k, int per, int dims, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0, 1);
  RowMatrix centres = RowMatrix::Zero(k, dims);
  for (int c = 0; c < k; ++c) {
    centres(c, c % dims) = 20.0f * (1 + c / dims);
    centres(c, (c + 1) % dims) = -10.0f * (c % 2);
  }
  Blobs b;
  b.points.resize(static_cast<int64_t>(k) * per, dims);
  for (int i = 0; i < k * per; ++i) {
    const int c = (i * 7919) % k;  // interleaved, not sorted by blob
    for (int d = 0; d < dims; ++d) {
      b.points(i, d) = centres(c, d) + noise(rng);
    }
    b.truth.push_back(c);
  }
  return b;
}

TEST(AdjustedRandIndexTest, HandComputedCases) {
  // Same partition, other label names.
  EXPECT_DOUBLE_EQ(AdjustedRandIndex({0, 0, 1, 1, 2, 2}, {5, 5, 3, 3, 9, 9}),
                   1.0);
  // Rows {0,0,1,1}, columns {0,0,0,1}: row pairs 1 + 1 = 2, column pairs
  // 3 + 0 = 3, joint pairs C(2,2) = 1; expected 2 * 3 / C(4,2) = 1,
  // maximum (2 + 3) / 2 = 2.5, so ARI = (1 - 1) / (2.5 - 1) = 0.
  EXPECT_DOUBLE_EQ(AdjustedRandIndex({0, 0, 1, 1}, {0, 0, 0, 1}), 0.0);
  // Rows {0,0,0,1,1,1}, columns {0,0,1,1,2,2}: joint pairs 1 + 1 = 2, row
  // pairs 3 + 3 = 6, column pairs 1 + 1 + 1 = 3; expected 6 * 3 / 15 = 1.2,
  // maximum 4.5, so ARI = (2 - 1.2) / (4.5 - 1.2) = 0.2424...
  EXPECT_NEAR(AdjustedRandIndex({0, 0, 0, 1, 1, 1}, {0, 0, 1, 1, 2, 2}),
              0.8 / 3.3, 1e-12);
}

TEST(KMeansTest, RecoversWellSeparatedBlobsExactly) {
  const Blobs b = MakeBlobs(5, 200, 8, 1);
  KMeansOptions o;
  o.k = 5;
  auto r = FitKMeans(b.points, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_DOUBLE_EQ(AdjustedRandIndex(r->assignment, b.truth), 1.0);
  for (int64_t size : r->sizes) EXPECT_EQ(size, 200);
  EXPECT_LE(r->iterations, 10);
  // Inertia is the sum of squared distances: about n * dims for unit noise.
  EXPECT_NEAR(r->inertia / (1000.0 * 8), 1.0, 0.15);
}

TEST(KMeansTest, MiniBatchRecoversThemToo) {
  const Blobs b = MakeBlobs(5, 2000, 8, 2);
  KMeansOptions o;
  o.k = 5;
  o.batch_size = 256;
  o.max_iterations = 50;
  auto r = FitKMeans(b.points, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_DOUBLE_EQ(AdjustedRandIndex(r->assignment, b.truth), 1.0);
  EXPECT_EQ(r->iterations, 50);
}

TEST(KMeansTest, SameResultForAnyThreadCount) {
  const Blobs b = MakeBlobs(6, 3000, 4, 3);  // > one partial-sum chunk
  KMeansOptions o;
  o.k = 9;  // more clusters than blobs: the iterations have work to do
  o.threads = 1;
  auto one = FitKMeans(b.points, o);
  o.threads = 2;
  auto two = FitKMeans(b.points, o);
  ASSERT_TRUE(one.ok() && two.ok());
  EXPECT_EQ(one->assignment, two->assignment);
  EXPECT_EQ(one->centroids, two->centroids);
  o.seed = 7;
  auto other = FitKMeans(b.points, o);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->centroids, one->centroids);
}

TEST(KMeansTest, RestartsKeepTheLowestInertiaRun) {
  const Blobs b = MakeBlobs(6, 300, 4, 6);
  KMeansOptions o;
  o.k = 9;
  auto one = FitKMeans(b.points, o);
  ASSERT_TRUE(one.ok());
  double worst = one->inertia, best = one->inertia;
  // The restarts are the runs of their own seeds; the kept one is the best.
  for (int i = 1; i < 5; ++i) {
    KMeansOptions single = o;
    single.seed = o.seed + i * 0x9E3779B97F4A7C15ull;
    auto r = FitKMeans(b.points, single);
    ASSERT_TRUE(r.ok());
    worst = std::max(worst, r->inertia);
    best = std::min(best, r->inertia);
  }
  ASSERT_LT(best, worst) << "the seeds should land in different optima";
  o.restarts = 5;
  auto five = FitKMeans(b.points, o);
  ASSERT_TRUE(five.ok());
  EXPECT_DOUBLE_EQ(five->inertia, best);
  o.restarts = 0;
  EXPECT_THAT(FitKMeans(b.points, o).status().message(), HasSubstr("restarts"));
}

TEST(KMeansTest, SilhouettePicksThePlantedK) {
  const Blobs b = MakeBlobs(4, 150, 6, 4);
  int best_k = 0;
  double best = -2;
  for (int k = 2; k <= 7; ++k) {
    KMeansOptions o;
    o.k = k;
    auto r = FitKMeans(b.points, o);
    ASSERT_TRUE(r.ok());
    const double s = Silhouette(b.points, r->assignment, k, 400, 9);
    if (s > best) {
      best = s;
      best_k = k;
    }
  }
  EXPECT_EQ(best_k, 4);
  EXPECT_GT(best, 0.7);
}

TEST(KMeansTest, BadInputsAreClearErrors) {
  const Blobs b = MakeBlobs(2, 3, 2, 5);
  KMeansOptions o;
  o.k = 7;
  EXPECT_THAT(FitKMeans(b.points, o).status().message(),
              HasSubstr("need at least as many points"));
  o.k = 0;
  EXPECT_THAT(FitKMeans(b.points, o).status().message(), HasSubstr("k:"));
  o.k = 2;
  RowMatrix bad = b.points;
  bad(1, 1) = NAN;
  EXPECT_THAT(FitKMeans(bad, o).status().message(), HasSubstr("finite"));
}

}  // namespace
}  // namespace tailor
