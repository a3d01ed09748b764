#include "core/models/association_rules.h"

#include <map>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tailor {
namespace {

using ::testing::ElementsAre;

// Every itemset of 1..max_size items with its count, by enumerating each
// basket's subsets.
std::map<std::vector<int32_t>, int64_t> BruteForce(
    const std::vector<Basket>& baskets, int max_size) {
  std::map<std::vector<int32_t>, int64_t> counts;
  for (Basket b : baskets) {
    std::sort(b.begin(), b.end());
    b.erase(std::unique(b.begin(), b.end()), b.end());
    const int n = static_cast<int>(b.size());
    for (uint32_t mask = 1; mask < (1u << n); ++mask) {
      if (__builtin_popcount(mask) > max_size) continue;
      std::vector<int32_t> s;
      for (int i = 0; i < n; ++i) {
        if (mask >> i & 1) s.push_back(b[i]);
      }
      ++counts[s];
    }
  }
  return counts;
}

TEST(AssociationRulesTest, FpGrowthEqualsBruteForceOnRandomBaskets) {
  int64_t triples = 0;  // the comparison must cover deep itemsets too
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(seed);
    std::vector<Basket> baskets(60 + rng() % 60);
    for (Basket& b : baskets) {
      const int size = 1 + rng() % 7;
      for (int k = 0; k < size; ++k) {
        // Skewed so that some items are frequent; duplicates allowed.
        b.push_back(static_cast<int32_t>((rng() % 12) * (rng() % 3) / 2));
      }
    }
    FpGrowthOptions o;
    o.min_count = 2 + seed % 4;
    o.max_size = 1 + seed % 4;
    auto mined = MineFrequentItemsets(baskets, o);
    ASSERT_TRUE(mined.ok()) << mined.status();
    std::map<std::vector<int32_t>, int64_t> expected;
    for (const auto& [items, count] : BruteForce(baskets, o.max_size)) {
      if (count >= o.min_count) expected[items] = count;
    }
    std::map<std::vector<int32_t>, int64_t> got;
    for (const Itemset& s : *mined) {
      ASSERT_TRUE(got.emplace(s.items, s.count).second) << "duplicate";
    }
    ASSERT_EQ(got, expected) << "seed " << seed;
    for (const auto& [items, count] : got) triples += items.size() >= 3;
  }
  EXPECT_GT(triples, 20);
}

TEST(AssociationRulesTest, RulesCarrySupportConfidenceAndLift) {
  // 10 baskets: {0,1} x4, {0} x2, {1} x1, {2} x3.
  std::vector<Basket> baskets;
  for (int k = 0; k < 4; ++k) baskets.push_back({0, 1});
  for (int k = 0; k < 2; ++k) baskets.push_back({0});
  baskets.push_back({1});
  for (int k = 0; k < 3; ++k) baskets.push_back({2});
  auto sets = MineFrequentItemsets(baskets, {.min_count = 2, .max_size = 2});
  ASSERT_TRUE(sets.ok());
  AssociationRules rules = MakeRules(*sets, 10, {});
  ASSERT_EQ(rules.rules.size(), 2u);
  // {0} -> 1: count 4, confidence 4/6, lift (4/6) / (5/10).
  const AssociationRule& r = rules.rules[0];
  EXPECT_THAT(r.antecedent, ElementsAre(0));
  EXPECT_EQ(r.consequent, 1);
  EXPECT_EQ(r.count, 4);
  EXPECT_FLOAT_EQ(r.confidence, 4.0f / 6);
  EXPECT_FLOAT_EQ(r.lift, (4.0f / 6) / 0.5f);
  // {1} -> 0: confidence 4/5, lift 0.8 / 0.6.
  EXPECT_FLOAT_EQ(rules.rules[1].lift, 0.8f / 0.6f);
  // A high lift threshold drops both.
  EXPECT_TRUE(MakeRules(*sets, 10, {.min_lift = 2.0f}).rules.empty());
}

TEST(AssociationRulesTest, BoughtTogetherUsesRulesWhoseAntecedentIsGiven) {
  std::vector<Basket> baskets;
  for (int k = 0; k < 5; ++k) baskets.push_back({0, 1, 2});
  for (int k = 0; k < 3; ++k) baskets.push_back({0, 3});
  for (int k = 0; k < 12; ++k) baskets.push_back({4, 5});
  auto sets = MineFrequentItemsets(baskets, {.min_count = 2, .max_size = 3});
  ASSERT_TRUE(sets.ok());
  const AssociationRules rules = MakeRules(*sets, 20, {});
  // Given item 0: 1 and 2 (lift 20*5/(8*5) = 2.5) beat 3 (20*3/(8*3) =
  // 2.5 too, but lower confidence 3/8 < 5/8).
  std::vector<TogetherItem> got = BoughtTogether(rules, {0}, 10);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].item, 1);
  EXPECT_EQ(got[1].item, 2);
  EXPECT_EQ(got[2].item, 3);
  // Given 0 and 1: the 3-itemset rule {0,1} -> 2 (lift 20*5/(5*5) = 4)
  // ranks 2 first; given items are never returned; k truncates.
  got = BoughtTogether(rules, {1, 0, 1}, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].item, 2);
  EXPECT_THAT(got[0].rule->antecedent, ElementsAre(0, 1));
  EXPECT_TRUE(BoughtTogether(rules, {9}, 5).empty());
}

TEST(AssociationRulesTest, BasketsAreOneShopperOneDay) {
  BasketBuilder b;
  b.Add("u1", "a", 100);
  b.Add("u1", "b", 200);
  b.Add("u1", "a", 300);        // duplicate within the day
  b.Add("u1", "c", 86400 + 5);  // next day
  b.Add("u2", "b", 100);
  b.Add("u2", "gone", 100);  // not in the model's items
  IdMap items;
  items.Insert("c");
  items.Insert("b");
  items.Insert("a");
  std::vector<Basket> baskets = std::move(b).Build(items);
  EXPECT_THAT(baskets,
              ElementsAre(ElementsAre(1, 2), ElementsAre(0), ElementsAre(1)));
}

TEST(AssociationRulesTest, BadOptions) {
  EXPECT_EQ(MineFrequentItemsets({}, {.min_count = 0}).status().message(),
            "min_count: must be >= 1, got 0");
  EXPECT_FALSE(MineFrequentItemsets({}, {.max_size = 0}).ok());
}

}  // namespace
}  // namespace tailor
