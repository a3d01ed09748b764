// Attribution: which of a shopper's events an experiment's answers earned.
//
// An event is attributed to an exposure of the same shopper, at or after
// the exposure's time and within the window (default 7 days) after it, by
// one of two rules:
// 1. Explicit: the event carries the exposure's recommendation_id (a click
//    on a recommended item, or any event the storefront tagged).
// 2. Implicit: an add-to-cart or a purchase, carrying no recommendation_id,
//    of an item the exposure showed (the latest such exposure earns it).
// Clicks count by rule 1 only: a storefront that reports clicks knows
// where they came from. Views and ratings are never attributed; returns
// are not subtracted.
#ifndef TAILOR_CORE_EXPERIMENTS_ATTRIBUTION_H_
#define TAILOR_CORE_EXPERIMENTS_ATTRIBUTION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "core/base/event.h"
#include "core/experiments/exposure.h"

namespace tailor {

inline constexpr int64_t kDefaultAttributionWindow = 7 * 86400;

// One event of the shopper, as attribution reads it.
// Thread safety: a plain value.
struct ShopperEvent {
  EventType type = EventType::kView;
  std::string item_id;
  int64_t timestamp = 0;
  double quantity = 1;
  double unit_price = 0;  // what the purchase paid per unit (0 if unknown)
  std::string recommendation_id;  // "" when the event carries none
};

// What one exposure earned: attributed clicks and purchases, and the
// purchases' revenue.
struct ExposureCredit {
  int64_t clicks = 0;
  bool purchased = false;
  double revenue = 0;
};

// What one shopper did in one experiment.
// Thread safety: a plain value.
struct ShopperOutcome {
  int64_t exposures = 0;
  int64_t first_exposure = 0;  // time of the first exposure (0: none)
  int64_t clicks = 0;          // attributed clicks
  bool added_to_cart = false;  // an attributed add-to-cart
  bool converted = false;      // an attributed purchase
  int64_t converted_at = 0;    // time of the first attributed purchase
  double revenue = 0;          // attributed purchases: quantity * unit price
  // Purchases before the experiment started, quantity * unit price (the
  // CUPED covariate: fixed before any arm could change it).
  double spend_before = 0;
  // Per exposure, in the order Attribute was given them.
  std::vector<ExposureCredit> credits;
};

// The outcome of one shopper given their `exposures` in the experiment
// (any order) and their `events` (any order; those carrying the id of
// another answer are not attributed).
ShopperOutcome Attribute(absl::Span<const Exposure> exposures,
                         absl::Span<const ShopperEvent> events,
                         int64_t experiment_start,
                         int64_t window_seconds = kDefaultAttributionWindow);

}  // namespace tailor

#endif  // TAILOR_CORE_EXPERIMENTS_ATTRIBUTION_H_
