#include "server/snapshot_manager.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/base/logging.h"
#include "core/base/status_macros.h"
#include "server/thread_priority.h"

namespace tailor {

SnapshotManager::SnapshotManager(const SnapshotManagerOptions& options,
                                 SnapshotStore* snapshots, StateStore* store,
                                 ServingStateHolder* holder, Env* env,
                                 SwapCallback on_swap, ServerMetrics* metrics)
    : options_(options),
      snapshots_(snapshots),
      store_(store),
      holder_(holder),
      env_(env),
      on_swap_(std::move(on_swap)),
      metrics_(metrics) {}

SnapshotManager::~SnapshotManager() { Stop(); }

absl::StatusOr<std::shared_ptr<const ServingState>> SnapshotManager::Build(
    const std::string& version) {
  const absl::Time start = absl::Now();
  absl::StatusOr<std::shared_ptr<const ServingState>> state =
      [&]() -> absl::StatusOr<std::shared_ptr<const ServingState>> {
    TAILOR_ASSIGN_OR_RETURN(Snapshot snapshot, snapshots_->Load(version));
    return BuildServingState(std::move(snapshot), store_,
                             env_->NowMicros() / 1000000, options_.serving);
  }();
  releaser_.Release();  // the decoded snapshot
  if (metrics_ != nullptr) {
    if (state.ok()) {
      metrics_->CountSnapshotLoad(absl::Now() - start);
    } else {
      metrics_->CountSnapshotRejected(state.status().code());
    }
  }
  if (!state.ok()) {
    std::shared_ptr<const ServingState> active = holder_->Get();
    LogError(absl::StrCat("rejected snapshot ", version, ": ",
                          state.status().ToString(), "; still serving ",
                          active ? active->version : "nothing"));
  }
  return state;
}

void SnapshotManager::Install(std::shared_ptr<const ServingState> state) {
  const absl::Time start = absl::Now();
  std::shared_ptr<const ServingState> old = holder_->Exchange(state);
  // Events stored while the state was built.
  if (absl::Status s = NoteLogged(*state, store_); !s.ok()) {
    LogWarning(absl::StrCat("events since the snapshot: ", s.ToString()));
  }
  // Live-catalog changes stored while the state was built.
  if (absl::Status s = NoteCatalog(*state, store_); !s.ok()) {
    LogWarning(absl::StrCat("live catalog: ", s.ToString()));
  }
  // Requests still scoring with the old state hold it for a millisecond or
  // so; once they are done the releaser frees it, not the last of them (at
  // 100 k items, tens of milliseconds of freeing added to that call) nor
  // this thread (see MemoryReleaser).
  const absl::Time until = absl::Now() + absl::Seconds(2);
  while (old != nullptr && old.use_count() > 1 && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  releaser_.Release(std::move(old));
  if (metrics_ != nullptr) metrics_->CountSnapshotSwap(absl::Now() - start);
  const Model& model = state->recommender->model();
  constexpr double kMiB = 1 << 20;
  LogInfo(absl::StrFormat(
      "serving snapshot %s (%d users, %d items, %d factors; in memory: "
      "user factors %.1f MiB, retrieval %.1f MiB, customer records %.1f "
      "MiB, catalog %.1f MiB, training histories %.1f MiB)",
      state->version, model.users.size(), model.items.size(), model.factors(),
      model.user_factors.size() * sizeof(float) / kMiB,
      state->recommender->retriever().memory_bytes() / kMiB,
      state->segments->records_bytes() / kMiB,
      state->catalog->Get()->memory_bytes() / kMiB,
      state->history.memory_bytes() / kMiB));
  if (on_swap_) on_swap_(*state);
}

absl::Status SnapshotManager::Refresh() {
  MutexLock lock(&refresh_mu_);
  absl::Status s = RefreshLocked();
  // Nothing published yet is not a failure; a version rejected earlier was
  // counted when it was.
  const bool serving = holder_->Get() != nullptr;
  if (!s.ok() && !absl::IsFailedPrecondition(s) &&
      (serving || !absl::IsNotFound(s))) {
    failures_.fetch_add(1, std::memory_order_relaxed);
  }
  return s;
}

absl::Status SnapshotManager::RefreshLocked() {
  // Before any load: a version loaded now leaves the erased out.
  if (absl::Status s = FollowErasuresLocked(); !s.ok()) {
    LogError(
        absl::StrCat("cannot take on the writer's erasures: ", s.ToString()));
    return s;
  }
  FollowExperimentsLocked();
  ShareLiveCatalogLocked();
  absl::StatusOr<std::string> current = snapshots_->CurrentVersion();
  std::shared_ptr<const ServingState> active = holder_->Get();
  if (!current.ok()) {
    if (active == nullptr) return current.status();
    // The snapshot directory is gone or unreadable: what is loaded stays.
    return absl::Status(current.status().code(),
                        absl::StrCat(current.status().message(),
                                     "; still serving ", active->version));
  }
  const std::string& version = *current;
  if (active != nullptr && active->version == version) {
    active.reset();
    return RebuildIfErasedLocked();
  }
  if (version == failed_version_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "snapshot ", version, " was rejected earlier; still serving ",
        active ? active->version : "nothing"));
  }
  absl::StatusOr<std::shared_ptr<const ServingState>> state = Build(version);
  if (!state.ok()) {
    failed_version_ = version;
    return state.status();
  }
  active.reset();  // Install hands the old state on once no one holds it
  Install(*std::move(state));
  CollectGarbage();
  return absl::OkStatus();
}

