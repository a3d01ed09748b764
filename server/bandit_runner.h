// Re-allocates the running bandits (Thompson sampling) when their
// allocation period has run its interval.
#ifndef TAILOR_SERVER_BANDIT_RUNNER_H_
#define TAILOR_SERVER_BANDIT_RUNNER_H_

#include <cstdint>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/base/mutex.h"
#include "server/experiment_book.h"
#include "server/exposure_log.h"
#include "server/serving_state.h"
#include "storage/state_store.h"

namespace tailor {

// A thread that looks every `tick` for running bandits whose last period
// started `bandit.interval_seconds` or more ago and gives each a new period
// starting now: the exposures still queued are written, the experiment's
// exposures read and attributed (ReadExperimentResults), and each arm's
// evidence turned into weights by ThompsonAllocation (seeded by the
// experiment's name and the period's number, so the same evidence gives
// the same weights), stored through the book. A failure is logged and
// tried again at the next tick. Each tick also publishes the book's list
// again if its last publish failed (ExperimentBook::PublishIfStale).
// Thread safety: RunOnce may be called from any thread; passes are
// serialised.
class BanditRunner {
 public:
  // Everything must outlive the runner; `exposures` may be null. A zero
  // `tick` starts no thread (RunOnce only).
  BanditRunner(ExperimentBook* book, StateStore* store, ExposureLog* exposures,
               const ServingStateHolder* state, absl::Duration tick);
  ~BanditRunner();
  BanditRunner(const BanditRunner&) = delete;
  BanditRunner& operator=(const BanditRunner&) = delete;

  // One pass at `now_unix`; how many bandits got a new period.
  absl::StatusOr<int> RunOnce(int64_t now_unix);

 private:
  void Loop(absl::Duration tick);

  ExperimentBook* const book_;
  StateStore* const store_;
  ExposureLog* const exposures_;
  const ServingStateHolder* const state_;
  Mutex pass_mu_;  // one pass at a time
  Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace tailor

#endif  // TAILOR_SERVER_BANDIT_RUNNER_H_
