// Explicit-feedback biased matrix factorization in the Funk/Koren family,
// trained with SGD:
//   SVD:   r_hat(u, i) = mu + b_u + b_i + q_i . p_u
//   SVD++: r_hat(u, i) = mu + b_u + b_i + q_i . (p_u + |N(u)|^-1/2 sum y_j)
// where N(u) is the set of items u rated in training (the implicit-feedback
// term of Koren, KDD 2008). Squared error is minimised with L2 penalties
// reg_bias * (b_u^2 + b_i^2) + reg * (|p_u|^2 + |q_i|^2) + reg_y * |y_j|^2.
#ifndef TAILOR_CORE_MODELS_BIASED_MF_H_
#define TAILOR_CORE_MODELS_BIASED_MF_H_

#include <cstdint>
#include <random>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/matrix.h"
#include "core/models/rating.h"

namespace tailor {

struct BiasedMfOptions {
  // Adds the SVD++ implicit-feedback term.
  bool implicit_feedback = false;
  int factors = 100;
  int epochs = 20;
  float learning_rate = 0.005f;
  // The learning rate is multiplied by this after every epoch (1 = none).
  float learning_rate_decay = 1.0f;
  float regularization = 0.02f;
  // Penalties for the biases and the y_j vectors; negative = regularization.
  float bias_regularization = -1.0f;
  float implicit_regularization = -1.0f;
  float init_stddev = 0.1f;
  uint64_t seed = 42;
};

absl::Status ValidateBiasedMfOptions(const BiasedMfOptions& options);

// Thread safety: immutable after training; Predict may run concurrently.
class BiasedMf {
 public:
  // Trains on `ratings` over num_users x num_items (indexes must be in
  // range). Deterministic for a seed (single-threaded SGD in shuffled order:
  // SVD visits all ratings in a random order; SVD++ visits users in a random
  // order and each user's ratings in a random order, which lets the y_j
  // updates of one user be applied exactly in O(factors) per rating).
  static absl::StatusOr<BiasedMf> Train(const std::vector<Rating>& ratings,
                                        int32_t num_users, int32_t num_items,
                                        const BiasedMfOptions& options);

  // The predicted rating, clipped to the range seen in training. Users or
  // items out of range (unknown at training) contribute nothing beyond the
  // global mean and the known side's bias.
  float Predict(int32_t user, int32_t item) const;

  float global_mean() const { return global_mean_; }

 private:
  // The SVD++ epochs over `m`'s initialised biases and factors.
  static void TrainImplicitTerm(const std::vector<Rating>& ratings,
                                int32_t num_users, int32_t num_items,
                                const BiasedMfOptions& options, float reg_bias,
                                std::mt19937_64& rng, BiasedMf* m);

  float global_mean_ = 0;
  float min_rating_ = 0;
  float max_rating_ = 0;
  std::vector<float> user_bias_;
  std::vector<float> item_bias_;
  // p_u, plus the implicit-feedback sum for SVD++ (fixed after training).
  RowMatrix user_factors_;
  RowMatrix item_factors_;
};

}  // namespace tailor

#endif  // TAILOR_CORE_MODELS_BIASED_MF_H_
