#include <random>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "core/retrieval/aligned_rows.h"
#include "core/retrieval/brute_force.h"
#include "core/retrieval/collectors.h"
#include "core/retrieval/exact_retriever.h"
#include "core/retrieval/item_set.h"
#include "core/retrieval/quantized_retriever.h"
#include "core/retrieval/retriever.h"
#include "gtest/gtest.h"
#include "tests/core/retrieval/retrieval_test_util.h"

namespace tailor {
namespace {

// Exact-answer retrievers with each kernel level: fp32 unsplit, without
// norm pruning and split in 3 parts; int8 unsplit and split in 2.
std::vector<std::unique_ptr<Retriever>> ExactVariants(const RowMatrix& items) {
  std::vector<std::unique_ptr<Retriever>> out;
  for (const DotKernels* k : AllKernels()) {
    out.push_back(std::make_unique<ExactRetriever>(
        items, ExactOptions{.threads = 1, .kernels = k}));
    out.push_back(std::make_unique<ExactRetriever>(
        items,
        ExactOptions{.threads = 1, .prune_by_norm = false, .kernels = k}));
    out.push_back(std::make_unique<ExactRetriever>(
        items,
        ExactOptions{.threads = 3, .min_items_per_thread = 1, .kernels = k}));
    out.push_back(std::make_unique<QuantizedRetriever>(
        items, ExactOptions{.threads = 1, .kernels = k}));
    out.push_back(std::make_unique<QuantizedRetriever>(
        items,
        ExactOptions{.threads = 2, .min_items_per_thread = 1, .kernels = k}));
  }
  return out;
}

// Checks that every exact variant answers `params` as brute force does;
// returns their answers.
std::vector<std::vector<ScoredItem>> ExpectEveryVariantExact(
    const RowMatrix& items, const RowMatrix& query, const SearchParams& params,
    const std::string& context) {
  const std::vector<ScoredItem> want =
      BruteForceTopN(items, query.data(), params);
  std::vector<std::vector<ScoredItem>> answers;
  for (const auto& retriever : ExactVariants(items)) {
    std::vector<ScoredItem>& got = answers.emplace_back();
    retriever->Search(query.data(), params, &got);
    EXPECT_EQ(got, want) << context;
  }
  return answers;
}

TEST(SimdTest, KernelsAgreeWithScalar) {
  if (!SimdSupported(SimdLevel::kAvx2)) GTEST_SKIP() << "no AVX2 here";
  std::mt19937_64 rng(5);
  const DotKernels& scalar = KernelsFor(SimdLevel::kScalar);
  const DotKernels& avx2 = KernelsFor(SimdLevel::kAvx2);
  for (int dim : {1, 7, 16, 33, 64, 100}) {
    for (int n : {1, 3, 4, 5, 17, 1000}) {
      AlignedRows<float> rows = AlignRows(GaussianMatrix(n, dim, &rng));
      RowMatrix q = GaussianMatrix(1, static_cast<int>(rows.stride()), &rng);
      q.rightCols(rows.stride() - dim).setZero();
      std::vector<float> want(n), got(n), gathered(n);
      scalar.dot_f32(rows.data(), n, rows.stride(), q.data(), want.data());
      avx2.dot_f32(rows.data(), n, rows.stride(), q.data(), got.data());
      std::vector<int32_t> ids(n);
      for (int i = 0; i < n; ++i) ids[i] = n - 1 - i;
      avx2.dot_f32_gather(rows.data(), ids.data(), n, rows.stride(), q.data(),
                          gathered.data());
      for (int i = 0; i < n; ++i) {
        EXPECT_NEAR(got[i], want[i], 1e-4f * (1 + std::abs(want[i])));
        // A row's score does not depend on its position in the batch.
        EXPECT_EQ(gathered[n - 1 - i], got[i]) << "dim " << dim << " n " << n;
      }

      AlignedRows<int8_t> codes(n, dim);
      std::vector<int16_t> q16(codes.stride(), 0);
      for (int d = 0; d < dim; ++d) {
        q16[d] = static_cast<int16_t>(static_cast<int>(rng() % 65535) - 32767);
      }
      for (int i = 0; i < n; ++i) {
        for (int d = 0; d < dim; ++d) {
          codes.row(i)[d] =
              static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
        }
      }
      std::vector<int32_t> iwant(n), igot(n);
      scalar.dot_i8(codes.data(), n, codes.stride(), q16.data(), iwant.data());
      avx2.dot_i8(codes.data(), n, codes.stride(), q16.data(), igot.data());
      EXPECT_EQ(igot, iwant);
    }
  }
}

TEST(AlignedRowsTest, RowsAreAlignedAndPadded) {
  std::mt19937_64 rng(1);
  RowMatrix m = GaussianMatrix(5, 20, &rng);
  AlignedRows<float> rows = AlignRows(m);
  EXPECT_EQ(rows.stride(), 32);
  for (int r = 0; r < 5; ++r) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(rows.row(r)) % 64, 0u);
    for (int d = 0; d < 20; ++d) EXPECT_EQ(rows.row(r)[d], m(r, d));
    for (int d = 20; d < 32; ++d) EXPECT_EQ(rows.row(r)[d], 0.0f);
  }
}

