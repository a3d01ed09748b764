#include "server/bandit_runner.h"

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/logging.h"
#include "core/base/status_macros.h"
#include "core/experiments/assignment.h"
#include "core/experiments/bandit.h"
#include "server/experiment_results.h"

namespace tailor {

BanditRunner::BanditRunner(ExperimentBook* book, StateStore* store,
                           ExposureLog* exposures,
                           const ServingStateHolder* state, absl::Duration tick)
    : book_(book), store_(store), exposures_(exposures), state_(state) {
  if (tick > absl::ZeroDuration()) {
    thread_ = std::thread([this, tick] { Loop(tick); });
  }
}

BanditRunner::~BanditRunner() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void BanditRunner::Loop(absl::Duration tick) {
  for (;;) {
    {
      MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_;
      };
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping), tick)) return;
    }
    book_->PublishIfStale().IgnoreError();  // logged by the book
    if (absl::StatusOr<int> done = RunOnce(absl::ToUnixSeconds(absl::Now()));
        !done.ok()) {
      LogError(absl::StrCat("re-allocating bandits: ", done.status().ToString(),
                            "; trying again"));
    }
  }
}

absl::StatusOr<int> BanditRunner::RunOnce(int64_t now_unix) {
  MutexLock pass(&pass_mu_);
  int changed = 0;
  bool flushed = false;
  const std::shared_ptr<const std::vector<Experiment>> experiments =
      book_->Snapshot();
  for (const Experiment& e : *experiments) {
    if (e.allocation != Allocation::kThompson || !e.LiveAt(now_unix) ||
        e.periods.empty() ||
        now_unix - e.periods.back().start_unix < e.bandit.interval_seconds) {
      continue;
    }
    if (!flushed && exposures_ != nullptr) {
      exposures_->Flush();
      flushed = true;
    }
    const std::shared_ptr<const ServingState> state = state_->Get();
    const std::shared_ptr<const CatalogView> catalog =
        state != nullptr ? state->catalog->Get() : nullptr;
    ResultsReadOptions read;
    read.now_unix = now_unix;
    TAILOR_ASSIGN_OR_RETURN(
        const ExperimentResults results,
        ReadExperimentResults(e, store_, catalog.get(), read));
    std::vector<ArmEvidence> evidence;
    for (const ArmResult& arm : results.arms) evidence.push_back(arm.evidence);
    const uint64_t seed =
        (uint64_t{Murmur3_32(e.name)} << 32) | e.periods.size();
    AllocationPeriod period{
        .start_unix = now_unix,
        .weights = ThompsonAllocation(evidence, e.bandit, seed)};
    LogInfo(absl::StrCat("bandit '", e.name, "' period ", e.periods.size() + 1,
                         ": weights ", absl::StrJoin(period.weights, "/"),
                         " basis points"));
    TAILOR_RETURN_IF_ERROR(
        book_->AddPeriod(e.name, std::move(period)).status());
    ++changed;
  }
  return changed;
}

}  // namespace tailor
