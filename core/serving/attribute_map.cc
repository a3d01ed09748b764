#include "core/serving/attribute_map.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tailor {

std::vector<int32_t> AttributeFeatures(const AttributeMapParts& parts,
                                       const Item& item) {
  std::vector<int32_t> f = {0};
  int32_t category = -1;
  if (auto it = parts.category.find(item.category);
      it != parts.category.end()) {
    category = it->second;
    f.push_back(category);
  }
  if (auto it = parts.brand.find(item.brand); it != parts.brand.end()) {
    f.push_back(it->second);
  }
  if (auto it = parts.color.find(item.color); it != parts.color.end()) {
    f.push_back(it->second);
  }
  if (parts.num_bands > 0 && item.price > 0 && std::isfinite(item.price)) {
    const double lp = std::log(item.price);
    const int32_t band = static_cast<int32_t>(
        std::upper_bound(parts.band_edges.begin(), parts.band_edges.end(), lp) -
        parts.band_edges.begin());
    f.push_back(parts.band_offset + band);
    if (category >= 0) {
      f.push_back(parts.cross_offset + (category - 1) * parts.num_bands + band);
    }
  }
  return f;
}

absl::StatusOr<AttributeMap> AttributeMap::FromParts(AttributeMapParts parts) {
  const int64_t rows = parts.weights.rows();
  auto bad = [](absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("attribute embedding: ", what));
  };
  for (const auto* values : {&parts.category, &parts.brand, &parts.color}) {
    for (const auto& [value, feature] : *values) {
      if (feature < 1 || feature >= rows) {
        return bad(absl::StrCat("value '", value, "' has feature ", feature,
                                " outside 1..", rows - 1));
      }
    }
  }
  if (!std::is_sorted(parts.band_edges.begin(), parts.band_edges.end()) ||
      parts.num_bands !=
          (parts.band_edges.empty()
               ? 0
               : static_cast<int32_t>(parts.band_edges.size()) + 1)) {
    return bad("price bands disagree with their edges");
  }
  const int64_t categories = static_cast<int64_t>(parts.category.size());
  if (rows < 1 || parts.band_offset < 1 ||
      int64_t{parts.band_offset} + parts.num_bands > rows ||
      parts.cross_offset < 1 ||
      int64_t{parts.cross_offset} + categories * parts.num_bands > rows) {
    return bad("feature offsets outside the weights");
  }
  if (!parts.weights.allFinite()) return bad("non-finite weights");
  AttributeMap map;
  map.parts_ = std::move(parts);
  return map;
}

Vector AttributeMap::Embed(const Item& item) const {
  Vector v = Vector::Zero(parts_.weights.cols());
  for (int32_t a : AttributeFeatures(parts_, item)) {
    v += parts_.weights.row(a).transpose();
  }
  return v;
}

}  // namespace tailor
