// Offline evaluation metrics for recommendation lists and rating predictions.
//
// Ranking metrics follow the common top-k conventions (as in Spark MLlib's
// RankingMetrics and Microsoft Recommenders): relevance is binary, precision
// divides by k, NDCG uses log2 discounts against the ideal list of
// min(k, |relevant|) hits, and MAP@k divides the sum of precisions at the
// hit ranks by min(k, |relevant|).
#ifndef TAILOR_CORE_EVAL_METRICS_H_
#define TAILOR_CORE_EVAL_METRICS_H_

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_set.h"

namespace tailor {

struct RankingMetrics {
  double precision = 0;
  double recall = 0;
  double ndcg = 0;
  double map = 0;
};

// Metrics of one user's list (best first; only the first k count) against
// the user's relevant (held-out) items. All zero when `relevant` is empty.
RankingMetrics RankingMetricsAtK(const std::vector<int32_t>& ranked,
                                 const absl::flat_hash_set<int32_t>& relevant,
                                 int k);

// Averages per-user metrics; also tracks catalog coverage (distinct items
// recommended in any top-k list / catalog size).
// Thread safety: not thread-safe.
class RankingAccumulator {
 public:
  RankingAccumulator(int k, int32_t num_items);
  void Add(const std::vector<int32_t>& ranked,
           const absl::flat_hash_set<int32_t>& relevant);
  int64_t users() const { return users_; }
  // Each added user's NDCG@k, in the order added.
  const std::vector<double>& user_ndcg() const { return user_ndcg_; }
  RankingMetrics Mean() const;
  double Coverage() const;

 private:
  int k_;
  int64_t users_ = 0;
  RankingMetrics sum_;
  std::vector<bool> recommended_;
  int64_t distinct_ = 0;
  std::vector<double> user_ndcg_;
};

// Model selection by the one-standard-error rule: given per-user validation
// scores of candidates listed simplest first (all over the same users in
// the same order), returns the first candidate whose mean is at least the
// best mean minus the standard error of that mean (Hastie, Tibshirani &
// Friedman's rule). Guards against choosing a more complex setting on
// validation noise. The standard error is the best candidate's own, not
// that of paired differences: two near-identical settings have almost no
// paired spread, which would let a 0.0002 gain pick the costlier one.
size_t ChooseWithinOneStandardError(
    const std::vector<std::vector<double>>& per_user_scores);

// The standard error of the mean of `values` (sample standard deviation
// over the square root of the count); 0 for fewer than two values.
double StandardErrorOfMean(const std::vector<double>& values);

// Root mean squared error and mean absolute error of predictions against
// truths (same length; 0 when empty).
double Rmse(const std::vector<double>& predicted,
            const std::vector<double>& truth);
double Mae(const std::vector<double>& predicted,
           const std::vector<double>& truth);

// Adjusted Rand index (Hubert & Arabie 1985) between two labelings of the
// same points: 1 for identical partitions (whatever the label names), about
// 0 for independent ones. Labels must be >= 0; the labelings must have the
// same length.
double AdjustedRandIndex(const std::vector<int32_t>& a,
                         const std::vector<int32_t>& b);

}  // namespace tailor

#endif  // TAILOR_CORE_EVAL_METRICS_H_
