#include "core/eval/splits.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

namespace tailor {
namespace {

int64_t HeldOutCount(int64_t n, double test_fraction) {
  if (n < 2) return 0;
  const auto k = static_cast<int64_t>(std::llround(test_fraction * n));
  return std::clamp<int64_t>(k, 1, n - 1);
}

// Builds both sides from a per-entry test/train decision.
InteractionSplit Partition(const InteractionMatrix& m,
                           const std::vector<bool>& is_test) {
  InteractionSplit s;
  for (InteractionMatrix* side : {&s.train, &s.test}) {
    side->users = m.users;
    side->items = m.items;
    side->row_ptr.assign(1, 0);
  }
  for (int32_t u = 0; u < m.num_users(); ++u) {
    for (int64_t p = m.row_ptr[u]; p < m.row_ptr[u + 1]; ++p) {
      InteractionMatrix& side = is_test[p] ? s.test : s.train;
      side.item.push_back(m.item[p]);
      side.weight.push_back(m.weight[p]);
      if (!m.weight_sum.empty()) side.weight_sum.push_back(m.weight_sum[p]);
      if (!m.net_purchases.empty()) {
        side.net_purchases.push_back(m.net_purchases[p]);
      }
      side.flags.push_back(m.flags[p]);
      side.time.push_back(m.time.empty() ? 0 : m.time[p]);
    }
    s.train.row_ptr.push_back(static_cast<int64_t>(s.train.item.size()));
    s.test.row_ptr.push_back(static_cast<int64_t>(s.test.item.size()));
  }
  return s;
}

// For each user, orders the user's entries with arrange(user, &order) and
// holds out the first HeldOutCount of them.
template <typename Arrange>
InteractionSplit HoldOutPerUser(const InteractionMatrix& m,
                                double test_fraction, Arrange arrange) {
  std::vector<bool> is_test(m.item.size(), false);
  std::vector<int64_t> order;
  for (int32_t u = 0; u < m.num_users(); ++u) {
    const int64_t begin = m.row_ptr[u];
    const int64_t n = m.row_ptr[u + 1] - begin;
    const int64_t k = HeldOutCount(n, test_fraction);
    if (k == 0) continue;
    order.resize(n);
    std::iota(order.begin(), order.end(), begin);
    arrange(u, &order);
    for (int64_t i = 0; i < k; ++i) is_test[order[i]] = true;
  }
  return Partition(m, is_test);
}

}  // namespace

InteractionSplit SplitRandomPerUser(const InteractionMatrix& m,
                                    double test_fraction, uint64_t seed) {
  return HoldOutPerUser(
      m, test_fraction, [seed](int32_t u, std::vector<int64_t>* order) {
        std::mt19937_64 rng(seed ^ (0x9E3779B97F4A7C15ULL * (u + 1)));
        std::shuffle(order->begin(), order->end(), rng);
      });
}

InteractionSplit SplitTemporalPerUser(const InteractionMatrix& m,
                                      double test_fraction) {
  // Latest first; entries are sorted by item, so ties go to the lower item.
  return HoldOutPerUser(
      m, test_fraction, [&m](int32_t, std::vector<int64_t>* order) {
        std::stable_sort(
            order->begin(), order->end(),
            [&m](int64_t a, int64_t b) { return m.time[a] > m.time[b]; });
      });
}

InteractionSplit SplitItemsOut(const InteractionMatrix& m, double test_fraction,
                               uint64_t seed, std::vector<bool>* held_out) {
  std::vector<bool> has_pairs(m.num_items(), false);
  for (int32_t i : m.item) has_pairs[i] = true;
  std::vector<int32_t> candidates;
  for (int32_t i = 0; i < m.num_items(); ++i) {
    if (has_pairs[i]) candidates.push_back(i);
  }
  std::mt19937_64 rng(seed);
  std::shuffle(candidates.begin(), candidates.end(), rng);
  const auto k = static_cast<size_t>(
      std::llround(test_fraction * static_cast<double>(candidates.size())));
  std::vector<bool> cold(m.num_items(), false);
  for (size_t c = 0; c < std::min(k, candidates.size()); ++c) {
    cold[candidates[c]] = true;
  }
  std::vector<bool> is_test(m.item.size());
  for (size_t p = 0; p < m.item.size(); ++p) is_test[p] = cold[m.item[p]];
  if (held_out != nullptr) *held_out = cold;
  return Partition(m, is_test);
}

}  // namespace tailor
