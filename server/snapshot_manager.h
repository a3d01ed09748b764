// Keeps the server's ServingState in step with the snapshot directory.
#ifndef TAILOR_SERVER_SNAPSHOT_MANAGER_H_
#define TAILOR_SERVER_SNAPSHOT_MANAGER_H_

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/base/mutex.h"
#include "server/experiment_book.h"
#include "server/memory_releaser.h"
#include "server/metrics.h"
#include "server/serving_state.h"
#include "storage/env.h"
#include "storage/snapshot_store.h"
#include "storage/state_store.h"

namespace tailor {

struct SnapshotManagerOptions {
  // Snapshot versions kept on disk after each switch: the newest
  // `keep_snapshots`, plus the active one and the one CURRENT names, whatever
  // their age. 0 keeps everything.
  int keep_snapshots = 5;
  // The polling thread's nice value (it loads new snapshots), so that a
  // load competes less with requests for the cores: below gRPC's threads
  // and the call workers (10). 0 leaves it as is.
  int loader_nice = 19;
  // How each loaded snapshot is served (scoring path, histories).
  ServingOptions serving;
  // Erasures between servers that share the snapshot directory but not a
  // data directory (SnapshotStore::PublishErasures): the writer publishes
  // its store's erasure list there after each erasure
  // (`publish_erasures`); read replicas take it into their own store at
  // every refresh, before a load (`follow_erasures`), and rebuild the
  // active state when it grew.
  bool publish_erasures = false;
  bool follow_erasures = false;
  // A read replica's experiment book (null: none): every refresh takes the
  // writer's experiments from the snapshot directory into it
  // (SnapshotStore::ReadExperiments, ExperimentBook::Follow). Must outlive
  // the manager.
  ExperimentBook* follow_experiments = nullptr;
  // The live catalog between the same servers: the writer publishes its
  // store's live catalog there (SnapshotStore::PublishLiveCatalog) at
  // every refresh after it changed (`publish_live_catalog`); read replicas
  // adopt a newer one into their store at every refresh and lay it over
  // the active state's catalog (`follow_live_catalog`).
  bool publish_live_catalog = false;
  bool follow_live_catalog = false;
};

// Loads a snapshot version, validates it and builds its ServingState off
// the request path, then installs it in the holder: the version CURRENT
// names (Refresh, polling) or one an operator picks (Activate, Rollback,
// which also point CURRENT at it). A version that fails to load is logged
// with the reason and skipped; the active state keeps serving. After each
// switch, versions beyond the newest `keep_snapshots` are deleted.
// Thread safety: Refresh, Activate and Rollback may be called from any
// thread (they are serialised); polling runs on one background thread owned
// by this object.
class SnapshotManager {
 public:
  using SwapCallback = std::function<void(const ServingState&)>;

  // All pointers must outlive the manager; `metrics` may be null (nothing
  // counted).
  SnapshotManager(const SnapshotManagerOptions& options,
                  SnapshotStore* snapshots, StateStore* store,
                  ServingStateHolder* holder, Env* env,
                  SwapCallback on_swap = {}, ServerMetrics* metrics = nullptr);
  ~SnapshotManager();

  // Loads CURRENT when it names a version other than the active one.
  // OK when nothing changed; NOT_FOUND when nothing was published yet (or
  // CURRENT is gone: the loaded version keeps serving); the reason when
  // CURRENT's version fails to load, FAILED_PRECONDITION when it failed
  // earlier.
  absl::Status Refresh();
  // Refreshes that failed: CURRENT unreadable or the snapshot directory
  // gone while a version is served, or a version that failed to load
  // (counted once, not at each later refresh).
  int64_t failures() const { return failures_.load(std::memory_order_relaxed); }

  // Serves `version` and points CURRENT at it. INVALID_ARGUMENT for a
  // malformed version, NOT_FOUND for a missing one, FAILED_PRECONDITION
  // (with the reason) when it fails to load.
  absl::Status Activate(const std::string& version);

  // Activates the newest version older than the active one that loads.
  // Returns it; FAILED_PRECONDITION when there is none.
  absl::StatusOr<std::string> Rollback();

  // After StateStore::EraseUser: publishes the store's erasure list to the
  // snapshot directory (publish_erasures), then builds the active version
  // again from its files and serves it, when the list has grown since it
  // was built (a build leaves out everyone on the list), so that the
  // serving state holds nothing of the erased. OK when nothing is active
  // or nothing changed; the reason when publishing or the build fails (the
  // active state keeps serving).
  absl::Status ApplyErasures();

  // Calls Refresh every `interval` until Stop() or destruction.
  void StartPolling(absl::Duration interval);
  void Stop();

 private:
  // Loads, validates and builds `version`'s state (importing its state
  // into the store); logs a rejection with the reason.
  absl::StatusOr<std::shared_ptr<const ServingState>> Build(
      const std::string& version) ABSL_EXCLUSIVE_LOCKS_REQUIRED(refresh_mu_);
  // Serves `state` (no cleanup).
  void Install(std::shared_ptr<const ServingState> state)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(refresh_mu_);
  absl::Status RefreshLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(refresh_mu_);
  // follow_erasures: takes the snapshot directory's erasure list into the
  // store.
  absl::Status FollowErasuresLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(refresh_mu_);
  // follow_experiments: takes the snapshot directory's experiments into
  // the book (a failure is logged; the book keeps what it had).
  void FollowExperimentsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(refresh_mu_);
  // publish_live_catalog / follow_live_catalog (failures are logged and
  // tried again at the next refresh).
  void ShareLiveCatalogLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(refresh_mu_);
  // Rebuilds the active state when the store's erasure list outgrew it.
  absl::Status RebuildIfErasedLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(refresh_mu_);
  absl::Status ActivateLocked(const std::string& version)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(refresh_mu_);
  // Deletes versions beyond the newest keep_snapshots (never the active one
  // or CURRENT's); failures are logged.
  void CollectGarbage() ABSL_EXCLUSIVE_LOCKS_REQUIRED(refresh_mu_);
  void PollLoop(absl::Duration interval);

  const SnapshotManagerOptions options_;
  SnapshotStore* snapshots_;
  StateStore* store_;
  ServingStateHolder* holder_;
  Env* env_;
  SwapCallback on_swap_;
  ServerMetrics* metrics_;

  Mutex refresh_mu_;
  std::string failed_version_ ABSL_GUARDED_BY(refresh_mu_);
  // The highest live-catalog entry number published (the writer) or
  // adopted (a replica).
  uint64_t live_catalog_seq_ ABSL_GUARDED_BY(refresh_mu_) = 0;
  std::atomic<int64_t> failures_{0};

  // Frees the states a swap replaces and returns the memory a load or a
  // swap frees to the kernel, at the priority of the thread that creates
  // the manager.
  MemoryReleaser releaser_;

  Mutex stop_mu_;
  bool stopping_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread poller_;
};

}  // namespace tailor

#endif  // TAILOR_SERVER_SNAPSHOT_MANAGER_H_