TEST(RetrieverTest, EveryPathEqualsBruteForceIncludingTies) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 12; ++trial) {
    const int n = 1 + static_cast<int>(rng() % 9000);  // spans several blocks
    const int dim = 1 + static_cast<int>(rng() % 40);
    RowMatrix items = IntegerMatrix(n, dim, 2, &rng);
    RowMatrix query = IntegerMatrix(1, dim, 3, &rng);
    for (const auto& retriever : ExactVariants(items)) {
      for (int k : {1, 10, 100, n, n + 5}) {
        SearchParams params(k);
        std::vector<ScoredItem> got;
        retriever->Search(query.data(), params, &got);
        EXPECT_EQ(got, BruteForceTopN(items, query.data(), params))
            << "trial " << trial << " n " << n << " k " << k;
      }
    }
  }
}

TEST(RetrieverTest, FiltersAndCapsEqualBruteForceAndNeverLeak) {
  std::mt19937_64 rng(12);
  for (int trial = 0; trial < 8; ++trial) {
    const int n = 500 + static_cast<int>(rng() % 6000);
    const int dim = 8 + static_cast<int>(rng() % 24);
    RowMatrix items = IntegerMatrix(n, dim, 3, &rng);
    RowMatrix query = IntegerMatrix(1, dim, 3, &rng);
    ItemSet exclude(n), in_stock(n);
    std::vector<float> price(n);
    std::vector<int32_t> group(n), candidates;
    for (int i = 0; i < n; ++i) {
      if (rng() % 4 == 0) exclude.Insert(i);
      if (rng() % 10 != 0) in_stock.Insert(i);
      price[i] = static_cast<float>(rng() % 200);
      group[i] = static_cast<int32_t>(rng() % 7) - 1;  // -1: uncapped
      if (rng() % 20 == 0) candidates.push_back(i);
    }
    for (int variant = 0; variant < 4; ++variant) {
      SearchParams params(1 + static_cast<int>(rng() % 60));
      params.filter.exclude = &exclude;
      params.filter.require = {&in_stock};
      params.filter.values = price.data();
      params.filter.min_value = 20;
      params.filter.max_value = 150;
      if (variant & 1) params.filter.candidates = &candidates;
      if (variant & 2) {
        params.group_of = group.data();
        params.max_per_group = 1 + static_cast<int>(rng() % 3);
      }
      for (const std::vector<ScoredItem>& got : ExpectEveryVariantExact(
               items, query, params,
               absl::StrCat("trial ", trial, " variant ", variant))) {
        absl::flat_hash_map<int32_t, int> per_group;
        for (const ScoredItem& s : got) {
          EXPECT_TRUE(params.filter.Eligible(s.item)) << s.item;
          if (params.group_of != nullptr && group[s.item] >= 0) {
            EXPECT_LE(++per_group[group[s.item]], params.max_per_group);
          }
        }
      }
    }
  }
}

