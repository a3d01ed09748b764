#include "server/experiment_book.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/logging.h"
#include "core/base/status_macros.h"
#include "core/experiments/assignment.h"

namespace tailor {
namespace {

void SortByCreation(std::vector<Experiment>* experiments) {
  std::sort(experiments->begin(), experiments->end(),
            [](const Experiment& a, const Experiment& b) {
              return std::tie(a.created_unix, a.name) <
                     std::tie(b.created_unix, b.name);
            });
}

}  // namespace

absl::StatusOr<std::unique_ptr<ExperimentBook>> ExperimentBook::Load(
    StateStore* store, SnapshotStore* publish) {
  TAILOR_ASSIGN_OR_RETURN(std::vector<Experiment> experiments,
                          store->LoadExperiments());
  SortByCreation(&experiments);
  std::unique_ptr<ExperimentBook> book(new ExperimentBook(store, publish));
  {
    MutexLock lock(&book->mu_);
    book->experiments_ =
        std::make_shared<const std::vector<Experiment>>(std::move(experiments));
  }
  MutexLock lock(&book->write_mu_);
  book->Publish().IgnoreError();  // logged; PublishIfStale retries
  return book;
}

absl::Status ExperimentBook::Publish() {
  if (publish_ == nullptr) return absl::OkStatus();
  absl::Status s = publish_->PublishExperiments(*Snapshot());
  stale_ = !s.ok();
  if (!s.ok()) {
    LogError(
        absl::StrCat("cannot publish the experiments for the read "
                     "replicas (EXPERIMENTS in the snapshot directory; "
                     "retried every second): ",
                     s.ToString()));
  }
  return s;
}

absl::Status ExperimentBook::PublishIfStale() {
  MutexLock lock(&write_mu_);
  if (!stale_) return absl::OkStatus();
  return Publish();
}

void ExperimentBook::Follow(std::vector<Experiment> experiments) {
  SortByCreation(&experiments);
  if (experiments == *Snapshot()) return;  // the usual poll: nothing new
  auto next =
      std::make_shared<const std::vector<Experiment>>(std::move(experiments));
  MutexLock lock(&mu_);
  experiments_ = std::move(next);
}

std::shared_ptr<const std::vector<Experiment>> ExperimentBook::Snapshot()
    const {
  MutexLock lock(&mu_);
  return experiments_;
}

absl::StatusOr<Experiment> ExperimentBook::Get(absl::string_view name) const {
  for (const Experiment& e : *Snapshot()) {
    if (e.name == name) return e;
  }
  return absl::NotFoundError(absl::StrCat("name: no experiment '", name, "'"));
}

absl::Status ExperimentBook::Replace(const Experiment& changed) {
  TAILOR_RETURN_IF_ERROR(store_->PutExperiment(changed));
  std::vector<Experiment> next = *Snapshot();
  auto it = std::find_if(next.begin(), next.end(), [&](const Experiment& e) {
    return e.name == changed.name;
  });
  if (it == next.end()) {
    next.push_back(changed);
  } else {
    *it = changed;
  }
  SortByCreation(&next);
  {
    MutexLock lock(&mu_);
    experiments_ =
        std::make_shared<const std::vector<Experiment>>(std::move(next));
  }
  // Stored and in force here: a failed publish only delays the replicas.
  Publish().IgnoreError();
  return absl::OkStatus();
}

absl::StatusOr<Experiment> ExperimentBook::Create(
    Experiment experiment, const absl::flat_hash_set<std::string>& strategies,
    int64_t now_unix) {
  MutexLock lock(&write_mu_);
  TAILOR_ASSIGN_OR_RETURN(Experiment prepared,
                          PrepareExperiment(std::move(experiment), *Snapshot(),
                                            strategies, now_unix));
  TAILOR_RETURN_IF_ERROR(Replace(prepared));
  return prepared;
}

absl::StatusOr<Experiment> ExperimentBook::Stop(absl::string_view name,
                                                int64_t now_unix) {
  MutexLock lock(&write_mu_);
  TAILOR_ASSIGN_OR_RETURN(Experiment e, Get(name));
  if (e.state == ExperimentState::kArchived) {
    return absl::FailedPreconditionError(
        absl::StrCat("name: experiment '", name, "' is archived"));
  }
  if (e.state == ExperimentState::kStopped) return e;
  e.state = ExperimentState::kStopped;
  e.stopped_unix = now_unix;
  TAILOR_RETURN_IF_ERROR(Replace(e));
  return e;
}

absl::StatusOr<Experiment> ExperimentBook::Archive(absl::string_view name) {
  MutexLock lock(&write_mu_);
  TAILOR_ASSIGN_OR_RETURN(Experiment e, Get(name));
  if (e.state == ExperimentState::kRunning) {
    return absl::FailedPreconditionError(
        absl::StrCat("name: experiment '", name,
                     "' is running: stop it first (StopExperiment)"));
  }
  if (e.state == ExperimentState::kArchived) return e;
  e.state = ExperimentState::kArchived;
  TAILOR_RETURN_IF_ERROR(Replace(e));
  return e;
}

absl::StatusOr<Experiment> ExperimentBook::AddPeriod(absl::string_view name,
                                                     AllocationPeriod period) {
  MutexLock lock(&write_mu_);
  TAILOR_ASSIGN_OR_RETURN(Experiment e, Get(name));
  if (e.allocation != Allocation::kThompson ||
      e.state != ExperimentState::kRunning) {
    return absl::FailedPreconditionError(
        absl::StrCat("name: experiment '", name, "' is not a running bandit"));
  }
  if (!e.periods.empty() && period.start_unix <= e.periods.back().start_unix) {
    return absl::FailedPreconditionError(absl::StrCat(
        "start_unix: ", period.start_unix,
        " is not after the last period's start ", e.periods.back().start_unix));
  }
  int64_t total = 0;
  for (int32_t w : period.weights) total += w < 0 ? kBuckets + 1 : w;
  if (period.weights.size() != e.arms.size() || total != kBuckets) {
    return absl::InvalidArgumentError(
        absl::StrCat("weights: need one per arm (", e.arms.size(),
                     "), each >= 0, summing to ", kBuckets));
  }
  e.periods.push_back(std::move(period));
  TAILOR_RETURN_IF_ERROR(Replace(e));
  return e;
}

}  // namespace tailor
