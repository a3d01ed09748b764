// Top-N retrieval, side by side in one process, on 64-d item factors shaped
// like trained ones (clustered directions, popularity-like norms):
//   - BM_StreamRead: the machine's streaming read bandwidth (1 and 2
//     threads), the bound for a scan of the catalog;
//   - BM_NaiveTopN: the reference loop (score every item one by one, sort
//     everything);
//   - BM_EigenTopN: Eigen matrix-vector products in blocks and a bounded
//     heap (the library anchor);
//   - BM_Exact / BM_Int8: Tailor's exact fp32 and int8 + fp32 re-scoring
//     paths, on 1 and 2 threads;
//   - BM_Sixteen*: 16 searches one by one against one SearchBatch (the
//     micro-batching path);
//   - BM_Filtered*: a filter that keeps 1% of the catalog, by candidate
//     list (scores only those, in id order), by bitmap (scans everything)
//     and by bitmap through its compact copy (scores its members by
//     decreasing norm, stopping early: the default for selective sets).
//
//   ./build/bin/retrieval_bench --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
// bytes_per_second is catalog bytes read per second (fp32 or int8 codes).
#include <cstdlib>
#include <map>
#include <random>
#include <thread>

#include "benchmark/benchmark.h"
#include "core/retrieval/brute_force.h"
#include "core/retrieval/collectors.h"
#include "core/retrieval/exact_retriever.h"
#include "core/retrieval/item_set.h"
#include "core/retrieval/quantized_retriever.h"
#include "core/retrieval/retriever.h"

namespace tailor {
namespace {

constexpr int kDim = 64;
constexpr int kQueries = 64;

struct Fixture {
  RowMatrix items;
  RowMatrix queries;
};

RowMatrix Clustered(int64_t rows, std::mt19937_64* rng) {
  std::normal_distribution<float> normal;
  std::exponential_distribution<float> norm(2.0f);
  RowMatrix centres(256, kDim);
  for (Eigen::Index i = 0; i < centres.size(); ++i) {
    centres.data()[i] = normal(*rng);
  }
  RowMatrix m(rows, kDim);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t c = static_cast<int64_t>((*rng)() % centres.rows());
    for (int d = 0; d < kDim; ++d) {
      m(r, d) = centres(c, d) + 0.5f * normal(*rng);
    }
    m.row(r) *= 0.1f + norm(*rng);
  }
  return m;
}

const Fixture& Data(int64_t n) {
  static auto* cache = new std::map<int64_t, Fixture>();
  auto [it, inserted] = cache->try_emplace(n);
  if (inserted) {
    std::mt19937_64 rng(1);
    it->second.items = Clustered(n, &rng);
    it->second.queries = Clustered(kQueries, &rng);
  }
  return it->second;
}

const float* Query(const Fixture& f, int64_t i) {
  return f.queries.row(i % kQueries).data();
}

// Reads every float once, 32 at a time (as wide as the CPU allows).
float SumAll(const float* p, size_t n) {
  float acc[32] = {};
  for (size_t i = 0; i + 32 <= n; i += 32) {
#pragma GCC unroll 32
    for (int j = 0; j < 32; ++j) acc[j] += p[i + j];
  }
  float s = 0;
  for (float a : acc) s += a;
  return s;
}

void BM_StreamRead(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const size_t n = size_t{128} << 20;  // 512 MiB of floats
  static float* data = [&] {
    auto* p = static_cast<float*>(std::aligned_alloc(64, n * sizeof(float)));
    for (size_t i = 0; i < n; ++i) p[i] = static_cast<float>(i & 7);
    return p;
  }();
  for (auto _ : state) {
    std::vector<std::thread> pool;
    std::vector<float> sums(threads);
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        const float* p = data + n * t / threads;
        const size_t len = n / threads;
        sums[t] = SumAll(p, len);
      });
    }
    for (auto& t : pool) t.join();
    benchmark::DoNotOptimize(sums);
  }
  state.SetBytesProcessed(state.iterations() * int64_t(n * sizeof(float)));
}

void BM_NaiveTopN(benchmark::State& state) {
  const Fixture& f = Data(state.range(0));
  const int k = static_cast<int>(state.range(1));
  int64_t i = 0;
  for (auto _ : state) {
    auto top = BruteForceTopN(f.items, Query(f, i++), SearchParams(k));
    benchmark::DoNotOptimize(top);
  }
  state.SetBytesProcessed(state.iterations() * f.items.size() * 4);
}

void BM_EigenTopN(benchmark::State& state) {
  const Fixture& f = Data(state.range(0));
  const int k = static_cast<int>(state.range(1));
  constexpr Eigen::Index kBlock = 4096;
  Vector scores(kBlock);
  std::vector<ScoredItem> top;
  int64_t i = 0;
  for (auto _ : state) {
    Eigen::Map<const Vector> q(Query(f, i++), kDim);
    TopNCollector collector(k);
    const Eigen::Index n = f.items.rows();
    for (Eigen::Index begin = 0; begin < n; begin += kBlock) {
      const Eigen::Index len = std::min(kBlock, n - begin);
      scores.head(len).noalias() = f.items.middleRows(begin, len) * q;
      for (Eigen::Index j = 0; j < len; ++j) {
        if (scores[j] < collector.threshold()) continue;
        collector.Push({static_cast<int32_t>(begin + j), scores[j]});
      }
    }
    collector.Finish(&top);
    benchmark::DoNotOptimize(top);
  }
  state.SetBytesProcessed(state.iterations() * f.items.size() * 4);
}

