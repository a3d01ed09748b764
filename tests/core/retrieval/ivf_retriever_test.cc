#include "core/retrieval/ivf_retriever.h"

#include <cmath>
#include <random>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "core/retrieval/brute_force.h"
#include "core/retrieval/exact_retriever.h"
#include "gtest/gtest.h"
#include "tests/core/retrieval/retrieval_test_util.h"

namespace tailor {
namespace {

TEST(IvfPartitionTest, ValidateNamesWhatIsWrong) {
  std::mt19937_64 rng(2);
  RowMatrix items = GaussianMatrix(300, 8, &rng);
  const IvfPartition good = BuildIvf(items, 10);
  ASSERT_TRUE(good.Validate(300, 8).ok());
  EXPECT_FALSE(good.Validate(301, 8).ok());
  EXPECT_FALSE(good.Validate(300, 9).ok());
  IvfPartition repeated = good;
  repeated.items[1] = repeated.items[0];
  EXPECT_FALSE(repeated.Validate(300, 8).ok());
  IvfPartition offsets = good;
  offsets.list_begin[3] = offsets.list_begin[4] + 1;
  EXPECT_FALSE(offsets.Validate(300, 8).ok());
  IvfPartition nan = good;
  nan.centroids(0, 0) = std::numeric_limits<float>::infinity();
  EXPECT_FALSE(nan.Validate(300, 8).ok());
  EXPECT_FALSE(IvfPartition().Validate(300, 8).ok());
}

// Probing every list examines the whole catalog, so the answer is the
// exact one, ties and filters included.
TEST(IvfRetrieverTest, ProbingEveryListEqualsBruteForce) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 6; ++trial) {
    const int n = 50 + static_cast<int>(rng() % 6000);
    const int dim = 1 + static_cast<int>(rng() % 40);
    RowMatrix items = IntegerMatrix(n, dim, 2, &rng);
    RowMatrix query = IntegerMatrix(1, dim, 3, &rng);
    const IvfPartition partition = BuildIvf(items);
    ItemSet exclude(n), in_stock(n);
    std::vector<float> price(n);
    std::vector<int32_t> group(n);
    for (int i = 0; i < n; ++i) {
      if (rng() % 4 == 0) exclude.Insert(i);
      if (rng() % 10 != 0) in_stock.Insert(i);
      price[i] = static_cast<float>(rng() % 200);
      group[i] = static_cast<int32_t>(rng() % 7) - 1;
    }
    for (const DotKernels* kernels : AllKernels()) {
      IvfRetriever ivf(items, partition,
                       {.probe = partition.lists(), .kernels = kernels});
      for (int variant = 0; variant < 3; ++variant) {
        for (int k : {1, 10, 100, n + 5}) {
          SearchParams params(k);
          if (variant >= 1) {
            params.filter.exclude = &exclude;
            params.filter.require = {&in_stock};
            params.filter.values = price.data();
            params.filter.min_value = 20;
            params.filter.max_value = 150;
          }
          if (variant == 2) {
            params.group_of = group.data();
            params.max_per_group = 2;
          }
          std::vector<ScoredItem> got;
          ivf.Search(query.data(), params, &got);
          EXPECT_EQ(got, BruteForceTopN(items, query.data(), params))
              << "trial " << trial << " variant " << variant << " k " << k;
        }
      }
    }
  }
}

