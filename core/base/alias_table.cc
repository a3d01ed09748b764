#include "core/base/alias_table.h"

#include <cmath>
#include <numeric>

namespace tailor {

AliasTable::AliasTable(const std::vector<double>& weights)
    : prob_(weights.size()), alias_(weights.size()) {
  const size_t n = weights.size();
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<double> scaled(n);
  std::vector<int32_t> small, large;
  for (size_t i = 0; i < n; ++i) {
    scaled[i] = weights[i] * static_cast<double>(n) / sum;
    (scaled[i] < 1.0 ? small : large).push_back(static_cast<int32_t>(i));
  }
  constexpr double kScale = 4294967296.0;  // 2^32
  auto threshold = [&](double p) {
    return static_cast<uint32_t>(std::min(p * kScale, kScale - 1));
  };
  while (!small.empty() && !large.empty()) {
    const int32_t s = small.back();
    small.pop_back();
    const int32_t l = large.back();
    prob_[s] = threshold(scaled[s]);
    alias_[s] = l;
    scaled[l] -= 1.0 - scaled[s];
    if (scaled[l] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
  for (int32_t i : large) {
    prob_[i] = UINT32_MAX;
    alias_[i] = i;
  }
  for (int32_t i : small) {  // rounding leftovers
    prob_[i] = UINT32_MAX;
    alias_[i] = i;
  }
}

}  // namespace tailor
