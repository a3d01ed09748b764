#include "core/retrieval/ivf_partition.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace tailor {

absl::Status IvfPartition::Validate(int32_t num_items, int dim) const {
  if (centroids.rows() == 0) {
    return absl::InvalidArgumentError("IVF partition has no lists");
  }
  if (centroids.cols() != dim) {
    return absl::InvalidArgumentError(
        absl::StrCat("IVF centroids have ", centroids.cols(),
                     " dimensions, the item factors ", dim));
  }
  if (!centroids.allFinite()) {
    return absl::InvalidArgumentError("IVF centroid is not finite");
  }
  if (list_begin.size() != static_cast<size_t>(centroids.rows()) + 1 ||
      list_begin.front() != 0 ||
      list_begin.back() != static_cast<int64_t>(items.size())) {
    return absl::InvalidArgumentError(
        "IVF list offsets do not match the lists and items");
  }
  for (size_t l = 1; l < list_begin.size(); ++l) {
    if (list_begin[l] < list_begin[l - 1]) {
      return absl::InvalidArgumentError(
          absl::StrCat("IVF list ", l - 1, " has a negative size"));
    }
  }
  if (probe < 0 || filtered_probe < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "IVF widths are ", probe, " and ", filtered_probe, ", must be >= 0"));
  }
  if (items.size() != static_cast<size_t>(num_items)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "IVF partition holds ", items.size(), " items, the model ", num_items));
  }
  std::vector<bool> seen(num_items, false);
  for (int32_t item : items) {
    if (item < 0 || item >= num_items || seen[item]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "IVF partition item ", item, " is out of range or repeated"));
    }
    seen[item] = true;
  }
  return absl::OkStatus();
}

}  // namespace tailor
