#include "server/exposure_messages.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/base/text.h"
#include "server/validation.h"

namespace tailor {
namespace {

constexpr int kMaxItems = 1000;

absl::Status Check(const v1::ForwardedExposure& f,
                   const std::vector<Experiment>& known) {
  if (absl::Status s = ValidateId("user_id", f.user_id()); !s.ok()) return s;
  if (!f.has_exposure()) {
    return absl::InvalidArgumentError("exposure: missing");
  }
  const v1::LoggedExposure& x = f.exposure();
  TAILOR_RETURN_IF_ERROR(ValidateRecommendationId(x.recommendation_id()));
  auto experiment = std::find_if(
      known.begin(), known.end(),
      [&](const Experiment& e) { return e.name == x.experiment(); });
  if (experiment == known.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("experiment: no experiment '", x.experiment(), "'"));
  }
  if (std::none_of(
          experiment->arms.begin(), experiment->arms.end(),
          [&](const ExperimentArm& arm) { return arm.name == x.arm(); })) {
    return absl::InvalidArgumentError(absl::StrCat(
        "arm: experiment '", x.experiment(), "' has no arm '", x.arm(), "'"));
  }
  if (x.strategy().empty()) {
    return absl::InvalidArgumentError("strategy: must be set");
  }
  if (x.timestamp() <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("timestamp: must be > 0, got ", x.timestamp()));
  }
  if (!(x.probability() > 0 && x.probability() <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("probability: must be in (0, 1], got ", x.probability()));
  }
  if (x.item_ids_size() > kMaxItems) {
    return absl::InvalidArgumentError(absl::StrCat(
        "item_ids: at most ", kMaxItems, ", got ", x.item_ids_size()));
  }
  for (int i = 0; i < x.item_ids_size(); ++i) {
    TAILOR_RETURN_IF_ERROR(
        ValidateId(absl::StrCat("item_ids[", i, "]"), x.item_ids(i)));
  }
  return absl::OkStatus();
}

}  // namespace

void FillExposureMessage(const Exposure& x, v1::LoggedExposure* out) {
  out->set_recommendation_id(x.recommendation_id);
  out->set_experiment(x.experiment);
  out->set_arm(x.arm);
  out->set_strategy(x.strategy);
  out->set_timestamp(x.timestamp);
  out->set_probability(x.probability);
  for (const std::string& item : x.items) out->add_item_ids(item);
}

v1::RecordExposuresRequest ForwardRequestOf(
    absl::Span<const Exposure> exposures) {
  v1::RecordExposuresRequest request;
  request.mutable_exposures()->Reserve(static_cast<int>(exposures.size()));
  for (const Exposure& x : exposures) {
    v1::ForwardedExposure* f = request.add_exposures();
    f->set_user_id(x.user_id);
    FillExposureMessage(x, f->mutable_exposure());
  }
  return request;
}

absl::StatusOr<std::vector<Exposure>> ExposuresOfMessage(
    const v1::RecordExposuresRequest& request,
    const std::vector<Experiment>& known) {
  const int n = request.exposures_size();
  if (n < 1 || n > kMaxForwardedExposures) {
    return absl::InvalidArgumentError(absl::StrCat(
        "exposures: 1..", kMaxForwardedExposures, " per request, got ", n));
  }
  std::vector<Exposure> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) {
    const v1::ForwardedExposure& f = request.exposures(i);
    if (absl::Status s = Check(f, known); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("exposures[", i, "].", s.message()));
    }
    const v1::LoggedExposure& x = f.exposure();
    out.push_back({.recommendation_id = x.recommendation_id(),
                   .user_id = f.user_id(),
                   .experiment = x.experiment(),
                   .arm = x.arm(),
                   .strategy = x.strategy(),
                   .timestamp = x.timestamp(),
                   .probability = x.probability(),
                   .items = {x.item_ids().begin(), x.item_ids().end()}});
  }
  return out;
}

}  // namespace tailor
