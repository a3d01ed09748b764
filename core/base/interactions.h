// Implicit feedback aggregated per (user, item), in compressed sparse rows.
#ifndef TAILOR_CORE_BASE_INTERACTIONS_H_
#define TAILOR_CORE_BASE_INTERACTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/event.h"
#include "core/base/id_map.h"

namespace tailor {

// Flags kept per (user, item) entry: these two, and one bit per event type
// the entry saw (TypeFlag).
inline constexpr uint8_t kInteracted = 1;  // any event
inline constexpr uint8_t kPurchased = 2;   // more purchases than returns
inline constexpr uint8_t TypeFlag(EventType type) {
  return static_cast<uint8_t>(4u << static_cast<unsigned>(type));
}
static_assert(kNumEventTypes <= 6, "one flag bit per event type");
// The TypeFlag bits of an entry's flags.
inline constexpr uint8_t kTypeFlags = 0xFC;

// Which event types make an item one the shopper has (what exclude_seen
// leaves out): TypeFlags or-ed together. A purchase counts net of returns
// (more purchases than returns); a return alone means nothing.
using ConsumedTypes = uint8_t;
inline constexpr ConsumedTypes kDefaultConsumedTypes =
    TypeFlag(EventType::kPurchase) | TypeFlag(EventType::kRating);
// Whether an entry with `flags` and `net_purchases` is had under `rule`.
bool IsConsumed(uint8_t flags, int net_purchases, ConsumedTypes rule);
// "purchase,rating" (event type names, comma-separated; "return" is
// refused, as meaning nothing alone) as a rule; INVALID_ARGUMENT naming the
// bad name otherwise.
absl::StatusOr<ConsumedTypes> ParseConsumedTypes(absl::string_view spec);
// The rule's type names, comma-separated, in EventType order.
std::string ConsumedTypesName(ConsumedTypes rule);

// What one event adds to its (user, item) entry.
struct EventContribution {
  float weight = 0;       // the type's weight (ratings: times the value)
  int16_t purchases = 0;  // +1 purchase, -1 return, else 0
  uint8_t type_flag = 0;  // TypeFlag(its type)
};
EventContribution ContributionOf(const Event& event,
                                 const EventWeights& weights);

// One row per user, entries sorted by item index. `weight` is the summed
// event weight clamped at 0 (0 means "seen, but no positive signal");
// `weight_sum` the sum before clamping and `net_purchases` purchases minus
// returns (what an update between retrains adds to; both may be empty in
// matrices built by hand); `time` is the latest event's timestamp (Unix
// seconds).
// Thread safety: immutable once built; safe to share between threads.
struct InteractionMatrix {
  IdMap users;
  IdMap items;
  std::vector<int64_t> row_ptr;  // users.size() + 1 offsets
  std::vector<int32_t> item;
  std::vector<float> weight;
  std::vector<float> weight_sum;
  std::vector<int16_t> net_purchases;
  std::vector<uint8_t> flags;
  std::vector<int64_t> time;

  int32_t num_users() const { return users.size(); }
  int32_t num_items() const { return items.size(); }
  int64_t nnz() const { return static_cast<int64_t>(item.size()); }
};

// Collects events and aggregates them into an InteractionMatrix.
// Memory: 24 bytes per event until Build().
// Thread safety: not thread-safe.
class InteractionBuilder {
 public:
  explicit InteractionBuilder(EventWeights weights = {});

  // Registers catalog items first so that they keep catalog order (and items
  // without any event still get an index).
  void AddItem(absl::string_view item_id) { items_.Insert(item_id); }
  void Add(const Event& event);
  int64_t num_events() const { return static_cast<int64_t>(raw_.size()); }

  InteractionMatrix Build() &&;

 private:
  struct Raw {
    int32_t user;
    int32_t item;
    float weight;
    int16_t purchases;  // purchases minus returns
    uint8_t type_flag;
    int64_t time;
  };
  EventWeights weights_;
  IdMap users_;
  IdMap items_;
  std::vector<Raw> raw_;
};

// Transposes a users x items CSR into items x users (for the item half-step).
struct CsrView {
  std::vector<int64_t> row_ptr;
  std::vector<int32_t> col;
  std::vector<float> weight;
};
CsrView TransposeToItemMajor(const InteractionMatrix& m);

}  // namespace tailor

#endif  // TAILOR_CORE_BASE_INTERACTIONS_H_
