#include "core/models/kmeans.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "absl/strings/str_cat.h"
#include "core/base/parallel.h"
#include "core/base/status_macros.h"

namespace tailor {
namespace {

constexpr int64_t kBlock = 4096;   // rows per distance block
constexpr int64_t kChunk = 16384;  // rows per centroid partial sum

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

// Uniform in [0, 1) from a 64-bit generator (portable, unlike
// std::uniform_real_distribution's unspecified algorithm).
double Uniform(std::mt19937_64& rng) { return (rng() >> 11) * 0x1.0p-53; }

// k-means++ seeding (Arthur & Vassilvitskii 2007) over the rows `rows` of
// `points`: each next centroid is drawn with probability proportional to
// its squared distance from the nearest centroid chosen so far.
RowMatrix SeedPlusPlus(const RowMatrix& points,
                       const std::vector<int64_t>& rows, int k, int threads,
                       std::mt19937_64& rng) {
  const int64_t m = static_cast<int64_t>(rows.size());
  RowMatrix centroids(k, points.cols());
  std::vector<double> nearest(m, std::numeric_limits<double>::infinity());
  int64_t pick = static_cast<int64_t>(rng() % static_cast<uint64_t>(m));
  for (int c = 0; c < k; ++c) {
    centroids.row(c) = points.row(rows[pick]);
    ParallelFor(m, threads, kBlock, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const double d = (points.row(rows[i]) - centroids.row(c)).squaredNorm();
        nearest[i] = std::min(nearest[i], d);
      }
    });
    if (c + 1 == k) break;
    const double total = std::accumulate(nearest.begin(), nearest.end(), 0.0);
    if (!(total > 0)) {  // every point sits on a centroid: any will do
      pick = static_cast<int64_t>(rng() % static_cast<uint64_t>(m));
      continue;
    }
    double target = Uniform(rng) * total;
    pick = m - 1;
    for (int64_t i = 0; i < m; ++i) {
      target -= nearest[i];
      if (target < 0) {
        pick = i;
        break;
      }
    }
  }
  return centroids;
}

// New centroids as the means of their points, summed in fixed chunks and
// combined in chunk order so that the result does not depend on threads.
// Returns the cluster sizes; empty clusters keep their old centroid.
std::vector<int64_t> UpdateCentroids(const RowMatrix& points,
                                     const std::vector<int32_t>& assignment,
                                     int threads, RowMatrix* centroids) {
  const int64_t n = points.rows();
  const int k = static_cast<int>(centroids->rows());
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<Eigen::MatrixXd> sums(chunks);
  std::vector<std::vector<int64_t>> counts(chunks);
  ParallelFor(chunks, threads, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      sums[c] = Eigen::MatrixXd::Zero(k, points.cols());
      counts[c].assign(k, 0);
      for (int64_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); ++i) {
        sums[c].row(assignment[i]) += points.row(i).cast<double>();
        ++counts[c][assignment[i]];
      }
    }
  });
  Eigen::MatrixXd total = Eigen::MatrixXd::Zero(k, points.cols());
  std::vector<int64_t> sizes(k, 0);
  for (int64_t c = 0; c < chunks; ++c) {
    total += sums[c];
    for (int j = 0; j < k; ++j) sizes[j] += counts[c][j];
  }
  for (int j = 0; j < k; ++j) {
    if (sizes[j] > 0) {
      centroids->row(j) = (total.row(j) / sizes[j]).cast<float>();
    }
  }
  return sizes;
}

}  // namespace

absl::Status ValidateKMeansOptions(const KMeansOptions& o) {
  if (o.k < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("k: must be >= 1, got ", o.k));
  }
  if (o.max_iterations < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_iterations: must be >= 1, got ", o.max_iterations));
  }
  if (!(o.tolerance >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tolerance: must be >= 0, got ", o.tolerance));
  }
  if (o.batch_size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch_size: must be >= 0, got ", o.batch_size));
  }
  if (o.restarts < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("restarts: must be >= 1, got ", o.restarts));
  }
  if (o.seeding_sample < 0 || o.threads < 0) {
    return absl::InvalidArgumentError(
        "seeding_sample and threads: must be >= 0");
  }
  return absl::OkStatus();
}

