// An experiment's results: per arm, the shoppers it exposed, what they did
// (attribution.h) and the statistics (statistics.h) against the control.
//
// The units are the shoppers an arm exposed at least once (those who never
// asked for recommendations while in the experiment cannot have been
// affected). Per arm:
// - click-through: attributed clicks / exposures (a ratio over shoppers,
//   delta-method interval);
// - add-to-cart and conversion: the share of shoppers with an attributed
//   add-to-cart / purchase (Wilson interval);
// - revenue per shopper: attributed revenue / shoppers (normal interval).
// Each arm's add-to-cart, conversion and revenue against the control's:
// relative difference, fixed-horizon and always-valid intervals and
// p-values, and the same after CUPED (the covariate: each shopper's spend
// before the experiment started). The sample-ratio check compares the
// shoppers per arm with the arms' shares. Per arm also the off-policy
// estimate of serving it to everyone (self-normalised IPS over the
// exposures, weighted by 1 / the logged probability).
#ifndef TAILOR_CORE_EXPERIMENTS_RESULTS_H_
#define TAILOR_CORE_EXPERIMENTS_RESULTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "core/experiments/attribution.h"
#include "core/experiments/bandit.h"
#include "core/experiments/experiment.h"
#include "core/experiments/statistics.h"

namespace tailor {

struct Estimate {
  double value = 0;
  Interval interval;
};

// One metric of one arm.
struct MetricResult {
  Estimate estimate;
  Comparison vs_control;        // undefined for the control itself
  Comparison cuped_vs_control;  // the same after CUPED
};

// The cumulative conversion of an arm at the end of one day of the
// experiment: the shoppers exposed by then, those converted by then, and
// the rate's Wilson interval.
struct DailyConversion {
  int64_t day_end = 0;  // Unix seconds
  int64_t shoppers = 0;
  int64_t converted = 0;
  Interval interval;
};

struct ArmResult {
  std::string name;
  std::string strategy;
  bool control = false;
  int32_t share = 0;
  int64_t shoppers = 0;
  int64_t exposures = 0;
  Estimate click_through;
  MetricResult add_to_cart;
  MetricResult conversion;
  MetricResult revenue;
  std::vector<DailyConversion> timeline;
  // Off-policy (self-normalised inverse propensity scoring over every
  // logged exposure): what serving this arm to everyone would earn per
  // exposure, conversion and revenue, with delta-method intervals.
  Estimate off_policy_conversion;
  Estimate off_policy_revenue;
  // Exposures credited with a purchase, and their revenue (bandit
  // evidence).
  ArmEvidence evidence;
};

// Thread safety: a plain value.
struct ExperimentResults {
  std::vector<ArmResult> arms;  // in the experiment's order
  SampleRatioCheck sample_ratio;
  // 1 - var(CUPED-adjusted revenue) / var(revenue), over every shopper:
  // the share of the revenue's variance the earlier spend explains.
  double cuped_variance_reduction = 0;
};

// One shopper's outcome in one arm (an index into the experiment's arms).
// A bandit may give a shopper several arms over its periods: one outcome
// per arm, each over that arm's exposures.
struct ArmOutcome {
  int arm = 0;
  ShopperOutcome outcome;
};

// One logged exposure as the off-policy estimate reads it.
struct ExposureRecord {
  int arm = 0;
  double probability = 1;  // the arm's chance when it was chosen, > 0
  bool purchased = false;
  double revenue = 0;
};

struct ResultsOptions {
  ComparisonOptions comparison;
  // The timeline's last day ends at or after this (Unix seconds); days
  // are counted from the first exposure, at most 366 of them (the last
  // ones kept).
  int64_t now_unix = 0;
};

// The results of `experiment` over `shoppers` and their `exposures`
// (outcomes and exposures whose arm is out of range are left out). For a
// bandit the sample-ratio check is not made (its shares change): p_value
// stays 1.
ExperimentResults SummariseExperiment(
    const Experiment& experiment, absl::Span<const ArmOutcome> shoppers,
    absl::Span<const ExposureRecord> exposures, const ResultsOptions& options);

}  // namespace tailor

#endif  // TAILOR_CORE_EXPERIMENTS_RESULTS_H_
