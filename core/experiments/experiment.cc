#include "core/experiments/experiment.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/status_macros.h"
#include "core/base/text.h"
#include "core/experiments/assignment.h"

namespace tailor {

int32_t Experiment::traffic() const {
  int32_t sum = 0;
  for (const ExperimentArm& arm : arms) sum += arm.share;
  return sum;
}

bool Experiment::LiveAt(int64_t now_unix) const {
  return state == ExperimentState::kRunning && now_unix >= start_unix &&
         (end_unix == 0 || now_unix < end_unix);
}

int Experiment::control() const {
  for (size_t a = 0; a < arms.size(); ++a) {
    if (arms[a].control) return static_cast<int>(a);
  }
  return -1;
}

const AllocationPeriod* Experiment::PeriodAt(int64_t now_unix) const {
  if (periods.empty()) return nullptr;
  const AllocationPeriod* in_force = &periods.front();
  for (const AllocationPeriod& p : periods) {
    if (p.start_unix <= now_unix) in_force = &p;
  }
  return in_force;
}

const char* AllocationName(Allocation allocation) {
  return allocation == Allocation::kThompson ? "thompson" : "fixed";
}

const char* BanditMetricName(BanditMetric metric) {
  return metric == BanditMetric::kRevenue ? "revenue" : "conversion";
}

const char* ExperimentStateName(ExperimentState state) {
  switch (state) {
    case ExperimentState::kRunning:
      return "running";
    case ExperimentState::kStopped:
      return "stopped";
    case ExperimentState::kArchived:
      return "archived";
  }
  return "?";
}

const char* EligibilityName(Eligibility eligibility) {
  switch (eligibility) {
    case Eligibility::kAll:
      return "all";
    case Eligibility::kSegment:
      return "segment";
    case Eligibility::kNewVisitors:
      return "new_visitors";
  }
  return "?";
}

int32_t LayerBucket(absl::string_view layer, absl::string_view user_id) {
  return Bucket(absl::StrCat("layer.", layer), user_id);
}

absl::StatusOr<Experiment> PrepareExperiment(
    Experiment e, const std::vector<Experiment>& existing,
    const absl::flat_hash_set<std::string>& strategies, int64_t now_unix) {
  TAILOR_RETURN_IF_ERROR(ValidateId("name", e.name));
  TAILOR_RETURN_IF_ERROR(ValidateId("salt", e.salt));
  if (e.layer.empty()) e.layer = "default";
  TAILOR_RETURN_IF_ERROR(ValidateId("layer", e.layer));
  if (e.arms.size() < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "arms: an experiment needs at least two arms, got ", e.arms.size()));
  }
  std::vector<std::string> known(strategies.begin(), strategies.end());
  std::sort(known.begin(), known.end());
  int controls = 0;
  int64_t traffic = 0;
  for (size_t a = 0; a < e.arms.size(); ++a) {
    const ExperimentArm& arm = e.arms[a];
    const std::string at = absl::StrCat("arms[", a, "]");
    TAILOR_RETURN_IF_ERROR(ValidateId(absl::StrCat(at, ".name"), arm.name));
    for (size_t b = 0; b < a; ++b) {
      if (e.arms[b].name == arm.name) {
        return absl::InvalidArgumentError(absl::StrCat(
            at, ".name: '", arm.name, "' is also arms[", b, "]'s name"));
      }
    }
    if (!strategies.contains(arm.strategy)) {
      return absl::InvalidArgumentError(absl::StrCat(
          at, ".strategy: '", arm.strategy, "' is not one of the served ",
          "strategies (", absl::StrJoin(known, ", "), ")"));
    }
    if (arm.diversity != -1 && !(arm.diversity >= 0 && arm.diversity <= 1)) {
      return absl::InvalidArgumentError(absl::StrCat(
          at, ".diversity: must be 0..1 (or unset), got ", arm.diversity));
    }
    if (arm.boosts.size() > 100) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".boosts: at most 100, got ", arm.boosts.size()));
    }
    for (size_t b = 0; b < arm.boosts.size(); ++b) {
      const auto& [item, boost] = arm.boosts[b];
      TAILOR_RETURN_IF_ERROR(
          ValidateId(absl::StrCat(at, ".boosts[", b, "].item_id"), item));
      if (!(boost > 0 && boost <= 100)) {
        return absl::InvalidArgumentError(absl::StrCat(
            at, ".boosts[", b, "].boost: must be in (0, 100], got ", boost));
      }
    }
    if (arm.share <= 0 || arm.share > kBuckets) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".share: must be 1..", kBuckets,
                       " basis points, got ", arm.share));
    }
    controls += arm.control ? 1 : 0;
    traffic += arm.share;
  }
  if (controls > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("arms: ", controls,
                     " arms are marked control; at most "
                     "one may be"));
  }
  if (traffic > kBuckets) {
    return absl::InvalidArgumentError(
        absl::StrCat("arms: the shares sum to ", traffic,
                     " basis points, more than all shoppers (", kBuckets, ")"));
  }
  if (e.allocation == Allocation::kThompson) {
    if (e.bandit.interval_seconds < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("bandit.interval_seconds: must be >= 1, got ",
                       e.bandit.interval_seconds));
    }
    if (e.bandit.min_share < 0 ||
        e.bandit.min_share * static_cast<int64_t>(e.arms.size()) > kBuckets) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bandit.min_share: ", e.bandit.min_share,
          " basis points for each of ", e.arms.size(),
          " arms is more than the whole traffic (", kBuckets, ")"));
    }
  }
  if (e.eligibility == Eligibility::kSegment) {
    if (e.segment.empty()) {
      return absl::InvalidArgumentError(
          "segment: required when eligibility is segment");
    }
  } else if (!e.segment.empty()) {
    return absl::InvalidArgumentError("segment: only for eligibility segment");
  }
  if (e.start_unix < 0 || e.end_unix < 0) {
    return absl::InvalidArgumentError(
        "start_unix, end_unix: must be Unix seconds >= 0");
  }
  if (e.start_unix == 0) e.start_unix = now_unix;
  if (e.end_unix != 0 && e.end_unix <= e.start_unix) {
    return absl::InvalidArgumentError(absl::StrCat(
        "end_unix: ", e.end_unix, " is not after start_unix ", e.start_unix));
  }
  if (e.end_unix != 0 && e.end_unix <= now_unix) {
    return absl::InvalidArgumentError(
        absl::StrCat("end_unix: ", e.end_unix, " has passed already"));
  }
  // Conflicts with what exists.
  std::vector<std::pair<int32_t, int32_t>> taken;
  for (const Experiment& other : existing) {
    if (other.name == e.name) {
      return absl::FailedPreconditionError(
          absl::StrCat("name: experiment '", e.name, "' exists already"));
    }
    if (other.salt == e.salt) {
      return absl::FailedPreconditionError(absl::StrCat(
          "salt: '", e.salt, "' was experiment '", other.name,
          "'s; a salt is never reused (its shoppers would be split the same "
          "way)"));
    }
    // Stopped and archived experiments give their buckets back.
    if (other.layer == e.layer && other.state == ExperimentState::kRunning &&
        (other.end_unix == 0 || other.end_unix > now_unix)) {
      taken.emplace_back(other.layer_begin, other.layer_end);
    }
  }
  std::sort(taken.begin(), taken.end());
  int32_t free_total = kBuckets;
  for (const auto& [begin, end] : taken) free_total -= end - begin;
  // First fit: the lowest gap as wide as the traffic.
  int32_t at = 0;
  std::optional<int32_t> begin;
  for (const auto& range : taken) {
    if (range.first - at >= traffic) break;
    at = std::max(at, range.second);
  }
  if (kBuckets - at >= traffic) begin = at;
  if (!begin.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "arms: layer '", e.layer, "' has ", free_total, " of ", kBuckets,
        " buckets free", free_total >= traffic ? " but not in one range" : "",
        "; the shares need ", traffic,
        " (stop an experiment of the layer, or use another layer)"));
  }
  e.layer_begin = *begin;
  e.layer_end = *begin + static_cast<int32_t>(traffic);
  e.periods.clear();
  if (e.allocation == Allocation::kThompson) {
    // The first period splits by the shares, in basis points of the
    // traffic (the largest remainders rounded up, so they sum to 10000).
    AllocationPeriod first;
    first.start_unix = e.start_unix;
    std::vector<double> exact;
    for (const ExperimentArm& arm : e.arms) {
      exact.push_back(static_cast<double>(arm.share) * kBuckets /
                      static_cast<double>(traffic));
    }
    first.weights = RoundToBuckets(exact);
    e.periods.push_back(std::move(first));
  }
  e.state = ExperimentState::kRunning;
  e.created_unix = now_unix;
  e.stopped_unix = 0;
  return e;
}

