// Item popularity, the baseline and the fallback for users without history.
#ifndef TAILOR_CORE_POPULARITY_H_
#define TAILOR_CORE_POPULARITY_H_

#include <vector>

#include "core/interactions.h"

namespace tailor {

// Per item: the number of distinct users with a positive signal for it, a
// purchaser counting twice. Items without events score 0.
std::vector<float> ComputePopularity(const InteractionMatrix& m);

}  // namespace tailor

#endif  // TAILOR_CORE_POPULARITY_H_
