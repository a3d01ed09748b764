// Lookups over a snapshot's customer records: a customer's record, the RFM
// and cluster summaries (ListSegments) and audiences (TargetAudience).
#ifndef TAILOR_CORE_CUSTOMERS_SEGMENT_INDEX_H_
#define TAILOR_CORE_CUSTOMERS_SEGMENT_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/customers/customer_record.h"
#include "core/customers/profiles.h"
#include "core/customers/rfm.h"

namespace tailor {

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

#endif  // TAILOR_CORE_CUSTOMERS_SEGMENT_INDEX_H_
