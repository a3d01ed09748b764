// What the server answers from: one loaded snapshot, immutable.
#ifndef TAILOR_SERVER_SERVING_STATE_H_
#define TAILOR_SERVER_SERVING_STATE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "core/base/catalog.h"
#include "core/base/mutex.h"
#include "core/customers/segment_index.h"
#include "core/serving/catalog_index.h"
#include "core/serving/catalog_view.h"
#include "core/serving/fold_in.h"
#include "core/serving/recommender.h"
#include "server/fold_in_cache.h"
#include "server/live_customers.h"
#include "server/live_events.h"
#include "storage/snapshot_store.h"
#include "storage/state_store.h"

namespace tailor {

// Holds a state's current catalog view and swaps it as live-catalog
// changes are stored; readers copy the pointer and keep their copy.
// Thread safety: all methods may be called concurrently.
class CatalogViewHolder {
 public:
  explicit CatalogViewHolder(std::shared_ptr<const CatalogView> view)
      : view_(std::move(view)) {}
  std::shared_ptr<const CatalogView> Get() const {
    MutexLock lock(&mu_);
    return view_;
  }
  // Lays `entries` over the current view (CatalogView::With) and installs
  // the result, then frees the old view once no reader holds it (waiting up
  // to 100 ms). Calls are serialised; readers are not held up while the
  // new view is built.
  void Lay(const std::vector<LiveItem>& entries);

