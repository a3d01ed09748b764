#include "core/models/rating.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace tailor {

absl::StatusOr<RatingRange> CheckRatings(const std::vector<Rating>& ratings,
                                         int32_t num_users, int32_t num_items) {
  if (ratings.empty()) {
    return absl::InvalidArgumentError("ratings: none to train on");
  }
  RatingRange range;
  range.min = range.max = ratings[0].value;
  for (size_t i = 0; i < ratings.size(); ++i) {
    const Rating& r = ratings[i];
    if (r.user < 0 || r.user >= num_users || r.item < 0 ||
        r.item >= num_items) {
      return absl::InvalidArgumentError(
          absl::StrCat("ratings: index out of range (user ", r.user, ", item ",
                       r.item, ")"));
    }
    if (!std::isfinite(r.value)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ratings[", i, "]: value is not finite (", r.value, ")"));
    }
    range.sum += r.value;
    range.min = std::min(range.min, r.value);
    range.max = std::max(range.max, r.value);
  }
  return range;
}

}  // namespace tailor
