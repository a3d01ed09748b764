// A customer's profile between retrains: moved forward by the events
// logged since it was built, and its RFM inputs.
#ifndef TAILOR_CORE_CUSTOMERS_LIVE_PROFILE_H_
#define TAILOR_CORE_CUSTOMERS_LIVE_PROFILE_H_

#include <functional>
#include <optional>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/base/event.h"
#include "core/customers/profiles.h"
#include "core/customers/rfm.h"

namespace tailor {

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

}  // namespace tailor

#endif  // TAILOR_CORE_CUSTOMERS_LIVE_PROFILE_H_