std::optional<int> AssignArm(const Experiment& e, absl::string_view user_id,
                             const ShopperFacts& facts, int64_t now_unix) {
  if (!e.LiveAt(now_unix)) return std::nullopt;
  switch (e.eligibility) {
    case Eligibility::kAll:
      break;
    case Eligibility::kSegment:
      if (facts.rfm_segment != e.segment) return std::nullopt;
      break;
    case Eligibility::kNewVisitors:
      if (!facts.new_visitor) return std::nullopt;
      break;
  }
  const int32_t layer = LayerBucket(e.layer, user_id);
  if (layer < e.layer_begin || layer >= e.layer_end) return std::nullopt;
  if (const AllocationPeriod* period = e.PeriodAt(now_unix);
      e.allocation == Allocation::kThompson && period != nullptr &&
      period->weights.size() == e.arms.size()) {
    const int32_t b =
        Bucket(absl::StrCat(e.salt, "/", period->start_unix), user_id);
    int32_t cumulative = 0;
    for (size_t a = 0; a < e.arms.size(); ++a) {
      cumulative += period->weights[a];
      if (b < cumulative) return static_cast<int>(a);
    }
    return static_cast<int>(e.arms.size()) - 1;
  }
  const int64_t b = Bucket(e.salt, user_id);
  const int64_t traffic = e.traffic();
  int64_t cumulative = 0;
  for (size_t a = 0; a < e.arms.size(); ++a) {
    cumulative += e.arms[a].share;
    if (b * traffic < cumulative * kBuckets) return static_cast<int>(a);
  }
  return static_cast<int>(e.arms.size()) - 1;  // unreachable: b < kBuckets
}

