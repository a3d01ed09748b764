// A deterministic synthetic clothing store: catalog, shoppers with planted
// tastes, and 12 months of view / click / cart / purchase / return events.
#ifndef TAILOR_TOOLS_DATAGEN_STORE_GENERATOR_H_
#define TAILOR_TOOLS_DATAGEN_STORE_GENERATOR_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "core/base/catalog.h"

namespace tailor {

struct StoreConfig {
  int64_t users = 20000;
  int64_t items = 3000;
  int64_t events = 1000000;
  uint64_t seed = 7;
  // First day of the 12 months of activity (Unix seconds, UTC midnight).
  int64_t start_unix = 1735689600;  // 2025-01-01
  int days = 365;
  // The newest items (the highest SKU numbers, this fraction of the
  // catalog, rounded down) are new arrivals: in the catalog, never in an
  // event, as on a shop's launch day. They exercise the cold-start path.
  double new_arrivals = 0.01;
  // Mean days a shopper stays active before lapsing for good (exponential);
  // 0: everybody stays active from the day they join to the end.
  double mean_lifetime_days = 180;
};

struct GeneratorStats {
  int64_t events = 0;
  int64_t purchases = 0;
  int64_t returns = 0;
  int64_t new_arrivals = 0;
  int64_t bytes = 0;
  double seconds = 0;
};

// Writes into `out_dir` (created if missing):
//   catalog.csv  item_id,title,category,brand,color,price,sizes,in_stock
//   events.csv   user_id,item_id,event_type,timestamp,value (grouped by
//                user, each user's events in time order)
//   users.csv    the planted ground truth: user_id,taste_group,taste_name,
//                size,activity (relative event rate while active),first_day,
//                last_day (the days, from 0, between which the shopper is
//                active)
// Events are streamed: memory depends on the catalog size, not on --events.
// The same config always produces byte-identical files.
absl::StatusOr<GeneratorStats> GenerateStore(const StoreConfig& config,
                                             const std::string& out_dir);

// Number of planted taste groups and their names ("budget basics", ...).
int NumTasteGroups();
const char* TasteGroupName(int group);
// The share of shoppers in a group.
double TasteGroupShare(int group);
// The planted appeal of a catalog item to a taste group, as the generator
// draws the group's picks (without the item's popularity and the season):
// its category's weight times its brand's price tier's, times 2.5 for a
// favourite brand and 3 for a favourite colour. 0 for an item of a
// category, brand or colour the generator does not make.
double TasteAffinity(int group, const Item& item);

}  // namespace tailor

#endif  // TAILOR_TOOLS_DATAGEN_STORE_GENERATOR_H_
