// Hand-made customer segments for the storage and server tests.
#ifndef TAILOR_TESTS_CUSTOMER_RECORDS_H_
#define TAILOR_TESTS_CUSTOMER_RECORDS_H_

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/customers/customer_record.h"
#include "gtest/gtest.h"

namespace tailor::testing {

// User u: cluster u % clusters, RFM segment u % 11 (users divisible by 7
// have no RFM: visitors), purchase propensity u / users, churn risk
// 1 - u / users (NaN for the visitors), net spend 10 * u.
inline CustomerSegments MakeCustomerSegments(
    const std::vector<std::string>& user_ids, int clusters,
    const std::vector<std::vector<int32_t>>& popular = {}) {
  CustomerSegments s;
  s.reference_unix = 1767225600;
  s.users = IdMap(user_ids);
  const int n = static_cast<int>(user_ids.size());
  for (int u = 0; u < n; ++u) {
    CustomerRecord r;
    UserProfile& p = r.profile;
    p.recency_days = u % 7 == 0 ? -1 : u;
    p.orders = u % 7 == 0 ? 0 : 1 + u % 4;
    p.gross = 10.0 * u + (u % 3);
    p.returned = u % 3;
    p.tenure_days = 100 + u;
    p.average_order_value = p.orders > 0 ? p.gross / p.orders : 0;
    p.return_rate = 0.05 * (u % 3);
    p.last_active_unix = s.reference_unix - 86400 * u;
    p.days_since_active = u;
    p.events = 5 + u;
    p.categories = {{"outerwear", 0.6f}, {"knitwear", 0.3f}};
    p.brands = {{"Halden", 1.0f}};
    p.colors = {{"camel", 0.5f}, {"black", 0.25f}, {"navy", 0.25f}};
    p.sizes = {{"M", 1.0f}};
    p.price_bands = {{"premium", 0.7f}};
    if (u % 7 != 0) {
      const int seg = u % kNumRfmSegments;
      r.rfm = RfmScores{.r = 1 + u % 5,
                        .f = 1 + (u / 5) % 5,
                        .m = 1 + (u / 25) % 5,
                        .fm = 1 + (u / 2) % 5,
                        .segment = static_cast<RfmSegment>(seg)};
      r.churn_risk = 1.0f - static_cast<float>(u) / n;
    }
    r.cluster = clusters > 0 ? u % clusters : -1;
    r.purchase_propensity = static_cast<float>(u) / n;
    s.records.push_back(r);
  }
  for (int c = 0; c < clusters; ++c) {
    ClusterInfo info;
    info.descriptor = absl::StrCat("cluster ", c, ", premium");
    if (c < static_cast<int>(popular.size())) info.popular_items = popular[c];
    s.clusters.push_back(info);
  }
  return s;
}

inline bool SameScore(float a, float b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

inline void ExpectSameRecord(const CustomerRecord& a, const CustomerRecord& b) {
  EXPECT_EQ(a.profile, b.profile);
  EXPECT_EQ(a.rfm, b.rfm);
  EXPECT_EQ(a.cluster, b.cluster);
  EXPECT_TRUE(SameScore(a.purchase_propensity, b.purchase_propensity));
  EXPECT_TRUE(SameScore(a.churn_risk, b.churn_risk));
}

inline void ExpectSameSegments(const CustomerSegments& a,
                               const CustomerSegments& b) {
  EXPECT_EQ(a.reference_unix, b.reference_unix);
  EXPECT_EQ(a.users, b.users);
  ASSERT_EQ(a.records.size(), b.records.size());
  for (size_t u = 0; u < a.records.size(); ++u) {
    ExpectSameRecord(a.records[u], b.records[u]);
  }
  ASSERT_EQ(a.clusters.size(), b.clusters.size());
  for (size_t c = 0; c < a.clusters.size(); ++c) {
    EXPECT_EQ(a.clusters[c].descriptor, b.clusters[c].descriptor);
    EXPECT_EQ(a.clusters[c].popular_items, b.clusters[c].popular_items);
  }
}

}  // namespace tailor::testing

#endif  // TAILOR_TESTS_CUSTOMER_RECORDS_H_
