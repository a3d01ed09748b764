#include "core/retrieval/batching_retriever.h"

#include <random>
#include <thread>

#include "core/base/matrix.h"
#include "core/retrieval/exact_retriever.h"
#include "gtest/gtest.h"

namespace tailor {
namespace {

RowMatrix Items(int rows, int cols, std::mt19937_64* rng) {
  std::normal_distribution<float> normal;
  std::exponential_distribution<float> norm(2.0f);
  RowMatrix m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(*rng);
  for (int r = 0; r < rows; ++r) m.row(r) *= 0.1f + norm(*rng);
  return m;
}

// A mix of requests: different k, exclusions, a candidate list, caps, a
// selective required set (searched through its compact copy) and a wide
// one.
struct Requests {
  std::vector<RowMatrix> queries;
  std::vector<SearchParams> params;
  ItemSet exclude{5000};
  ItemSet category{5000};
  ItemSet in_stock{5000};
  std::vector<int32_t> candidates;
  std::vector<int32_t> group;

  explicit Requests(int n, std::mt19937_64* rng) : group(5000) {
    for (int i = 0; i < 5000; ++i) {
      if (i % 3 == 0) exclude.Insert(i);
      if (i % 17 == 0) candidates.push_back(i);
      if (i % 20 == 0) category.Insert(i);
      if (i % 10 != 0) in_stock.Insert(i);
      group[i] = i % 5;
    }
    for (int i = 0; i < n; ++i) {
      queries.push_back(Items(1, 24, rng));
      SearchParams p(1 + static_cast<int>((*rng)() % 50));
      if (i % 2 == 0) p.filter.exclude = &exclude;
      if (i % 5 == 0) p.filter.candidates = &candidates;
      if (i % 4 == 1) p.filter.require.push_back(&category);
      if (i % 4 == 3) p.filter.require.push_back(&in_stock);
      if (i % 3 == 0) {
        p.group_of = group.data();
        p.max_per_group = 2;
      }
      params.push_back(p);
    }
  }
};

TEST(ExactSearchBatchTest, EveryAnswerEqualsItsOwnSearch) {
  std::mt19937_64 rng(31);
  RowMatrix items = Items(5000, 24, &rng);
  Requests req(40, &rng);
  for (bool prune : {true, false}) {
    ExactRetriever exact(items,
                         ExactOptions{.threads = 1, .prune_by_norm = prune});
    std::vector<std::vector<ScoredItem>> got(40), want(40);
    std::vector<BatchQuery> batch;
    for (int i = 0; i < 40; ++i) {
      batch.push_back({req.queries[i].data(), &req.params[i], &got[i]});
      exact.Search(req.queries[i].data(), req.params[i], &want[i]);
    }
    exact.SearchBatch(batch);
    for (int i = 0; i < 40; ++i) EXPECT_EQ(got[i], want[i]) << i;
  }
}

TEST(BatchingRetrieverTest, ConcurrentSearchesAreBatchedWithIdenticalAnswers) {
  std::mt19937_64 rng(32);
  RowMatrix items = Items(5000, 24, &rng);
  Requests req(64, &rng);
  ExactRetriever reference(items, ExactOptions{.threads = 1});
  BatchingRetriever batching(
      std::make_unique<ExactRetriever>(items, ExactOptions{.threads = 1}),
      {.max_wait = absl::Milliseconds(5), .max_batch = 4});
  constexpr int kThreads = 8, kRounds = 8;
  std::vector<std::vector<std::vector<ScoredItem>>> got(
      kThreads, std::vector<std::vector<ScoredItem>>(kRounds));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        const int i = (t * kRounds + r) % 64;
        batching.Search(req.queries[i].data(), req.params[i], &got[t][r]);
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) {
    for (int r = 0; r < kRounds; ++r) {
      const int i = (t * kRounds + r) % 64;
      std::vector<ScoredItem> want;
      reference.Search(req.queries[i].data(), req.params[i], &want);
      EXPECT_EQ(got[t][r], want) << "thread " << t << " round " << r;
    }
  }
  EXPECT_EQ(batching.searches(), kThreads * kRounds);
  // Eight threads searching at once, each batch waiting up to 5 ms for up
  // to 4: searches shared batches.
  EXPECT_LT(batching.batches(), batching.searches());
}

TEST(BatchingRetrieverTest, ZeroWaitSearchesDirectly) {
  std::mt19937_64 rng(33);
  RowMatrix items = Items(500, 8, &rng);
  BatchingRetriever off(std::make_unique<ExactRetriever>(items),
                        BatchingOptions{});
  RowMatrix q = Items(1, 8, &rng);
  std::vector<ScoredItem> got, want;
  off.Search(q.data(), SearchParams(5), &got);
  ExactRetriever(items).Search(q.data(), SearchParams(5), &want);
  EXPECT_EQ(got, want);
  EXPECT_EQ(off.batches(), 0);
}

}  // namespace
}  // namespace tailor
