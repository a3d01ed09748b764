#include "server/memory_releaser.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <utility>

namespace tailor {
namespace {

constexpr int kLargeAllocationBytes = 4 << 20;

void TrimMalloc() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

}  // namespace

MemoryReleaser::MemoryReleaser(std::function<void()> release)
    : task_(release ? std::move(release) : TrimMalloc) {}

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
