// Interaction events and their text forms.
#ifndef TAILOR_CORE_BASE_EVENT_H_
#define TAILOR_CORE_BASE_EVENT_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tailor {

enum class EventType : uint8_t {
  kView = 0,
  kClick = 1,
  kAddToCart = 2,
  kPurchase = 3,
  kReturn = 4,
  kRating = 5,
};
inline constexpr int kNumEventTypes = 6;

// "view", "click", "add_to_cart", "purchase", "return", "rating".
absl::string_view EventTypeName(EventType type);
// Parses the names above (case-sensitive, as the CSV format specifies).
absl::StatusOr<EventType> ParseEventType(absl::string_view name);

// Parses Unix seconds ("1700000000") or ISO-8601 ("2024-03-01",
// "2024-03-01T12:30:00Z", "2024-03-01T12:30:00+02:00", "2024-03-01 12:30:00",
// fractional seconds allowed; no offset means UTC) into Unix seconds.
absl::StatusOr<int64_t> ParseTimestamp(absl::string_view text);

struct Event {
  std::string user_id;
  std::string item_id;
  EventType type = EventType::kView;
  int64_t timestamp = 0;  // Unix seconds
  // Rating value for kRating, quantity for purchases and carts; 1 if absent.
  double value = 1.0;
  // The unit price paid (purchases, returns); negative: not given, the
  // catalog price counts.
  double price = -1.0;
};

// How much each event type says about a user's interest in an item; the
// trainer turns the sum into an implicit-feedback confidence. A return
// cancels (part of) the purchase before it. Ratings contribute
// `rating` * value.
struct EventWeights {
  std::array<float, kNumEventTypes> weight = {1.0f, 2.0f,  4.0f,
                                              8.0f, -6.0f, 1.0f};
  float of(EventType t) const { return weight[static_cast<int>(t)]; }
};

// Parses "view=1,click=2,purchase=8" overriding the given defaults.
absl::Status ParseEventWeights(absl::string_view spec, EventWeights* weights);

}  // namespace tailor

#endif  // TAILOR_CORE_BASE_EVENT_H_
