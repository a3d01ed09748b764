// The memory releaser: asked from a low-priority thread, it releases on
// its own thread, at the priority of the thread that created it.
#include "server/memory_releaser.h"

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
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

// After MapLargeAllocations a block of 4 MB or more is mapped, and
// unmapped when freed, even after bigger blocks were freed (which would
// otherwise raise glibc's bound to their size).
TEST(MapLargeAllocationsTest, LargeBlocksAreMappedAndReturnedWhenFreed) {
  if (kSanitizerAllocator) {
    GTEST_SKIP() << "a sanitizer's allocator replaces glibc's malloc";
  }
  ASSERT_TRUE(MapLargeAllocations().ok());
  // Freeing a 30 MB block would raise a dynamic bound to 30 MB.
  { std::vector<char> big(30 << 20, 1); }
  const size_t mapped_before = mallinfo2().hblkhd;
  auto block = std::make_unique<std::vector<char>>(5 << 20, 1);
  EXPECT_GE(mallinfo2().hblkhd, mapped_before + (5 << 20));
  block.reset();
  EXPECT_EQ(mallinfo2().hblkhd, mapped_before);
}
#endif

}  // namespace
}  // namespace tailor
