#include "core/retrieval.h"

#include <random>

#include "gtest/gtest.h"

namespace tailor {
namespace {

// Small integer entries make every dot product exact in float, whatever the
// summation order, and create many ties to exercise tie-breaking.
RowMatrix IntegerMatrix(int rows, int cols, int range, std::mt19937_64* rng) {
  std::uniform_int_distribution<int> d(-range, range);
  RowMatrix m(rows, cols);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) m(r, c) = static_cast<float>(d(*rng));
  }
  return m;
}

TEST(ExactRetrieverTest, EqualsBruteForceIncludingTies) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 40; ++trial) {
    const int n = 1 + static_cast<int>(rng() % 9000);  // spans several blocks
    const int dim = 1 + static_cast<int>(rng() % 16);
    RowMatrix items = IntegerMatrix(n, dim, 2, &rng);
    RowMatrix query = IntegerMatrix(1, dim, 3, &rng);
    ExactRetriever retriever(&items);
    for (int k : {1, 10, 100, n, n + 5}) {
      std::vector<ScoredItem> got;
      retriever.Search(query.data(), k, nullptr, &got);
      EXPECT_EQ(got, BruteForceTopN(items, query.data(), k, nullptr))
          << "n=" << n << " dim=" << dim << " k=" << k;
    }
  }
}

TEST(ExactRetrieverTest, EqualsBruteForceWithExclusions) {
  std::mt19937_64 rng(12);
  for (int trial = 0; trial < 30; ++trial) {
    const int n = 1 + static_cast<int>(rng() % 5000);
    RowMatrix items = IntegerMatrix(n, 8, 3, &rng);
    RowMatrix query = IntegerMatrix(1, 8, 3, &rng);
    ItemSet exclude(n);
    const double p = (trial % 3) * 0.45;  // none, ~45%, ~90% excluded
    std::bernoulli_distribution coin(p);
    for (int i = 0; i < n; ++i) {
      if (coin(rng)) exclude.Insert(i);
    }
    ExactRetriever retriever(&items);
    std::vector<ScoredItem> got;
    retriever.Search(query.data(), 50, &exclude, &got);
    EXPECT_EQ(got, BruteForceTopN(items, query.data(), 50, &exclude));
    for (const auto& s : got) EXPECT_FALSE(exclude.Contains(s.item));
  }
}

TEST(ExactRetrieverTest, RandomFloatsMatchWithinRounding) {
  std::mt19937_64 rng(13);
  std::normal_distribution<float> normal;
  RowMatrix items(20000, 64);
  for (int i = 0; i < items.size(); ++i) items.data()[i] = normal(rng);
  std::vector<float> query(64);
  for (auto& q : query) q = normal(rng);
  ExactRetriever retriever(&items);
  std::vector<ScoredItem> got;
  retriever.Search(query.data(), 100, nullptr, &got);
  auto want = BruteForceTopN(items, query.data(), 100, nullptr);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i].score, want[i].score, 1e-3);
  }
  for (size_t i = 1; i < got.size(); ++i) {
    EXPECT_TRUE(RanksBefore(got[i - 1], got[i]));
  }
}

TEST(ExactRetrieverTest, DegenerateRequests) {
  RowMatrix items(3, 2);
  items << 1, 0, 0, 1, 1, 1;
  ExactRetriever retriever(&items);
  const float q[2] = {1, 1};
  std::vector<ScoredItem> got{{7, 7.0f}};
  retriever.Search(q, 0, nullptr, &got);
  EXPECT_TRUE(got.empty());
  ItemSet all(3);
  for (int i = 0; i < 3; ++i) all.Insert(i);
  retriever.Search(q, 5, &all, &got);
  EXPECT_TRUE(got.empty());
  retriever.Search(q, 5, nullptr, &got);
  EXPECT_EQ(got, (std::vector<ScoredItem>{{2, 2.0f}, {0, 1.0f}, {1, 1.0f}}));
}

}  // namespace
}  // namespace tailor