TEST(IvfRetrieverTest, CandidateListsAndZeroQueriesAreExact) {
  std::mt19937_64 rng(4);
  RowMatrix items = IntegerMatrix(4000, 12, 3, &rng);
  RowMatrix query = IntegerMatrix(1, 12, 3, &rng);
  IvfRetriever ivf(items, BuildIvf(items), {.probe = 1});
  std::vector<int32_t> candidates;
  ItemSet exclude(4000);
  for (int i = 0; i < 4000; ++i) {
    if (rng() % 30 == 0) candidates.push_back(i);
    if (rng() % 3 == 0) exclude.Insert(i);
  }
  SearchParams params(25);
  params.filter.candidates = &candidates;
  params.filter.exclude = &exclude;
  std::vector<ScoredItem> got;
  ivf.Search(query.data(), params, &got);
  EXPECT_EQ(got, BruteForceTopN(items, query.data(), params));

  // Every score is 0: the lowest eligible indexes.
  const std::vector<float> zero(12, 0.0f);
  SearchParams zeros(5);
  zeros.filter.exclude = &exclude;
  ivf.Search(zero.data(), zeros, &got);
  EXPECT_EQ(got, BruteForceTopN(items, zero.data(), zeros));
}

TEST(IvfRetrieverTest, FiltersNeverLeakAndFewerEligibleReturnsThemAll) {
  std::mt19937_64 rng(5);
  RowMatrix items = ClusteredMatrix(20000, 16, 40, &rng);
  RowMatrix queries = GaussianMatrix(20, 16, &rng);
  const IvfPartition partition = BuildIvf(items);
  ItemSet in_stock(20000), three(20000);
  std::vector<int32_t> group(20000);
  for (int i = 0; i < 20000; ++i) {
    if (rng() % 2 == 0) in_stock.Insert(i);
    group[i] = static_cast<int32_t>(rng() % 5);
  }
  for (int i : {17, 9000, 19999}) three.Insert(i);
  IvfRetriever ivf(items, partition, {.probe = 4});
  for (int q = 0; q < queries.rows(); ++q) {
    SearchParams params(40);
    params.filter.require = {&in_stock};
    params.group_of = group.data();
    params.max_per_group = 3;
    std::vector<ScoredItem> got;
    ivf.Search(queries.row(q).data(), params, &got);
    EXPECT_EQ(got.size(), 15u);  // 5 groups x 3
    absl::flat_hash_map<int32_t, int> per_group;
    for (const ScoredItem& s : got) {
      EXPECT_TRUE(in_stock.Contains(s.item));
      EXPECT_LE(++per_group[group[s.item]], 3);
    }
    EXPECT_TRUE(std::is_sorted(got.begin(), got.end(), RanksBefore));
  }
  // A filter that keeps 3 items, searched with every list: all three.
  IvfRetriever wide(items, partition, {.probe = partition.lists()});
  SearchParams params(10);
  params.filter.require = {&three};
  std::vector<ScoredItem> got;
  wide.Search(queries.row(0).data(), params, &got);
  ASSERT_EQ(got.size(), 3u);
  const std::vector<ScoredItem> want =
      BruteForceTopN(items, queries.row(0).data(), params);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].item, want[i].item);
    EXPECT_NEAR(got[i].score, want[i].score, 1e-4f * std::abs(want[i].score));
  }
}

// Required sets are cached in list order by address and contents: a set
// that changes in place (or a new set at a freed one's address) is never
// answered from a stale copy.
TEST(IvfRetrieverTest, ChangedRequiredSetsAreNotAnsweredFromTheCache) {
  std::mt19937_64 rng(8);
  RowMatrix items = IntegerMatrix(3000, 8, 3, &rng);
  RowMatrix query = IntegerMatrix(1, 8, 3, &rng);
  const IvfPartition partition = BuildIvf(items);
  IvfRetriever ivf(items, partition, {.probe = partition.lists()});
  // Every 7th item (14%) is scanned through the lists, every 23rd (4%)
  // through its compact copy until it grows past 12.5%.
  for (int stride : {7, 23}) {
    ItemSet set(3000);
    for (int i = 0; i < 3000; i += stride) set.Insert(i);
    SearchParams params(20);
    params.filter.require.push_back(&set);
    for (int round = 0; round < 4; ++round) {
      std::vector<ScoredItem> got;
      ivf.Search(query.data(), params, &got);
      EXPECT_EQ(got, BruteForceTopN(items, query.data(), params))
          << "stride " << stride << " round " << round;
      for (int i = round; i < 3000; i += 13) set.Insert(i);
    }
  }
}

