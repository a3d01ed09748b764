// The experiments a server knows (core/experiments), kept in the state
// store and in memory.
#ifndef TAILOR_SERVER_EXPERIMENT_BOOK_H_
#define TAILOR_SERVER_EXPERIMENT_BOOK_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "core/base/mutex.h"
#include "core/experiments/experiment.h"
#include "storage/snapshot_store.h"
#include "storage/state_store.h"

namespace tailor {

// Loaded from the store at start; each change is written to the store
// (synced) before the in-memory list is replaced, so nothing is half-made:
// a failed write changes nothing. Readers get the list as an immutable
// snapshot. The writer's book also publishes the whole list to the
// snapshot directory (EXPERIMENTS) after each change, for the read
// replicas, whose books follow it (Follow) instead of changing.
// Thread safety: all methods may be called from any thread; changes are
// serialised by a mutex, readers never wait for them.
class ExperimentBook {
 public:
  // `store` and `publish` (null: publishes nothing) must outlive the book.
  // With `publish`, the list is published at once (a failure is logged and
  // left to PublishIfStale).
  static absl::StatusOr<std::unique_ptr<ExperimentBook>> Load(
      StateStore* store, SnapshotStore* publish = nullptr);

  // Publishes the list again if the last publish failed (the changes
  // themselves are stored): the writer's bandit thread calls it every tick.
  // The publish error, if it fails again.
  absl::Status PublishIfStale();

  // A read replica's book: takes `experiments` (the writer's, as
  // SnapshotStore::ReadExperiments read them) as its list, unstored.
  void Follow(std::vector<Experiment> experiments);

  // Every experiment, by creation time (then name).
  std::shared_ptr<const std::vector<Experiment>> Snapshot() const;
  // NOT_FOUND for an unknown name.
  absl::StatusOr<Experiment> Get(absl::string_view name) const;

  // PrepareExperiment against the known experiments, then stored.
  absl::StatusOr<Experiment> Create(
      Experiment experiment, const absl::flat_hash_set<std::string>& strategies,
      int64_t now_unix);
  // Running -> stopped (a stopped one is returned unchanged);
  // FAILED_PRECONDITION for an archived one.
  absl::StatusOr<Experiment> Stop(absl::string_view name, int64_t now_unix);
  // Stopped -> archived (an archived one is returned unchanged);
  // FAILED_PRECONDITION for a running one.
  absl::StatusOr<Experiment> Archive(absl::string_view name);
  // Appends an allocation period to a running bandit. FAILED_PRECONDITION
  // when it is not one, is not running, or `period` does not start after
  // its last period; INVALID_ARGUMENT for weights that are not one per
  // arm summing to 10000.
  absl::StatusOr<Experiment> AddPeriod(absl::string_view name,
                                       AllocationPeriod period);

 private:
  ExperimentBook(StateStore* store, SnapshotStore* publish)
      : store_(store), publish_(publish) {}
  // Stores `changed` and publishes the list with it in place of (or added
  // beside) the experiment of its name.
  absl::Status Replace(const Experiment& changed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Writes the list to `publish_` (when set); logs a failure and marks the
  // list stale.
  absl::Status Publish() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  StateStore* store_;
  SnapshotStore* const publish_;
  Mutex write_mu_;  // serialises changes and publishes
  bool stale_ ABSL_GUARDED_BY(write_mu_) = false;
  mutable Mutex mu_;
  std::shared_ptr<const std::vector<Experiment>> experiments_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace tailor

#endif  // TAILOR_SERVER_EXPERIMENT_BOOK_H_
