// tailor-bench's load generator against a real server on port 0.
#include "tools/bench/load.h"

#include <thread>

#include "gmock/gmock.h"
#include "tests/server/server_fixture.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;

class LoadTest : public ServerTest {
 protected:
  LoadOptions Options() {
    LoadOptions o;
    o.address = absl::StrCat("127.0.0.1:", server_->port());
    o.users = {"alice", "bob", "carol"};
    o.items = {"A", "B", "C"};
    o.duration = absl::Seconds(30);
    return o;
  }
};

TEST_F(LoadTest, OpenLoopCountsEveryCallByKindAndStatus) {
  Publish(TinySnapshot());
  StartServer();
  LoadOptions o = Options();
  o.rate = 400;
  o.max_calls = 200;
  o.recommend_weight = 2;
  // Nobody has a profile in the tiny snapshot: NOT_FOUND until the
  // recorded events give one.
  o.segment_weight = 1;
  o.record_weight = 1;
  o.events_per_batch = 5;
  auto r = RunLoad(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->calls, 200);
  EXPECT_EQ(r->total.ok + r->total.failed(), 200);
  const CallStats& rec = r->by_rpc["recommend"];
  const CallStats& seg = r->by_rpc["segment"];
  const CallStats& ev = r->by_rpc["record"];
  EXPECT_EQ(rec.failed(), 0);
  EXPECT_EQ(ev.failed(), 0);
  ASSERT_EQ(seg.errors.size(), 1u);
  EXPECT_EQ(seg.errors.begin()->first, "NOT_FOUND");
  // Why they failed, as the server said it.
  ASSERT_EQ(seg.first_messages.count("NOT_FOUND"), 1u);
  EXPECT_THAT(seg.first_messages.at("NOT_FOUND"), HasSubstr("user_id"));
  EXPECT_THAT(
      FormatLoadReport(*r, false),
      HasSubstr("first NOT_FOUND: " + seg.first_messages.at("NOT_FOUND")));
  EXPECT_EQ(r->total.failed(), seg.failed());
  EXPECT_EQ(rec.ok + seg.ok + seg.failed() + ev.ok, 200);
  EXPECT_GT(rec.ok, seg.ok + seg.failed());  // weights 2:1
  EXPECT_EQ(r->events_sent, 5 * ev.ok);
  EXPECT_EQ(r->total.latency.count(), r->total.ok);
  // 200 calls at 400/s: about half a second, never much less.
  EXPECT_GE(r->seconds, 0.45);
  EXPECT_EQ(r->versions, (std::vector<std::string>{"00000001"}));
  int64_t per_second = 0;
  for (const SecondStats& s : r->timeline) {
    per_second += s.latency.count() + s.errors;
  }
  EXPECT_EQ(per_second, 200);
  EXPECT_THAT(FormatLoadReport(*r, false), HasSubstr("200 calls in"));
  EXPECT_THAT(FormatLoadReport(*r, true), HasSubstr("\"calls\":200,"));
}

TEST_F(LoadTest, ThreadsShareTheCallsAndSendDistinctEvents) {
  Publish(TinySnapshot());
  StartServer();
  LoadOptions o = Options();
  o.threads = 3;
  o.rate = 600;
  o.max_calls = 300;
  o.recommend_weight = 1;
  o.record_weight = 1;
  o.events_per_batch = 4;
  o.event_id_prefix = "threads";
  auto r = RunLoad(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->calls, 300);
  EXPECT_EQ(r->total.failed(), 0);
  EXPECT_EQ(r->total.ok, 300);
  const CallStats& ev = r->by_rpc["record"];
  EXPECT_GT(ev.ok, 100);
  EXPECT_GT(r->by_rpc["recommend"].ok, 100);
  EXPECT_EQ(r->events_sent, 4 * ev.ok);
  EXPECT_EQ(r->events_duplicate, 0);  // ids differ across the threads
  // 300 calls at 600/s, shared by the threads: about half a second.
  EXPECT_GE(r->seconds, 0.45);
  int64_t per_second = 0;
  for (const SecondStats& s : r->timeline) per_second += s.latency.count();
  EXPECT_EQ(per_second, 300);
  // The same seed and prefix send the same events again: all duplicates.
  auto again = RunLoad(o);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->events_sent, r->events_sent);
  EXPECT_EQ(again->events_duplicate, r->events_sent);
}