std::vector<int32_t> AssignToCentroids(const RowMatrix& points,
                                       const RowMatrix& centroids, int threads,
                                       std::vector<float>* distances) {
  const int64_t n = points.rows();
  const int k = static_cast<int>(centroids.rows());
  std::vector<int32_t> assignment(n, 0);
  if (distances != nullptr) distances->assign(n, 0.0f);
  const Eigen::VectorXf centroid_norms = centroids.rowwise().squaredNorm();
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  ParallelFor(blocks, threads, 1, [&](int64_t begin, int64_t end) {
    Eigen::MatrixXf dots;
    for (int64_t b = begin; b < end; ++b) {
      const int64_t first = b * kBlock;
      const int64_t rows = std::min(kBlock, n - first);
      const auto block = points.middleRows(first, rows);
      dots.noalias() = block * centroids.transpose();  // rows x k
      for (int64_t i = 0; i < rows; ++i) {
        const float self = block.row(i).squaredNorm();
        int32_t best = 0;
        float best_d = std::numeric_limits<float>::infinity();
        for (int j = 0; j < k; ++j) {
          const float d = self - 2.0f * dots(i, j) + centroid_norms(j);
          if (d < best_d) {
            best_d = d;
            best = j;
          }
        }
        assignment[first + i] = best;
        if (distances != nullptr)
          (*distances)[first + i] = std::max(best_d, 0.0f);
      }
    }
  });
  return assignment;
}

namespace {

// One seeding and its Lloyd or mini-batch run; `o` is valid.
KMeansResult FitOnce(const RowMatrix& points, const KMeansOptions& o,
                     uint64_t seed) {
  const int64_t n = points.rows();
  std::mt19937_64 rng(seed);
  std::vector<int64_t> seeding(n);
  std::iota(seeding.begin(), seeding.end(), 0);
  if (o.seeding_sample > 0 && n > o.seeding_sample) {
    std::shuffle(seeding.begin(), seeding.end(), rng);
    seeding.resize(std::max<int64_t>(o.seeding_sample, o.k));
    std::sort(seeding.begin(), seeding.end());
  }
  KMeansResult r;
  r.centroids = SeedPlusPlus(points, seeding, o.k, o.threads, rng);

  std::vector<float> distances;
  if (o.batch_size > 0) {
    // Mini-batch: each sampled point pulls its centroid towards it with
    // rate 1 / (points that centroid has seen).
    std::vector<int64_t> seen(o.k, 0);
    RowMatrix batch(std::min<int64_t>(o.batch_size, n), points.cols());
    for (int it = 0; it < o.max_iterations; ++it) {
      const auto start = std::chrono::steady_clock::now();
      for (int64_t b = 0; b < batch.rows(); ++b) {
        batch.row(b) = points.row(rng() % static_cast<uint64_t>(n));
      }
      const std::vector<int32_t> nearest =
          AssignToCentroids(batch, r.centroids, o.threads);
      for (int64_t b = 0; b < batch.rows(); ++b) {
        const int32_t c = nearest[b];
        const float eta = 1.0f / static_cast<float>(++seen[c]);
        r.centroids.row(c) =
            (1.0f - eta) * r.centroids.row(c) + eta * batch.row(b);
      }
      r.iteration_seconds.push_back(Seconds(start));
      ++r.iterations;
    }
    r.assignment =
        AssignToCentroids(points, r.centroids, o.threads, &distances);
  } else {
    double previous = std::numeric_limits<double>::infinity();
    std::vector<int32_t> last;
    for (int it = 0; it < o.max_iterations; ++it) {
      const auto start = std::chrono::steady_clock::now();
      r.assignment =
          AssignToCentroids(points, r.centroids, o.threads, &distances);
      const double inertia =
          std::accumulate(distances.begin(), distances.end(), 0.0);
      const bool unchanged = r.assignment == last;
      const bool converged =
          unchanged || (std::isfinite(previous) &&
                        previous - inertia <= o.tolerance * previous);
      if (!converged) {
        r.sizes =
            UpdateCentroids(points, r.assignment, o.threads, &r.centroids);
        // Reseed empty clusters with the points farthest from theirs.
        for (int j = 0; j < o.k; ++j) {
          if (r.sizes[j] > 0) continue;
          const int64_t far =
              std::max_element(distances.begin(), distances.end()) -
              distances.begin();
          r.centroids.row(j) = points.row(far);
          distances[far] = 0;
        }
      }
      r.iteration_seconds.push_back(Seconds(start));
      ++r.iterations;
      previous = inertia;
      last = r.assignment;
      if (converged) break;
      if (it + 1 == o.max_iterations) {
        r.assignment =
            AssignToCentroids(points, r.centroids, o.threads, &distances);
      }
    }
  }
  r.inertia = std::accumulate(distances.begin(), distances.end(), 0.0);
  r.sizes.assign(o.k, 0);
  for (int32_t c : r.assignment) ++r.sizes[c];
  return r;
}

}  // namespace

