// The cold-start map a snapshot ships: a linear map from an item's catalog
// attributes (category, brand, color, price band, and category x price
// band) to the factor space of the model it was fitted on
// (core/models/attribute_embedding.h fits it). The server gives products
// added to the catalog after training the vector their attributes predict.
#ifndef TAILOR_CORE_SERVING_ATTRIBUTE_MAP_H_
#define TAILOR_CORE_SERVING_ATTRIBUTE_MAP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/base/catalog.h"
#include "core/base/matrix.h"

namespace tailor {

// The map as plain data. Feature 0 is the intercept; each attribute value
// maps to its feature index; a price p > 0 falls in band b = the number of
// band_edges <= log(p), feature band_offset + b, and with a known category
// c also in the category x band feature cross_offset + (c - 1) * num_bands
// + b. `weights` has a row per feature and a column per factor.
struct AttributeMapParts {
  absl::flat_hash_map<std::string, int32_t> category, brand, color;
  std::vector<double> band_edges;  // ascending log-price cut points
  int32_t num_bands = 0;
  int32_t band_offset = 0;
  int32_t cross_offset = 0;
  RowMatrix weights;
};

// The active feature indexes of `item` under `parts`' vocabulary and price
// bands (intercept first); `parts.weights` is not read.
std::vector<int32_t> AttributeFeatures(const AttributeMapParts& parts,
                                       const Item& item);

// Thread safety: immutable; Embed may be called concurrently.
class AttributeMap {
 public:
  // INVALID_ARGUMENT when the parts disagree: a feature index outside the
  // weights' rows, price bands that disagree with their edges, non-finite
  // weights.
  static absl::StatusOr<AttributeMap> FromParts(AttributeMapParts parts);

  // The factor vector `item`'s attributes predict (the intercept alone, the
  // mean fitted vector, when none of its attribute values is known).
  Vector Embed(const Item& item) const;

  const AttributeMapParts& parts() const { return parts_; }
  int num_features() const { return static_cast<int>(parts_.weights.rows()); }
  int factors() const { return static_cast<int>(parts_.weights.cols()); }

 private:
  AttributeMapParts parts_;
};

}  // namespace tailor

#endif  // TAILOR_CORE_SERVING_ATTRIBUTE_MAP_H_
