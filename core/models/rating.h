// One explicit rating by dense user and item index, shared by the
// rating-prediction models.
#ifndef TAILOR_CORE_MODELS_RATING_H_
#define TAILOR_CORE_MODELS_RATING_H_

#include <cstdint>

namespace tailor {

struct Rating {
  int32_t user;
  int32_t item;
  float value;
};

}  // namespace tailor

#endif  // TAILOR_CORE_MODELS_RATING_H_