absl::Status SnapshotManager::ActivateLocked(const std::string& version) {
  std::shared_ptr<const ServingState> active = holder_->Get();
  std::shared_ptr<const ServingState> state;
  if (active == nullptr || active->version != version) {
    absl::StatusOr<std::shared_ptr<const ServingState>> built = Build(version);
    const absl::Status& s = built.status();
    if (absl::IsInvalidArgument(s) || absl::IsNotFound(s)) return s;
    if (!s.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "snapshot ", version, " cannot be served: ", s.message(),
          "; still serving ", active ? active->version : "nothing"));
    }
    state = *std::move(built);
  }
  // CURRENT first, so that polling and a restart keep this version; when it
  // cannot be written (a read-only snapshot directory), nothing changes.
  if (absl::Status s = snapshots_->SetCurrent(version); !s.ok()) {
    return absl::Status(
        s.code(),
        absl::StrCat("cannot point CURRENT at ", version, ": ", s.message(),
                     "; still serving ", active ? active->version : "nothing"));
  }
  active.reset();  // Install hands the old state on once no one holds it
  if (state != nullptr) Install(std::move(state));
  CollectGarbage();
  return absl::OkStatus();
}

absl::Status SnapshotManager::Activate(const std::string& version) {
  MutexLock lock(&refresh_mu_);
  return ActivateLocked(version);
}

absl::Status SnapshotManager::ApplyErasures() {
  MutexLock lock(&refresh_mu_);
  if (options_.publish_erasures) {
    if (absl::Status s = snapshots_->PublishErasures(*store_->Erasures());
        !s.ok()) {
      return absl::Status(
          s.code(), absl::StrCat("publishing the erasure list to the read "
                                 "replicas (ERASURES in the snapshot "
                                 "directory): ",
                                 s.message()));
    }
  }
  return RebuildIfErasedLocked();
}

absl::Status SnapshotManager::RebuildIfErasedLocked() {
  std::shared_ptr<const ServingState> active = holder_->Get();
  if (active == nullptr || active->erasures_applied >= store_->ErasureCount()) {
    return absl::OkStatus();
  }
  TAILOR_ASSIGN_OR_RETURN(std::shared_ptr<const ServingState> state,
                          Build(active->version));
  active.reset();  // Install hands the old state on once no one holds it
  Install(std::move(state));
  return absl::OkStatus();
}

void SnapshotManager::FollowExperimentsLocked() {
  ExperimentBook* book = options_.follow_experiments;
  if (book == nullptr) return;
  absl::StatusOr<std::optional<std::vector<Experiment>>> list =
      snapshots_->ReadExperiments();
  if (!list.ok()) {
    LogError(absl::StrCat(
        "cannot take on the writer's experiments: ", list.status().ToString(),
        "; keeping ", book->Snapshot()->size(), " known"));
    return;
  }
  if (list->has_value()) book->Follow(**std::move(list));
}

namespace {

uint64_t LastSeq(const std::vector<LiveItem>& entries) {
  uint64_t last = 0;
  for (const LiveItem& e : entries) last = std::max(last, e.seq);
  return last;
}

}  // namespace

