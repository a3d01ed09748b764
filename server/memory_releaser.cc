#include "server/memory_releaser.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <utility>

namespace tailor {
namespace {

constexpr int kLargeAllocationBytes = 4 << 20;

}  // namespace

MemoryReleaser::MemoryReleaser(std::function<void()> release)
    : release_(std::move(release)), thread_([this] { Loop(); }) {}

MemoryReleaser::~MemoryReleaser() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void MemoryReleaser::Release() {
  MutexLock lock(&mu_);
  requested_ = true;
}

void MemoryReleaser::Loop() {
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
    if (release_) {
      release_();
    } else {
#ifdef __GLIBC__
      malloc_trim(0);
#endif
    }
    releases_.fetch_add(1, std::memory_order_acq_rel);
  }
}

absl::Status MapLargeAllocations() {
#ifdef __GLIBC__
  if (mallopt(M_MMAP_THRESHOLD, kLargeAllocationBytes) != 1) {
    return absl::FailedPreconditionError(
        "malloc refused a fixed mmap threshold (M_MMAP_THRESHOLD)");
  }
#endif
  return absl::OkStatus();
}

}  // namespace tailor
