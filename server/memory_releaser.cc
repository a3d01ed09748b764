#include "server/memory_releaser.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <utility>

namespace tailor {
namespace {

constexpr int kLargeAllocationBytes = 4 << 20;
constexpr int kArenas = 128;

void TrimMalloc() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

}  // namespace

MemoryReleaser::MemoryReleaser(std::function<void()> release)
    : release_(release ? std::move(release) : TrimMalloc),
      task_([this] { Run(); }) {}

void MemoryReleaser::Release(std::shared_ptr<const void> garbage) {
  if (garbage != nullptr) {
    MutexLock lock(&mu_);
    garbage_.push_back(std::move(garbage));
  }
  task_.Request();
}

void MemoryReleaser::Run() {
  std::vector<std::shared_ptr<const void>> garbage;
  {
    MutexLock lock(&mu_);
    garbage.swap(garbage_);
  }
  garbage.clear();  // the last reference, mostly: freed here
  release_();
}

absl::Status ConfigureMalloc() {
#ifdef __GLIBC__
  if (mallopt(M_MMAP_THRESHOLD, kLargeAllocationBytes) != 1) {
    return absl::FailedPreconditionError(
        "malloc refused a fixed mmap threshold (M_MMAP_THRESHOLD)");
  }
  if (mallopt(M_ARENA_MAX, kArenas) != 1) {
    return absl::FailedPreconditionError(
        "malloc refused an arena count (M_ARENA_MAX)");
  }
#endif
  return absl::OkStatus();
}

}  // namespace tailor
