// "Frequently bought together": frequent itemsets mined from baskets with
// FP-growth (Han, Pei & Yin, SIGMOD 2000) and the association rules
// X -> y they imply, with support, confidence and lift: what the trainer
// mines into a snapshot's AssociationRules (core/serving/bought_together.h).
#ifndef TAILOR_CORE_MODELS_ASSOCIATION_RULES_H_
#define TAILOR_CORE_MODELS_ASSOCIATION_RULES_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/base/id_map.h"
#include "core/serving/bought_together.h"

namespace tailor {

// One basket: the distinct item indexes bought together (an order, or one
// shopper's purchases on one day).
using Basket = std::vector<int32_t>;

struct Itemset {
  std::vector<int32_t> items;  // ascending
  int64_t count = 0;           // baskets containing all of them
  bool operator==(const Itemset&) const = default;
};

struct FpGrowthOptions {
  // An itemset is frequent when at least this many baskets contain it.
  int64_t min_count = 2;
  // Largest itemset mined (2 = pairs).
  int max_size = 3;
};

absl::Status ValidateFpGrowthOptions(const FpGrowthOptions& options);

// Every itemset with count >= min_count and 1..max_size items, sorted by
// size, then items. Duplicate items within a basket count once.
absl::StatusOr<std::vector<Itemset>> MineFrequentItemsets(
    const std::vector<Basket>& baskets, const FpGrowthOptions& options);

struct RuleOptions {
  float min_confidence = 0.05f;
  float min_lift = 1.0f;  // rules at or below 1 are not "together"
};

// Every rule (S \ {y}) -> y over frequent itemsets S of 2+ items that meets
// the thresholds.
AssociationRules MakeRules(const std::vector<Itemset>& itemsets,
                           int64_t num_baskets, const RuleOptions& options);

// Groups purchases into baskets: one per shopper and UTC day (same-day
// purchases are one order or session).
// Memory: 16 bytes per purchase until Build().
// Thread safety: not thread-safe.
class BasketBuilder {
 public:
  void Add(absl::string_view user_id, absl::string_view item_id,
           int64_t timestamp);
  int64_t num_purchases() const { return static_cast<int64_t>(raw_.size()); }
  // Baskets over `items`' indexes (items it does not know are dropped),
  // each with distinct ascending items; baskets of one item are kept (they
  // count towards every item's support).
  std::vector<Basket> Build(const IdMap& items) &&;

 private:
  struct Raw {
    int32_t user;
    int32_t item;
    int64_t day;
  };
  IdMap users_;
  IdMap items_;
  std::vector<Raw> raw_;
};

}  // namespace tailor

#endif  // TAILOR_CORE_MODELS_ASSOCIATION_RULES_H_
