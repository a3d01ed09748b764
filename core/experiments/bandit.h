// Thompson sampling over an experiment's arms: the next allocation period's
// weights from what each arm has earned so far.
#ifndef TAILOR_CORE_EXPERIMENTS_BANDIT_H_
#define TAILOR_CORE_EXPERIMENTS_BANDIT_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "core/experiments/experiment.h"

namespace tailor {

// What one arm's exposures have earned so far.
// Thread safety: a plain value.
struct ArmEvidence {
  int64_t exposures = 0;
  double conversions = 0;      // exposures credited with a purchase
  double revenue = 0;          // summed over exposures
  double revenue_squares = 0;  // sum of each exposure's revenue squared
};

// Each arm's chance of being the best arm under its posterior, estimated
// from `draws` joint draws (seeded: the same evidence and seed give the
// same weights), then floored at `settings.min_share` basis points (the
// others scaled down to make room) and rounded to basis points summing to
// 10000. Posteriors: conversion per exposure Beta(1 + conversions,
// 1 + exposures - conversions); revenue per exposure normal around the
// arm's mean with its standard error (an arm with fewer than two exposures
// gets the pooled mean and variance of all exposures, as one exposure).
std::vector<int32_t> ThompsonAllocation(absl::Span<const ArmEvidence> arms,
                                        const BanditSettings& settings,
                                        uint64_t seed, int draws = 20000);

// `weights` (non-negative, any scale) with every one raised to at least
// `min_share` basis points and the others scaled down in proportion,
// rounded to basis points summing to 10000.
std::vector<int32_t> FloorShares(absl::Span<const double> weights,
                                 int32_t min_share);

}  // namespace tailor

#endif  // TAILOR_CORE_EXPERIMENTS_BANDIT_H_