// Selective required sets (a category, a size) are searched through their
// compact copies (positions on the fp32 path, codes too on the int8 path):
// the same exact answer, combined with the other rules, and the copies
// follow a set changed in place.
TEST(RetrieverTest, SelectiveRequiredSetsEqualBruteForce) {
  std::mt19937_64 rng(31);
  for (int trial = 0; trial < 6; ++trial) {
    const int n = 2000 + static_cast<int>(rng() % 6000);
    const int dim = 8 + static_cast<int>(rng() % 24);
    // Integer entries keep the scores exact; the clustered ones (rounded)
    // have spread norms, so the scans stop early.
    RowMatrix items = trial % 2 == 0
                          ? IntegerMatrix(n, dim, 3, &rng)
                          : RowMatrix((ClusteredMatrix(n, dim, 20, &rng) * 4)
                                          .array()
                                          .round()
                                          .matrix());
    RowMatrix query = IntegerMatrix(1, dim, 3, &rng);
    ItemSet exclude(n), in_stock(n), category(n), size(n);
    std::vector<float> price(n);
    std::vector<int32_t> group(n);
    for (int i = 0; i < n; ++i) {
      if (rng() % 5 == 0) exclude.Insert(i);
      if (rng() % 10 != 0) in_stock.Insert(i);
      if (rng() % 25 == 0) category.Insert(i);  // 4%: compact
      if (rng() % 12 == 0) size.Insert(i);      // 8%: compact
      price[i] = static_cast<float>(rng() % 200);
      group[i] = static_cast<int32_t>(rng() % 5) - 1;
    }
    for (int variant = 0; variant < 8; ++variant) {
      SearchParams params(1 + static_cast<int>(rng() % 120));
      params.filter.require = {&in_stock, &category};
      if (variant & 1) params.filter.require.push_back(&size);
      if (variant & 2) {
        params.filter.exclude = &exclude;
        params.filter.values = price.data();
        params.filter.min_value = 30;
        params.filter.max_value = 170;
      }
      if (variant & 4) {
        params.group_of = group.data();
        params.max_per_group = 1 + static_cast<int>(rng() % 3);
      }
      ExpectEveryVariantExact(
          items, query, params,
          absl::StrCat("trial ", trial, " variant ", variant));
    }
  }
  // A set that grows in place past the compact share is not answered from
  // its old copy, on either path.
  RowMatrix items = IntegerMatrix(3000, 8, 3, &rng);
  RowMatrix query = IntegerMatrix(1, 8, 3, &rng);
  for (const auto& retriever : ExactVariants(items)) {
    ItemSet set(3000);
    for (int i = 0; i < 3000; i += 40) set.Insert(i);
    SearchParams params(30);
    params.filter.require = {&set};
    for (int round = 0; round < 4; ++round) {
      std::vector<ScoredItem> got;
      retriever->Search(query.data(), params, &got);
      EXPECT_EQ(got, BruteForceTopN(items, query.data(), params))
          << "round " << round;
      for (int i = round; i < 3000; i += 9) set.Insert(i);
    }
  }
}

TEST(RetrieverTest, FewerEligibleThanCountReturnsAllOfThem) {
  std::mt19937_64 rng(3);
  RowMatrix items = GaussianMatrix(3000, 16, &rng);
  RowMatrix query = GaussianMatrix(1, 16, &rng);
  std::vector<int32_t> candidates = {5, 77, 1200, 2999};
  ItemSet exclude(3000);
  exclude.Insert(77);
  SearchParams params(10);
  params.filter.candidates = &candidates;
  params.filter.exclude = &exclude;
  for (const auto& retriever : ExactVariants(items)) {
    std::vector<ScoredItem> got;
    retriever->Search(query.data(), params, &got);
    ASSERT_EQ(got.size(), 3u);
    for (const ScoredItem& s : got) EXPECT_NE(s.item, 77);
  }
}

