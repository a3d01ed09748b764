// Applies live-catalog changes (UpdateCatalog) on a thread of its own, one
// batch at a time: stores them (StateStore::ChangeCatalog, synced) and lays
// the stored entries over the active state's catalog view before the
// answer. Neither the disk's sync nor the view's update then holds one of
// the call workers that RecommendFor's calls queue for, and the thread runs
// at a lower CPU priority than the workers (nice 10), so on a busy server a
// catalog refresh takes the cycles the pages leave.
#ifndef TAILOR_SERVER_CATALOG_WRITER_H_
#define TAILOR_SERVER_CATALOG_WRITER_H_

#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "core/base/catalog_change.h"
#include "core/base/mutex.h"
#include "server/serving_state.h"
#include "storage/state_store.h"

namespace tailor {

// Stores `changes` in `store` and lays what was stored over the catalog
// view of `holder`'s active state (if any), on the calling thread. The
// state is taken after the write: a state installed since was either
// built after it or lays the store's live catalog once installed
// (NoteCatalog), so no change is missed.
absl::StatusOr<CatalogWrite> ApplyCatalogChanges(
    const std::vector<CatalogChange>& changes, StateStore* store,
    const ServingStateHolder* holder);

// Thread safety: Submit may be called from any thread; callbacks run on the
// writer's thread, one at a time, in submission order.
class CatalogWriter {
 public:
  using Done = absl::AnyInvocable<void(absl::StatusOr<CatalogWrite>) &&>;

  // `store` and `holder` must outlive the writer. `nice`: the thread's
  // nice value (0: the workers').
  CatalogWriter(StateStore* store, const ServingStateHolder* holder,
                int nice = 10);
  // Applies every batch submitted so far (running their callbacks), then
  // stops.
  ~CatalogWriter();
  CatalogWriter(const CatalogWriter&) = delete;
  CatalogWriter& operator=(const CatalogWriter&) = delete;

  // Queues `changes` (validated, at least one); `done` runs on the writer's
  // thread with ApplyCatalogChanges' answer.
  void Submit(std::vector<CatalogChange> changes, Done done);

 private:
  struct Batch {
    std::vector<CatalogChange> changes;
    Done done;
  };

  void Run();

  StateStore* const store_;
  const ServingStateHolder* const holder_;
  const int nice_;
  Mutex mu_;
  std::deque<Batch> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: started once the rest is set
};

}  // namespace tailor

#endif  // TAILOR_SERVER_CATALOG_WRITER_H_
