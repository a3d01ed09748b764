#include "core/customers/customer_record.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace tailor {
namespace {

bool InUnit(float v) { return std::isnan(v) || (v >= 0.0f && v <= 1.0f); }

}  // namespace

absl::Status CustomerSegments::Validate(int32_t num_items) const {
  if (records.size() != static_cast<size_t>(users.size())) {
    return absl::DataLossError(absl::StrCat(
        "segments: ", records.size(), " records for ", users.size(), " users"));
  }
  const int32_t k = static_cast<int32_t>(clusters.size());
  if (k > INT16_MAX) {
    return absl::DataLossError(
        absl::StrCat("segments: ", k, " clusters, at most ", INT16_MAX));
  }
  for (int32_t u = 0; u < users.size(); ++u) {
    const CustomerRecord& r = records[u];
    if (r.cluster < -1 || r.cluster >= k) {
      return absl::DataLossError(absl::StrCat("segments: user '", users.id(u),
                                              "' has cluster ", r.cluster,
                                              " of ", k));
    }
    if (r.rfm.has_value()) {
      const RfmScores& s = *r.rfm;
      for (int v : {s.r, s.f, s.m, s.fm}) {
        if (v < 1 || v > 5) {
          return absl::DataLossError(absl::StrCat(
              "segments: user '", users.id(u), "' has an RFM score ", v));
        }
      }
      if (static_cast<int>(s.segment) < 0 ||
          static_cast<int>(s.segment) >= kNumRfmSegments) {
        return absl::DataLossError(absl::StrCat("segments: user '", users.id(u),
                                                "' has a bad RFM segment"));
      }
    }
    if (!InUnit(r.purchase_propensity) || !InUnit(r.churn_risk)) {
      return absl::DataLossError(absl::StrCat("segments: user '", users.id(u),
                                              "' has a score outside [0, 1]"));
    }
  }
  for (int32_t c = 0; c < k; ++c) {
    for (int32_t item : clusters[c].popular_items) {
      if (item < 0 || item >= num_items) {
        return absl::DataLossError(absl::StrCat("segments: cluster ", c,
                                                " lists item index ", item,
                                                " of ", num_items));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace tailor