TEST(QuantizedRetrieverTest, PrunedPathsEqualTheFullScanOnFloats) {
  std::mt19937_64 rng(13);
  for (bool clustered : {false, true}) {
    RowMatrix items = clustered ? ClusteredMatrix(40000, 64, 30, &rng)
                                : GaussianMatrix(40000, 64, &rng);
    // The full scan is the reference: pruning must not change the answer.
    ExactRetriever full(items,
                        ExactOptions{.threads = 1, .prune_by_norm = false});
    ExactRetriever exact(items, ExactOptions{.threads = 1});
    QuantizedRetriever int8(items, ExactOptions{.threads = 1});
    EXPECT_LT(int8.memory_bytes(), 2 * exact.memory_bytes());
    int64_t rescored = 0;
    for (int trial = 0; trial < 20; ++trial) {
      RowMatrix query = clustered ? ClusteredMatrix(1, 64, 1, &rng)
                                  : GaussianMatrix(1, 64, &rng);
      for (int k : {10, 100}) {
        std::vector<ScoredItem> want, pruned, got;
        full.Search(query.data(), SearchParams(k), &want);
        exact.Search(query.data(), SearchParams(k), &pruned);
        int8.Search(query.data(), SearchParams(k), &got);
        EXPECT_EQ(pruned, want) << "clustered " << clustered << " k " << k;
        EXPECT_EQ(got, want) << "clustered " << clustered << " k " << k;
        rescored += QuantizedRetriever::last_rescored();
      }
    }
    // The bounds prune: only a small fraction is re-scored in fp32.
    EXPECT_LT(rescored / 40, 40000 / 20) << "clustered " << clustered;
  }
}

TEST(RetrieverTest, FloatScoresMatchBruteForceWithinRounding) {
  std::mt19937_64 rng(13);
  RowMatrix items = GaussianMatrix(20000, 64, &rng);
  RowMatrix query = GaussianMatrix(1, 64, &rng);
  const auto want = BruteForceTopN(items, query.data(), SearchParams(100));
  for (const auto& retriever : ExactVariants(items)) {
    std::vector<ScoredItem> got;
    retriever->Search(query.data(), SearchParams(100), &got);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_NEAR(got[i].score, want[i].score, 1e-3);
    }
    for (size_t i = 1; i < got.size(); ++i) {
      EXPECT_TRUE(RanksBefore(got[i - 1], got[i]));
    }
  }
}

TEST(RetrieverTest, DegenerateRequests) {
  RowMatrix items(3, 2);
  items << 1, 0, 0, 1, 1, 1;
  for (const auto& retriever : ExactVariants(items)) {
    const float q[2] = {1, 1};
    std::vector<ScoredItem> got{{7, 7.0f}};
    retriever->Search(q, SearchParams(0), &got);
    EXPECT_TRUE(got.empty());
    ItemSet all(3);
    for (int i = 0; i < 3; ++i) all.Insert(i);
    SearchParams none(5);
    none.filter.exclude = &all;
    retriever->Search(q, none, &got);
    EXPECT_TRUE(got.empty());
    retriever->Search(q, SearchParams(5), &got);
    EXPECT_EQ(got, (std::vector<ScoredItem>{{2, 2.0f}, {0, 1.0f}, {1, 1.0f}}));
    const float zero[2] = {0, 0};
    retriever->Search(zero, SearchParams(2), &got);
    EXPECT_EQ(got, (std::vector<ScoredItem>{{0, 0.0f}, {1, 0.0f}}));
  }
}

TEST(CappedCollectorTest, KeepsTheBestListWithinCaps) {
  std::mt19937_64 rng(2);
  for (int trial = 0; trial < 50; ++trial) {
    const int n = 1 + static_cast<int>(rng() % 300);
    std::vector<int32_t> group(n);
    std::vector<ScoredItem> all;
    for (int i = 0; i < n; ++i) {
      group[i] = static_cast<int32_t>(rng() % 5) - 1;
      all.push_back({i, static_cast<float>(rng() % 50)});
    }
    const int k = 1 + static_cast<int>(rng() % 30);
    const int cap = 1 + static_cast<int>(rng() % 4);
    CappedCollector c(k, group.data(), cap);
    for (const ScoredItem& s : all) {
      if (s.score < c.threshold()) continue;
      c.Push(s);
      if (rng() % 7 == 0) c.Refresh();
    }
    std::vector<ScoredItem> got;
    c.Finish(&got);
    // Greedy over everything, best first.
    std::sort(all.begin(), all.end(), RanksBefore);
    std::vector<ScoredItem> want;
    absl::flat_hash_map<int32_t, int> taken;
    for (const ScoredItem& s : all) {
      if (static_cast<int>(want.size()) == k) break;
      if (group[s.item] >= 0 && ++taken[group[s.item]] > cap) continue;
      want.push_back(s);
    }
    EXPECT_EQ(got, want) << "trial " << trial;
  }
}

}  // namespace
}  // namespace tailor