template <typename R>
void Run(benchmark::State& state, const R& retriever, const Fixture& f,
         const SearchParams& params, int64_t bytes_per_query) {
  std::vector<ScoredItem> top;
  int64_t i = 0;
  for (auto _ : state) {
    retriever.Search(Query(f, i++), params, &top);
    benchmark::DoNotOptimize(top);
  }
  state.SetBytesProcessed(state.iterations() * bytes_per_query);
}

void BM_Exact(benchmark::State& state) {
  const Fixture& f = Data(state.range(0));
  ExactRetriever r(f.items, {.threads = static_cast<int>(state.range(2)),
                             .min_items_per_thread = 1 << 16,
                             .prune_by_norm = state.range(3) != 0});
  Run(state, r, f, SearchParams(static_cast<int>(state.range(1))),
      f.items.size() * 4);
}

void BM_Int8(benchmark::State& state) {
  const Fixture& f = Data(state.range(0));
  QuantizedRetriever r(f.items, {.threads = static_cast<int>(state.range(2)),
                                 .min_items_per_thread = 1 << 16,
                                 .prune_by_norm = state.range(3) != 0});
  Run(state, r, f, SearchParams(static_cast<int>(state.range(1))),
      f.items.size());
  int64_t rescored = 0;
  std::vector<ScoredItem> top;
  for (int q = 0; q < kQueries; ++q) {
    r.Search(Query(f, q), SearchParams(static_cast<int>(state.range(1))), &top);
    rescored += QuantizedRetriever::last_rescored();
  }
  state.counters["rescored"] = static_cast<double>(rescored) / kQueries;
}

// 16 queries scored one by one (Search) against the same 16 as one batch
// (SearchBatch: each block of rows read once for all of them); time per
// batch of 16. Args: catalog size, prune by norm.
void BM_SixteenOneByOne(benchmark::State& state) {
  const Fixture& f = Data(state.range(0));
  ExactRetriever r(f.items,
                   {.threads = 1, .prune_by_norm = state.range(1) != 0});
  std::vector<std::vector<ScoredItem>> outs(16);
  const SearchParams params(10);
  int64_t i = 0;
  for (auto _ : state) {
    for (int q = 0; q < 16; ++q) r.Search(Query(f, i++), params, &outs[q]);
    benchmark::DoNotOptimize(outs);
  }
  state.SetItemsProcessed(state.iterations() * 16);
}

void BM_SixteenAsOneBatch(benchmark::State& state) {
  const Fixture& f = Data(state.range(0));
  ExactRetriever r(f.items,
                   {.threads = 1, .prune_by_norm = state.range(1) != 0});
  std::vector<std::vector<ScoredItem>> outs(16);
  const SearchParams params(10);
  std::vector<BatchQuery> batch(16);
  int64_t i = 0;
  for (auto _ : state) {
    for (int q = 0; q < 16; ++q) batch[q] = {Query(f, i++), &params, &outs[q]};
    r.SearchBatch(batch);
    benchmark::DoNotOptimize(outs);
  }
  state.SetItemsProcessed(state.iterations() * 16);
}

// A filter keeping every 100th item.
struct OnePercent {
  std::vector<int32_t> ids;
  ItemSet set;
  explicit OnePercent(int64_t n) : set(static_cast<int32_t>(n)) {
    for (int32_t i = 37; i < n; i += 100) {
      ids.push_back(i);
      set.Insert(i);
    }
  }
};

void BM_FilteredByList(benchmark::State& state) {
  const Fixture& f = Data(state.range(0));
  ExactRetriever r(f.items, {.threads = 1});
  OnePercent keep(state.range(0));
  SearchParams params(10);
  params.filter.candidates = &keep.ids;
  Run(state, r, f, params, f.items.size() * 4);
}

void FilteredByBitmap(benchmark::State& state, double compact_share) {
  const Fixture& f = Data(state.range(0));
  ExactRetriever r(f.items, {.threads = 1, .compact_share = compact_share});
  OnePercent keep(state.range(0));
  SearchParams params(10);
  params.filter.require = {&keep.set};
  Run(state, r, f, params, f.items.size() * 4);
}
void BM_FilteredByBitmap(benchmark::State& state) {
  FilteredByBitmap(state, /*compact_share=*/0);
}
void BM_FilteredByCompactCopy(benchmark::State& state) {
  FilteredByBitmap(state, ExactOptions().compact_share);
}

BENCHMARK(BM_StreamRead)
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
// Args: catalog size, count, threads.
BENCHMARK(BM_NaiveTopN)
    ->Args({100'000, 10})
    ->Args({1'000'000, 10})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EigenTopN)
    ->Args({100'000, 10})
    ->Args({1'000'000, 10})
    ->Unit(benchmark::kMillisecond);
// Args: catalog size, count, threads, prune by norm.
BENCHMARK(BM_Exact)
    ->Args({100'000, 10, 1, 0})
    ->Args({100'000, 10, 1, 1})
    ->Args({100'000, 100, 1, 1})
    ->Args({1'000'000, 10, 1, 0})
    ->Args({1'000'000, 10, 2, 0})
    ->Args({1'000'000, 10, 2, 1})
    ->Args({1'000'000, 100, 2, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Int8)
    ->Args({100'000, 10, 1, 0})
    ->Args({100'000, 10, 1, 1})
    ->Args({1'000'000, 10, 2, 0})
    ->Args({1'000'000, 10, 2, 1})
    ->Args({1'000'000, 100, 2, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SixteenOneByOne)
    ->Args({100'000, 0})
    ->Args({100'000, 1})
    ->Args({1'000'000, 0})
    ->Args({1'000'000, 1})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SixteenAsOneBatch)
    ->Args({100'000, 0})
    ->Args({100'000, 1})
    ->Args({1'000'000, 0})
    ->Args({1'000'000, 1})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FilteredByList)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FilteredByBitmap)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FilteredByCompactCopy)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tailor

BENCHMARK_MAIN();
