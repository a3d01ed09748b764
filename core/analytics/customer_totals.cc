#include "core/analytics/customer_totals.h"

#include <algorithm>

#include "core/base/time.h"

namespace tailor {

void CustomerTotalsBuilder::Add(const OrderLine& line) {
  auto [it, inserted] = index_.try_emplace(line.customer_id, num_customers());
  if (inserted) {
    ids_.push_back(line.customer_id);
    totals_.emplace_back();
    totals_.back().first_unix = line.timestamp;
  }
  CustomerTotals& t = totals_[it->second];
  ++t.lines;
  t.first_unix = std::min(t.first_unix, line.timestamp);
  const double amount = line.quantity * line.unit_price;
  if (line.quantity > 0) {
    const bool first_purchase = t.orders == 0;
    t.gross += amount;
    if (orders_.emplace(it->second, line.order_id).second) ++t.orders;
    t.last_purchase_unix = first_purchase
                               ? line.timestamp
                               : std::max(t.last_purchase_unix, line.timestamp);
  } else {
    t.returned -= amount;
  }
}

const CustomerTotals* CustomerTotalsBuilder::Find(
    const std::string& customer_id) const {
  auto it = index_.find(customer_id);
  return it == index_.end() ? nullptr : &totals_[it->second];
}

RfmValues ToRfmValues(const CustomerTotals& t, int64_t now_unix) {
  RfmValues v;
  v.recency_days = t.orders > 0
                       ? static_cast<double>(now_unix - t.last_purchase_unix) /
                             static_cast<double>(kSecondsPerDay)
                       : kNeverBoughtDays;
  v.frequency = t.orders;
  v.monetary = t.net();
  return v;
}

}  // namespace tailor
