// "Frequently bought together" at serving time: a snapshot's association
// rules (mined by core/models/association_rules.h) and the look-up that
// answers BoughtTogether for a product page or a cart.
#ifndef TAILOR_CORE_SERVING_BOUGHT_TOGETHER_H_
#define TAILOR_CORE_SERVING_BOUGHT_TOGETHER_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace tailor {

struct AssociationRule {
  std::vector<int32_t> antecedent;  // ascending, non-empty
  int32_t consequent = 0;           // not in antecedent
  int64_t count = 0;                // baskets with antecedent and consequent
  float confidence = 0;             // count / baskets with the antecedent
  float lift = 0;  // confidence / (share of baskets with consequent)
};

// The rules of a snapshot, indexed for look-ups.
// Thread safety: immutable once built; safe to share between threads.
struct AssociationRules {
  int64_t num_baskets = 0;
  // Sorted by (antecedent, then lift descending, then consequent).
  std::vector<AssociationRule> rules;
};

// Items bought together with `items` (indexes; duplicates ignored): every
// rule whose antecedent is a subset of `items` votes for its consequent, an
// item scoring its best rule's lift (ties: confidence, then count). Items
// already in `items` are never returned. At most `k`, best first.
struct TogetherItem {
  int32_t item;
  const AssociationRule* rule;  // the best rule for it
};
std::vector<TogetherItem> BoughtTogether(const AssociationRules& rules,
                                         absl::Span<const int32_t> items,
                                         int k);

}  // namespace tailor

#endif  // TAILOR_CORE_SERVING_BOUGHT_TOGETHER_H_
