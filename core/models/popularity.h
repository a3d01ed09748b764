// Item popularity, the baseline and the fallback for users without history.
#ifndef TAILOR_CORE_MODELS_POPULARITY_H_
#define TAILOR_CORE_MODELS_POPULARITY_H_

#include <cstdint>
#include <vector>

#include "core/base/interactions.h"

namespace tailor {

// Per item: the number of distinct users with a positive signal for it, a
// purchaser counting twice. Items without events score 0.
std::vector<float> ComputePopularity(const InteractionMatrix& m);

// The same count over the pairs whose latest event falls in the last
// `window_seconds` before the newest event in `m` (all pairs when <= 0):
// what is selling now rather than over the whole log.
std::vector<float> ComputeRecentPopularity(const InteractionMatrix& m,
                                           int64_t window_seconds);

}  // namespace tailor

#endif  // TAILOR_CORE_MODELS_POPULARITY_H_
