// Item-based k-nearest neighbours over co-interaction (Sarwar et al. 2001;
// Deshpande & Karypis 2004) and EASE (Steck, WWW 2019), the item-item
// models. Both produce item x item weights that score a user by summing the
// rows of the items in the user's history.
#ifndef TAILOR_CORE_MODELS_ITEM_KNN_H_
#define TAILOR_CORE_MODELS_ITEM_KNN_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "core/base/interactions.h"
#include "core/base/matrix.h"
#include "core/models/scorer.h"

namespace tailor {

struct ItemKnnOptions {
  // Neighbours kept per item.
  int neighbors = 100;
  // Cosine with shrinkage: sim(i, j) = |U_i & U_j| /
  // (sqrt(|U_i|) sqrt(|U_j|) + shrinkage), which damps similarities that
  // rest on few common users.
  float shrinkage = 10.0f;
  int threads = 0;  // 0 = all cores; results do not depend on it
};

absl::Status ValidateItemKnnOptions(const ItemKnnOptions& options);

// The top `neighbors` most similar items of every item (binary
// co-interaction: every (user, item) pair counts once), each row sorted by
// RanksBefore; an item is never its own neighbour and zero similarities are
// dropped. Cost: sum over users of |items of user|^2.
absl::StatusOr<ItemNeighbors> TrainItemKnn(const InteractionMatrix& m,
                                           const ItemKnnOptions& options);

struct EaseOptions {
  // L2 penalty lambda on the item-item weights.
  float regularization = 500.0f;
  // Refuses catalogs larger than this: EASE inverts a dense items x items
  // Gram matrix (8 n^2 bytes, n^3 / 3 flops; 30k items = 7.2 GB).
  int32_t max_items = 30000;
};

absl::Status ValidateEaseOptions(const EaseOptions& options);

// The closed-form EASE weights B = I - P diagMat(1 / diag(P)) with
// P = (X^T X + lambda I)^-1 over the binary user x item matrix X; diag(B) = 0.
absl::StatusOr<RowMatrix> TrainEase(const InteractionMatrix& m,
                                    const EaseOptions& options);

}  // namespace tailor

#endif  // TAILOR_CORE_MODELS_ITEM_KNN_H_
