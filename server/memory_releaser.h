// Hands the memory freed by a snapshot swap back to the kernel, off the
// thread that freed it.
#ifndef TAILOR_SERVER_MEMORY_RELEASER_H_
#define TAILOR_SERVER_MEMORY_RELEASER_H_

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "core/base/background_task.h"

namespace tailor {

// glibc keeps freed heap pages; a snapshot swap frees hundreds of MB (GB
// at 1 M customers) that malloc_trim returns. malloc_trim holds each
// malloc arena's lock while it walks the arena, so it must not run on the
// snapshot loader, whose low priority (nice 19) lets the call workers
// preempt it for tens of milliseconds while it holds the lock a worker
// is waiting for. The releaser runs it on a thread of its own, created
// with the priority of the thread that creates the releaser (create it
// from the server's main thread, nice 0); Release only asks for it.
// Thread safety: Release and releases may be called from any thread;
// destruction waits for a release under way.
class MemoryReleaser {
 public:
  // `release` does the work (tests); by default glibc's malloc_trim(0).
  explicit MemoryReleaser(std::function<void()> release = nullptr);

  // Asks for the freed memory to be returned soon; returns at once.
  // Requests made while one is pending are one.
  void Release() { task_.Request(); }
  // Releases done so far.
  int64_t releases() const { return task_.runs(); }

 private:
  BackgroundTask task_;
};

// Process-wide; call once, first thing in main: blocks of 4 MB and more are
// mapped from the kernel and unmapped when freed, instead of carved from
// malloc's heaps. (glibc otherwise raises that bound up to 32 MB as big
// blocks are freed, so a snapshot's 20-30 MB arrays end up in the heaps;
// freed there they wait for a malloc_trim, whose walk over hundreds of MB
// of heap holds the arena locks the call workers need.) A request's
// buffers are far below the bound. FAILED_PRECONDITION when the allocator
// refuses; a no-op without glibc.
absl::Status MapLargeAllocations();

}  // namespace tailor

#endif  // TAILOR_SERVER_MEMORY_RELEASER_H_
