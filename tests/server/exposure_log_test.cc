// ExposureLog: exposures queued off the call path are stored in batches,
// visible to Has while queued, written by Flush without waiting for the
// gather, dropped and counted when the queue is full, retried when a write
// fails, and written by the destructor.
#include "server/exposure_log.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "storage/memory_state_store.h"

namespace tailor {
namespace {

Exposure Shown(int i) {
  return {.recommendation_id = absl::StrCat("r", i),
          .user_id = absl::StrCat("u", i % 7),
          .experiment = "x",
          .arm = "a",
          .strategy = "als",
          .timestamp = 1700000000 + i,
          .items = {"A", "B"}};
}

// A memory store whose exposure writes fail a given number of times and
// are counted.
class FlakyStore : public MemoryStateStore {
 public:
  explicit FlakyStore(int failures) : failures_(failures) {}
  absl::StatusOr<size_t> AppendExposures(
      absl::Span<const Exposure> exposures) override {
    writes_.fetch_add(1);
    if (failures_.fetch_sub(1) > 0) return absl::UnavailableError("disk gone");
    return MemoryStateStore::AppendExposures(exposures);
  }
  int writes() const { return writes_.load(); }

 private:
  std::atomic<int> failures_;
  std::atomic<int> writes_{0};
};

TEST(ExposureLogTest, BatchesFromManyThreadsAreAllStoredAndVisibleAtOnce) {
  FlakyStore store(0);
  ExposureLog log(&store, {.gather = absl::Seconds(30)});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < 400; i += 4) ASSERT_TRUE(log.Add(Shown(i)));
    });
  }
  for (std::thread& t : threads) t.join();
  // Queued (the writer gathers for 30 s): known to Has all the same.
  EXPECT_TRUE(*log.Has("u3", "r3"));
  EXPECT_FALSE(*log.Has("u4", "r3"));
  const absl::Time start = absl::Now();
  log.Flush();  // does not wait out the gather
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));
  int stored = 0;
  for (int u = 0; u < 7; ++u) {
    stored += store.UserExposures(absl::StrCat("u", u))->size();
  }
  EXPECT_EQ(stored, 400);
  EXPECT_LE(store.writes(), 2);  // gathered, not one write per exposure
  EXPECT_TRUE(*log.Has("u3", "r3"));
}

TEST(ExposureLogTest, AFullQueueDropsAndAFailedWriteIsRetried) {
  FlakyStore store(2);
  {
    ExposureLog log(&store, {.max_queued = 3,
                             .retry_after = absl::Milliseconds(1),
                             .gather = absl::Seconds(30)});
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(log.Add(Shown(i)));
    EXPECT_FALSE(log.Add(Shown(3)));  // dropped: three wait already
    log.Flush();                      // two failures, then stored
    EXPECT_EQ(store.writes(), 3);
    EXPECT_TRUE(*log.Has("u1", "r1"));
    EXPECT_FALSE(*log.Has("u3", "r3"));
    EXPECT_TRUE(log.Add(Shown(4)));
  }
  // The destructor wrote the last one.
  EXPECT_TRUE(*store.HasExposure("u4", "r4"));
}

}  // namespace
}  // namespace tailor
