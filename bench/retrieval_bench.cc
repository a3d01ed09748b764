// Top-N retrieval, side by side in one process: the naive reference (score
// every item one by one, sort everything) against ExactRetriever (blocked
// matrix-vector products and a bounded heap).
//
//   ./build/bin/retrieval_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
#include <map>
#include <random>

#include "benchmark/benchmark.h"
#include "core/retrieval.h"

namespace tailor {
namespace {

struct Fixture {
  RowMatrix items;
  std::vector<float> query;
};

const Fixture& Data(int64_t n) {
  static auto* cache = new std::map<int64_t, Fixture>();
  auto [it, inserted] = cache->try_emplace(n);
  if (inserted) {
    std::mt19937_64 rng(1);
    std::normal_distribution<float> normal;
    it->second.items.resize(n, 64);
    for (Eigen::Index i = 0; i < it->second.items.size(); ++i) {
      it->second.items.data()[i] = normal(rng);
    }
    it->second.query.resize(64);
    for (auto& q : it->second.query) q = normal(rng);
  }
  return it->second;
}

void BM_NaiveTopN(benchmark::State& state) {
  const Fixture& f = Data(state.range(0));
  for (auto _ : state) {
    auto top = BruteForceTopN(f.items, f.query.data(), 10, nullptr);
    benchmark::DoNotOptimize(top);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_ExactRetrieverTopN(benchmark::State& state) {
  const Fixture& f = Data(state.range(0));
  ExactRetriever retriever(&f.items);
  std::vector<ScoredItem> top;
  for (auto _ : state) {
    retriever.Search(f.query.data(), 10, nullptr, &top);
    benchmark::DoNotOptimize(top);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

BENCHMARK(BM_NaiveTopN)->Arg(3000)->Arg(100000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ExactRetrieverTopN)
    ->Arg(3000)
    ->Arg(100000)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tailor

BENCHMARK_MAIN();
