// Bayesian biased matrix factorization for explicit ratings, fitted by Gibbs
// sampling (BPMF, Salakhutdinov & Mnih, ICML 2008, with user and item
// biases folded into the latent vectors):
//   r(u, i) ~ N(mu + b_u + b_i + p_u . q_i, 1 / noise_precision)
// Users' (p_u, b_u) and items' (q_i, b_i) have Gaussian priors whose means
// and precision matrices carry Normal-Wishart hyperpriors, and the noise
// precision a Gamma hyperprior, so every regularization strength is sampled
// from the data instead of tuned. Predictions average the samples drawn
// after burn-in, which is what makes the model accurate on small data.
#ifndef TAILOR_CORE_MODELS_BAYESIAN_MF_H_
#define TAILOR_CORE_MODELS_BAYESIAN_MF_H_

#include <cstdint>
#include <vector>

#include "Eigen/Core"
#include "absl/status/statusor.h"
#include "core/models/rating.h"

namespace tailor {

struct BayesianMfOptions {
  int factors = 10;
  // Gibbs sweeps in all; the first `burn_in` are discarded.
  int sweeps = 120;
  int burn_in = 20;
  // Training threads (0 = all cores). Results do not depend on it: each
  // row's draw uses its own random stream keyed by (seed, sweep, row).
  int threads = 0;
  uint64_t seed = 42;
};

absl::Status ValidateBayesianMfOptions(const BayesianMfOptions& options);

// Thread safety: immutable after training; Predict may run concurrently.
class BayesianMf {
 public:
  // Trains on `ratings` over num_users x num_items (indexes must be in
  // range). Keeps every post-burn-in sample: memory is
  // (sweeps - burn_in) x (num_users + num_items) x (factors + 1) floats.
  static absl::StatusOr<BayesianMf> Train(const std::vector<Rating>& ratings,
                                          int32_t num_users, int32_t num_items,
                                          const BayesianMfOptions& options);

  // The posterior-mean prediction, clipped to the range seen in training.
  // Unknown users or items (out of range) use the global mean plus the known
  // side's mean bias.
  float Predict(int32_t user, int32_t item) const;

  int samples() const { return static_cast<int>(user_samples_.size()); }
  double noise_precision() const { return noise_precision_; }

 private:
  using Matrix =
      Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  double global_mean_ = 0;
  float min_rating_ = 0;
  float max_rating_ = 0;
  double noise_precision_ = 0;  // the last sample's
  // One matrix per kept sample; row = (factors..., bias).
  std::vector<Matrix> user_samples_;
  std::vector<Matrix> item_samples_;
};

}  // namespace tailor

#endif  // TAILOR_CORE_MODELS_BAYESIAN_MF_H_
