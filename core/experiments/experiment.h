// Experiments: named tests of serving strategies on shares of the shoppers,
// their validation, and which arm (if any) a shopper is in.
//
// A shopper's place is decided in two steps, each a Bucket (assignment.h):
// 1. Layer: bucket("layer." + layer, user_id). Each experiment owns a range
//    [layer_begin, layer_end) of its layer's buckets, allotted when it is
//    created (the lowest free range as wide as its traffic); a shopper is in
//    the experiment when the layer bucket falls in its range. Ranges never
//    overlap, so experiments of one layer never share a shopper.
// 2. Arm: b = bucket(salt, user_id); with the arms' shares s_1..s_n (basis
//    points) summing to the traffic T, the shopper gets the first arm i
//    with b * T < (s_1 + ... + s_i) * 10000. (A bandit draws within its
//    allocation period instead: see AssignArm.)
// Both are functions of the ids alone: sticky across restarts, snapshot
// swaps and replicas.
#ifndef TAILOR_CORE_EXPERIMENTS_EXPERIMENT_H_
#define TAILOR_CORE_EXPERIMENTS_EXPERIMENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace tailor {

struct ExperimentArm {
  std::string name;
  // The serving strategy the arm's shoppers get (one the snapshot serves).
  std::string strategy;
  // Basis points of all shoppers (of the layer's buckets), > 0.
  int32_t share = 0;
  // The arm the others are compared with (at most one).
  bool control = false;
  // Settings the arm serves with: a diversity in [0, 1] in place of the
  // request's (-1: the request's), and campaign boosts (item, boost in
  // (0, 100]) added to the request's.
  float diversity = -1;
  std::vector<std::pair<std::string, float>> boosts;

  bool operator==(const ExperimentArm&) const = default;
};

// Who may enter an experiment.
enum class Eligibility {
  kAll,
  kSegment,      // customers of one RFM segment (Experiment::segment)
  kNewVisitors,  // shoppers the snapshot has no history or record of
};

enum class ExperimentState { kRunning, kStopped, kArchived };

// How an experiment splits its traffic between the arms.
enum class Allocation {
  kFixed,     // by the arms' shares, for the whole experiment
  kThompson,  // a bandit: re-allocated on an interval (BanditSettings)
};

// What a bandit maximises, per exposure.
enum class BanditMetric {
  kConversion,  // attributed purchase: Beta posteriors
  kRevenue,     // attributed revenue: Gaussian posteriors on the mean
};

struct BanditSettings {
  BanditMetric metric = BanditMetric::kConversion;
  // How often the allocation is recomputed, >= 1.
  int64_t interval_seconds = 3600;
  // The least share of the experiment's traffic each arm keeps, in basis
  // points (so that none starves): arms * min_share <= 10000.
  int32_t min_share = 500;

  bool operator==(const BanditSettings&) const = default;
};

// One allocation period of a bandit: from `start_unix` until the next
// period's start, arm i gets weights[i] basis points of the experiment's
// traffic (summing to 10000).
struct AllocationPeriod {
  int64_t start_unix = 0;
  std::vector<int32_t> weights;

  bool operator==(const AllocationPeriod&) const = default;
};

// One experiment's definition and lifecycle.
// Thread safety: a plain value, shared read-only.
struct Experiment {
  std::string name;   // unique
  std::string salt;   // unique among every experiment ever created
  std::string layer;  // experiments of one layer never share a shopper
  std::vector<ExperimentArm> arms;
  Eligibility eligibility = Eligibility::kAll;
  std::string segment;  // kSegment only: the RFM segment's name
  int64_t start_unix = 0;
  int64_t end_unix = 0;  // 0: runs until stopped
  ExperimentState state = ExperimentState::kRunning;
  int64_t created_unix = 0;
  int64_t stopped_unix = 0;  // when stopped (0: not)
  // The layer buckets the experiment owns (allotted by PrepareExperiment).
  int32_t layer_begin = 0;
  int32_t layer_end = 0;
  Allocation allocation = Allocation::kFixed;
  BanditSettings bandit;  // kThompson only
  // kThompson: every allocation so far, oldest first (the first, from
  // PrepareExperiment, splits by the arms' shares).
  std::vector<AllocationPeriod> periods;

  // The arms' shares summed.
  int32_t traffic() const;
  // Whether it assigns shoppers at `now_unix`: running, started, not ended.
  bool LiveAt(int64_t now_unix) const;
  // The control arm's index, or -1.
  int control() const;
  // kThompson: the period in force at `now_unix` (the latest started by
  // then; the first before it), or null without periods.
  const AllocationPeriod* PeriodAt(int64_t now_unix) const;

  bool operator==(const Experiment&) const = default;
};

// "running", "stopped", "archived"; "all", "segment", "new_visitors".
const char* ExperimentStateName(ExperimentState state);
const char* EligibilityName(Eligibility eligibility);

// Checks a new experiment against the `existing` ones and the strategies
// the server can serve, fills its defaults (layer "default", start now)
// and allots its layer range. Errors name the field: INVALID_ARGUMENT for
// a bad value (an empty or duplicate arm, a share out of range, an unknown
// strategy, an end before the start, ...), FAILED_PRECONDITION for a
// conflict with the existing experiments (a name or salt already used, a
// layer without room for the traffic).
absl::StatusOr<Experiment> PrepareExperiment(
    Experiment experiment, const std::vector<Experiment>& existing,
    const absl::flat_hash_set<std::string>& strategies, int64_t now_unix);

// What eligibility looks at.
struct ShopperFacts {
  bool new_visitor = false;  // no model row, history or customer record
  std::string rfm_segment;   // "" when not a known customer
};

// The index of the arm `user_id` is in, or nullopt: the experiment is not
// live at `now_unix`, the shopper is not eligible or outside its range.
// A bandit (kThompson) assigns within the period in force at `now_unix`:
// the first arm i with bucket(salt + "/" + period start, user_id) <
// w_1 + ... + w_i (the period's weights), so a shopper keeps their arm for
// the period and is drawn afresh in the next.
std::optional<int> AssignArm(const Experiment& experiment,
                             absl::string_view user_id,
                             const ShopperFacts& facts, int64_t now_unix);

// The chance arm `arm` had of being given to a shopper of the experiment at
// `now_unix`: its share of the traffic (fixed), or its weight in the
// period in force (kThompson).
double ArmProbability(const Experiment& experiment, int arm, int64_t now_unix);

// Non-negative amounts (any scale) as basis points summing to 10000:
// floors, then the largest remainders rounded up.
std::vector<int32_t> RoundToBuckets(absl::Span<const double> exact);

// "fixed", "thompson"; "conversion", "revenue".
const char* AllocationName(Allocation allocation);
const char* BanditMetricName(BanditMetric metric);

// The layer bucket of step 1 above.
int32_t LayerBucket(absl::string_view layer, absl::string_view user_id);

}  // namespace tailor

#endif  // TAILOR_CORE_EXPERIMENTS_EXPERIMENT_H_