TEST_F(LoadTest, VersionsSeenAcrossASwapAreInOrder) {
  Publish(TinySnapshot());
  StartServer();
  LoadOptions o = Options();
  o.rate = 0;  // closed loop
  o.concurrency = 4;
  // The swap (at 300 ms) must finish while calls still run: publishing
  // and loading a snapshot took over 700 ms once on a loaded machine, so
  // the run goes on well past it.
  o.duration = absl::Seconds(3);
  std::thread swapper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    Publish(TinySnapshot(2.0f));
    ASSERT_TRUE(server_->RefreshSnapshot().ok());
  });
  auto r = RunLoad(o);
  swapper.join();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->total.failed(), 0);
  EXPECT_GT(r->calls, 50);
  EXPECT_EQ(r->versions, (std::vector<std::string>{"00000001", "00000002"}));
  EXPECT_EQ(r->version_regressions, 0);
}

TEST_F(LoadTest, UnreachableServerIsCountedNotFatal) {
  Publish(TinySnapshot());
  StartServer();
  LoadOptions o = Options();
  StopServer();
  o.rate = 1000;
  o.max_calls = 20;
  o.deadline = absl::Milliseconds(200);
  auto r = RunLoad(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->total.failed(), 20);
  EXPECT_EQ(r->total.ok, 0);
}

TEST_F(LoadTest, FreshnessProbesSeeThePurchaseGoneAtOnce) {
  Publish(TinySnapshot());
  StartServer();
  LoadOptions o = Options();
  o.count = 3;
  auto r = RunFreshness(o, 5);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->probes, 5);
  EXPECT_EQ(r->changed, 5);
  EXPECT_EQ(r->changed_first_call, 5);  // synchronous: no lag at all
  EXPECT_EQ(r->ack_to_change.count(), 5);
  EXPECT_THAT(FormatFreshness(*r), HasSubstr("5 probes"));
}

TEST(WindowsTest, SplitPoolsTheSecondsExactly) {
  LoadReport r;
  r.timeline.resize(6);
  for (int t = 0; t < 6; ++t) {
    for (int k = 1; k <= 100; ++k) r.timeline[t].latency.Record(k * (t + 1));
    r.timeline[t].errors = t;
  }
  auto windows = ParseWindows("1:2,4:6");
  ASSERT_TRUE(windows.ok()) << windows.status();
  const WindowSplit split = SplitByWindows(r, *windows);
  EXPECT_EQ(split.inside.count(), 300);  // seconds 1, 4, 5
  EXPECT_EQ(split.outside.count(), 300);
  EXPECT_EQ(split.inside_errors, 1 + 4 + 5);
  EXPECT_EQ(split.outside_errors, 0 + 2 + 3);
  EXPECT_EQ(split.inside.max(), 600);
  EXPECT_EQ(split.outside.max(), 400);
  EXPECT_THAT(std::string(ParseWindows("3:2").status().message()),
              HasSubstr("--windows"));
  EXPECT_FALSE(ParseWindows("x").ok());
  EXPECT_TRUE(ParseWindows("")->empty());
}

TEST(LoadOptionsTest, BadOptionsNameTheirFlag) {
  LoadOptions o;
  o.users = {"u"};
  EXPECT_TRUE(ValidateLoadOptions(o).ok());
  auto message = [&](auto mutate) {
    LoadOptions bad = o;
    mutate(bad);
    return std::string(ValidateLoadOptions(bad).message());
  };
  EXPECT_THAT(message([](LoadOptions& b) { b.rate = -1; }),
              HasSubstr("--rate"));
  EXPECT_THAT(message([](LoadOptions& b) { b.concurrency = 0; }),
              HasSubstr("--concurrency"));
  EXPECT_THAT(message([](LoadOptions& b) { b.threads = 0; }),
              HasSubstr("--threads"));
  EXPECT_THAT(message([](LoadOptions& b) {
                b.concurrency = 2;
                b.threads = 3;
              }),
              HasSubstr("--threads"));
  EXPECT_THAT(message([](LoadOptions& b) { b.users.clear(); }),
              HasSubstr("--users"));
  EXPECT_THAT(message([](LoadOptions& b) { b.record_weight = 1; }),
              HasSubstr("--items"));
  EXPECT_THAT(message([](LoadOptions& b) { b.recommend_weight = 0; }),
              HasSubstr("--mix"));
  EXPECT_THAT(message([](LoadOptions& b) { b.events_per_batch = 1001; }),
              HasSubstr("--batch"));
}

}  // namespace
}  // namespace tailor