struct RecallCase {
  bool spread_norms;
  // The share of the catalog a required set keeps (0: no filter). 5% is
  // searched through the set's compact copy (exact); 20% through the lists.
  double filter_share;
};

void PrintTo(const RecallCase& c, std::ostream* os) {
  *os << (c.spread_norms ? "spread norms" : "equal norms") << ", filter keeps "
      << c.filter_share;
}

// The recall the approximate path must reach (0.99 at 10, 0.97 at
// 100), on 100 k clustered items: the width is tuned on 200 queries (as the
// trainer does) and the recall measured on 200 others, items and queries
// around the same directions, with and without popularity-like norms, and
// with filters that keep 5% (exact through its compact copy) and 20% of the
// catalog.
class IvfRecallTest : public ::testing::TestWithParam<RecallCase> {};

TEST_P(IvfRecallTest, MeetsTheRecallBound) {
  const RecallCase c = GetParam();
  std::mt19937_64 rng(21);
  const RowMatrix centres = GaussianMatrix(300, 32, &rng);
  const RowMatrix items =
      ClusteredAround(centres, 100000, c.spread_norms, &rng);
  const RowMatrix tuning = ClusteredAround(centres, 200, false, &rng);
  const RowMatrix queries = ClusteredAround(centres, 200, false, &rng);
  const bool filtered = c.filter_share > 0;
  ItemSet kept(100000);
  std::bernoulli_distribution keep(c.filter_share);
  for (int i = 0; i < 100000; ++i) {
    if (keep(rng)) kept.Insert(i);
  }
  IvfPartition partition = BuildIvf(items);
  absl::StatusOr<IvfEvaluation> tuned = TuneIvfProbe(items, partition, tuning);
  ASSERT_TRUE(tuned.ok()) << tuned.status();
  IvfRetriever ivf(
      items, partition,
      {.probe = tuned->probe, .filtered_probe = tuned->filtered_probe});
  ExactRetriever exact(items, {.threads = 1});
  for (int k : {10, 100}) {
    SearchParams params(k);
    if (filtered) params.filter.require = {&kept};
    double recall = 0;
    int64_t scanned = 0;
    for (int q = 0; q < queries.rows(); ++q) {
      std::vector<ScoredItem> want, got;
      exact.Search(queries.row(q).data(), params, &want);
      ivf.Search(queries.row(q).data(), params, &got);
      recall += RecallOf(want, got);
      scanned += IvfRetriever::last_stats().items_scanned;
      for (const ScoredItem& s : got) {
        ASSERT_TRUE(!filtered || kept.Contains(s.item));
      }
    }
    recall /= queries.rows();
    // A selective set's compact copy is searched exactly.
    const bool compact = filtered && c.filter_share <= 0.125;
    EXPECT_GE(recall, compact   ? 1.0
                      : k == 10 ? 0.99
                                : 0.97)
        << "k " << k << " probe " << tuned->probe << " filtered probe "
        << tuned->filtered_probe;
    // And it is far from a full scan (a compact copy: at most its members).
    EXPECT_LT(scanned / queries.rows(), compact ? kept.Count() + 1 : 100000 / 4)
        << "k " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Data, IvfRecallTest,
    ::testing::Values(RecallCase{true, 0}, RecallCase{false, 0},
                      RecallCase{true, 0.05}, RecallCase{false, 0.05},
                      RecallCase{true, 0.2}, RecallCase{false, 0.2}),
    // Named by value: the default name would print the struct's bytes,
    // padding included, which need not be the same from run to run.
    [](const ::testing::TestParamInfo<RecallCase>& info) {
      return absl::StrCat(
          info.param.spread_norms ? "SpreadNorms" : "EqualNorms", "Filter",
          static_cast<int>(std::lround(100 * info.param.filter_share)),
          "Percent");
    });

}  // namespace
}  // namespace tailor
