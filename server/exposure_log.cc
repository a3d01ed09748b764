#include "server/exposure_log.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/logging.h"

namespace tailor {

ExposureLog::ExposureLog(StateStore* store, ExposureLogOptions options,
                         ServerMetrics* metrics, ExposureForwarder* forward)
    : store_(store),
      options_(options),
      metrics_(metrics),
      forward_(forward),
      thread_([this] { Run(); }) {}

absl::Status ExposureLog::Write(const std::vector<Exposure>& batch) {
  if (forward_ != nullptr) return forward_->Forward(batch);
  return store_->AppendExposures(batch).status();
}

ExposureLog::~ExposureLog() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

std::string ExposureLog::PendingKey(absl::string_view user_id,
                                    absl::string_view recommendation_id) {
  return absl::StrCat(user_id, absl::string_view("\0", 1), recommendation_id);
}

bool ExposureLog::Add(Exposure exposure) {
  {
    MutexLock lock(&mu_);
    if (static_cast<int64_t>(queue_.size()) < options_.max_queued) {
      ++pending_[PendingKey(exposure.user_id, exposure.recommendation_id)];
      queue_.push_back(std::move(exposure));
      return true;
    }
  }
  if (metrics_ != nullptr)
    metrics_->CountExposures(ExposureOutcome::kDropped, 1);
  return false;
}

absl::StatusOr<bool> ExposureLog::Has(
    absl::string_view user_id, absl::string_view recommendation_id) const {
  {
    MutexLock lock(&mu_);
    if (pending_.contains(PendingKey(user_id, recommendation_id))) return true;
  }
  // Written, or not yet queued: a write that ends between the two looks
  // is in the store by now.
  return store_->HasExposure(user_id, recommendation_id);
}

void ExposureLog::Flush() {
  MutexLock lock(&mu_);
  const int64_t target = taken_ + (queue_.empty() ? 0 : 1);
  auto done = [this, target]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return done_ >= target;
  };
  ++flushing_;  // the writer stops gathering
  mu_.Await(absl::Condition(&done));
  --flushing_;
}

void ExposureLog::Run() {
  for (;;) {
    std::vector<Exposure> batch;
    {
      MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !queue_.empty() || stopping_;
      };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, and everything is written
      auto enough = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || flushing_ > 0 ||
               static_cast<int64_t>(queue_.size()) >= options_.max_batch;
      };
      mu_.AwaitWithTimeout(absl::Condition(&enough), options_.gather);
      batch.swap(queue_);
      ++taken_;
    }
    const auto n = static_cast<int64_t>(batch.size());
    for (;;) {
      const absl::Status written = Write(batch);
      if (written.ok()) {
        if (metrics_ != nullptr) {
          metrics_->CountExposures(ExposureOutcome::kLogged, n);
        }
        break;
      }
      MutexLock lock(&mu_);
      if (stopping_) {
        LogError(absl::StrCat("storing ", n, " exposures at shutdown: ",
                              written.ToString(), "; dropped"));
        if (metrics_ != nullptr) {
          metrics_->CountExposures(ExposureOutcome::kDropped, n);
        }
        break;
      }
      LogError(absl::StrCat("storing ", n, " exposures: ", written.ToString(),
                            "; retrying"));
      if (metrics_ != nullptr) {
        metrics_->CountExposures(ExposureOutcome::kRetried, n);
      }
      auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_;
      };
      mu_.AwaitWithTimeout(absl::Condition(&stopping), options_.retry_after);
    }
    MutexLock lock(&mu_);
    for (const Exposure& x : batch) {
      auto it = pending_.find(PendingKey(x.user_id, x.recommendation_id));
      if (it != pending_.end() && --it->second == 0) pending_.erase(it);
    }
    ++done_;
  }
}

}  // namespace tailor
