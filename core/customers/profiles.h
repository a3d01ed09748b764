// Customer profiles ("user portraits") built from events and the catalog:
// recency, frequency, monetary value, tenure, average order value, return
// rate, last activity, and the shopper's shares of categories, brands,
// colours, sizes and price bands.
//
// Only events at or before the reference time count, so a profile built
// with a cut-off never sees what happened after it (the propensity models'
// labels come from after the cut-off).
#ifndef TAILOR_CORE_CUSTOMERS_PROFILES_H_
#define TAILOR_CORE_CUSTOMERS_PROFILES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "core/base/catalog.h"
#include "core/base/event.h"
#include "core/base/id_map.h"

namespace tailor {

struct Share {
  std::string value;
  float share = 0;  // of the user's weighted interactions, 0..1
  bool operator==(const Share&) const = default;
};

struct UserProfile {
  double recency_days = 0;  // since the last purchase; -1: never bought
  int64_t orders = 0;       // purchase days (same-day purchases: one order)
  double gross = 0;         // purchases: quantity x catalog price
  double returned = 0;      // returns: quantity x catalog price
  double net() const { return gross - returned; }
  double tenure_days = 0;          // since the first event
  double average_order_value = 0;  // gross / orders (0 without orders)
  double return_rate = 0;          // returned units / purchased units
  int64_t last_active_unix = 0;
  double days_since_active = 0;  // from the last event of any kind
  int64_t events = 0;
  // Highest share first, at most ProfileOptions::top_n each. Sizes are
  // the share of the user's purchases whose item came in that size (events
  // do not record the size bought), so they need not sum to 1.
  std::vector<Share> categories, brands, colors, sizes, price_bands;
  bool operator==(const UserProfile&) const = default;
};

struct ProfileOptions {
  // Reference time (Unix seconds): later events are ignored, and recency
  // and tenure are measured from it. The default means no cut-off, with
  // the latest event seen as the reference.
  static constexpr int64_t kLatestEvent = INT64_MAX;
  int64_t now_unix = kLatestEvent;
  // How much each event type counts towards the preference shares.
  EventWeights weights;
  int top_n = 3;
};

// The price band names, cheapest first: quintiles of catalog price.
const std::vector<std::string>& PriceBandNames();

// Accumulates events per user in fixed-size counters (memory per user:
// about 4 bytes x (categories + brands + colours + sizes + 5)).
// Thread safety: not thread-safe; build on one thread.
class ProfileBuilder {
 public:
  // `catalog` gives each item's attributes and price (it must outlive the
  // builder); events for items not in it still count towards activity but
  // not towards spend or shares.
  ProfileBuilder(const std::vector<Item>& catalog, ProfileOptions options);

  void Add(const Event& event);

  const IdMap& users() const { return users_; }
  // Events ignored because they came after the reference time.
  int64_t late_events() const { return late_events_; }
  // Purchases and returns of items missing from the catalog (no price).
  int64_t unpriced_events() const { return unpriced_; }

  // The reference time Build() measures from.
  int64_t reference_unix() const;

  // Profiles in the order of users().
  std::vector<UserProfile> Build() const;

  // The per-user counters as one row of raw shares (categories, brands,
  // colours, price bands, each block summing to 1 or all 0), for
  // clustering; columns named by FeatureNames().
  std::vector<float> ShareFeatures(int32_t user) const;
  std::vector<std::string> FeatureNames() const;

 private:
  struct Counters {
    int64_t first = 0, last = 0, last_purchase = -1;
    int64_t events = 0, orders = 0, last_order_day = INT64_MIN;
    double gross = 0, returned = 0, units = 0, returned_units = 0;
    int64_t sized_purchases = 0;  // purchases of items with a size list
  };
  int32_t UserIndex(const std::string& user_id);

  ProfileOptions options_;
  absl::flat_hash_map<std::string, int32_t> item_index_;
  std::vector<const Item*> items_;
  std::vector<int32_t> item_category_, item_brand_, item_color_, item_band_;
  std::vector<std::vector<int32_t>> item_sizes_;
  IdMap categories_, brands_, colors_, sizes_;
  std::vector<double> band_edges_;  // 4 ascending catalog-price cut points
  IdMap users_;
  std::vector<Counters> counters_;
  // Per user, one block of weights per attribute kind (row-major).
  std::vector<float> category_w_, brand_w_, color_w_, size_w_, band_w_;
  absl::flat_hash_set<std::pair<int32_t, int64_t>> order_days_;
  int64_t late_events_ = 0;
  int64_t unpriced_ = 0;
  int64_t latest_ = INT64_MIN;
};

}  // namespace tailor

#endif  // TAILOR_CORE_CUSTOMERS_PROFILES_H_
