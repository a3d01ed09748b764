// Exposures between the API's messages (LoggedExposure, ForwardedExposure)
// and core's Exposure.
#ifndef TAILOR_SERVER_EXPOSURE_MESSAGES_H_
#define TAILOR_SERVER_EXPOSURE_MESSAGES_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/experiments/experiment.h"
#include "core/experiments/exposure.h"
#include "tailor/v1/admin.pb.h"

namespace tailor {

// The most exposures one RecordExposures request carries.
inline constexpr int kMaxForwardedExposures = 10000;

void FillExposureMessage(const Exposure& exposure, v1::LoggedExposure* out);

// `exposures` as one RecordExposuresRequest (at most kMaxForwardedExposures:
// the caller splits larger batches).
v1::RecordExposuresRequest ForwardRequestOf(
    absl::Span<const Exposure> exposures);

// The exposures of a RecordExposuresRequest, each checked: a user id, a
// recommendation id as RecommendFor gives them, an experiment of `known`
// and one of its arms, a strategy, a timestamp > 0, a probability in
// (0, 1], at most 1000 item ids. INVALID_ARGUMENT naming exposures[i] and
// the field, or the count (1..kMaxForwardedExposures).
absl::StatusOr<std::vector<Exposure>> ExposuresOfMessage(
    const v1::RecordExposuresRequest& request,
    const std::vector<Experiment>& known);

}  // namespace tailor

#endif  // TAILOR_SERVER_EXPOSURE_MESSAGES_H_
