// One K-Means assignment pass (the bulk of a Lloyd iteration), side by side
// in one process: a naive per-point, per-centroid scalar distance loop
// against AssignToCentroids (blocked matrix products, both cores), and a
// whole Lloyd iteration of FitKMeans, on 1 M points x 32 features, k = 20.
//
//   ./build/bin/kmeans_bench --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
#include <random>

#include "benchmark/benchmark.h"
#include "core/models/kmeans.h"

namespace tailor {
namespace {

constexpr int64_t kPoints = 1000000;
constexpr int kDims = 32;
constexpr int kClusters = 20;

const RowMatrix& Points() {
  static const RowMatrix* m = [] {
    std::mt19937_64 rng(1);
    std::normal_distribution<float> normal;
    auto* p = new RowMatrix(kPoints, kDims);
    for (Eigen::Index i = 0; i < p->size(); ++i) p->data()[i] = normal(rng);
    return p;
  }();
  return *m;
}

RowMatrix Centroids() { return Points().topRows(kClusters); }

void BM_NaiveAssign(benchmark::State& state) {
  const RowMatrix& x = Points();
  const RowMatrix c = Centroids();
  std::vector<int32_t> assignment(kPoints);
  for (auto _ : state) {
    for (int64_t i = 0; i < kPoints; ++i) {
      float best = 1e30f;
      for (int j = 0; j < kClusters; ++j) {
        float d = 0;
        for (int f = 0; f < kDims; ++f) {
          const float diff = x(i, f) - c(j, f);
          d += diff * diff;
        }
        if (d < best) {
          best = d;
          assignment[i] = j;
        }
      }
    }
    benchmark::DoNotOptimize(assignment.data());
  }
}

void BM_AssignToCentroids(benchmark::State& state) {
  const RowMatrix& x = Points();
  const RowMatrix c = Centroids();
  for (auto _ : state) {
    auto assignment = AssignToCentroids(x, c, 0);
    benchmark::DoNotOptimize(assignment.data());
  }
}

// A full Lloyd iteration (assign + update), as FitKMeans reports it.
void BM_LloydIteration(benchmark::State& state) {
  KMeansOptions o;
  o.k = kClusters;
  o.max_iterations = 3;
  o.tolerance = 0;
  double seconds = 0;
  int64_t iterations = 0;
  for (auto _ : state) {
    auto r = FitKMeans(Points(), o);
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      return;
    }
    for (double s : r->iteration_seconds) seconds += s;
    iterations += r->iterations;
  }
  state.counters["iteration_s"] = seconds / static_cast<double>(iterations);
}

BENCHMARK(BM_NaiveAssign)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AssignToCentroids)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LloydIteration)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace tailor

BENCHMARK_MAIN();
