#include "core/base/catalog_change.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace tailor {
namespace {

AppliedChange Outcome(CatalogChangeResult::Outcome outcome,
                      std::string error = "") {
  AppliedChange out;
  out.result.outcome = outcome;
  out.result.error = std::move(error);
  return out;
}

}  // namespace

AppliedChange ApplyCatalogChange(const CatalogChange& change,
                                 const LiveItem* live, const Item* base,
                                 int64_t now_unix) {
  using O = CatalogChangeResult::Outcome;
  if (live != nullptr && change.version != 0 &&
      change.version <= live->version) {
    return Outcome(O::kStale);
  }
  LiveItem next;
  if (live != nullptr) {
    next = *live;
  } else if (base != nullptr) {
    next.item = *base;
  } else if (change.kind != CatalogChange::Kind::kUpsert) {
    return Outcome(O::kInvalid,
                   "item_id: not in the catalog (upsert the item first)");
  }
  switch (change.kind) {
    case CatalogChange::Kind::kUpsert:
      next.item = change.item;
      next.retired = false;
      break;
    case CatalogChange::Kind::kRetire:
      next.retired = true;
      break;
    case CatalogChange::Kind::kInventory: {
      Item& item = next.item;
      if (change.price.has_value()) item.price = *change.price;
      if (!change.size_stock.empty()) {
        if (item.size_stock.size() != item.sizes.size()) {
          // Not tracked per size until now: every size counts as stocked.
          item.size_stock.assign(item.sizes.size(), item.in_stock ? 1 : 0);
        }
        for (const auto& [size, units] : change.size_stock) {
          auto it = std::find(item.sizes.begin(), item.sizes.end(), size);
          if (it == item.sizes.end()) {
            return Outcome(O::kInvalid,
                           absl::StrCat("inventory.sizes: size '", size,
                                        "' is not one of the item's sizes"));
          }
          item.size_stock[it - item.sizes.begin()] = units;
        }
        item.in_stock =
            std::any_of(item.size_stock.begin(), item.size_stock.end(),
                        [](int32_t units) { return units > 0; });
      }
      if (change.in_stock.has_value()) item.in_stock = *change.in_stock;
      break;
    }
  }
  next.item.item_id = change.item_id;
  if (change.version != 0) next.version = change.version;
  if (live != nullptr && next.item == live->item &&
      next.retired == live->retired && next.version == live->version) {
    return Outcome(O::kUnchanged);
  }
  next.updated_unix = now_unix;
  AppliedChange out;
  out.entry = std::move(next);
  return out;
}

}  // namespace tailor
