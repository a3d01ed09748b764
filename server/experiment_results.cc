#include "server/experiment_results.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/base/status_macros.h"

namespace tailor {
namespace {

// Every event of a shopper: the log keeps them all within its retention.
constexpr size_t kEventsPerShopper = 1'000'000;

double UnitPrice(const Event& e, const CatalogView* catalog) {
  if (e.price >= 0) return e.price;
  if (catalog == nullptr) return 0;
  const std::optional<int32_t> i = catalog->Find(e.item_id);
  return i.has_value() ? std::max(0.0, catalog->item(*i).price) : 0.0;
}

void FillEstimate(const Estimate& e, v1::Estimate* out) {
  out->set_value(e.value);
  out->set_low(e.interval.low);
  out->set_high(e.interval.high);
}

void FillComparison(const Comparison& c, v1::ArmComparison* out) {
  out->set_defined(c.defined);
  if (!c.defined) return;
  out->set_relative(c.relative);
  out->set_low(c.interval.low);
  out->set_high(c.interval.high);
  out->set_p_value(c.p_value);
  out->set_sequential_low(c.sequential_interval.low);
  out->set_sequential_high(c.sequential_interval.high);
  out->set_sequential_p_value(c.sequential_p_value);
}

void FillMetric(const MetricResult& m, v1::ArmMetric* out) {
  FillEstimate(m.estimate, out->mutable_estimate());
  FillComparison(m.vs_control, out->mutable_vs_control());
  FillComparison(m.cuped_vs_control, out->mutable_cuped_vs_control());
}

}  // namespace

absl::StatusOr<ExperimentResults> ReadExperimentResults(
    const Experiment& experiment, StateStore* store, const CatalogView* catalog,
    const ResultsReadOptions& options) {
  absl::flat_hash_map<std::string, int> arm_of;
  for (size_t a = 0; a < experiment.arms.size(); ++a) {
    arm_of.emplace(experiment.arms[a].name, static_cast<int>(a));
  }
  TAILOR_ASSIGN_OR_RETURN(const std::vector<ExposedShopper> exposed,
                          store->ExposedShoppers(experiment.name));
  std::vector<ArmOutcome> outcomes;
  outcomes.reserve(exposed.size());
  std::vector<ExposureRecord> records;
  std::vector<ShopperEvent> events;
  // The shopper's exposures in the experiment, by arm (a bandit may have
  // given them several over its periods).
  std::vector<std::vector<Exposure>> by_arm(experiment.arms.size());
  for (const ExposedShopper& shopper : exposed) {
    TAILOR_ASSIGN_OR_RETURN(std::vector<Exposure> exposures,
                            store->UserExposures(shopper.user_id));
    for (std::vector<Exposure>& arm : by_arm) arm.clear();
    bool any = false;
    for (Exposure& x : exposures) {
      if (x.experiment != experiment.name) continue;
      auto arm = arm_of.find(x.arm);
      if (arm == arm_of.end()) continue;
      by_arm[arm->second].push_back(std::move(x));
      any = true;
    }
    // Retention may have dropped them all since.
    if (!any) continue;
    TAILOR_ASSIGN_OR_RETURN(
        const std::vector<LoggedEvent> logged,
        store->UserEventsBefore(shopper.user_id, nullptr, kEventsPerShopper));
    events.clear();
    for (const LoggedEvent& e : logged) {
      events.push_back({.type = e.event.type,
                        .item_id = e.event.item_id,
                        .timestamp = e.event.timestamp,
                        .quantity = e.event.value,
                        .unit_price = UnitPrice(e.event, catalog),
                        .recommendation_id = e.recommendation_id});
    }
    for (size_t a = 0; a < by_arm.size(); ++a) {
      if (by_arm[a].empty()) continue;
      ArmOutcome& o = outcomes.emplace_back();
      o.arm = static_cast<int>(a);
      o.outcome = Attribute(by_arm[a], events, experiment.start_unix,
                            options.window_seconds);
      for (size_t i = 0; i < by_arm[a].size(); ++i) {
        records.push_back({.arm = o.arm,
                           .probability = by_arm[a][i].probability,
                           .purchased = o.outcome.credits[i].purchased,
                           .revenue = o.outcome.credits[i].revenue});
      }
    }
  }
  return SummariseExperiment(
      experiment, outcomes, records,
      {.comparison = options.comparison, .now_unix = options.now_unix});
}

void FillResultsMessage(const ExperimentResults& results,
                        v1::ExperimentResults* out) {
  for (const ArmResult& arm : results.arms) {
    v1::ArmResults* a = out->add_arms();
    a->set_arm(arm.name);
    a->set_strategy(arm.strategy);
    a->set_control(arm.control);
    a->set_share_bp(arm.share);
    a->set_shoppers(arm.shoppers);
    a->set_exposures(arm.exposures);
    FillEstimate(arm.click_through, a->mutable_click_through());
    FillMetric(arm.add_to_cart, a->mutable_add_to_cart());
    FillMetric(arm.conversion, a->mutable_conversion());
    FillMetric(arm.revenue, a->mutable_revenue_per_shopper());
    FillEstimate(arm.off_policy_conversion, a->mutable_off_policy_conversion());
    FillEstimate(arm.off_policy_revenue, a->mutable_off_policy_revenue());
    for (const DailyConversion& d : arm.timeline) {
      v1::DailyConversion* day = a->add_daily();
      day->set_day_end_unix(d.day_end);
      day->set_shoppers(d.shoppers);
      day->set_converted(d.converted);
      FillEstimate({d.shoppers > 0 ? static_cast<double>(d.converted) /
                                         static_cast<double>(d.shoppers)
                                   : 0.0,
                    d.interval},
                   day->mutable_rate());
    }
  }
  out->set_sample_ratio_chi_squared(results.sample_ratio.chi_squared);
  out->set_sample_ratio_p_value(results.sample_ratio.p_value);
  out->set_sample_ratio_mismatch(results.sample_ratio.mismatch);
  out->set_cuped_variance_reduction(results.cuped_variance_reduction);
}

}  // namespace tailor
