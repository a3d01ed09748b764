// EventWriter: group commits in submission order, outcomes split back per
// batch, a bounded queue, failures reported to every batch of the write,
// and a destructor that writes what is queued.
#include "server/event_writer.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/gated_store.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;

std::vector<LoggedEvent> Batch(const std::vector<std::string>& ids) {
  std::vector<LoggedEvent> out;
  for (const std::string& id : ids) {
    LoggedEvent e;
    e.event_id = id;
    e.event.user_id = absl::StrCat("u-", id);
    e.event.item_id = absl::StrCat("i-", id);
    e.event.timestamp = 1700000000;
    out.push_back(e);
  }
  return out;
}

// Collects one batch's answer; thread-safe through the notification.
struct Result {
  Notification done;
  absl::StatusOr<std::vector<AppendOutcome>> outcomes =
      absl::UnknownError("not called");
  EventWriter::Done Callback() {
    return [this](absl::StatusOr<std::vector<AppendOutcome>> o) {
      outcomes = std::move(o);
      done.Notify();
    };
  }
};

TEST(EventWriterTest, BatchesQueuedBehindAWriteShareTheNextOne) {
  GatedStore store;
  Notification gate;
  store.Gate(&gate);
  EventWriter writer(&store);
  Result first, second, third;
  ASSERT_TRUE(writer.Submit(Batch({"a", "b"}), first.Callback()).ok());
  store.WaitUntilEntered();  // the first write runs, held at the gate
  // Queued while it runs; "a" repeats the first batch's event, "c" this
  // write's own earlier event.
  ASSERT_TRUE(writer.Submit(Batch({"c", "a"}), second.Callback()).ok());
  ASSERT_TRUE(writer.Submit(Batch({"d", "c"}), third.Callback()).ok());
  gate.Notify();
  third.done.WaitForNotification();
  ASSERT_TRUE(first.done.HasBeenNotified());
  ASSERT_TRUE(second.done.HasBeenNotified());
  EXPECT_EQ(store.appends(), 2);  // one write for the first, one for both
  EXPECT_EQ(writer.writes(), 2);
  ASSERT_TRUE(first.outcomes.ok()) << first.outcomes.status();
  ASSERT_TRUE(second.outcomes.ok()) << second.outcomes.status();
  ASSERT_TRUE(third.outcomes.ok()) << third.outcomes.status();
  ASSERT_EQ(first.outcomes->size(), 2u);
  ASSERT_EQ(second.outcomes->size(), 2u);
  ASSERT_EQ(third.outcomes->size(), 2u);
  EXPECT_EQ((*first.outcomes)[0].seq, 1u);
  EXPECT_EQ((*first.outcomes)[1].seq, 2u);
  EXPECT_FALSE((*second.outcomes)[0].duplicate);  // c
  EXPECT_EQ((*second.outcomes)[0].seq, 3u);
  EXPECT_TRUE((*second.outcomes)[1].duplicate);  // a, from the first write
  EXPECT_EQ((*second.outcomes)[1].seq, 1u);
  EXPECT_FALSE((*third.outcomes)[0].duplicate);  // d
  EXPECT_EQ((*third.outcomes)[0].seq, 4u);
  EXPECT_TRUE((*third.outcomes)[1].duplicate);  // c, earlier in the write
  EXPECT_EQ((*third.outcomes)[1].seq, 3u);
  EXPECT_EQ(store.LastSequence(), 4u);
}

TEST(EventWriterTest, AFullQueueRefusesWithoutCallingBack) {
  GatedStore store;
  Notification gate;
  store.Gate(&gate);
  EventWriter writer(&store, {.max_queued_events = 5});
  Result running, queued;
  ASSERT_TRUE(writer.Submit(Batch({"a", "b", "c"}), running.Callback()).ok());
  store.WaitUntilEntered();
  ASSERT_TRUE(writer.Submit(Batch({"d", "e"}), queued.Callback()).ok());
  bool called = false;
  absl::Status refused = writer.Submit(
      Batch({"f"}),
      [&](absl::StatusOr<std::vector<AppendOutcome>>) { called = true; });
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(refused.message()), HasSubstr("5 events"));
  gate.Notify();
  queued.done.WaitForNotification();
  EXPECT_TRUE(queued.outcomes.ok());
  // Written: room again.
  Result later;
  ASSERT_TRUE(writer.Submit(Batch({"f"}), later.Callback()).ok());
  later.done.WaitForNotification();
  ASSERT_TRUE(later.outcomes.ok());
  EXPECT_EQ((*later.outcomes)[0].seq, 6u);
  EXPECT_FALSE(called);
}

TEST(EventWriterTest, AFailedWriteFailsEveryBatchInIt) {
  GatedStore store;
  Notification gate;
  store.Gate(&gate);
  EventWriter writer(&store);
  Result first, second, third;
  ASSERT_TRUE(writer.Submit(Batch({"a"}), first.Callback()).ok());
  store.WaitUntilEntered();
  store.FailAppends();
  ASSERT_TRUE(writer.Submit(Batch({"b"}), second.Callback()).ok());
  ASSERT_TRUE(writer.Submit(Batch({"c"}), third.Callback()).ok());
  gate.Notify();
  third.done.WaitForNotification();
  for (Result* r : {&first, &second, &third}) {
    ASSERT_TRUE(r->done.HasBeenNotified());
    EXPECT_EQ(r->outcomes.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_THAT(std::string(r->outcomes.status().message()),
                HasSubstr("disk gone"));
  }
  EXPECT_EQ(store.LastSequence(), 0u);  // nothing stored
}

TEST(EventWriterTest, DestroyingWritesEverythingQueued) {
  GatedStore store;
  Notification gate;
  store.Gate(&gate);
  std::vector<std::unique_ptr<Result>> results;
  {
    EventWriter writer(&store);
    for (int b = 0; b < 20; ++b) {
      results.push_back(std::make_unique<Result>());
      ASSERT_TRUE(
          writer
              .Submit(Batch({absl::StrCat("e", b)}), results.back()->Callback())
              .ok());
    }
    store.WaitUntilEntered();
    gate.Notify();
  }
  for (auto& r : results) {
    ASSERT_TRUE(r->done.HasBeenNotified());
    EXPECT_TRUE(r->outcomes.ok());
  }
  EXPECT_EQ(store.LastSequence(), 20u);
}

TEST(EventWriterTest, ConcurrentSubmittersGetDistinctSequences) {
  MemoryStateStore store;
  constexpr int kThreads = 4, kBatches = 200;
  std::vector<std::vector<uint64_t>> seqs(kThreads);
  {
    EventWriter writer(&store);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int b = 0; b < kBatches; ++b) {
          Result r;
          ASSERT_TRUE(writer
                          .Submit(Batch({absl::StrCat(t, "-", b, "-x"),
                                         absl::StrCat(t, "-", b, "-y")}),
                                  r.Callback())
                          .ok());
          r.done.WaitForNotification();
          ASSERT_TRUE(r.outcomes.ok());
          for (const AppendOutcome& o : *r.outcomes) {
            EXPECT_FALSE(o.duplicate);
            seqs[t].push_back(o.seq);
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_LE(writer.writes(), kThreads * kBatches);
  }
  std::vector<uint64_t> all;
  for (const auto& s : seqs) all.insert(all.end(), s.begin(), s.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), size_t{2 * kThreads * kBatches});
  for (size_t k = 0; k < all.size(); ++k) EXPECT_EQ(all[k], k + 1);
}

}  // namespace
}  // namespace tailor
