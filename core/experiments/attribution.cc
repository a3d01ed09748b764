#include "core/experiments/attribution.h"

#include <algorithm>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace tailor {

ShopperOutcome Attribute(absl::Span<const Exposure> exposures,
                         absl::Span<const ShopperEvent> events,
                         int64_t experiment_start, int64_t window_seconds) {
  ShopperOutcome out;
  out.exposures = static_cast<int64_t>(exposures.size());
  std::vector<const Exposure*> by_time;
  by_time.reserve(exposures.size());
  absl::flat_hash_map<absl::string_view, int64_t> time_of;
  for (const Exposure& x : exposures) {
    by_time.push_back(&x);
    time_of.emplace(x.recommendation_id, x.timestamp);
  }
  std::stable_sort(by_time.begin(), by_time.end(),
                   [](const Exposure* a, const Exposure* b) {
                     return a->timestamp < b->timestamp;
                   });
  if (!by_time.empty()) out.first_exposure = by_time.front()->timestamp;
  auto within = [window_seconds](int64_t shown, int64_t t) {
    return t >= shown && t - shown <= window_seconds;
  };

  for (const ShopperEvent& e : events) {
    const double value = e.quantity * e.unit_price;
    if (e.type == EventType::kPurchase && e.timestamp < experiment_start) {
      out.spend_before += value;
    }
    bool attributed = false;
    if (!e.recommendation_id.empty()) {
      auto it = time_of.find(e.recommendation_id);
      attributed = it != time_of.end() && within(it->second, e.timestamp);
    } else if (e.type == EventType::kAddToCart ||
               e.type == EventType::kPurchase) {
      for (auto x = by_time.rbegin(); x != by_time.rend(); ++x) {
        if ((*x)->timestamp > e.timestamp) continue;
        if (!within((*x)->timestamp, e.timestamp)) break;  // older still
        if (std::find((*x)->items.begin(), (*x)->items.end(), e.item_id) !=
            (*x)->items.end()) {
          attributed = true;
          break;
        }
      }
    }
    if (!attributed) continue;
    switch (e.type) {
      case EventType::kClick:
        ++out.clicks;
        break;
      case EventType::kAddToCart:
        out.added_to_cart = true;
        break;
      case EventType::kPurchase:
        if (!out.converted || e.timestamp < out.converted_at) {
          out.converted_at = e.timestamp;
        }
        out.converted = true;
        out.revenue += value;
        break;
      default:
        break;
    }
  }
  return out;
}

}  // namespace tailor
