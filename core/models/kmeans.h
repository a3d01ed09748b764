// K-Means clustering for behavioural segments: k-means++ seeding, then
// Lloyd iterations (full batch) or mini-batch updates (Sculley, WWW 2010)
// for millions of points, and the silhouette to choose k.
#ifndef TAILOR_CORE_MODELS_KMEANS_H_
#define TAILOR_CORE_MODELS_KMEANS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/matrix.h"

namespace tailor {

struct KMeansOptions {
  int k = 8;
  int max_iterations = 100;
  // Stops when an iteration improves the inertia by less than this
  // fraction (full batch), or when no point changes cluster.
  double tolerance = 1e-4;
  // 0: full-batch Lloyd. > 0: mini-batch K-Means with batches of this many
  // points, max_iterations batches, per-centroid learning rates 1 / count.
  int batch_size = 0;
  // k-means++ seeding looks at this many sampled points at most (0 = all).
  int64_t seeding_sample = 100000;
  int threads = 0;  // 0 = all cores; results do not depend on it
  uint64_t seed = 42;
  // Independent seedings; the run with the lowest inertia is kept (the
  // others are local optima). Each costs a full fit.
  int restarts = 1;
};

absl::Status ValidateKMeansOptions(const KMeansOptions& options);

struct KMeansResult {
  RowMatrix centroids;              // k x dimensions
  std::vector<int32_t> assignment;  // per point, its nearest centroid
  std::vector<int64_t> sizes;       // per cluster
  double inertia = 0;               // sum of squared distances to centroids
  int iterations = 0;
  std::vector<double> iteration_seconds;
};

// Clusters the rows of `points`. Deterministic for a seed whatever the
// thread count. A cluster that empties is reseeded with the point farthest
// from its centroid. Fails when k exceeds the number of points or a value
// is not finite.
absl::StatusOr<KMeansResult> FitKMeans(const RowMatrix& points,
                                       const KMeansOptions& options);

// Nearest centroid of every row of `points` (ties: the lower index), and
// optionally each point's squared distance to it.
std::vector<int32_t> AssignToCentroids(const RowMatrix& points,
                                       const RowMatrix& centroids, int threads,
                                       std::vector<float>* distances = nullptr);

// Mean silhouette coefficient of a clustering over at most `sample` points
// drawn with `seed` (0 = all; exact pairwise distances within the sample).
// In [-1, 1]; higher means tighter, better separated clusters.
double Silhouette(const RowMatrix& points,
                  const std::vector<int32_t>& assignment, int k, int64_t sample,
                  uint64_t seed);

}  // namespace tailor

#endif  // TAILOR_CORE_MODELS_KMEANS_H_
