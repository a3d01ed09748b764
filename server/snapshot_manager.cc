#include "server/snapshot_manager.h"

#include "absl/strings/str_cat.h"
#include "core/logging.h"
#include "core/status_macros.h"

namespace tailor {

SnapshotManager::SnapshotManager(const SnapshotStore* snapshots,
                                 StateStore* store, ServingStateHolder* holder,
                                 SwapCallback on_swap)
    : snapshots_(snapshots),
      store_(store),
      holder_(holder),
      on_swap_(std::move(on_swap)) {}

SnapshotManager::~SnapshotManager() { Stop(); }

absl::Status SnapshotManager::Refresh() {
  MutexLock lock(&refresh_mu_);
  TAILOR_ASSIGN_OR_RETURN(std::string version, snapshots_->CurrentVersion());
  std::shared_ptr<const ServingState> active = holder_->Get();
  if (active != nullptr && active->version == version) return absl::OkStatus();
  if (version == failed_version_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "snapshot ", version, " was rejected earlier; still serving ",
        active ? active->version : "nothing"));
  }
  absl::StatusOr<std::shared_ptr<const ServingState>> state =
      [&]() -> absl::StatusOr<std::shared_ptr<const ServingState>> {
    TAILOR_ASSIGN_OR_RETURN(Snapshot snapshot, snapshots_->Load(version));
    return BuildServingState(std::move(snapshot), store_);
  }();
  if (!state.ok()) {
    failed_version_ = version;
    LogError(absl::StrCat("rejected snapshot ", version, ": ",
                          state.status().ToString(), "; still serving ",
                          active ? active->version : "nothing"));
    return state.status();
  }
  holder_->Set(*state);
  LogInfo(absl::StrCat("serving snapshot ", version, " (",
                       (*state)->recommender->model().users.size(), " users, ",
                       (*state)->recommender->model().items.size(), " items, ",
                       (*state)->recommender->model().factors(), " factors)"));
  if (on_swap_) on_swap_(**state);
  return absl::OkStatus();
}

void SnapshotManager::StartPolling(absl::Duration interval) {
  Stop();
  {
    MutexLock lock(&stop_mu_);
    stopping_ = false;
  }
  poller_ = std::thread([this, interval] { PollLoop(interval); });
}

void SnapshotManager::Stop() {
  {
    MutexLock lock(&stop_mu_);
    stopping_ = true;
  }
  if (poller_.joinable()) poller_.join();
}

void SnapshotManager::PollLoop(absl::Duration interval) {
  for (;;) {
    {
      MutexLock lock(&stop_mu_);
      auto stop = [this]() ABSL_SHARED_LOCKS_REQUIRED(stop_mu_) {
        return stopping_;
      };
      if (stop_mu_.AwaitWithTimeout(absl::Condition(&stop), interval)) return;
    }
    absl::Status s = Refresh();
    if (!s.ok() && !absl::IsNotFound(s) && !absl::IsFailedPrecondition(s)) {
      LogWarning(absl::StrCat("snapshot poll: ", s.ToString()));
    }
  }
}

}  // namespace tailor
