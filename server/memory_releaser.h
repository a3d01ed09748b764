// Frees what a snapshot swap replaces and hands the memory back to the
// kernel, off the snapshot loader's thread.
#ifndef TAILOR_SERVER_MEMORY_RELEASER_H_
#define TAILOR_SERVER_MEMORY_RELEASER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "core/base/background_task.h"
#include "core/base/mutex.h"

namespace tailor {

// glibc keeps freed heap pages; a snapshot swap frees hundreds of MB (GB
// at 1 M customers) that malloc_trim returns. Freeing a replaced state
// takes every malloc arena lock its blocks came from (the call workers'
// own, for what they added to it, such as folded-in vectors), and
// malloc_trim holds each arena's lock while it walks the arena. Neither
// may run on the snapshot loader, whose low priority (nice 19) lets the
// call workers preempt it for tens of milliseconds while it holds a lock
// a worker is waiting for. The releaser does both on a thread of its own,
// created with the priority of the thread that creates the releaser
// (create it from the server's main thread, nice 0); Release only asks.
// Thread safety: Release and releases may be called from any thread;
// destruction waits for a release under way.
class MemoryReleaser {
 public:
  // `release` does the work (tests); by default glibc's malloc_trim(0).
  explicit MemoryReleaser(std::function<void()> release = nullptr);

  // Asks for `garbage` (when given) to be dropped and then for the freed
  // memory to be returned, soon, on the releaser's thread; returns at
  // once. Requests made while one is pending are one release.
  void Release(std::shared_ptr<const void> garbage = nullptr);
  // Releases done so far.
  int64_t releases() const { return task_.runs(); }

 private:
  void Run();

  const std::function<void()> release_;
  Mutex mu_;
  std::vector<std::shared_ptr<const void>> garbage_ ABSL_GUARDED_BY(mu_);
  BackgroundTask task_;  // last: stopped before the members above go
};

// Process-wide; call once, first thing in main, before any thread starts:
// - Blocks of 4 MB and more are mapped from the kernel and unmapped when
//   freed, instead of carved from malloc's heaps. (glibc otherwise raises
//   that bound up to 32 MB as big blocks are freed, so a snapshot's 20-30
//   MB arrays end up in the heaps; freed there they wait for a
//   malloc_trim, whose walk over hundreds of MB of heap holds the arena
//   locks the call workers need.) A request's buffers are far below it.
// - Each thread gets a malloc arena of its own (up to 128 threads, well
//   above the server's), rather than glibc's 8 per core shared between
//   threads: the snapshot loader builds a state at nice 19 in an arena no
//   call worker locks, so a worker never waits for the loader to be
//   scheduled again.
// FAILED_PRECONDITION when the allocator refuses; a no-op without glibc.
absl::Status ConfigureMalloc();

}  // namespace tailor

#endif  // TAILOR_SERVER_MEMORY_RELEASER_H_
