// The approximate path side by side with the exact one and with hnswlib, on
// 64-d factors shaped like trained ones (items and queries drawn around the
// same 1,024 cluster directions; item norms spread like popularity):
//   - BM_AnnExact: Tailor's exact fp32 path on one thread (the baseline and
//     the ground truth); BM_AnnExactFiltered: the same with a filter that
//     keeps a random 5% or 20% of the catalog (last argument);
//   - BM_AnnInt8Filtered: the exact int8 path (QuantizedRetriever) with
//     those filters: the 5% set is scanned through its compact copy;
//   - BM_AnnIvf: the IVF path (int8 scan of the probed lists, fp32
//     re-scoring) at several search widths (probe = lists scanned);
//   - BM_AnnIvfFiltered: the same with those filters (recall against the
//     exact filtered answer; the width is the filtered one). The 5% set is
//     searched through its compact copy (exact, the width unused), the 20%
//     one through the lists; BM_AnnIvfFilteredListsOnly: the same index
//     without compact copies, the 5% filter through the lists (the
//     baseline for the copies);
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
#include "core/models/ivf_build.h"
#include "core/retrieval/exact_retriever.h"
#include "core/retrieval/item_set.h"
#include "core/retrieval/ivf_retriever.h"
#include "core/retrieval/quantized_retriever.h"
#include "core/retrieval/retriever.h"
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
  // Random filters keeping 5% and 20% of the catalog.
  ItemSet five_percent, twenty_percent;
  std::unique_ptr<ExactRetriever> exact;
  std::unique_ptr<QuantizedRetriever> int8;  // built on first use
  IvfPartition partition;
  std::unique_ptr<IvfRetriever> ivf;
  // The same index without compact copies (every filter through the
  // lists), built on first use: the side-by-side baseline for them.
  std::unique_ptr<IvfRetriever> ivf_lists;
  std::unique_ptr<HnswAnchor> hnsw;
  // Exact answers (count 100) per query, unfiltered and filtered.
  std::vector<std::vector<ScoredItem>> truth, truth5, truth20;
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
  f.twenty_percent = ItemSet(static_cast<int32_t>(items));
  for (int64_t i = 0; i < items; ++i) {
    if (rng() % 20 == 0) f.five_percent.Insert(static_cast<int32_t>(i));
    if (rng() % 5 == 0) f.twenty_percent.Insert(static_cast<int32_t>(i));
  }
  f.exact = std::make_unique<ExactRetriever>(f.items, OneThread());
  const auto start = std::chrono::steady_clock::now();
  IvfBuildOptions build;
  absl::StatusOr<IvfPartition> partition = BuildIvfPartition(f.items, build);
  if (!partition.ok()) std::abort();
  f.partition = *std::move(partition);
  f.ivf = std::make_unique<IvfRetriever>(f.items, f.partition);
  f.ivf_build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  SearchParams all(100), filtered5(100), filtered20(100);
  filtered5.filter.require.push_back(&f.five_percent);
  filtered20.filter.require.push_back(&f.twenty_percent);
  f.truth.resize(kQueries);
  f.truth5.resize(kQueries);
  f.truth20.resize(kQueries);
  for (int q = 0; q < kQueries; ++q) {
    f.exact->Search(f.queries.row(q).data(), all, &f.truth[q]);
    f.exact->Search(f.queries.row(q).data(), filtered5, &f.truth5[q]);
    f.exact->Search(f.queries.row(q).data(), filtered20, &f.truth20[q]);
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

// Searches with the filter keeping `percent` (0: none, 5 or 20) of the
// catalog, and their exact answers.
SearchParams Filtered(const Fixture& f, int k, int64_t percent) {
  SearchParams params(k);
  if (percent == 5) params.filter.require.push_back(&f.five_percent);
  if (percent == 20) params.filter.require.push_back(&f.twenty_percent);
  return params;
}
const std::vector<std::vector<ScoredItem>>& Truth(const Fixture& f,
                                                  int64_t percent) {
  return percent == 5 ? f.truth5 : percent == 20 ? f.truth20 : f.truth;
}

// Runs `search(query, out)` over every query once for the recall counter
// (against the exact answer under the filter keeping `percent`), then
// times it.
template <typename Fn>
void Measure(benchmark::State& state, Fixture& f, int k, int64_t percent,
             const Fn& search) {
  const auto& truth = Truth(f, percent);
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
  Measure(state, f, k, 0, [&](const float* q, std::vector<ScoredItem>* out) {
    f.exact->Search(q, params, out);
  });
}

void BM_AnnExactFiltered(benchmark::State& state) {
  Fixture& f = Data(state.range(0));
  const int k = static_cast<int>(state.range(1));
  const SearchParams params = Filtered(f, k, state.range(2));
  Measure(state, f, k, state.range(2),
          [&](const float* q, std::vector<ScoredItem>* out) {
            f.exact->Search(q, params, out);
          });
}

void BM_AnnInt8Filtered(benchmark::State& state) {
  Fixture& f = Data(state.range(0));
  const int k = static_cast<int>(state.range(1));
  if (f.int8 == nullptr) {
    f.int8 = std::make_unique<QuantizedRetriever>(f.items, OneThread());
  }
  const SearchParams params = Filtered(f, k, state.range(2));
  Measure(state, f, k, state.range(2),
          [&](const float* q, std::vector<ScoredItem>* out) {
            f.int8->Search(q, params, out);
          });
}

void IvfRun(benchmark::State& state, int64_t percent, bool lists_only) {
  Fixture& f = Data(state.range(0));
  const int k = static_cast<int>(state.range(1));
  const int probe = static_cast<int>(state.range(2));
  const SearchParams params = Filtered(f, k, percent);
  int64_t scanned = 0, searches = 0;
  if (lists_only && f.ivf_lists == nullptr) {
    f.ivf_lists = std::make_unique<IvfRetriever>(
        f.items, f.partition, IvfOptions{.compact_share = 0});
  }
  const IvfRetriever& ivf = lists_only ? *f.ivf_lists : *f.ivf;
  Measure(state, f, k, percent,
          [&](const float* q, std::vector<ScoredItem>* out) {
            ivf.SearchWithProbe(q, params, probe, probe, out);
            scanned += IvfRetriever::last_stats().items_scanned;
            ++searches;
          });
  state.counters["scanned"] = static_cast<double>(scanned) / searches;
  state.counters["lists"] = ivf.lists();
  state.counters["build_s"] = f.ivf_build_seconds;
}

void BM_AnnIvf(benchmark::State& state) { IvfRun(state, 0, false); }
void BM_AnnIvfFiltered(benchmark::State& state) {
  IvfRun(state, state.range(3), false);
}
void BM_AnnIvfFilteredListsOnly(benchmark::State& state) {
  IvfRun(state, state.range(3), true);
}

void BM_AnnHnsw(benchmark::State& state) {
  Fixture& f = Data(state.range(0));
  const int k = static_cast<int>(state.range(1));
  const int ef = static_cast<int>(state.range(2));
  HnswAnchor& hnsw = Hnsw(f);
  std::vector<int32_t> ids;
  Measure(state, f, k, 0, [&](const float* q, std::vector<ScoredItem>* out) {
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
    ->ArgsProduct({{100'000, 1'000'000, kTrained}, {10, 100}, {5, 20}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AnnInt8Filtered)
    ->ArgsProduct({{100'000, 1'000'000, kTrained}, {10, 100}, {5, 20}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AnnIvfFiltered)
    ->ArgsProduct({{100'000, 1'000'000}, {10, 100}, {0}, {5}})
    ->ArgsProduct({{100'000}, {10, 100}, {32, 64, 128}, {20}})
    ->ArgsProduct({{1'000'000}, {10, 100}, {128, 192, 256, 384}, {20}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AnnIvfFilteredListsOnly)
    ->ArgsProduct({{1'000'000}, {10, 100}, {384, 512}, {5}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AnnHnsw)
    ->ArgsProduct({{100'000}, {10, 100}, {100, 400, 1280}})
    ->Unit(benchmark::kMicrosecond);

// Trained factors (bench/ann_trained.sh sets TAILOR_ANN_SNAPSHOT_DIR; run
// with --benchmark_filter='^BM_Ann[A-Za-z0-9]*/0/').
BENCHMARK(BM_AnnExact)
    ->ArgsProduct({{kTrained}, {10, 100}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AnnIvf)
    ->ArgsProduct({{kTrained}, {100}, {64, 256, 1024, 2000}})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tailor

BENCHMARK_MAIN();