 private:
  Mutex lay_mu_;  // one Lay at a time
  mutable Mutex mu_;
  std::shared_ptr<const CatalogView> view_ ABSL_GUARDED_BY(mu_);
};

// Thread safety: immutable once built (but for the internally synchronised
// caches it holds); shared by all request handlers.
struct ServingState {
  std::string version;
  int64_t created_unix = 0;
  int64_t loaded_unix = 0;  // when this process loaded it
  std::vector<std::pair<std::string, std::string>> info;
  std::unique_ptr<const Recommender> recommender;
  // The catalog (attributes, and the stock, size, category and price
  // filters over them): the snapshot's with the live catalog laid over it,
  // swapped as live changes are stored (internally synchronised). A
  // request takes the current view once and answers from it alone.
  std::unique_ptr<CatalogViewHolder> catalog;
  // Bought-together rules over the model's item indexes.
  AssociationRules rules;
  // What training saw of each model user (rows by model user index, over
  // model item indexes; empty when the snapshot has none), through event
  // online.event_log_seq: held in memory so that a recommendation reads no
  // disk for it (see server/shopper.h).
  TrainingHistory history;
  // Customer profiles and segments (empty when the snapshot has none).
  std::unique_ptr<const SegmentIndex> segments;
  // Updating shoppers between retrains (see server/shopper.h): the
  // snapshot's parameters, the fold-in over its item factors, and the
  // vectors folded in so far (internally synchronised).
  OnlineParams online;
  std::unique_ptr<const FoldIn> fold_in;
  std::unique_ptr<FoldInCache> fold_in_cache;
  // How many users were on the store's erasure list when this state was
  // built: they are not in it. Users erased since (StateStore::
  // ErasureCount() is larger) are checked per request until the state is
  // rebuilt (SnapshotManager::ApplyErasures).
  size_t erasures_applied = 0;
  // The events logged since the snapshot, in memory, so that resolving a
  // shopper reads none from the store (internally synchronised; null when
  // ServingOptions::live_events_bytes is 0, and for states built by hand).
  std::unique_ptr<LiveEvents> live_events;
  // Customers whose records moved since the snapshot's profiles, for
  // audiences (internally synchronised; null for states built by hand).
  // Last: its thread resolves shoppers against everything above, so it is
  // stopped first.
  std::unique_ptr<LiveCustomers> live_customers;
  // How far NoteLogged has read the event log (internally synchronised).
  struct LogCursor {
    Mutex mu;
    uint64_t through ABSL_GUARDED_BY(mu) = 0;
  };
  std::unique_ptr<LogCursor> logged = std::make_unique<LogCursor>();
};

// Lays the live catalog's entries stored since `state`'s view was built
// over it (the store's whole live catalog is read): once a state is
// installed, for the changes stored while it was built.
absl::Status NoteCatalog(const ServingState& state, StateStore* store);

// Tells `state`'s live parts (the events held in memory, the live
// customers) of events the store took, with their sequence numbers:
// RecordEvents does, before it answers.
void NoteStored(const ServingState& state,
                absl::Span<const LoggedEvent> events);

// The same for the events the store logged above the state's snapshot that
// no earlier call read, in one pass over the log: once when the state is
// built, and again once it is installed (for the events stored between).
absl::Status NoteLogged(const ServingState& state, StateStore* store);

// Whether `user_id` was erased after `state` was built (so that `state`
// may still hold them). Costs an atomic load unless someone was.
bool ErasedSince(const ServingState& state, StateStore* store,
                 absl::string_view user_id);

struct ServingOptions {
  // How the recommender scores (see RecommenderOptions).
  RecommenderOptions retrieval;
  // Keep the snapshot's training histories in memory (ServingState::
  // history), so that recommendations read none from the state store (see
  // server/shopper.h): about 11 bytes per user-item pair, 300 MB at 1 M
  // shoppers with 27 M pairs. false reads them from the store per request
  // instead, where a block not in RocksDB's cache waits for the disk.
  bool histories_in_memory = true;
  // Hold the events logged since the snapshot in memory, decoded, up to
  // this many bytes (LiveEvents), so that a request reads none from the
  // store and costs the same however long the server has run since the
  // snapshot; shoppers beyond it are read from the store. 0: every request
  // reads the store.
  int64_t live_events_bytes = int64_t{512} << 20;
};

// Builds a ServingState from a snapshot that SnapshotStore::Load has
// already validated (it is not validated again here): leaves out the users
// on `store`'s erasure list (RemoveUsers), imports the snapshot's catalog,
// histories and customer records into `store` (once per version), reads
// the catalog back from the store, so that the store stays the source of
// truth, and lays the store's live catalog over it (embedding the products
// added since training with the snapshot's cold-start map).
// `loaded_unix` is recorded as the state's load time.
absl::StatusOr<std::shared_ptr<const ServingState>> BuildServingState(
    Snapshot snapshot, StateStore* store, int64_t loaded_unix = 0,
    const ServingOptions& options = {});

// Sets what a state derives from its recommender, online and `catalog`
// (catalog items in any order, for the model's items): the catalog view,
// the fold-in over the item factors and an empty fold-in cache
// (BuildServingState does this; for states built by hand).
void AttachDerived(ServingState* state, std::vector<Item> catalog = {},
                   const std::vector<LiveItem>& live = {},
                   std::shared_ptr<const AttributeMap> attributes = nullptr);

// Holds the active ServingState and swaps it atomically; readers copy the
// pointer and keep using their copy while a newer one is installed (in the
// manner of Envoy's runtime snapshot).
// Thread safety: all methods may be called concurrently.
class ServingStateHolder {
 public:
  // Null until the first Set.
  std::shared_ptr<const ServingState> Get() const {
    MutexLock lock(&mu_);
    return state_;
  }
  void Set(std::shared_ptr<const ServingState> state) {
    Exchange(std::move(state));  // the old one is released outside the lock
  }
  // Installs `state` and returns the one it replaces (null if none).
  std::shared_ptr<const ServingState> Exchange(
      std::shared_ptr<const ServingState> state) {
    MutexLock lock(&mu_);
    std::shared_ptr<const ServingState> old = std::move(state_);
    state_ = std::move(state);
    return old;
  }

 private:
  mutable Mutex mu_;
  std::shared_ptr<const ServingState> state_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tailor

#endif  // TAILOR_SERVER_SERVING_STATE_H_
