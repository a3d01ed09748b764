// Explicit-feedback biased matrix factorization ("SVD" in the Funk/Koren
// family, as in the Surprise library), trained with SGD:
//   r_hat(u, i) = mu + b_u + b_i + p_u . q_i
// minimising squared error plus reg * (b_u^2 + b_i^2 + |p_u|^2 + |q_i|^2).
#ifndef TAILOR_CORE_BIASED_MF_H_
#define TAILOR_CORE_BIASED_MF_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "core/matrix.h"

namespace tailor {

struct Rating {
  int32_t user;
  int32_t item;
  float value;
};

struct BiasedMfOptions {
  int factors = 100;
  int epochs = 20;
  float learning_rate = 0.005f;
  float regularization = 0.02f;
  float init_stddev = 0.1f;
  uint64_t seed = 42;
};

absl::Status ValidateBiasedMfOptions(const BiasedMfOptions& options);

// Thread safety: immutable after training; Predict may run concurrently.
class BiasedMf {
 public:
  // Trains on `ratings` over num_users x num_items (indexes must be in
  // range). Deterministic for a seed (single-threaded SGD in shuffled order).
  static absl::StatusOr<BiasedMf> Train(const std::vector<Rating>& ratings,
                                        int32_t num_users, int32_t num_items,
                                        const BiasedMfOptions& options);

  // The predicted rating, clipped to the range seen in training. Users or
  // items out of range (unknown at training) contribute nothing beyond the
  // global mean and the known side's bias.
  float Predict(int32_t user, int32_t item) const;

  float global_mean() const { return global_mean_; }

 private:
  float global_mean_ = 0;
  float min_rating_ = 0;
  float max_rating_ = 0;
  std::vector<float> user_bias_;
  std::vector<float> item_bias_;
  RowMatrix user_factors_;
  RowMatrix item_factors_;
};

}  // namespace tailor

#endif  // TAILOR_CORE_BIASED_MF_H_
