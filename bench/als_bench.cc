// One implicit-ALS iteration (both half-steps), side by side in one
// process: the exact per-row Cholesky solve (the textbook baseline) against
// the warm-started conjugate-gradient solver the trainer uses, on a
// synthetic shop of 20,000 users x 5,000 items with ~1 M interactions drawn
// from a Zipf popularity, at 64 and 128 factors on all cores.
//
//   ./build/bin/als_bench --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
//
// The full-size figure (150k users x 30k items, 20 M events) comes from
// bench/als_scale.sh, which runs the trainer itself.
#include <random>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "core/base/alias_table.h"
#include "core/base/interactions.h"
#include "core/models/als.h"

namespace tailor {
namespace {

const InteractionMatrix& Shop() {
  static const InteractionMatrix* m = [] {
    constexpr int kUsers = 20000, kItems = 5000, kPerUser = 50;
    std::mt19937_64 rng(1);
    std::vector<double> zipf(kItems);
    for (int i = 0; i < kItems; ++i) zipf[i] = 1.0 / (i + 10);
    AliasTable popular(zipf);
    InteractionBuilder builder;
    for (int u = 0; u < kUsers; ++u) {
      for (int e = 0; e < kPerUser; ++e) {
        Event event;
        event.user_id = absl::StrCat("u", u);
        event.item_id = absl::StrCat("i", popular.Sample(rng));
        event.type = e % 10 == 0 ? EventType::kPurchase : EventType::kView;
        event.timestamp = e;
        builder.Add(event);
      }
    }
    return new InteractionMatrix(std::move(builder).Build());
  }();
  return *m;
}

void RunIteration(benchmark::State& state, AlsOptions::Solver solver) {
  const InteractionMatrix& m = Shop();
  AlsOptions o;
  o.factors = static_cast<int>(state.range(0));
  o.iterations = 1;
  o.solver = solver;
  o.compute_loss = false;
  double seconds = 0;
  for (auto _ : state) {
    auto f = TrainImplicitAls(m, o);
    if (!f.ok()) {
      state.SkipWithError(std::string(f.status().message()).c_str());
      return;
    }
    seconds += f->history[0].seconds;
    benchmark::DoNotOptimize(f->item_factors.data());
  }
  // The iteration alone, without allocating and initialising the factors.
  state.counters["iteration_s"] =
      benchmark::Counter(seconds / static_cast<double>(state.iterations()));
  state.counters["pairs"] = static_cast<double>(m.nnz());
}

void BM_AlsIterationCholesky(benchmark::State& state) {
  RunIteration(state, AlsOptions::Solver::kCholesky);
}
void BM_AlsIterationConjugateGradient(benchmark::State& state) {
  RunIteration(state, AlsOptions::Solver::kConjugateGradient);
}

BENCHMARK(BM_AlsIterationCholesky)
    ->Arg(64)
    ->Arg(128)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_AlsIterationConjugateGradient)
    ->Arg(64)
    ->Arg(128)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace tailor

BENCHMARK_MAIN();
