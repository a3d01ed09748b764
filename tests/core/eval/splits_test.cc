#include "core/eval/splits.h"

#include <cmath>
#include <random>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace tailor {
namespace {

// Users 0..n-1 where user u has u+1 items, several events per pair.
InteractionMatrix MakeMatrix(int users, uint64_t seed) {
  std::mt19937_64 rng(seed);
  InteractionBuilder b;
  for (int u = 0; u < users; ++u) {
    for (int i = 0; i <= u; ++i) {
      const int item = static_cast<int>(rng() % 200);
      for (int e = 0; e < 3; ++e) {
        b.Add({absl::StrCat("u", u), absl::StrCat("i", item),
               e == 2 ? EventType::kPurchase : EventType::kView,
               static_cast<int64_t>(rng() % 100000), 1});
      }
    }
  }
  return std::move(b).Build();
}

std::set<std::pair<int32_t, int32_t>> Pairs(const InteractionMatrix& m) {
  std::set<std::pair<int32_t, int32_t>> pairs;
  for (int32_t u = 0; u < m.num_users(); ++u) {
    for (int64_t p = m.row_ptr[u]; p < m.row_ptr[u + 1]; ++p) {
      pairs.insert({u, m.item[p]});
    }
  }
  return pairs;
}

void ExpectPartition(const InteractionMatrix& m, const InteractionSplit& s,
                     double fraction) {
  EXPECT_EQ(s.train.users, m.users);
  EXPECT_EQ(s.test.items, m.items);
  auto train = Pairs(s.train);
  auto test = Pairs(s.test);
  for (const auto& p : test) {
    EXPECT_EQ(train.count(p), 0u) << "test pair leaked into training";
  }
  EXPECT_EQ(train.size() + test.size(), static_cast<size_t>(m.nnz()));
  EXPECT_EQ(s.train.nnz() + s.test.nnz(), m.nnz());
  for (int32_t u = 0; u < m.num_users(); ++u) {
    const int64_t n = m.row_ptr[u + 1] - m.row_ptr[u];
    const int64_t held = s.test.row_ptr[u + 1] - s.test.row_ptr[u];
    if (n < 2) {
      EXPECT_EQ(held, 0) << "user " << u;
    } else {
      EXPECT_EQ(held, std::clamp<int64_t>(std::llround(fraction * n), 1, n - 1))
          << "user " << u << " with " << n << " pairs";
    }
  }
}

TEST(SplitsTest, RandomSplitIsADeterministicPartition) {
  InteractionMatrix m = MakeMatrix(60, 1);
  InteractionSplit a = SplitRandomPerUser(m, 0.25, 7);
  ExpectPartition(m, a, 0.25);
  InteractionSplit b = SplitRandomPerUser(m, 0.25, 7);
  EXPECT_EQ(Pairs(a.test), Pairs(b.test));
  InteractionSplit c = SplitRandomPerUser(m, 0.25, 8);
  EXPECT_NE(Pairs(a.test), Pairs(c.test));
}

TEST(SplitsTest, TemporalSplitHoldsOutTheLatestPairs) {
  InteractionMatrix m = MakeMatrix(60, 2);
  InteractionSplit s = SplitTemporalPerUser(m, 0.2);
  ExpectPartition(m, s, 0.2);
  for (int32_t u = 0; u < m.num_users(); ++u) {
    int64_t latest_train = INT64_MIN, earliest_test = INT64_MAX;
    for (int64_t p = s.train.row_ptr[u]; p < s.train.row_ptr[u + 1]; ++p) {
      latest_train = std::max(latest_train, s.train.time[p]);
    }
    for (int64_t p = s.test.row_ptr[u]; p < s.test.row_ptr[u + 1]; ++p) {
      earliest_test = std::min(earliest_test, s.test.time[p]);
    }
    if (earliest_test != INT64_MAX) {
      EXPECT_GE(earliest_test, latest_train) << "user " << u;
    }
  }
}

TEST(SplitsTest, ItemSplitHoldsOutWholeItems) {
  const InteractionMatrix m = MakeMatrix(60, 4);
  std::vector<bool> cold;
  const InteractionSplit s = SplitItemsOut(m, 0.1, 7, &cold);
  EXPECT_EQ(s.test.items, m.items);
  EXPECT_EQ(s.train.nnz() + s.test.nnz(), m.nnz());
  ASSERT_EQ(cold.size(), static_cast<size_t>(m.num_items()));
  int held = 0;
  for (bool c : cold) held += c;
  EXPECT_EQ(held, static_cast<int>(std::llround(0.1 * m.num_items())));
  // Every pair of a held-out item is in test, none in train.
  for (int32_t i : s.train.item) EXPECT_FALSE(cold[i]) << "item " << i;
  for (int32_t i : s.test.item) EXPECT_TRUE(cold[i]) << "item " << i;
  EXPECT_GT(s.test.nnz(), 0);
  std::vector<bool> again;
  SplitItemsOut(m, 0.1, 7, &again);
  EXPECT_EQ(cold, again);
  SplitItemsOut(m, 0.1, 8, &again);
  EXPECT_NE(cold, again);
}

TEST(SplitsTest, PairsKeepTheirAggregatedValues) {
  InteractionBuilder b;
  b.Add({"u", "a", EventType::kView, 10, 1});
  b.Add({"u", "a", EventType::kPurchase, 30, 1});
  b.Add({"u", "b", EventType::kView, 20, 1});
  InteractionMatrix m = std::move(b).Build();
  EXPECT_EQ(m.time, (std::vector<int64_t>{30, 20}));
  InteractionSplit s = SplitTemporalPerUser(m, 0.5);
  ASSERT_EQ(s.test.nnz(), 1);
  EXPECT_EQ(s.test.item[0], *m.items.Find("a"));  // latest event at t=30
  EXPECT_EQ(s.test.weight[0], 9.0f);
  EXPECT_EQ(s.test.flags[0], kInteracted | kPurchased |
                                 TypeFlag(EventType::kView) |
                                 TypeFlag(EventType::kPurchase));
}

}  // namespace
}  // namespace tailor
