// The cold-start hybrid: fits the linear map from an item's catalog
// attributes to the factor space of a trained model (AttributeMap,
// core/serving/attribute_map.h) by ridge regression on the items that do
// have interactions. A brand-new product with attributes only gets
// the vector its attributes predict, so it can be recommended and appears
// in similar-item lists next to the products it resembles.
#ifndef TAILOR_CORE_MODELS_ATTRIBUTE_EMBEDDING_H_
#define TAILOR_CORE_MODELS_ATTRIBUTE_EMBEDDING_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/base/catalog.h"
#include "core/base/interactions.h"
#include "core/base/matrix.h"
#include "core/serving/attribute_map.h"

namespace tailor {

struct AttributeEmbeddingOptions {
  // Items with at least this many interacting users are fitted on; fewer
  // interactions give vectors too shrunk to learn from.
  int fit_min_users = 5;
  // Attribute values shared by fewer fitted items are not features (an item
  // whose brand is rare is embedded from its other attributes).
  int min_value_items = 2;
  // At most this many values per attribute kind (the most frequent), which
  // bounds the ridge system at about 4 x max_values_per_kind features.
  int max_values_per_kind = 1000;
  // Price bands: quantiles of log price over the fitted items.
  int price_bands = 5;
  // Ridge penalties tried on a held-out 10% of the fitted items (seeded);
  // the one with the lowest held-out squared error is refitted on all.
  std::vector<double> regularizations = {0.1, 1, 10, 100};
  uint64_t seed = 42;
};

absl::Status ValidateAttributeEmbeddingOptions(
    const AttributeEmbeddingOptions& options);

// Thread safety: immutable after Fit; Embed may be called concurrently.
class AttributeEmbedding {
 public:
  // Fits the map on the items i with fit[i] (catalog[i]'s attributes,
  // item_factors.row(i)). `catalog` and `fit` are parallel to the rows of
  // `item_factors`; a null catalog entry has no attributes and is skipped.
  // Fails when fewer than 10 items can be fitted on.
  static absl::StatusOr<AttributeEmbedding> Fit(
      const std::vector<const Item*>& catalog, const RowMatrix& item_factors,
      const std::vector<bool>& fit, const AttributeEmbeddingOptions& options);

  // The factor vector `item`'s attributes predict (AttributeMap::Embed).
  Vector Embed(const Item& item) const { return map_.Embed(item); }

  // The fitted map, as snapshots ship it.
  const AttributeMap& map() const { return map_; }
  int num_features() const { return map_.num_features(); }
  double regularization() const { return regularization_; }
  // Mean squared error per factor on the held-out items at the chosen
  // regularization, and that of predicting the mean vector (for reference).
  double holdout_mse() const { return holdout_mse_; }
  double holdout_mse_of_mean() const { return holdout_mse_of_mean_; }

 private:
  AttributeMap map_;
  double regularization_ = 0;
  double holdout_mse_ = 0;
  double holdout_mse_of_mean_ = 0;
};

struct ColdStartReport {
  int32_t fitted_items = 0;             // items the map was fitted on
  int32_t embedded_items = 0;           // cold items given an attribute vector
  int32_t cold_without_attributes = 0;  // cold items not in the catalog
  int num_features = 0;
  double regularization = 0;
  double holdout_mse = 0;
  double holdout_mse_of_mean = 0;
  // The fitted map, for products that join the catalog later (null when
  // too few items could be fitted on).
  std::shared_ptr<const AttributeMap> map;
};

// The trainer's step: items of `m` with fewer than `cold_below_users`
// interacting users that have a catalog entry get their row of
// `item_factors` replaced by the attribute embedding fitted on the others.
// The map is fitted (and returned) even when no item is cold.
// Cold items without a catalog entry are counted; those with no positive
// interaction at all get a zero row (nothing is known about them), the
// others keep theirs.
absl::StatusOr<ColdStartReport> EmbedColdItems(
    const InteractionMatrix& m, const std::vector<Item>& catalog,
    int cold_below_users, const AttributeEmbeddingOptions& options,
    RowMatrix* item_factors);

}  // namespace tailor

#endif  // TAILOR_CORE_MODELS_ATTRIBUTE_EMBEDDING_H_
