// Lookups over a snapshot's customer records: a customer's record, the RFM
// and cluster summaries (ListSegments) and audiences (TargetAudience).
#ifndef TAILOR_CORE_CUSTOMERS_SEGMENT_INDEX_H_
#define TAILOR_CORE_CUSTOMERS_SEGMENT_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
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

// A place in an audience's order: the order's score of a customer
// (-infinity for one without the score) and their user index. The order
// is by score, highest first, then by user index.
struct AudienceCursor {
  double score = 0;
  int32_t user = 0;
  bool operator==(const AudienceCursor&) const = default;
};

struct AudiencePage {
  std::vector<int32_t> users;
  // Where the next page starts (after this customer); nullopt when this was
  // the last page.
  std::optional<AudienceCursor> next;
  // How many users match the query in all.
  int64_t total = 0;
  // Whether matches follow this page (next is set then).
  bool more = false;
};

// What the audience filters and orders see of a customer whose record
// moved since the snapshot's profiles (events logged since): their live
// RFM segment and net spend. Scores and clusters move only with a new
// snapshot.
struct MovedCustomer {
  int32_t user = 0;     // the SegmentIndex's user
  int8_t rfm = -1;      // RfmSegment; -1 without RFM scores
  double monetary = 0;  // net spend
};

// The moved customers of one SegmentIndex, as one query sees them.
// Thread safety: immutable once built; safe to share between threads.
class CustomerMoves {
 public:
  CustomerMoves() = default;
  // `users`: the index's number of users; each user at most once in
  // `moved`.
  CustomerMoves(int32_t users, std::vector<MovedCustomer> moved);

  // User `user`'s live inputs; null when they did not move.
  const MovedCustomer* Find(int32_t user) const {
    if (user < 0 || static_cast<size_t>(user) >= moved_bits_.size() ||
        !moved_bits_[user]) {
      return nullptr;
    }
    return &by_monetary_[slot_.at(user)];
  }
  // By live net spend, highest first, then by user.
  const std::vector<MovedCustomer>& by_monetary() const { return by_monetary_; }
  size_t size() const { return by_monetary_.size(); }

 private:
  std::vector<MovedCustomer> by_monetary_;
  std::vector<bool> moved_bits_;  // by user: a cheap test before slot_
  absl::flat_hash_map<int32_t, int32_t> slot_;  // user -> by_monetary_ index
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

  // The RFM segments' summaries with `moves` (may be null) in their live
  // segments.
  std::vector<SegmentSummary> RfmSummaries(const CustomerMoves* moves) const;

  // Up to `limit` matching users in the query's order, from the first
  // (`after` null) or after `after` (a previous page's `next`). With
  // `moves` (may be null), moved customers are filtered by their live RFM
  // segment and ordered by their live net spend: a customer who moves
  // across the cursor between two pages is either skipped or listed again.
  // INVALID_ARGUMENT for an unknown cluster, a threshold outside [0, 1] or
  // limit < 1.
  absl::StatusOr<AudiencePage> Audience(
      const AudienceQuery& query, const AudienceCursor* after, int limit,
      const CustomerMoves* moves = nullptr) const;

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
  Key KeyOf(int32_t user) const;

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
