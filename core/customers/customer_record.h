// What the server knows about each customer, as the trainer computed it:
// profile, RFM scores and segment, behavioural cluster, purchase propensity
// and churn risk; plus each cluster's descriptor and popular items. The
// trainer fills CustomerSegments into a snapshot; the server wraps it in a
// SegmentIndex (segment_index.h) for lookups, summaries and audiences.
#ifndef TAILOR_CORE_CUSTOMERS_CUSTOMER_RECORD_H_
#define TAILOR_CORE_CUSTOMERS_CUSTOMER_RECORD_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/base/id_map.h"
#include "core/customers/profiles.h"
#include "core/customers/rfm.h"

namespace tailor {

inline constexpr float kNoScore = std::numeric_limits<float>::quiet_NaN();

// One customer's segment record.
struct CustomerRecord {
  UserProfile profile;
  // Absent for visitors without any order or return.
  std::optional<RfmScores> rfm;
  int32_t cluster = -1;  // -1: not clustered
  // P(purchase within the purchase horizon); kNoScore when not scored.
  float purchase_propensity = kNoScore;
  // P(no purchase within the churn horizon), customers only; else kNoScore.
  float churn_risk = kNoScore;
};

struct ClusterInfo {
  std::string descriptor;
  // Model item indexes the cluster's members interacted with most, best
  // first: the cold-start list for a known customer without an embedding.
  std::vector<int32_t> popular_items;
};

// Thread safety: plain data; immutable once in a snapshot.
struct CustomerSegments {
  // Profiles were built as of this time (Unix seconds).
  int64_t reference_unix = 0;
  IdMap users;
  std::vector<CustomerRecord> records;  // per user, in users' order
  std::vector<ClusterInfo> clusters;

  bool empty() const { return users.size() == 0; }
  // Checks sizes, cluster ids, RFM scores and that every score is NaN or
  // in [0, 1]; popular items must be below `num_items`.
  absl::Status Validate(int32_t num_items) const;
};

}  // namespace tailor

#endif  // TAILOR_CORE_CUSTOMERS_CUSTOMER_RECORD_H_
