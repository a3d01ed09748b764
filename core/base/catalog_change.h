// Changes to the catalog between retrains (the live catalog): whole items
// upserted, stock (per size) and price changed alone, items retired; and an
// item as the live catalog holds it.
#ifndef TAILOR_CORE_BASE_CATALOG_CHANGE_H_
#define TAILOR_CORE_BASE_CATALOG_CHANGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/catalog.h"

namespace tailor {

// One change to one item. Every change sets values (never adds to them),
// so applying one twice gives what applying it once gave.
struct CatalogChange {
  enum class Kind {
    kUpsert,     // `item` replaces everything known of the item
    kInventory,  // price, in_stock and/or stock per size, alone
    kRetire,     // never recommended again (until upserted)
  };
  Kind kind = Kind::kUpsert;
  std::string item_id;
  // The caller's order of changes to this item (e.g. a timestamp in
  // milliseconds): a change with a version at or below the item's last one
  // is not applied. 0: unordered (always applied).
  uint64_t version = 0;
  // kUpsert: the item (item.item_id == item_id).
  Item item;
  // kInventory: what changes (at least one).
  std::optional<double> price;
  std::optional<bool> in_stock;
  // Units in stock per size, for sizes the item lists; the item is in
  // stock when any size is (unless `in_stock` says otherwise).
  std::vector<std::pair<std::string, int32_t>> size_stock;
};

// An item of the live catalog: its attributes as last changed, retired or
// not, the version of its last change, when that change was stored, and
// the store's number for it (increasing with every entry stored, so that
// of two entries for an item the later is known).
struct LiveItem {
  Item item;
  bool retired = false;
  uint64_t version = 0;
  int64_t updated_unix = 0;
  uint64_t seq = 0;

  bool operator==(const LiveItem&) const = default;
};

// What one change did.
struct CatalogChangeResult {
  enum class Outcome {
    kApplied,    // stored
    kUnchanged,  // the item already was so (nothing stored)
    kStale,      // a change with this or a later version was applied first
    kInvalid,    // not applied; `error` names the field and the reason
  };
  Outcome outcome = Outcome::kApplied;
  std::string error;
};

// Applies `change` to the item as it is: `live` (its live-catalog entry,
// null when it has none), else `base` (its entry in the snapshot's catalog,
// null when it has none). Returns the new entry, stamped `now_unix`, or the
// outcome when there is none to store: kUnchanged, kStale, or kInvalid for
// an inventory change or retirement of an item neither knows, or a size
// the item does not list.
struct AppliedChange {
  CatalogChangeResult result;
  std::optional<LiveItem> entry;  // set when result is kApplied
};
AppliedChange ApplyCatalogChange(const CatalogChange& change,
                                 const LiveItem* live, const Item* base,
                                 int64_t now_unix);

}  // namespace tailor

#endif  // TAILOR_CORE_BASE_CATALOG_CHANGE_H_
