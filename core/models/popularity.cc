#include "core/models/popularity.h"

#include <algorithm>
#include <limits>

namespace tailor {

std::vector<float> ComputePopularity(const InteractionMatrix& m) {
  return ComputeRecentPopularity(m, 0);
}

std::vector<float> ComputeRecentPopularity(const InteractionMatrix& m,
                                           int64_t window_seconds) {
  int64_t since = std::numeric_limits<int64_t>::min();
  if (window_seconds > 0 && !m.time.empty()) {
    since = *std::max_element(m.time.begin(), m.time.end()) - window_seconds;
  }
  std::vector<float> pop(m.num_items(), 0.0f);
  for (int64_t p = 0; p < m.nnz(); ++p) {
    if (!m.time.empty() && m.time[p] < since) continue;
    if (m.weight[p] > 0) pop[m.item[p]] += 1.0f;
    if (m.flags[p] & kPurchased) pop[m.item[p]] += 1.0f;
  }
  return pop;
}

}  // namespace tailor
