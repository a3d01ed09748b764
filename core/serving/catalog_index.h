// Filters over a snapshot's catalog, precomputed once and shared by every
// request: which items are in stock, available in a size, in a category,
// and their prices, all by model item index.
#ifndef TAILOR_CORE_SERVING_CATALOG_INDEX_H_
#define TAILOR_CORE_SERVING_CATALOG_INDEX_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/base/catalog.h"
#include "core/retrieval/item_set.h"
#include "core/serving/recommender.h"

namespace tailor {

// One item placed anew by CatalogIndex::Updated: its index, its catalog
// entry now (an empty item_id: unlisted) and whether it is retired.
struct IndexedItem {
  int32_t index;
  const Item* item;
  bool retired = false;
};

// Thread safety: immutable after construction; const methods may be called
// concurrently.
class CatalogIndex {
 public:
  // `items` is aligned with the item indexes; an entry with an empty
  // item_id is an item the catalog does not list. The items at `retired`
  // (ascending) are in no set and never listable.
  explicit CatalogIndex(const std::vector<Item>& items,
                        const std::vector<int32_t>& retired = {});

  // This index over `num_items` items (at least num_items(); the new ones
  // unlisted unless in `changed`), with the items of `changed` placed anew:
  // what rebuilding it from every item would give, at the cost of copying
  // its arrays and sets and of the changed items.
  std::unique_ptr<CatalogIndex> Updated(
      int32_t num_items, const std::vector<IndexedItem>& changed) const;

  int32_t num_items() const { return num_items_; }
  // Whether any item is listed.
  bool has_catalog() const { return listed_ > 0; }

  // Items not marked out of stock (items the catalog does not list are not
  // known to be out of stock, so they are in this set).
  const ItemSet& sellable() const { return sellable_; }
  // Every item but the retired ones; null when none is retired.
  const ItemSet* listable() const {
    return retired_ > 0 ? &listable_ : nullptr;
  }
  // Items available in `size` (listed in it, with stock unless a count
  // of 0 units is known), plus listed items without sizes (one-size goods
  // such as bags); null when no item lists that size.
  const ItemSet* in_size(absl::string_view size) const;
  // Category id of a category name, or -1.
  int32_t category_id(absl::string_view category) const;
  // Per item: its category id, or -1 (for caps).
  const std::vector<int32_t>& category_of() const { return category_of_; }
  // The items of one category, ascending, and as a set.
  const std::vector<int32_t>& category_items(int32_t id) const {
    return category_items_[id];
  }
  const ItemSet& category_set(int32_t id) const { return category_sets_[id]; }
  // Per item: its catalog price, or NaN when unlisted (so a price range
  // excludes it).
  const std::vector<float>& prices() const { return prices_; }
  size_t memory_bytes() const;

 private:
  CatalogIndex(const CatalogIndex&) = default;
  // Takes item i out of every set (as if unlisted and not retired: the
  // state a new index starts in, but for the sellable and listable sets).
  void Remove(int32_t i);
  // Puts item i, whose entry is `item`, into its sets.
  void Place(int32_t i, const Item& item, bool retired);
  // Room for `n` items; the new ones unlisted (sellable, listable).
  void Grow(int32_t n);

  int32_t num_items_ = 0;
  int64_t listed_ = 0;
  int64_t retired_ = 0;
  ItemSet listed_set_;
  ItemSet sellable_;
  ItemSet listable_;
  // Listed items without sizes: in every size's set.
  ItemSet one_size_;
  absl::flat_hash_map<std::string, int32_t> category_ids_;
  std::vector<int32_t> category_of_;
  std::vector<std::vector<int32_t>> category_items_;
  std::vector<ItemSet> category_sets_;
  absl::flat_hash_map<std::string, ItemSet> size_sets_;
  std::vector<float> prices_;
};

// The business rules of one request, in catalog terms.
struct CatalogQuery {
  // Never items the catalog marks out of stock.
  bool in_stock_only = true;
  // Only items available in this size (empty: any).
  std::string size;
  // Only items of these categories (empty: any).
  std::vector<std::string> categories;
  // Only items priced in [min_price, max_price].
  double min_price = -std::numeric_limits<double>::infinity();
  double max_price = std::numeric_limits<double>::infinity();
  // At most this many items per category (0: no cap).
  int max_per_category = 0;
};

// Per-request storage that a filter built by ApplyCatalogQuery points into;
// must outlive the options it filled.
struct CatalogFilterStorage {
  std::vector<int32_t> candidates;
  ItemSet categories;
};

// Adds `query`'s rules to `options` (filter and caps), pointing into
// `index` and `storage`; retired items are always left out. Categories that
// keep under an eighth of the catalog become a candidate list, so the search
// scores only them. INVALID_ARGUMENT, naming the field, for a category or size
// the catalog does not have, or any catalog rule when the snapshot has no
// catalog.
absl::Status ApplyCatalogQuery(const CatalogIndex& index,
                               const CatalogQuery& query,
                               CatalogFilterStorage* storage,
                               RecommendOptions* options);

}  // namespace tailor

#endif  // TAILOR_CORE_SERVING_CATALOG_INDEX_H_
