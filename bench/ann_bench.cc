// The approximate path side by side with the exact one and with hnswlib, on
// 64-d factors shaped like trained ones (items and queries drawn around the
// same 1,024 cluster directions; item norms spread like popularity):
//   - BM_AnnExact: Tailor's exact fp32 path on one thread (the baseline and
//     the ground truth); BM_AnnExactFiltered: the same with the 5% filter;
//   - BM_AnnIvf: the IVF path (int8 scan of the probed lists, fp32
//     re-scoring) at several search widths (probe = lists scanned);
//   - BM_AnnIvfFiltered: the same with a filter that keeps a random 5% of
//     the catalog (recall against the exact filtered answer; the width is
//     the filtered one);
//   - BM_AnnHnsw: hnswlib 0.6.2 (Debian's libhnswlib-dev, inner product,
//     M = 32, ef_construction = 200) at several ef.
// All on one thread: items_per_second is queries per second per thread.
// Catalog size 0 stands for a published snapshot's trained factors
// (TAILOR_ANN_SNAPSHOT_DIR; see bench/ann_trained.sh): the synthetic runs
// skip it with --benchmark_filter='/(100000|1000000)/'.
// Counters: recall (against the exact answer, over 1,000 queries),
// scanned (items whose codes were scored per search).
//
//   ./build/bin/ann_bench --benchmark_filter='/(100000|1000000)/'
//       --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <map>
#include <memory>
#include <random>
#include <thread>

#include "bench/hnsw_anchor.h"
#include "benchmark/benchmark.h"
#include "core/ivf_retriever.h"
#include "core/retrieval.h"
#include "storage/snapshot_store.h"