void SnapshotManager::ShareLiveCatalogLocked() {
  if (options_.publish_live_catalog) {
    absl::StatusOr<std::vector<LiveItem>> live = store_->LoadLiveCatalog();
    if (!live.ok()) {
      LogError(absl::StrCat("cannot read the live catalog to publish: ",
                            live.status().ToString()));
      return;
    }
    const uint64_t last = LastSeq(*live);
    if (last <= live_catalog_seq_) return;
    if (absl::Status s = snapshots_->PublishLiveCatalog(*live); !s.ok()) {
      LogError(absl::StrCat(
          "cannot publish the live catalog for the read replicas "
          "(LIVE_CATALOG in the snapshot directory; tried again at the next "
          "refresh): ",
          s.ToString()));
      return;
    }
    live_catalog_seq_ = last;
  }
  if (options_.follow_live_catalog) {
    absl::StatusOr<std::optional<std::vector<LiveItem>>> list =
        snapshots_->ReadLiveCatalog();
    if (!list.ok()) {
      LogError(absl::StrCat("cannot take on the writer's live catalog: ",
                            list.status().ToString()));
      return;
    }
    if (!list->has_value()) return;
    const uint64_t last = LastSeq(**list);
    if (last <= live_catalog_seq_) return;
    if (absl::Status s = store_->AdoptLiveCatalog(**list); !s.ok()) {
      LogError(absl::StrCat("cannot store the writer's live catalog: ",
                            s.ToString()));
      return;
    }
    live_catalog_seq_ = last;
    if (std::shared_ptr<const ServingState> active = holder_->Get()) {
      if (absl::Status s = NoteCatalog(*active, store_); !s.ok()) {
        LogError(absl::StrCat("cannot lay the writer's live catalog: ",
                              s.ToString()));
      }
    }
  }
}

absl::Status SnapshotManager::FollowErasuresLocked() {
  if (!options_.follow_erasures) return absl::OkStatus();
  TAILOR_ASSIGN_OR_RETURN(const ErasureList list, snapshots_->ReadErasures());
  if (list.size() <= store_->ErasureCount()) return absl::OkStatus();
  TAILOR_ASSIGN_OR_RETURN(const size_t added, store_->AdoptErasures(list));
  if (added > 0) {
    LogInfo(absl::StrCat("took on ", added,
                         " erasures from the snapshot directory"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SnapshotManager::Rollback() {
  MutexLock lock(&refresh_mu_);
  std::string active;
  if (std::shared_ptr<const ServingState> state = holder_->Get()) {
    active = state->version;
  } else {
    return absl::FailedPreconditionError("no model is loaded to roll back");
  }
  TAILOR_ASSIGN_OR_RETURN(std::vector<std::string> versions,
                          snapshots_->ListVersions());
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if (*it >= active) continue;
    absl::Status s = ActivateLocked(*it);
    if (s.ok()) return *it;
    LogWarning(
        absl::StrCat("rollback: skipping snapshot ", *it, ": ", s.message()));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "no older snapshot than ", active, " loads; still serving it"));
}

void SnapshotManager::CollectGarbage() {
  if (options_.keep_snapshots <= 0) return;
  absl::StatusOr<std::vector<std::string>> versions =
      snapshots_->ListVersions();
  if (!versions.ok()) {
    LogWarning(absl::StrCat("snapshot cleanup: ", versions.status().message()));
    return;
  }
  std::shared_ptr<const ServingState> active = holder_->Get();
  absl::StatusOr<std::string> current = snapshots_->CurrentVersion();
  const size_t keep = static_cast<size_t>(options_.keep_snapshots);
  for (size_t k = 0; k + keep < versions->size(); ++k) {
    const std::string& v = (*versions)[k];
    if ((active != nullptr && v == active->version) ||
        (current.ok() && v == *current)) {
      continue;
    }
    absl::Status s = snapshots_->Remove(v);
    if (s.ok()) {
      LogInfo(absl::StrCat("deleted snapshot ", v, " (keeping the newest ",
                           keep, ")"));
    } else {
      LogWarning(absl::StrCat("snapshot cleanup: ", s.message()));
    }
  }
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
  // Loading, validating and importing a snapshot takes a core for a while:
  // at a lower priority it yields to the request threads (Linux applies
  // nice values per thread).
  if (options_.loader_nice != 0) {
    if (absl::Status s = SetThisThreadNice(options_.loader_nice); !s.ok()) {
      LogWarning(absl::StrCat("snapshot poll: ", s.message()));
    }
  }
  std::string last_logged;
  for (;;) {
    {
      MutexLock lock(&stop_mu_);
      auto stop = [this]() ABSL_SHARED_LOCKS_REQUIRED(stop_mu_) {
        return stopping_;
      };
      if (stop_mu_.AwaitWithTimeout(absl::Condition(&stop), interval)) return;
    }
    absl::Status s = Refresh();
    // Logged once per change of reason (a rejected version was logged when
    // it was rejected; nothing published yet is no news).
    const bool news = !s.ok() && !absl::IsFailedPrecondition(s) &&
                      (holder_->Get() != nullptr || !absl::IsNotFound(s));
    if (news && s.message() != last_logged) {
      LogWarning(absl::StrCat("snapshot poll: ", s.message()));
    }
    last_logged = news ? std::string(s.message()) : std::string();
  }
}

}  // namespace tailor
