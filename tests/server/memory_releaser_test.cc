// The memory releaser: asked from a low-priority thread, it releases on
// its own thread, at the priority of the thread that created it.
#include "server/memory_releaser.h"

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/thread_priority.h"

namespace tailor {
namespace {

int ThisThreadNice() {
  return getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
}

// Waits until `releaser` has done `n` releases.
bool WaitForReleases(const MemoryReleaser& releaser, int64_t n) {
  const absl::Time until = absl::Now() + absl::Seconds(10);
  while (releaser.releases() < n && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  return releaser.releases() >= n;
}

TEST(MemoryReleaserTest, ReleasesOnItsOwnThreadAtItsCreatorsPriority) {
  const int creator_nice = ThisThreadNice();
  ASSERT_LT(creator_nice, 19) << "the test needs to run below nice 19";
  std::atomic<int> release_nice{-100};
  std::atomic<bool> on_caller{false};
  std::thread::id caller;
  MemoryReleaser releaser([&] {
    release_nice = ThisThreadNice();
    on_caller = std::this_thread::get_id() == caller;
  });
  // The snapshot loader's situation: a thread at nice 19 asks.
  std::thread loader([&] {
    caller = std::this_thread::get_id();
    ASSERT_TRUE(SetThisThreadNice(19).ok());
    releaser.Release();
  });
  loader.join();
  ASSERT_TRUE(WaitForReleases(releaser, 1));
  EXPECT_EQ(release_nice.load(), creator_nice);
  EXPECT_FALSE(on_caller.load());
}

// What a swap replaces is dropped on the releaser's thread, before the
// memory is released; the loader's reference is gone when Release returns.
TEST(MemoryReleaserTest, DropsGarbageOnItsOwnThreadBeforeReleasing) {
  struct Garbage {
    std::atomic<std::thread::id>* freed_on;
    std::atomic<bool>* released;
    std::atomic<bool>* freed_before_release;
    ~Garbage() {
      *freed_on = std::this_thread::get_id();
      *freed_before_release = !released->load();
    }
  };
  std::atomic<std::thread::id> freed_on;
  std::atomic<bool> released{false};
  std::atomic<bool> freed_before_release{false};
  MemoryReleaser releaser([&] { released = true; });
  auto garbage = std::make_shared<const Garbage>(
      Garbage{&freed_on, &released, &freed_before_release});
  std::weak_ptr<const Garbage> watch = garbage;
  std::thread::id loader_id;
  std::thread loader([&] {
    loader_id = std::this_thread::get_id();
    releaser.Release(std::move(garbage));
  });
  loader.join();
  ASSERT_TRUE(WaitForReleases(releaser, 1));
  EXPECT_TRUE(watch.expired());
  EXPECT_NE(freed_on.load(), loader_id);
  EXPECT_NE(freed_on.load(), std::this_thread::get_id());
  EXPECT_TRUE(freed_before_release.load());
}

// Garbage still held elsewhere (a request still scoring with a replaced
// state) is freed by its last holder, and the release goes on.
TEST(MemoryReleaserTest, GarbageStillHeldElsewhereOutlivesTheRelease) {
  MemoryReleaser releaser([] {});
  auto kept = std::make_shared<const int>(7);
  releaser.Release(kept);
  ASSERT_TRUE(WaitForReleases(releaser, 1));
  EXPECT_EQ(kept.use_count(), 1);
  EXPECT_EQ(*kept, 7);
}

TEST(MemoryReleaserTest, EachRequestAfterAReleaseGetsAnother) {
  std::atomic<int> calls{0};
  MemoryReleaser releaser([&] { ++calls; });
  releaser.Release();
  ASSERT_TRUE(WaitForReleases(releaser, 1));
  releaser.Release();
  ASSERT_TRUE(WaitForReleases(releaser, 2));
  EXPECT_EQ(calls.load(), 2);
}

TEST(MemoryReleaserTest, TheDefaultReleaseRunsAndDestructionStopsTheThread) {
  auto releaser = std::make_unique<MemoryReleaser>();
  releaser->Release();
  EXPECT_TRUE(WaitForReleases(*releaser, 1));
  releaser.reset();  // joins
}

#ifdef __GLIBC__
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitizerAllocator = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
constexpr bool kSanitizerAllocator = true;
#else
constexpr bool kSanitizerAllocator = false;
#endif
#else
constexpr bool kSanitizerAllocator = false;
#endif

// After ConfigureMalloc a block of 4 MB or more is mapped, and unmapped
// when freed, even after bigger blocks were freed (which would otherwise
// raise glibc's bound to their size).
TEST(ConfigureMallocTest, LargeBlocksAreMappedAndReturnedWhenFreed) {
  if (kSanitizerAllocator) {
    GTEST_SKIP() << "a sanitizer's allocator replaces glibc's malloc";
  }
  ASSERT_TRUE(ConfigureMalloc().ok());
  // Freeing a 30 MB block would raise a dynamic bound to 30 MB.
  { std::vector<char> big(30 << 20, 1); }
  const size_t mapped_before = mallinfo2().hblkhd;
  auto block = std::make_unique<std::vector<char>>(5 << 20, 1);
  EXPECT_GE(mallinfo2().hblkhd, mapped_before + (5 << 20));
  block.reset();
  EXPECT_EQ(mallinfo2().hblkhd, mapped_before);
}

// The malloc arenas glibc has made so far (malloc_info lists one heap
// element per arena).
int ArenaCount() {
  char* text = nullptr;
  size_t size = 0;
  FILE* out = open_memstream(&text, &size);
  malloc_info(0, out);
  fclose(out);
  int arenas = 0;
  for (const char* p = text; (p = strstr(p, "<heap nr=")) != nullptr; ++p) {
    ++arenas;
  }
  free(text);
  return arenas;
}

// After ConfigureMalloc, threads allocating at the same time each get an
// arena of their own: 60 of them, where glibc would otherwise share 8 per
// core between them (16 on a 2-core machine).
TEST(ConfigureMallocTest, EachThreadGetsAnArenaOfItsOwn) {
  if (kSanitizerAllocator) {
    GTEST_SKIP() << "a sanitizer's allocator replaces glibc's malloc";
  }
  ASSERT_TRUE(ConfigureMalloc().ok());
  constexpr int kThreads = 60;
  std::latch all_allocated(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      auto block = std::make_unique<std::vector<char>>(1000, 1);
      all_allocated.arrive_and_wait();  // no thread exits before all have one
    });
  }
  for (std::thread& t : threads) t.join();
  // Arenas outlive their threads (they are reused by later ones): one per
  // thread, and the main thread's.
  EXPECT_GE(ArenaCount(), kThreads + 1);
}
#endif

}  // namespace
}  // namespace tailor
