#include "server/experiment_messages.h"

#include "absl/strings/str_cat.h"

namespace tailor {

absl::StatusOr<Experiment> ExperimentOfMessage(const v1::Experiment& m) {
  Experiment e;
  e.name = m.name();
  e.salt = m.salt();
  e.layer = m.layer();
  for (int a = 0; a < m.arms_size(); ++a) {
    const v1::ExperimentArm& arm = m.arms(a);
    ExperimentArm& out = e.arms.emplace_back();
    out.name = arm.name();
    out.strategy = arm.strategy();
    out.share = arm.share_bp();
    out.control = arm.control();
    if (arm.has_diversity()) {
      if (!(arm.diversity() >= 0 && arm.diversity() <= 1)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "arms[", a, "].diversity: must be 0..1, got ", arm.diversity()));
      }
      out.diversity = arm.diversity();
    }
    for (const v1::ArmBoost& b : arm.boosts()) {
      out.boosts.emplace_back(b.item_id(), b.boost());
    }
  }
  switch (m.eligibility()) {
    case v1::EXPERIMENT_ELIGIBILITY_UNSPECIFIED:
    case v1::EXPERIMENT_ELIGIBILITY_ALL:
      e.eligibility = Eligibility::kAll;
      break;
    case v1::EXPERIMENT_ELIGIBILITY_SEGMENT:
      e.eligibility = Eligibility::kSegment;
      break;
    case v1::EXPERIMENT_ELIGIBILITY_NEW_VISITORS:
      e.eligibility = Eligibility::kNewVisitors;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("eligibility: ", static_cast<int>(m.eligibility()),
                       " is not an ExperimentEligibility"));
  }
  e.segment = m.segment();
  e.start_unix = m.start_unix();
  e.end_unix = m.end_unix();
  switch (m.allocation()) {
    case v1::EXPERIMENT_ALLOCATION_UNSPECIFIED:
    case v1::EXPERIMENT_ALLOCATION_FIXED:
      e.allocation = Allocation::kFixed;
      break;
    case v1::EXPERIMENT_ALLOCATION_THOMPSON:
      e.allocation = Allocation::kThompson;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("allocation: ", static_cast<int>(m.allocation()),
                       " is not an ExperimentAllocation"));
  }
  const v1::BanditSettings& bandit = m.bandit();
  if (e.allocation == Allocation::kFixed && m.has_bandit()) {
    return absl::InvalidArgumentError("bandit: only for allocation THOMPSON");
  }
  switch (bandit.metric()) {
    case v1::BANDIT_METRIC_UNSPECIFIED:
    case v1::BANDIT_METRIC_CONVERSION:
      e.bandit.metric = BanditMetric::kConversion;
      break;
    case v1::BANDIT_METRIC_REVENUE:
      e.bandit.metric = BanditMetric::kRevenue;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("bandit.metric: ", static_cast<int>(bandit.metric()),
                       " is not a BanditMetric"));
  }
  if (bandit.interval_seconds() != 0) {
    e.bandit.interval_seconds = bandit.interval_seconds();
  }
  if (bandit.has_min_share_bp()) e.bandit.min_share = bandit.min_share_bp();
  return e;
}

void FillExperimentMessage(const Experiment& e, v1::Experiment* out) {
  out->set_name(e.name);
  out->set_salt(e.salt);
  out->set_layer(e.layer);
  for (const ExperimentArm& arm : e.arms) {
    v1::ExperimentArm* a = out->add_arms();
    a->set_name(arm.name);
    a->set_strategy(arm.strategy);
    a->set_share_bp(arm.share);
    a->set_control(arm.control);
    if (arm.diversity >= 0) a->set_diversity(arm.diversity);
    for (const auto& [item, boost] : arm.boosts) {
      v1::ArmBoost* b = a->add_boosts();
      b->set_item_id(item);
      b->set_boost(boost);
    }
  }
  switch (e.eligibility) {
    case Eligibility::kAll:
      out->set_eligibility(v1::EXPERIMENT_ELIGIBILITY_ALL);
      break;
    case Eligibility::kSegment:
      out->set_eligibility(v1::EXPERIMENT_ELIGIBILITY_SEGMENT);
      break;
    case Eligibility::kNewVisitors:
      out->set_eligibility(v1::EXPERIMENT_ELIGIBILITY_NEW_VISITORS);
      break;
  }
  out->set_segment(e.segment);
  out->set_start_unix(e.start_unix);
  out->set_end_unix(e.end_unix);
  switch (e.state) {
    case ExperimentState::kRunning:
      out->set_state(v1::EXPERIMENT_STATE_RUNNING);
      break;
    case ExperimentState::kStopped:
      out->set_state(v1::EXPERIMENT_STATE_STOPPED);
      break;
    case ExperimentState::kArchived:
      out->set_state(v1::EXPERIMENT_STATE_ARCHIVED);
      break;
  }
  out->set_created_unix(e.created_unix);
  out->set_stopped_unix(e.stopped_unix);
  out->set_layer_begin(e.layer_begin);
  out->set_layer_end(e.layer_end);
  if (e.allocation == Allocation::kFixed) {
    out->set_allocation(v1::EXPERIMENT_ALLOCATION_FIXED);
    return;
  }
  out->set_allocation(v1::EXPERIMENT_ALLOCATION_THOMPSON);
  v1::BanditSettings* bandit = out->mutable_bandit();
  bandit->set_metric(e.bandit.metric == BanditMetric::kRevenue
                         ? v1::BANDIT_METRIC_REVENUE
                         : v1::BANDIT_METRIC_CONVERSION);
  bandit->set_interval_seconds(e.bandit.interval_seconds);
  bandit->set_min_share_bp(e.bandit.min_share);
  for (const AllocationPeriod& p : e.periods) {
    v1::AllocationPeriod* period = out->add_periods();
    period->set_start_unix(p.start_unix);
    for (int32_t w : p.weights) period->add_weights_bp(w);
  }
}

}  // namespace tailor
