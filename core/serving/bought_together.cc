#include "core/serving/bought_together.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"

namespace tailor {

std::vector<TogetherItem> BoughtTogether(const AssociationRules& rules,
                                         absl::Span<const int32_t> items,
                                         int k) {
  std::vector<int32_t> given(items.begin(), items.end());
  std::sort(given.begin(), given.end());
  given.erase(std::unique(given.begin(), given.end()), given.end());
  auto better = [](const AssociationRule* a, const AssociationRule* b) {
    if (a->lift != b->lift) return a->lift > b->lift;
    if (a->confidence != b->confidence) return a->confidence > b->confidence;
    return a->count > b->count;
  };
  absl::flat_hash_map<int32_t, const AssociationRule*> best;
  for (const AssociationRule& r : rules.rules) {
    if (std::binary_search(given.begin(), given.end(), r.consequent)) continue;
    if (!std::includes(given.begin(), given.end(), r.antecedent.begin(),
                       r.antecedent.end())) {
      continue;
    }
    auto [it, inserted] = best.try_emplace(r.consequent, &r);
    if (!inserted && better(&r, it->second)) it->second = &r;
  }
  std::vector<TogetherItem> out;
  out.reserve(best.size());
  for (const auto& [item, rule] : best) out.push_back({item, rule});
  std::sort(out.begin(), out.end(),
            [&](const TogetherItem& a, const TogetherItem& b) {
              if (better(a.rule, b.rule)) return true;
              if (better(b.rule, a.rule)) return false;
              return a.item < b.item;
            });
  if (static_cast<int>(out.size()) > k) out.resize(std::max(k, 0));
  return out;
}

}  // namespace tailor
