#include "core/eval/metrics.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_map.h"

namespace tailor {

RankingMetrics RankingMetricsAtK(const std::vector<int32_t>& ranked,
                                 const absl::flat_hash_set<int32_t>& relevant,
                                 int k) {
  RankingMetrics m;
  if (relevant.empty() || k <= 0) return m;
  const int n = std::min<int>(k, static_cast<int>(ranked.size()));
  int hits = 0;
  double dcg = 0, precision_sum = 0;
  for (int i = 0; i < n; ++i) {
    if (!relevant.contains(ranked[i])) continue;
    ++hits;
    dcg += 1.0 / std::log2(i + 2.0);
    precision_sum += static_cast<double>(hits) / (i + 1);
  }
  const int ideal_hits = std::min<int>(k, static_cast<int>(relevant.size()));
  double idcg = 0;
  for (int i = 0; i < ideal_hits; ++i) idcg += 1.0 / std::log2(i + 2.0);
  m.precision = static_cast<double>(hits) / k;
  m.recall = static_cast<double>(hits) / relevant.size();
  m.ndcg = dcg / idcg;
  m.map = precision_sum / ideal_hits;
  return m;
}

RankingAccumulator::RankingAccumulator(int k, int32_t num_items)
    : k_(k), recommended_(num_items, false) {}

void RankingAccumulator::Add(const std::vector<int32_t>& ranked,
                             const absl::flat_hash_set<int32_t>& relevant) {
  const RankingMetrics m = RankingMetricsAtK(ranked, relevant, k_);
  sum_.precision += m.precision;
  sum_.recall += m.recall;
  sum_.ndcg += m.ndcg;
  sum_.map += m.map;
  user_ndcg_.push_back(m.ndcg);
  ++users_;
  const int n = std::min<int>(k_, static_cast<int>(ranked.size()));
  for (int i = 0; i < n; ++i) {
    const int32_t item = ranked[i];
    if (item >= 0 && item < static_cast<int32_t>(recommended_.size()) &&
        !recommended_[item]) {
      recommended_[item] = true;
      ++distinct_;
    }
  }
}

RankingMetrics RankingAccumulator::Mean() const {
  RankingMetrics m;
  if (users_ == 0) return m;
  m.precision = sum_.precision / users_;
  m.recall = sum_.recall / users_;
  m.ndcg = sum_.ndcg / users_;
  m.map = sum_.map / users_;
  return m;
}

double RankingAccumulator::Coverage() const {
  return recommended_.empty()
             ? 0.0
             : static_cast<double>(distinct_) / recommended_.size();
}

double Rmse(const std::vector<double>& predicted,
            const std::vector<double>& truth) {
  if (predicted.empty()) return 0;
  double sum = 0;
  for (size_t i = 0; i < predicted.size(); ++i) {
    const double d = predicted[i] - truth[i];
    sum += d * d;
  }
  return std::sqrt(sum / predicted.size());
}

double Mae(const std::vector<double>& predicted,
           const std::vector<double>& truth) {
  if (predicted.empty()) return 0;
  double sum = 0;
  for (size_t i = 0; i < predicted.size(); ++i) {
    sum += std::abs(predicted[i] - truth[i]);
  }
  return sum / predicted.size();
}

}  // namespace tailor

namespace tailor {

size_t ChooseWithinOneStandardError(
    const std::vector<std::vector<double>>& per_user_scores) {
  const size_t n = per_user_scores.size();
  if (n == 0) return 0;
  auto mean = [](const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x;
    return v.empty() ? 0.0 : sum / v.size();
  };
  size_t best = 0;
  for (size_t c = 1; c < n; ++c) {
    if (mean(per_user_scores[c]) > mean(per_user_scores[best])) best = c;
  }
  const std::vector<double>& b = per_user_scores[best];
  if (b.size() < 2) return best;
  const double best_mean = mean(b);
  const double se = StandardErrorOfMean(b);
  for (size_t c = 0; c < best; ++c) {
    if (mean(per_user_scores[c]) >= best_mean - se) return c;
  }
  return best;
}

double StandardErrorOfMean(const std::vector<double>& values) {
  const size_t n = values.size();
  if (n < 2) return 0;
  double sum = 0;
  for (double x : values) sum += x;
  const double mean = sum / n;
  double sum_sq = 0;
  for (double x : values) sum_sq += (x - mean) * (x - mean);
  return std::sqrt(sum_sq / (n - 1) / n);
}

double AdjustedRandIndex(const std::vector<int32_t>& a,
                         const std::vector<int32_t>& b) {
  const size_t n = std::min(a.size(), b.size());
  if (n < 2) return 1.0;
  absl::flat_hash_map<int64_t, int64_t> joint;
  absl::flat_hash_map<int32_t, int64_t> rows, cols;
  for (size_t i = 0; i < n; ++i) {
    ++joint[(static_cast<int64_t>(a[i]) << 32) | static_cast<uint32_t>(b[i])];
    ++rows[a[i]];
    ++cols[b[i]];
  }
  auto pairs = [](int64_t x) { return 0.5 * x * (x - 1); };
  double index = 0, sum_rows = 0, sum_cols = 0;
  for (const auto& [key, count] : joint) index += pairs(count);
  for (const auto& [label, count] : rows) sum_rows += pairs(count);
  for (const auto& [label, count] : cols) sum_cols += pairs(count);
  const double expected = sum_rows * sum_cols / pairs(static_cast<int64_t>(n));
  const double maximum = 0.5 * (sum_rows + sum_cols);
  if (maximum == expected) return 1.0;  // both trivial (one cluster each)
  return (index - expected) / (maximum - expected);
}

}  // namespace tailor
