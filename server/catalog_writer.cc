#include "server/catalog_writer.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/base/logging.h"
#include "server/thread_priority.h"

namespace tailor {

absl::StatusOr<CatalogWrite> ApplyCatalogChanges(
    const std::vector<CatalogChange>& changes, StateStore* store,
    const ServingStateHolder* holder) {
  absl::StatusOr<CatalogWrite> write =
      store->ChangeCatalog(changes, absl::ToUnixSeconds(absl::Now()));
  if (!write.ok()) return write;
  if (std::shared_ptr<const ServingState> state = holder->Get()) {
    state->catalog->Lay(write->entries);
  }
  return write;
}

CatalogWriter::CatalogWriter(StateStore* store,
                             const ServingStateHolder* holder, int nice)
    : store_(store), holder_(holder), nice_(nice), thread_([this] { Run(); }) {}

CatalogWriter::~CatalogWriter() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void CatalogWriter::Submit(std::vector<CatalogChange> changes, Done done) {
  MutexLock lock(&mu_);
  queue_.push_back({std::move(changes), std::move(done)});
}

void CatalogWriter::Run() {
  if (nice_ != 0) {
    if (absl::Status s = SetThisThreadNice(nice_); !s.ok()) {
      LogWarning(absl::StrCat("catalog writer: ", s.message()));
    }
  }
  for (;;) {
    Batch batch;
    {
      MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !queue_.empty() || stopping_;
      };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, and everything is applied
      batch = std::move(queue_.front());
      queue_.pop_front();
    }
    std::move(batch.done)(ApplyCatalogChanges(batch.changes, store_, holder_));
  }
}

}  // namespace tailor
