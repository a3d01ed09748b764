#include "core/retrieval/brute_force.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"

namespace tailor {

std::vector<ScoredItem> BruteForceTopN(const RowMatrix& items,
                                       const float* query,
                                       const SearchParams& params) {
  std::vector<ScoredItem> all;
  const ItemFilter& filter = params.filter;
  for (Eigen::Index i = 0; i < items.rows(); ++i) {
    const auto item = static_cast<int32_t>(i);
    if (filter.candidates != nullptr &&
        !std::binary_search(filter.candidates->begin(),
                            filter.candidates->end(), item)) {
      continue;
    }
    if (!filter.Accepts(item)) continue;
    float s = 0;
    for (Eigen::Index d = 0; d < items.cols(); ++d) s += items(i, d) * query[d];
    all.push_back({item, s});
  }
  std::sort(all.begin(), all.end(), RanksBefore);
  std::vector<ScoredItem> out;
  absl::flat_hash_map<int32_t, int> taken;
  for (const ScoredItem& s : all) {
    if (static_cast<int>(out.size()) >= params.k) break;
    if (params.group_of != nullptr && params.max_per_group > 0) {
      const int32_t g = params.group_of[s.item];
      if (g >= 0 && ++taken[g] > params.max_per_group) continue;
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace tailor
