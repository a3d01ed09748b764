// The catalog requests are answered from between retrains: the snapshot's
// catalog with the live catalog (core/base/catalog_change.h) laid over it.
// Items the model knows keep their indexes; products added since training
// get the indexes after them and the vectors the snapshot's cold-start map
// (attribute_map.h) gives their attributes, so they can be recommended,
// boosted and listed as similar at once; retired items are in no list.
#ifndef TAILOR_CORE_SERVING_CATALOG_VIEW_H_
#define TAILOR_CORE_SERVING_CATALOG_VIEW_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "core/base/catalog.h"
#include "core/base/catalog_change.h"
#include "core/base/mutex.h"
#include "core/serving/attribute_map.h"
#include "core/serving/catalog_index.h"
#include "core/serving/recommender.h"
#include "core/serving/snapshot.h"

namespace tailor {

// Thread safety: immutable once built; shared by every request.
class CatalogView {
 public:
  // The view of `model` (shared: the view keeps it) with `catalog` (the
  // snapshot's items, in any order; those the model does not know are left
  // out) and the live entries `live` laid over it. `map` (may be null: added
  // products then get zero vectors, so only the popularity lists and
  // filters see them) embeds the added products.
  static std::shared_ptr<const CatalogView> Build(
      std::shared_ptr<const Model> model, std::vector<Item> catalog,
      const std::vector<LiveItem>& live,
      std::shared_ptr<const AttributeMap> map);

  // This view with `changed` (live entries) laid over it: items keep their
  // indexes, new products are added after the others. An entry no newer
  // (LiveItem::seq) than the one the view holds for its item is skipped,
  // so entries may be laid in any order, and twice. Costs a copy of the
  // view's arrays and sets (item entries are shared) plus the changed
  // items, not a rebuild: about 2 MB copied at 100 k items (and, once
  // replaced entries outnumber the current ones, a copy of the entries).
  std::shared_ptr<const CatalogView> With(
      const std::vector<LiveItem>& changed) const;

  // Model items, then added products.
  int32_t num_items() const { return static_cast<int32_t>(items_.size()); }
  int32_t model_items() const { return model_->items.size(); }
  // The index of `item_id`, retired or not; nullopt when neither the model
  // nor the catalog knows it.
  std::optional<int32_t> Find(absl::string_view item_id) const;
  const std::string& id(int32_t item) const;
  // Catalog attributes; an empty item_id: a model item the catalog does not
  // list.
  const Item& item(int32_t item) const { return items_[item]->item; }
  bool retired(int32_t item) const { return items_[item]->retired; }
  // Filters over the items (retired ones in none).
  const CatalogIndex& index() const { return *index_; }
  // The products added since training, with their vectors.
  const AddedItems& added() const { return added_; }
  // How many items are retired.
  int64_t retired_count() const { return retired_count_; }
  size_t memory_bytes() const;

 private:
  CatalogView() = default;
  // Lays `entry` over the view (before index_ is updated); returns the
  // item's index, or nullopt when the entry changed nothing.
  std::optional<int32_t> Lay(const LiveItem& entry);

  std::shared_ptr<const Model> model_;
  std::shared_ptr<const AttributeMap> map_;
  // Catalog entries, shared by a view and the views derived from it: only
  // added to (an entry replaced stays until no view can point at it), and
  // copied into a new pool once most of it is replaced entries.
  // Thread safety: Add is serialised by `mu`; an entry once added never
  // moves or changes, so views read theirs without a lock.
  // An item's entry: its attributes, whether it is retired, and the
  // number of the live entry it came from (0: the snapshot's).
  struct Entry {
    Item item;
    bool retired = false;
    uint64_t seq = 0;
  };
  struct ItemPool {
    Mutex mu;
    std::deque<Entry> items ABSL_GUARDED_BY(mu);
    const Entry* Add(Entry entry) {
      MutexLock lock(&mu);
      return &items.emplace_back(std::move(entry));
    }
    size_t size() {
      MutexLock lock(&mu);
      return items.size();
    }
  };
  // The entry of every unlisted item.
  static const Entry* Unlisted();

  std::shared_ptr<ItemPool> pool_;
  // Per item its entry in pool_ (an unlisted item: the shared empty one).
  std::vector<const Entry*> items_;
  absl::flat_hash_map<std::string, int32_t> added_ids_;
  AddedItems added_;
  std::unique_ptr<const CatalogIndex> index_;
  int64_t retired_count_ = 0;
};

}  // namespace tailor

#endif  // TAILOR_CORE_SERVING_CATALOG_VIEW_H_
