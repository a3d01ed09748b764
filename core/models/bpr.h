// Bayesian Personalized Ranking (Rendle et al., UAI 2009): matrix
// factorization with item biases, trained by SGD on sampled triples
// (user, positive item, negative item) to rank positives above the rest.
#ifndef TAILOR_CORE_MODELS_BPR_H_
#define TAILOR_CORE_MODELS_BPR_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "core/base/interactions.h"
#include "core/base/matrix.h"

namespace tailor {

struct BprOptions {
  int factors = 64;
  // One epoch draws as many triples as there are positive pairs.
  int epochs = 60;
  float learning_rate = 0.05f;
  float regularization = 0.002f;  // on user and item factors
  float bias_regularization = 0.0f;
  float init_stddev = 0.1f;
  uint64_t seed = 42;
  // Threads (0 = all cores) update the shared factors lock-free
  // ("Hogwild!"); only threads = 1 is bit-for-bit reproducible.
  int threads = 0;
};

absl::Status ValidateBprOptions(const BprOptions& options);

// Factors that score by a plain dot product: the item bias is folded in as
// the last item column, matched by a constant 1 in the last user column.
struct BprFactors {
  RowMatrix user_factors;  // users x (factors + 1)
  RowMatrix item_factors;  // items x (factors + 1)
};

// Positives are the pairs with weight > 0; negatives are drawn uniformly
// from the items the user has no pair with. Users without positives keep
// their initial random factors.
absl::StatusOr<BprFactors> TrainBpr(const InteractionMatrix& m,
                                    const BprOptions& options);

}  // namespace tailor

#endif  // TAILOR_CORE_MODELS_BPR_H_
