// What the server knows about each customer, as the trainer computed it:
// profile, RFM scores and segment, behavioural cluster, purchase propensity
// and churn risk; plus each cluster's descriptor and popular items. The
// trainer fills CustomerSegments into a snapshot; the server wraps it in a
// SegmentIndex for lookups, segment summaries and audience selection.
#ifndef TAILOR_CORE_CUSTOMER_SEGMENTS_H_
#define TAILOR_CORE_CUSTOMER_SEGMENTS_H_

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/event.h"
#include "core/id_map.h"
#include "core/profiles.h"
#include "core/rfm.h"

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

// The named RFM segment with this name ("Champions", ...), exactly as
// RfmSegmentName spells it.
std::optional<RfmSegment> RfmSegmentFromName(absl::string_view name);

// Which users a campaign targets: every filter that is set must hold
// (any of the listed RFM segments, any of the listed clusters, scores at
// least the thresholds; a user without that score fails its threshold).
struct AudienceQuery {
  std::vector<RfmSegment> rfm_segments;
  std::vector<int32_t> clusters;
  std::optional<float> min_purchase_propensity;
  std::optional<float> min_churn_risk;
  // Highest first; users without the score come last, then by user index.
  enum class Order { kPurchasePropensity, kChurnRisk, kMonetary };
  Order order = Order::kPurchasePropensity;
};

struct AudiencePage {
  std::vector<int32_t> users;
  // Where the next page starts; nullopt when this was the last page.
  std::optional<int64_t> next;
  // How many users match the query in all.
  int64_t total = 0;
};

// Per-segment totals for ListSegments.
struct SegmentSummary {
  int64_t users = 0;
  double mean_purchase_propensity = kNoScore;  // over users with the score
  double mean_churn_risk = kNoScore;
};

// Lookups over one CustomerSegments, with the audience orders precomputed,
// so a page of an audience costs one sequential pass over an order's
// compact keys (which also counts the total), not a sort.
// Thread safety: immutable after construction; all methods may be called
// from many threads at once.
// The RFM inputs of a profile: never-bought customers get
// kNeverBoughtDays.
RfmValues RfmValuesOf(const UserProfile& p);

// Whether a profile takes part in RFM: an order or a return.
inline bool HasRfm(const UserProfile& p) {
  return p.orders > 0 || p.returned != 0;
}

// Moves a profile built as of `reference_unix` forward by events logged
// since (any order): activity (events, last active), purchases (gross
// spend at the event's price, or else `price(item_id)`, x quantity, a new order
// per purchase day after the last one, recency 0 days for a purchase after the
// reference time) and returns (returned value). Items `price` does not know
// (nullopt) count as activity only. Preference shares, tenure and the return
// rate stay as built.
void AdvanceProfile(
    absl::Span<const Event> events, int64_t reference_unix,
    const std::function<std::optional<double>(absl::string_view)>& price,
    UserProfile* p);

class SegmentIndex {
 public:
  explicit SegmentIndex(CustomerSegments segments);

  const CustomerSegments& segments() const { return segments_; }
  std::optional<int32_t> Find(absl::string_view user_id) const {
    return segments_.users.Find(user_id);
  }
  // User `user`'s record, rebuilt from the compact storage (equal to the
  // one the index was built from).
  CustomerRecord record(int32_t user) const;
  int32_t cluster(int32_t user) const { return compact_[user].cluster; }
  // Bytes held for the records.
  size_t records_bytes() const;

  // Scores RFM values against this snapshot's customers.
  const RfmScorer& rfm_scorer() const { return rfm_scorer_; }

  // Indexed by RfmSegment and by cluster id.
  const std::vector<SegmentSummary>& rfm_summaries() const {
    return rfm_summaries_;
  }
  const std::vector<SegmentSummary>& cluster_summaries() const {
    return cluster_summaries_;
  }

  // Up to `limit` matching users in the query's order, starting at
  // position `start` of that order (0, or a previous page's `next`).
  // INVALID_ARGUMENT for an unknown cluster, a threshold outside [0, 1],
  // limit < 1 or a start outside the order.
  absl::StatusOr<AudiencePage> Audience(const AudienceQuery& query,
                                        int64_t start, int limit) const;

 private:
  // What the audience filters look at, stored in each order's sequence so
  // that a page scans memory sequentially (the full records are far
  // larger and would be visited at random).
  struct Key {
    float purchase_propensity;
    float churn_risk;
    int16_t cluster;  // K-Means k is far below 2^15
    int8_t rfm;       // RfmSegment, or -1 without RFM scores
  };
  struct Order {
    std::vector<int32_t> users;  // by descending score
    std::vector<Key> keys;       // keys[i] describes users[i]
  };
  Order MakeOrder(std::vector<int32_t> users) const;

  // A record without its strings: preference values are indexes into
  // values_, and each user's shares are a slice of share_value_/share_.
  // About a third of a CustomerRecord's heap footprint at 1 M customers.
  struct CompactRecord {
    double recency_days, gross, returned, tenure_days, average_order_value,
        return_rate, days_since_active;
    int64_t orders, last_active_unix, events;
    float purchase_propensity, churn_risk;
    int32_t cluster;
    uint32_t shares_begin;
    uint8_t share_count[5];  // categories, brands, colors, sizes, price bands
    int8_t rfm[5];           // r, f, m, fm, segment; segment -1: no scores
  };
  void Compact(std::vector<CustomerRecord> records);
  static UserProfile ScalarsOf(const CompactRecord& c);

  CustomerSegments segments_;  // records moved into compact_
  std::vector<CompactRecord> compact_;
  std::vector<std::string> values_;
  std::vector<uint32_t> share_value_;
  std::vector<float> share_;
  RfmScorer rfm_scorer_;
  std::vector<SegmentSummary> rfm_summaries_, cluster_summaries_;
  // One per AudienceQuery::Order.
  Order by_propensity_, by_churn_, by_monetary_;
};

}  // namespace tailor

#endif  // TAILOR_CORE_CUSTOMER_SEGMENTS_H_