absl::StatusOr<KMeansResult> FitKMeans(const RowMatrix& points,
                                       const KMeansOptions& o) {
  TAILOR_RETURN_IF_ERROR(ValidateKMeansOptions(o));
  const int64_t n = points.rows();
  if (o.k > n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "k: ", o.k, " clusters need at least as many points, got ", n));
  }
  if (!points.allFinite()) {
    return absl::InvalidArgumentError("points: every value must be finite");
  }
  KMeansResult best = FitOnce(points, o, o.seed);
  for (int i = 1; i < o.restarts; ++i) {
    // Restart seeds are spread by a large odd constant so that run i of
    // seed s never repeats run 0 of a nearby seed.
    KMeansResult r = FitOnce(points, o, o.seed + i * 0x9E3779B97F4A7C15ull);
    if (r.inertia < best.inertia) best = std::move(r);
  }
  return best;
}

double Silhouette(const RowMatrix& points,
                  const std::vector<int32_t>& assignment, int k, int64_t sample,
                  uint64_t seed) {
  const int64_t n = points.rows();
  std::vector<int64_t> rows(n);
  std::iota(rows.begin(), rows.end(), 0);
  if (sample > 0 && n > sample) {
    std::mt19937_64 rng(seed);
    std::shuffle(rows.begin(), rows.end(), rng);
    rows.resize(sample);
  }
  const int64_t m = static_cast<int64_t>(rows.size());
  std::vector<int64_t> cluster_size(k, 0);
  for (int64_t i : rows) ++cluster_size[assignment[i]];
  std::vector<double> score(m, 0.0);
  ParallelFor(m, 0, 64, [&](int64_t begin, int64_t end) {
    std::vector<double> sum(k);
    for (int64_t a = begin; a < end; ++a) {
      std::fill(sum.begin(), sum.end(), 0.0);
      const auto x = points.row(rows[a]);
      for (int64_t b = 0; b < m; ++b) {
        sum[assignment[rows[b]]] += (x - points.row(rows[b])).norm();
      }
      const int32_t own = assignment[rows[a]];
      if (cluster_size[own] < 2) continue;  // a singleton scores 0
      const double within = sum[own] / (cluster_size[own] - 1);
      double nearest = std::numeric_limits<double>::infinity();
      for (int j = 0; j < k; ++j) {
        if (j != own && cluster_size[j] > 0) {
          nearest = std::min(nearest, sum[j] / cluster_size[j]);
        }
      }
      if (!std::isfinite(nearest)) continue;  // one cluster only
      const double denom = std::max(within, nearest);
      score[a] = denom > 0 ? (nearest - within) / denom : 0.0;
    }
  });
  return m == 0 ? 0.0 : std::accumulate(score.begin(), score.end(), 0.0) / m;
}

}  // namespace tailor
