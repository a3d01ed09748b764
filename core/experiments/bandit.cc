#include "core/experiments/bandit.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "core/experiments/assignment.h"

namespace tailor {

std::vector<int32_t> FloorShares(absl::Span<const double> weights,
                                 int32_t min_share) {
  const size_t n = weights.size();
  double total = 0;
  for (double w : weights) total += std::max(0.0, w);
  std::vector<double> share(n, n > 0 ? 1.0 / static_cast<double>(n) : 0.0);
  if (total > 0) {
    for (size_t i = 0; i < n; ++i) share[i] = std::max(0.0, weights[i]) / total;
  }
  const double floor = static_cast<double>(min_share) / kBuckets;
  // Water-filling: arms below the floor are held at it, the rest share
  // what is left in proportion, until none falls below.
  std::vector<bool> held(n, false);
  for (bool changed = true; changed;) {
    changed = false;
    double free_mass = 1;
    double free_weight = 0;
    for (size_t i = 0; i < n; ++i) {
      if (held[i]) {
        free_mass -= floor;
      } else {
        free_weight += share[i];
      }
    }
    for (size_t i = 0; i < n; ++i) {
      if (held[i]) continue;
      const double scaled =
          free_weight > 0 ? share[i] / free_weight * free_mass : 0.0;
      if (scaled < floor) {
        held[i] = true;
        changed = true;
      }
    }
    if (!changed) {
      for (size_t i = 0; i < n; ++i) {
        share[i] =
            held[i]
                ? floor
                : (free_weight > 0 ? share[i] / free_weight * free_mass : 0.0);
      }
    }
  }
  std::vector<int32_t> out = RoundToBuckets(share);
  // Rounding may leave an arm one basis point under the floor: take it from
  // the largest.
  for (size_t i = 0; i < n; ++i) {
    while (out[i] < min_share) {
      auto largest = std::max_element(out.begin(), out.end());
      if (*largest <= min_share) break;
      --*largest;
      ++out[i];
    }
  }
  return out;
}

std::vector<int32_t> ThompsonAllocation(absl::Span<const ArmEvidence> arms,
                                        const BanditSettings& settings,
                                        uint64_t seed, int draws) {
  const size_t n = arms.size();
  std::mt19937_64 rng(seed);
  std::vector<double> wins(n, 0);
  if (n == 0) return {};
  // Pooled revenue per exposure: the prior of arms with too little data.
  double pooled_n = 0;
  double pooled_sum = 0;
  double pooled_squares = 0;
  for (const ArmEvidence& a : arms) {
    pooled_n += static_cast<double>(a.exposures);
    pooled_sum += a.revenue;
    pooled_squares += a.revenue_squares;
  }
  const double pooled_mean = pooled_n > 0 ? pooled_sum / pooled_n : 0.0;
  const double pooled_var =
      pooled_n > 1
          ? std::max(0.0,
                     (pooled_squares - pooled_n * pooled_mean * pooled_mean) /
                         (pooled_n - 1))
          : 1.0;
  std::vector<std::gamma_distribution<double>> alpha;
  std::vector<std::gamma_distribution<double>> beta;
  std::vector<std::normal_distribution<double>> mean;
  for (const ArmEvidence& a : arms) {
    const double trials = static_cast<double>(a.exposures);
    const double successes = std::clamp(a.conversions, 0.0, trials);
    alpha.emplace_back(1 + successes, 1.0);
    beta.emplace_back(1 + trials - successes, 1.0);
    if (a.exposures >= 2) {
      const double m = a.revenue / trials;
      const double var =
          std::max(0.0, (a.revenue_squares - trials * m * m) / (trials - 1));
      mean.emplace_back(m, std::sqrt(var / trials) + 1e-12);
    } else {
      mean.emplace_back(pooled_mean, std::sqrt(pooled_var) + 1e-12);
    }
  }
  for (int d = 0; d < draws; ++d) {
    size_t best = 0;
    double best_value = -1e300;
    for (size_t i = 0; i < n; ++i) {
      double value;
      if (settings.metric == BanditMetric::kRevenue) {
        value = mean[i](rng);
      } else {
        const double x = alpha[i](rng);
        const double y = beta[i](rng);
        value = x / (x + y);
      }
      if (value > best_value) {
        best_value = value;
        best = i;
      }
    }
    wins[best] += 1;
  }
  return FloorShares(wins, settings.min_share);
}

}  // namespace tailor
