// Matrices and kernel lists shared by the retrieval tests.
#ifndef TAILOR_TESTS_CORE_RETRIEVAL_RETRIEVAL_TEST_UTIL_H_
#define TAILOR_TESTS_CORE_RETRIEVAL_RETRIEVAL_TEST_UTIL_H_

#include <random>
#include <utility>
#include <vector>

#include "core/base/matrix.h"
#include "core/models/ivf_build.h"
#include "core/retrieval/simd.h"
#include "gtest/gtest.h"

namespace tailor {

// Small integer entries make every dot product exact in float, whatever the
// summation order, and create many ties to exercise tie-breaking.
inline RowMatrix IntegerMatrix(int rows, int cols, int range,
                               std::mt19937_64* rng) {
  std::uniform_int_distribution<int> d(-range, range);
  RowMatrix m(rows, cols);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) m(r, c) = static_cast<float>(d(*rng));
  }
  return m;
}

inline RowMatrix GaussianMatrix(int rows, int cols, std::mt19937_64* rng) {
  std::normal_distribution<float> normal;
  RowMatrix m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(*rng);
  return m;
}

// Rows around the rows of `centres` (noise 0.3 per coordinate), scaled by
// popularity-like norms when `spread_norms`.
inline RowMatrix ClusteredAround(const RowMatrix& centres, int rows,
                                 bool spread_norms, std::mt19937_64* rng) {
  std::normal_distribution<float> normal;
  std::exponential_distribution<float> norm(2.0f);
  const auto cols = centres.cols();
  RowMatrix m(rows, cols);
  for (int r = 0; r < rows; ++r) {
    const auto c = static_cast<Eigen::Index>((*rng)() % centres.rows());
    for (Eigen::Index d = 0; d < cols; ++d)
      m(r, d) = centres(c, d) + 0.3f * normal(*rng);
    if (spread_norms) m.row(r) *= 0.2f + norm(*rng);
  }
  return m;
}

// Items around a few centres with popularity-like norms, as trained item
// factors look: the hard case for pruning by bounds.
inline RowMatrix ClusteredMatrix(int rows, int cols, int clusters,
                                 std::mt19937_64* rng) {
  RowMatrix centres = GaussianMatrix(clusters, cols, rng);
  return ClusteredAround(centres, rows, /*spread_norms=*/true, rng);
}

// Every level of kernels this CPU supports.
inline std::vector<const DotKernels*> AllKernels() {
  std::vector<const DotKernels*> out{&KernelsFor(SimdLevel::kScalar)};
  if (SimdSupported(SimdLevel::kAvx2)) {
    out.push_back(&KernelsFor(SimdLevel::kAvx2));
  }
  return out;
}

// The trainer's k-means lists of `items` (`lists` 0: the default count).
inline IvfPartition BuildIvf(const RowMatrix& items, int lists = 0) {
  IvfBuildOptions o;
  o.lists = lists;
  absl::StatusOr<IvfPartition> p = BuildIvfPartition(items, o);
  EXPECT_TRUE(p.ok()) << p.status();
  return *std::move(p);
}

}  // namespace tailor

#endif  // TAILOR_TESTS_CORE_RETRIEVAL_RETRIEVAL_TEST_UTIL_H_
