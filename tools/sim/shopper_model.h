// Simulated shoppers for tailor-sim: each has one of the data generator's
// planted taste groups and a propensity to buy; how they answer a list of
// recommendations comes from their planted taste (TasteAffinity), never
// from Tailor's scores.
#ifndef TAILOR_TOOLS_SIM_SHOPPER_MODEL_H_
#define TAILOR_TOOLS_SIM_SHOPPER_MODEL_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "core/base/alias_table.h"
#include "core/base/catalog.h"

namespace tailor {

struct ShopperModelOptions {
  // A shown item at position k (from 1) is looked at with chance
  // 1 / (1 + position_decay (k - 1)), then clicked with chance
  // click_rate * its relative appeal (capped at max_click).
  double click_rate = 0.02;
  double max_click = 0.5;
  double position_decay = 0.3;
  // A clicked item is bought with chance min(max_buy, buy_rate *
  // propensity).
  double buy_rate = 0.35;
  double max_buy = 0.8;
  // Propensities are Gamma(shape, 1 / shape): mean 1, and the smaller the
  // shape the more they vary between shoppers.
  double propensity_shape = 1.0;
  // Purchases before the experiment: Poisson(history_purchases *
  // propensity), of items drawn by appeal; and as many views again plus
  // history_views.
  double history_purchases = 3;
  int history_views = 3;
};

// One simulated shopper.
struct SimShopper {
  std::string id;
  int group = 0;
  double propensity = 1;
};

// A shopper's event as the simulation records it.
struct SimEvent {
  std::string item_id;
  int type = 0;  // 1 view, 2 click, 3 add-to-cart, 4 purchase (v1 values)
  int64_t timestamp = 0;
  double price = -1;  // purchases: the catalog price
  std::string recommendation_id;
};

// The response model over one catalog.
// Thread safety: const methods may be called from many threads at once,
// each with its own random generator.
class ShopperModel {
 public:
  ShopperModel(std::vector<Item> catalog, ShopperModelOptions options = {});

  // A shopper drawn by the groups' shares, with a propensity.
  SimShopper Draw(std::string id, std::mt19937_64& rng) const;
  // Their events before `before_unix` (within the 30 days before it):
  // views and purchases of items they like.
  std::vector<SimEvent> History(const SimShopper& shopper, int64_t before_unix,
                                std::mt19937_64& rng) const;
  // How they answer a list shown at `now_unix`: clicks (tagged with
  // `recommendation_id`) and purchases (untagged, at the catalog price).
  // `effect` is the true relative effect a scenario plants on the chance
  // of a purchase, exactly: with P the chance without it, a response
  // without a purchase gets one (a click and a purchase of a shown item)
  // with chance effect * P / (1 - P); for a negative effect, a response's
  // purchases are dropped with chance -effect.
  std::vector<SimEvent> Respond(const SimShopper& shopper,
                                absl::Span<const std::string> items,
                                const std::string& recommendation_id,
                                double effect, int64_t now_unix,
                                std::mt19937_64& rng) const;
  // The chance that the list leads to a purchase: P = 1 - prod_k (1 -
  // click_k * buy), times (1 + effect) (at most 1).
  double ConversionChance(const SimShopper& shopper,
                          absl::Span<const std::string> items,
                          double effect) const;

  int64_t num_items() const { return static_cast<int64_t>(catalog_.size()); }

 private:
  // The item's appeal to the group relative to the catalog's mean (0 for
  // an item the catalog does not list).
  double Appeal(int group, const std::string& item_id) const;
  double ClickChance(int group, const std::string& item_id, int position) const;
  double BuyChance(const SimShopper& shopper) const;

  std::vector<Item> catalog_;
  ShopperModelOptions options_;
  absl::flat_hash_map<std::string, int32_t> index_;
  // [group][item]: appeal relative to the group's mean.
  std::vector<std::vector<double>> appeal_;
  std::vector<AliasTable> picks_;  // by appeal, per group
  AliasTable groups_;
};

}  // namespace tailor

#endif  // TAILOR_TOOLS_SIM_SHOPPER_MODEL_H_
