#include "core/popularity.h"

namespace tailor {

std::vector<float> ComputePopularity(const InteractionMatrix& m) {
  std::vector<float> pop(m.num_items(), 0.0f);
  for (int64_t p = 0; p < m.nnz(); ++p) {
    if (m.weight[p] > 0) pop[m.item[p]] += 1.0f;
    if (m.flags[p] & kPurchased) pop[m.item[p]] += 1.0f;
  }
  return pop;
}

}  // namespace tailor
