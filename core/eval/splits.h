// Train/test splits of aggregated interactions for offline evaluation.
//
// A split assigns whole (user, item) pairs, never single events, to one
// side, so no test interaction can leak into training. Train and test keep
// the input's user and item dictionaries, so indexes mean the same on both
// sides.
#ifndef TAILOR_CORE_EVAL_SPLITS_H_
#define TAILOR_CORE_EVAL_SPLITS_H_

#include <cstdint>
#include <vector>

#include "core/base/interactions.h"

namespace tailor {

struct InteractionSplit {
  InteractionMatrix train;
  InteractionMatrix test;
};

// Per user, holds out round(test_fraction * n) of the user's n pairs chosen
// at random (at least one when n >= 2, never all of them; a user with one
// pair stays in train). Deterministic for a seed: each user's draw depends
// only on the seed and the user's index.
InteractionSplit SplitRandomPerUser(const InteractionMatrix& m,
                                    double test_fraction, uint64_t seed);

// Per user, holds out the round(test_fraction * n) pairs with the latest
// `time` (same minimum and maximum as above; ties broken by item index).
InteractionSplit SplitTemporalPerUser(const InteractionMatrix& m,
                                      double test_fraction);

// Holds out whole items, for cold-start evaluation: round(test_fraction *
// n) of the n items that have at least one pair, chosen at random
// (seeded), lose every pair to test, so train knows nothing about them.
// `held_out`, if given, receives one flag per item.
InteractionSplit SplitItemsOut(const InteractionMatrix& m, double test_fraction,
                               uint64_t seed,
                               std::vector<bool>* held_out = nullptr);

}  // namespace tailor

#endif  // TAILOR_CORE_EVAL_SPLITS_H_
