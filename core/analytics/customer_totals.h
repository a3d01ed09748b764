// Per-customer order totals (orders, gross and returned spend, recency),
// the raw material of RFM scores and customer profiles.
#ifndef TAILOR_CORE_ANALYTICS_CUSTOMER_TOTALS_H_
#define TAILOR_CORE_ANALYTICS_CUSTOMER_TOTALS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "core/customers/rfm.h"
#include "core/data/readers.h"

namespace tailor {

struct CustomerTotals {
  int64_t orders = 0;      // distinct orders with at least one purchase line
  double gross = 0;        // purchase lines: quantity x unit price
  double returned = 0;     // return lines: |quantity| x unit price
  int64_t lines = 0;       // order lines of any kind
  int64_t first_unix = 0;  // first line of any kind
  int64_t last_purchase_unix = 0;  // meaningful only when orders > 0
  double net() const { return gross - returned; }
};

// Aggregates order lines by customer.
// Thread safety: not thread-safe; build on one thread, then share the
// result read-only.
class CustomerTotalsBuilder {
 public:
  void Add(const OrderLine& line);

  int32_t num_customers() const { return static_cast<int32_t>(ids_.size()); }
  // Customers in order of first appearance.
  const std::vector<std::string>& ids() const { return ids_; }
  const std::vector<CustomerTotals>& totals() const { return totals_; }
  // nullptr when the customer has no line.
  const CustomerTotals* Find(const std::string& customer_id) const;

 private:
  std::vector<std::string> ids_;
  std::vector<CustomerTotals> totals_;
  absl::flat_hash_map<std::string, int32_t> index_;
  absl::flat_hash_set<std::pair<int32_t, std::string>> orders_;
};

// Recency in days is (now - last purchase) / kSecondsPerDay; a customer who
// never bought (returns only) gets kNeverBoughtDays, which scores R = 1.
RfmValues ToRfmValues(const CustomerTotals& totals, int64_t now_unix);

}  // namespace tailor

#endif  // TAILOR_CORE_ANALYTICS_CUSTOMER_TOTALS_H_
