#include "core/base/background_task.h"

#include <utility>

namespace tailor {

BackgroundTask::BackgroundTask(std::function<void()> fn)
    : fn_(std::move(fn)), thread_([this] { Loop(); }) {}

BackgroundTask::~BackgroundTask() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void BackgroundTask::Request() {
  MutexLock lock(&mu_);
  requested_ = true;
}

void BackgroundTask::Loop() {
  while (true) {
    {
      MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return requested_ || stopping_;
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      requested_ = false;
    }
    fn_();
    runs_.fetch_add(1, std::memory_order_acq_rel);
  }
}

}  // namespace tailor
