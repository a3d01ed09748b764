#include "core/experiments/attribution.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace tailor {

ShopperOutcome Attribute(absl::Span<const Exposure> exposures,
                         absl::Span<const ShopperEvent> events,
                         int64_t experiment_start, int64_t window_seconds) {
  ShopperOutcome out;
  out.exposures = static_cast<int64_t>(exposures.size());
  out.credits.resize(exposures.size());
  // Indexes into `exposures`, by time.
  std::vector<size_t> by_time(exposures.size());
  absl::flat_hash_map<absl::string_view, size_t> index_of;
  for (size_t i = 0; i < exposures.size(); ++i) {
    by_time[i] = i;
    index_of.emplace(exposures[i].recommendation_id, i);
  }
  std::stable_sort(by_time.begin(), by_time.end(), [&](size_t a, size_t b) {
    return exposures[a].timestamp < exposures[b].timestamp;
  });
  if (!by_time.empty()) out.first_exposure = exposures[by_time[0]].timestamp;
  auto within = [window_seconds](int64_t shown, int64_t t) {
    return t >= shown && t - shown <= window_seconds;
  };

  for (const ShopperEvent& e : events) {
    const double value = e.quantity * e.unit_price;
    if (e.type == EventType::kPurchase && e.timestamp < experiment_start) {
      out.spend_before += value;
    }
    // The exposure that earns the event, if any.
    std::optional<size_t> earner;
    if (!e.recommendation_id.empty()) {
      auto it = index_of.find(e.recommendation_id);
      if (it != index_of.end() &&
          within(exposures[it->second].timestamp, e.timestamp)) {
        earner = it->second;
      }
    } else if (e.type == EventType::kAddToCart ||
               e.type == EventType::kPurchase) {
      for (auto i = by_time.rbegin(); i != by_time.rend(); ++i) {
        const Exposure& x = exposures[*i];
        if (x.timestamp > e.timestamp) continue;
        if (!within(x.timestamp, e.timestamp)) break;  // older still
        if (std::find(x.items.begin(), x.items.end(), e.item_id) !=
            x.items.end()) {
          earner = *i;
          break;
        }
      }
    }
    if (!earner.has_value()) continue;
    ExposureCredit& credit = out.credits[*earner];
    switch (e.type) {
      case EventType::kClick:
        ++out.clicks;
        ++credit.clicks;
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
        credit.purchased = true;
        credit.revenue += value;
        break;
      default:
        break;
    }
  }
  return out;
}

}  // namespace tailor