namespace tailor {
namespace {

constexpr int kDim = 64;
constexpr int kQueries = 1000;
constexpr int kCentres = 1024;
// The catalog "size" that stands for the snapshot in TAILOR_ANN_SNAPSHOT_DIR.
constexpr int64_t kTrained = 0;

struct Fixture {
  RowMatrix items;
  RowMatrix queries;
  ItemSet five_percent;
  std::unique_ptr<ExactRetriever> exact;
  std::unique_ptr<IvfRetriever> ivf;
  std::unique_ptr<HnswAnchor> hnsw;
  // Exact answers (count 100) per query, unfiltered and filtered.
  std::vector<std::vector<ScoredItem>> truth, truth_filtered;
  double ivf_build_seconds = 0;
};

RowMatrix Around(const RowMatrix& centres, int64_t rows, bool spread_norms,
                 std::mt19937_64* rng) {
  std::normal_distribution<float> normal;
  std::exponential_distribution<float> norm(2.0f);
  RowMatrix m(rows, kDim);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t c = static_cast<int64_t>((*rng)() % centres.rows());
    for (int d = 0; d < kDim; ++d) {
      m(r, d) = centres(c, d) + 0.5f * normal(*rng);
    }
    if (spread_norms) m.row(r) *= 0.1f + norm(*rng);
  }
  return m;
}

ExactOptions OneThread() {
  ExactOptions o;
  o.threads = 1;
  return o;
}

Fixture& Data(int64_t n) {
  static auto* cache = new std::map<int64_t, Fixture>();
  auto [it, inserted] = cache->try_emplace(n);
  Fixture& f = it->second;
  if (!inserted) return f;
  std::mt19937_64 rng(7);
  if (n == kTrained) {
    // A published snapshot's factors: its items, and sampled users with a
    // nonzero embedding as queries.
    const char* dir = std::getenv("TAILOR_ANN_SNAPSHOT_DIR");
    absl::StatusOr<Snapshot> s =
        SnapshotStore(Env::Default(), dir == nullptr ? "" : dir).LoadCurrent();
    if (!s.ok()) {
      std::fprintf(stderr, "ann_bench: %s\n", s.status().ToString().c_str());
      std::exit(1);
    }
    f.items = std::move(s->model.item_factors);
    std::vector<int64_t> users;
    for (int64_t u = 0; u < s->model.user_factors.rows(); ++u) {
      if (!s->model.user_factors.row(u).isZero(0)) users.push_back(u);
    }
    std::shuffle(users.begin(), users.end(), rng);
    users.resize(std::min<size_t>(users.size(), kQueries));
    f.queries.resize(kQueries, f.items.cols());
    for (int q = 0; q < kQueries; ++q) {
      f.queries.row(q) = s->model.user_factors.row(users[q % users.size()]);
    }
  } else {
    std::normal_distribution<float> normal;
    RowMatrix centres(kCentres, kDim);
    for (Eigen::Index i = 0; i < centres.size(); ++i) {
      centres.data()[i] = normal(rng);
    }
    f.items = Around(centres, n, /*spread_norms=*/true, &rng);
    f.queries = Around(centres, kQueries, /*spread_norms=*/false, &rng);
  }
  const int64_t items = f.items.rows();
  f.five_percent = ItemSet(static_cast<int32_t>(items));
  for (int64_t i = 0; i < items; ++i) {
    if (rng() % 20 == 0) f.five_percent.Insert(static_cast<int32_t>(i));
  }
  f.exact = std::make_unique<ExactRetriever>(f.items, OneThread());
  const auto start = std::chrono::steady_clock::now();
  IvfBuildOptions build;
  absl::StatusOr<IvfPartition> partition = BuildIvfPartition(f.items, build);
  if (!partition.ok()) std::abort();
  f.ivf = std::make_unique<IvfRetriever>(f.items, *partition);
  f.ivf_build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  SearchParams all(100), filtered(100);
  filtered.filter.require.push_back(&f.five_percent);
  f.truth.resize(kQueries);
  f.truth_filtered.resize(kQueries);
  for (int q = 0; q < kQueries; ++q) {
    f.exact->Search(f.queries.row(q).data(), all, &f.truth[q]);
    f.exact->Search(f.queries.row(q).data(), filtered, &f.truth_filtered[q]);
  }
  return f;
}

HnswAnchor& Hnsw(Fixture& f) {
  if (f.hnsw == nullptr) {
    f.hnsw = std::make_unique<HnswAnchor>(
        f.items.data(), f.items.rows(), kDim, /*m=*/32,
        /*ef_construction=*/200,
        static_cast<int>(std::thread::hardware_concurrency()));
  }
  return *f.hnsw;
}

// Share of the exact top k found in `found`.
double Recall(const std::vector<ScoredItem>& truth,
              const std::vector<ScoredItem>& found, int k) {
  const std::vector<ScoredItem> top(
      truth.begin(), truth.begin() + std::min<size_t>(k, truth.size()));
  return RecallOf(top, found);
}

// Runs `search(query, out)` over every query once for the recall counter,
// then times it.
template <typename Fn>
void Measure(benchmark::State& state, Fixture& f, int k, bool filtered,
             const Fn& search) {
  const auto& truth = filtered ? f.truth_filtered : f.truth;
  double recall = 0;
  std::vector<ScoredItem> found;
  for (int q = 0; q < kQueries; ++q) {
    search(f.queries.row(q).data(), &found);
    recall += Recall(truth[q], found, k);
  }
  int64_t i = 0;
  for (auto _ : state) {
    search(f.queries.row(i++ % kQueries).data(), &found);
    benchmark::DoNotOptimize(found.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["recall"] = recall / kQueries;
}

void BM_AnnExact(benchmark::State& state) {
  Fixture& f = Data(state.range(0));
  const int k = static_cast<int>(state.range(1));
  SearchParams params(k);
  Measure(state, f, k, false,
          [&](const float* q, std::vector<ScoredItem>* out) {
            f.exact->Search(q, params, out);
          });
}

void BM_AnnExactFiltered(benchmark::State& state) {
  Fixture& f = Data(state.range(0));
  const int k = static_cast<int>(state.range(1));
  SearchParams params(k);
  params.filter.require.push_back(&f.five_percent);
  Measure(state, f, k, true, [&](const float* q, std::vector<ScoredItem>* out) {
    f.exact->Search(q, params, out);
  });
}

void IvfRun(benchmark::State& state, bool filtered) {
  Fixture& f = Data(state.range(0));
  const int k = static_cast<int>(state.range(1));
  const int probe = static_cast<int>(state.range(2));
  SearchParams params(k);
  if (filtered) params.filter.require.push_back(&f.five_percent);
  int64_t scanned = 0, searches = 0;
  const IvfRetriever& ivf = *f.ivf;
  Measure(state, f, k, filtered,
          [&](const float* q, std::vector<ScoredItem>* out) {
            ivf.SearchWithProbe(q, params, probe, probe, out);
            scanned += IvfRetriever::last_stats().items_scanned;
            ++searches;
          });
  state.counters["scanned"] = static_cast<double>(scanned) / searches;
  state.counters["lists"] = ivf.lists();
  state.counters["build_s"] = f.ivf_build_seconds;
}

void BM_AnnIvf(benchmark::State& state) { IvfRun(state, false); }
void BM_AnnIvfFiltered(benchmark::State& state) { IvfRun(state, true); }

void BM_AnnHnsw(benchmark::State& state) {
  Fixture& f = Data(state.range(0));
  const int k = static_cast<int>(state.range(1));
  const int ef = static_cast<int>(state.range(2));
  HnswAnchor& hnsw = Hnsw(f);
  std::vector<int32_t> ids;
  Measure(state, f, k, false,
          [&](const float* q, std::vector<ScoredItem>* out) {
            hnsw.Search(q, k, ef, &ids);
            out->clear();
            for (int32_t id : ids) out->push_back({id, 0.0f});
          });
}

// 100 k items: every path, hnswlib included (its build at 1 M items takes
// longer than the rest of the run). 1 M items: exact and IVF.
BENCHMARK(BM_AnnExact)
    ->ArgsProduct({{100'000, 1'000'000}, {10, 100}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AnnIvf)
    ->ArgsProduct({{100'000}, {10, 100}, {16, 32, 64, 128}})
    ->ArgsProduct({{1'000'000}, {10, 100}, {64, 128, 160, 192, 256}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AnnExactFiltered)
    ->ArgsProduct({{100'000, 1'000'000, kTrained}, {10, 100}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AnnIvfFiltered)
    ->ArgsProduct({{100'000}, {10, 100}, {32, 64, 128, 256}})
    ->ArgsProduct({{1'000'000}, {10, 100}, {128, 256, 384, 512}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AnnHnsw)
    ->ArgsProduct({{100'000}, {10, 100}, {100, 400, 1280}})
    ->Unit(benchmark::kMicrosecond);

// Trained factors (bench/ann_trained.sh sets TAILOR_ANN_SNAPSHOT_DIR; run
// with --benchmark_filter=/0/).
BENCHMARK(BM_AnnExact)
    ->ArgsProduct({{kTrained}, {10, 100}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AnnIvf)
    ->ArgsProduct({{kTrained}, {100}, {64, 256, 1024, 2000}})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tailor

BENCHMARK_MAIN();