double ArmProbability(const Experiment& e, int arm, int64_t now_unix) {
  if (arm < 0 || static_cast<size_t>(arm) >= e.arms.size()) return 0;
  if (const AllocationPeriod* period = e.PeriodAt(now_unix);
      e.allocation == Allocation::kThompson && period != nullptr &&
      period->weights.size() == e.arms.size()) {
    return static_cast<double>(period->weights[arm]) / kBuckets;
  }
  const int32_t traffic = e.traffic();
  return traffic > 0 ? static_cast<double>(e.arms[arm].share) / traffic : 0;
}

std::vector<int32_t> RoundToBuckets(absl::Span<const double> exact) {
  double total = 0;
  for (double x : exact) total += std::max(0.0, x);
  std::vector<int32_t> out(exact.size(), 0);
  if (exact.empty() || total <= 0) return out;
  std::vector<std::pair<double, size_t>> remainders;
  int32_t given = 0;
  for (size_t i = 0; i < exact.size(); ++i) {
    const double scaled = std::max(0.0, exact[i]) * kBuckets / total;
    out[i] = static_cast<int32_t>(scaled);
    given += out[i];
    remainders.emplace_back(scaled - out[i], i);
  }
  std::stable_sort(
      remainders.begin(), remainders.end(),
      [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t k = 0; given < kBuckets; ++k, ++given) {
    ++out[remainders[k % remainders.size()].second];
  }
  return out;
}

}  // namespace tailor
