#include "core/customers/live_profile.h"

#include <algorithm>

#include "core/base/time.h"

namespace tailor {

RfmValues RfmValuesOf(const UserProfile& p) {
  return {p.recency_days >= 0 ? p.recency_days : kNeverBoughtDays, p.orders,
          p.net()};
}

void AdvanceProfile(
    absl::Span<const Event> events, int64_t reference_unix,
    const std::function<std::optional<double>(absl::string_view)>& price,
    UserProfile* p) {
  // The last purchase day the profile knows (none: never bought).
  std::optional<int64_t> last_order_day;
  if (p->recency_days >= 0) {
    last_order_day = UtcDayOf(
        reference_unix -
        static_cast<int64_t>(std::llround(p->recency_days * kSecondsPerDay)));
  }
  std::vector<int64_t> new_days;
  for (const Event& e : events) {
    ++p->events;
    p->last_active_unix = std::max(p->last_active_unix, e.timestamp);
    if (e.type != EventType::kPurchase && e.type != EventType::kReturn) {
      continue;
    }
    const std::optional<double> unit_price =
        e.price >= 0 ? std::optional<double>(e.price) : price(e.item_id);
    if (!unit_price.has_value()) continue;
    const double value = (e.value > 0 ? e.value : 1.0) * *unit_price;
    if (e.type == EventType::kReturn) {
      p->returned += value;
      continue;
    }
    p->gross += value;
    const int64_t day = UtcDayOf(e.timestamp);
    if ((!last_order_day.has_value() || day > *last_order_day) &&
        std::find(new_days.begin(), new_days.end(), day) == new_days.end()) {
      new_days.push_back(day);
      ++p->orders;
    }
    const double recency =
        std::max(0.0, static_cast<double>(reference_unix - e.timestamp) /
                          kSecondsPerDay);
    p->recency_days =
        p->recency_days < 0 ? recency : std::min(p->recency_days, recency);
  }
  p->average_order_value = p->orders > 0 ? p->gross / p->orders : 0;
  if (p->last_active_unix > 0) {
    p->days_since_active = std::max(
        0.0, static_cast<double>(reference_unix - p->last_active_unix) /
                 kSecondsPerDay);
  }
}

}  // namespace tailor
