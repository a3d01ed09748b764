// Keeps the server's ServingState in step with the snapshot directory.
#ifndef TAILOR_SERVER_SNAPSHOT_MANAGER_H_
#define TAILOR_SERVER_SNAPSHOT_MANAGER_H_

#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/mutex.h"
#include "server/serving_state.h"
#include "storage/snapshot_store.h"
#include "storage/state_store.h"

namespace tailor {

// Loads the version CURRENT names, validates it and builds its ServingState
// off the request path, then installs it in the holder. A version that fails
// to load is logged once and skipped; the active state keeps serving.
// Thread safety: Refresh may be called from any thread (calls are
// serialised); polling runs on one background thread owned by this object.
class SnapshotManager {
 public:
  using SwapCallback = std::function<void(const ServingState&)>;

  // All pointers must outlive the manager.
  SnapshotManager(const SnapshotStore* snapshots, StateStore* store,
                  ServingStateHolder* holder, SwapCallback on_swap = {});
  ~SnapshotManager();

  // Loads CURRENT when it names a version other than the active one.
  // OK when nothing changed; NOT_FOUND when nothing was published yet.
  absl::Status Refresh();

  // Calls Refresh every `interval` until Stop() or destruction.
  void StartPolling(absl::Duration interval);
  void Stop();

 private:
  void PollLoop(absl::Duration interval);

  const SnapshotStore* snapshots_;
  StateStore* store_;
  ServingStateHolder* holder_;
  SwapCallback on_swap_;

  Mutex refresh_mu_;
  std::string failed_version_ ABSL_GUARDED_BY(refresh_mu_);

  Mutex stop_mu_;
  bool stopping_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread poller_;
};

}  // namespace tailor

#endif  // TAILOR_SERVER_SNAPSHOT_MANAGER_H_
