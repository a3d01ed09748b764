// One explicit rating by dense user and item index, shared by the
// rating-prediction models.
#ifndef TAILOR_CORE_MODELS_RATING_H_
#define TAILOR_CORE_MODELS_RATING_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace tailor {

struct Rating {
  int32_t user;
  int32_t item;
  float value;
};

// What the rating models need of their training ratings' values.
struct RatingRange {
  double sum = 0;
  float min = 0;
  float max = 0;
};

// Checks that there is at least one rating, that every user index is in
// [0, num_users) and every item index in [0, num_items), and that every
// value is finite; the error names the first problem. Returns the values'
// sum, minimum and maximum.
absl::StatusOr<RatingRange> CheckRatings(const std::vector<Rating>& ratings,
                                         int32_t num_users, int32_t num_items);

}  // namespace tailor

#endif  // TAILOR_CORE_MODELS_RATING_H_
