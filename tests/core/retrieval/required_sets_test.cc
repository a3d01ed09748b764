#include "core/retrieval/required_sets.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>

#include "gtest/gtest.h"
#include "tests/core/retrieval/retrieval_test_util.h"

namespace tailor {
namespace {

// A storage order (a shuffled permutation), norms and codes as a retriever
// would hold them.
struct Storage {
  explicit Storage(int n, uint64_t seed) : item_of(n), norm(n) {
    std::mt19937_64 rng(seed);
    rows = GaussianMatrix(n, 12, &rng);
    std::iota(item_of.begin(), item_of.end(), 0);
    std::shuffle(item_of.begin(), item_of.end(), rng);
    for (int p = 0; p < n; ++p) norm[p] = rows.row(item_of[p]).norm();
    codes = QuantizeRows(
        n, 12, [&](int64_t p) { return rows.row(item_of[p]).data(); }, norm);
  }
  RowMatrix rows;
  std::vector<int32_t> item_of;
  std::vector<float> norm;
  Int8Rows codes;
};

TEST(RequiredSetCacheTest, CopiesAreInStorageOrderAndCompactOnlyWhenSelective) {
  const Storage s(5000, 1);
  RequiredSetCache cache(&s.item_of, &s.norm, &s.codes,
                         {.position_bits = true, .compact_share = 0.1});
  ItemSet small(5000), large(5000);
  for (int i = 0; i < 5000; i += 20) small.Insert(i);  // 5%
  for (int i = 0; i < 5000; i += 3) large.Insert(i);   // 33%

  const auto copy = cache.Get(small);
  EXPECT_EQ(copy->count, 250);
  for (int p = 0; p < 5000; ++p) {
    const bool bit = (copy->bits[p >> 6] >> (p & 63)) & 1;
    EXPECT_EQ(bit, s.item_of[p] % 20 == 0) << p;
  }
  ASSERT_TRUE(copy->compact.has_value());
  const CompactSet& c = *copy->compact;
  ASSERT_EQ(c.position.size(), 250u);
  for (size_t i = 0; i < c.position.size(); ++i) {
    const int32_t p = c.position[i];
    EXPECT_EQ(s.item_of[p] % 20, 0);
    EXPECT_EQ(c.norm[i], s.norm[p]);
    if (i > 0) {
      EXPECT_GE(c.norm[i - 1], c.norm[i]);
    }
    EXPECT_EQ(std::memcmp(c.codes.codes.row(i), s.codes.codes.row(p),
                          s.codes.codes.stride()),
              0);
    EXPECT_EQ(c.codes.scale[i], s.codes.scale[p]);
    EXPECT_EQ(c.codes.slack[i], s.codes.slack[p]);
  }

  const auto big = cache.Get(large);
  EXPECT_EQ(big->count, 1667);
  EXPECT_FALSE(big->compact.has_value());
  // The same set again is the cached copy; a changed one is not.
  EXPECT_EQ(cache.Get(small), copy);
  small.Insert(1);
  EXPECT_NE(cache.Get(small), copy);
  EXPECT_EQ(cache.Get(small)->count, 251);
}

TEST(RequiredSetCacheTest, StartsOverWhenPastItsBudget) {
  const Storage s(4000, 2);
  RequiredSetCache unbounded(&s.item_of, &s.norm, &s.codes, {});
  std::vector<ItemSet> sets(6, ItemSet(4000));
  for (int k = 0; k < 6; ++k) {
    for (int i = k; i < 4000; i += 10) sets[k].Insert(i);
  }
  const size_t one = unbounded.Get(sets[0])->memory_bytes();
  EXPECT_EQ(unbounded.memory_bytes(), one);

  RequiredSetCache cache(&s.item_of, &s.norm, &s.codes,
                         {.max_bytes = 3 * one + one / 2});
  std::vector<std::shared_ptr<const RequiredSetCopy>> held;
  for (const ItemSet& set : sets) {
    held.push_back(cache.Get(set));
    EXPECT_LE(cache.memory_bytes(), 3 * one + one / 2);
  }
  // Copies handed out stay valid after the cache dropped them.
  for (int k = 0; k < 6; ++k) {
    EXPECT_EQ(held[k]->count, 400);
    EXPECT_EQ(held[k]->compact->position.size(), 400u);
  }
  // The latest is still cached, the first was dropped and is rebuilt.
  EXPECT_EQ(cache.Get(sets[5]), held[5]);
  EXPECT_NE(cache.Get(sets[0]), held[0]);

  // At most max_sets copies, however small.
  RequiredSetCache few(&s.item_of, &s.norm, &s.codes, {.max_sets = 2});
  for (const ItemSet& set : sets) few.Get(set);
  EXPECT_LE(few.memory_bytes(), 2 * one);
  EXPECT_GE(few.memory_bytes(), one);
}

TEST(RequiredSetCacheTest, SelectiveSetPicksTheMostSelective) {
  const Storage s(1000, 3);
  RequiredSetCache cache(&s.item_of, &s.norm, &s.codes, {});
  ItemSet a(1000), b(1000), wide(1000);
  for (int i = 0; i < 1000; i += 9) a.Insert(i);   // 112: compact
  for (int i = 0; i < 1000; i += 50) b.Insert(i);  // 20: compact
  for (int i = 0; i < 1000; i += 2) wide.Insert(i);
  ItemFilter filter;
  filter.require = {&wide, &a, &b};
  std::shared_ptr<const RequiredSetCopy> copy;
  EXPECT_EQ(cache.SelectiveSet(filter, &copy), 2);
  filter.require = {&wide};
  EXPECT_EQ(cache.SelectiveSet(filter, &copy), -1);
}

}  // namespace
}  // namespace tailor
