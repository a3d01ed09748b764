// Ratings from a planted rank-2 model with biases for the rating-model
// tests.
#ifndef TAILOR_TESTS_CORE_MODELS_PLANTED_RATINGS_H_
#define TAILOR_TESTS_CORE_MODELS_PLANTED_RATINGS_H_

#include <algorithm>
#include <array>
#include <random>
#include <vector>

#include "core/models/rating.h"

namespace tailor {

// Ratings from a planted rank-2 model with biases, plus small noise, on a
// 1..5 scale; split 80/20 at random.
struct Planted {
  std::vector<Rating> train, test;
  double mean = 0;
};

inline Planted MakePlanted(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  const int users = 300, items = 200;
  std::vector<float> bu(users), bi(items);
  std::vector<std::array<float, 2>> p(users), q(items);
  for (auto& b : bu) b = 0.5f * normal(rng);
  for (auto& b : bi) b = 0.5f * normal(rng);
  for (auto& v : p) v = {normal(rng), normal(rng)};
  for (auto& v : q) v = {normal(rng), normal(rng)};
  Planted out;
  std::uniform_real_distribution<double> uni(0, 1);
  for (int u = 0; u < users; ++u) {
    for (int i = 0; i < items; ++i) {
      if (uni(rng) > 0.3) continue;
      float r = 3.5f + bu[u] + bi[i] +
                0.5f * (p[u][0] * q[i][0] + p[u][1] * q[i][1]) +
                0.1f * normal(rng);
      r = std::clamp(r, 1.0f, 5.0f);
      (uni(rng) < 0.8 ? out.train : out.test).push_back({u, i, r});
    }
  }
  for (const Rating& r : out.train) out.mean += r.value / out.train.size();
  return out;
}

}  // namespace tailor

#endif  // TAILOR_TESTS_CORE_MODELS_PLANTED_RATINGS_H_
