// The customers of one ServingState whose records moved since its
// snapshot's profiles, as audiences and segment summaries see them.
#ifndef TAILOR_SERVER_LIVE_CUSTOMERS_H_
#define TAILOR_SERVER_LIVE_CUSTOMERS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/types/span.h"
#include "core/base/background_task.h"
#include "core/base/mutex.h"
#include "core/customers/segment_index.h"
#include "storage/state_store.h"

namespace tailor {

struct ServingState;

// Each customer of the state's snapshot who has events logged since is
// recomputed, on a thread of this object's own (at the priority of the
// thread that builds the state), with the code GetSegment answers with
// (ResolveShopper): so TargetAudience and ListSegments place a customer
// by the same live record (RFM segment, net spend) GetSegment gives them,
// a moment after their events are stored. Customers the snapshot does not
// know join audiences with the next snapshot.
// Memory: about 100 bytes per customer with events since the snapshot.
// Thread safety: all methods may be called concurrently.
class LiveCustomers {
 public:
  // `state` owns this object; `store` must outlive it.
  LiveCustomers(const ServingState* state, StateStore* store);
  ~LiveCustomers();
  LiveCustomers(const LiveCustomers&) = delete;
  LiveCustomers& operator=(const LiveCustomers&) = delete;

  // Users with events stored since the last call: recomputed soon.
  void Touch(absl::Span<const std::string> user_ids);
  // The moved customers as of now (sorted when first asked for after a
  // change: O(moved customers) then).
  std::shared_ptr<const CustomerMoves> Moves() const;

 private:
  void Run();

  const ServingState* const state_;
  StateStore* const store_;
  mutable Mutex mu_;
  absl::flat_hash_set<std::string> dirty_ ABSL_GUARDED_BY(mu_);
  // Moved customers by the index's user, and how many times it changed.
  absl::flat_hash_map<int32_t, MovedCustomer> moved_ ABSL_GUARDED_BY(mu_);
  uint64_t changes_ ABSL_GUARDED_BY(mu_) = 0;
  // Moves() builds the sorted view when a reader asks for it after a
  // change (a recompute costs a map update, not a sort of everyone moved).
  mutable Mutex view_mu_;
  mutable std::shared_ptr<const CustomerMoves> view_ ABSL_GUARDED_BY(view_mu_);
  mutable uint64_t view_changes_ ABSL_GUARDED_BY(view_mu_) = 0;
  std::unique_ptr<BackgroundTask> task_;  // last: stopped first
};

}  // namespace tailor

#endif  // TAILOR_SERVER_LIVE_CUSTOMERS_H_
