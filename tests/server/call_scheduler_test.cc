// The overload protection on its own: bounds, refusals, dropped calls and
// slots, with calls held on a worker by a Notification.
#include "server/call_scheduler.h"

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/base/mutex.h"
#include "gtest/gtest.h"

namespace tailor {
namespace {

// What one scheduled call was answered with.
struct Outcome {
  Notification done;
  absl::Status status;           // OK when it ran
  bool answered_inline = false;  // on the thread that scheduled it
  int ran = -1;                  // when it ran: 0 first, 1 next, ...
};

// The order calls got their slots in, across a test.
std::atomic<int> next_ran{0};

// A clock that moves only when told to.
class ManualClock {
 public:
  void Advance(absl::Duration d) {
    nanos_.fetch_add(absl::ToInt64Nanoseconds(d), std::memory_order_acq_rel);
  }
  std::function<absl::Time()> Fn() {
    return [this] {
      return absl::UnixEpoch() +
             absl::Nanoseconds(nanos_.load(std::memory_order_acquire));
    };
  }

 private:
  std::atomic<int64_t> nanos_{0};
};

// Schedules a call of `method` that records its outcome and, when it runs,
// waits for `hold` (if any) before giving up its slot.
void Submit(CallScheduler* s, CallMethod method, Outcome* out,
            Notification* hold = nullptr,
            absl::Time deadline = absl::InfiniteFuture(),
            std::function<bool()> cancelled = nullptr) {
  const std::thread::id caller = std::this_thread::get_id();
  s->Schedule(
      method, deadline,
      [cancelled] { return cancelled != nullptr && cancelled(); },
      [out, hold, caller](absl::StatusOr<CallScheduler::Slot> slot) {
        out->answered_inline = std::this_thread::get_id() == caller;
        if (slot.ok()) out->ran = next_ran.fetch_add(1);
        // A fresh copy: the test thread never shares a Status payload with
        // this worker (Debian's Abseil is not built with TSan, so the
        // payload's reference count is invisible to it).
        out->status = absl::Status(slot.status().code(),
                                   std::string(slot.status().message()));
        if (slot.ok() && hold != nullptr) hold->WaitForNotification();
        slot = absl::CancelledError("done");  // gives the slot back
        out->done.Notify();
      });
}

CallSchedulerOptions Options(
    int workers, absl::flat_hash_map<std::string, int> max_in_flight = {},
    absl::Duration max_queue_wait = absl::Milliseconds(5)) {
  CallSchedulerOptions o;
  o.workers = workers;
  o.max_in_flight = std::move(max_in_flight);
  o.max_queue_wait = max_queue_wait;
  // The overload bound has tests of its own, on a clock of their own.
  o.target_queue_wait = absl::ZeroDuration();
  return o;
}

std::unique_ptr<CallScheduler> Make(CallSchedulerOptions options) {
  absl::StatusOr<std::unique_ptr<CallScheduler>> s =
      CallScheduler::Create(options);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

// Waits until the scheduler's only worker has taken everything queued.
void WaitUntilTaken(const CallScheduler& s) {
  const absl::Time until = absl::Now() + absl::Seconds(10);
  while (s.queued() > 0 && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  ASSERT_EQ(s.queued(), 0);
}

// One worker on `clock`, with the bounds on queue waits given.
CallSchedulerOptions OnClock(ManualClock* clock, absl::Duration max_queue_wait,
                             absl::Duration target_queue_wait) {
  CallSchedulerOptions o = Options(1, {}, max_queue_wait);
  o.target_queue_wait = target_queue_wait;
  o.clock = clock->Fn();
  return o;
}

// Occupies the scheduler's only worker with `running` until `hold`.
void HoldTheWorker(CallScheduler* s, Notification* hold, Outcome* running,
                   CallMethod method = CallMethod::kGetSegment) {
  Submit(s, method, running, hold);
  WaitUntilTaken(*s);
}

TEST(CallSchedulerTest, RefusesACallBeyondItsMethodsBoundAtOnce) {
  auto s = Make(Options(1, {{"RecommendFor", 2}}, absl::ZeroDuration()));
  Notification hold;
  Outcome running, waiting, refused, other;
  Submit(s.get(), CallMethod::kRecommendFor, &running, &hold);
  WaitUntilTaken(*s);
  Submit(s.get(), CallMethod::kRecommendFor, &waiting);
  Submit(s.get(), CallMethod::kRecommendFor, &refused);
  // Refused on the caller's thread, before Schedule returned.
  ASSERT_TRUE(refused.done.HasBeenNotified());
  EXPECT_TRUE(refused.answered_inline);
  EXPECT_EQ(refused.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(refused.status.message().find("RecommendFor"), std::string::npos);
  EXPECT_NE(refused.status.message().find("2 calls in flight"),
            std::string::npos)
      << refused.status;
  // Another method has its own bound.
  Submit(s.get(), CallMethod::kGetSegment, &other);
  EXPECT_FALSE(other.done.HasBeenNotified());

  CallScheduler::MethodStats stats = s->Stats(CallMethod::kRecommendFor);
  EXPECT_EQ(stats.limit, 2);
  EXPECT_EQ(stats.in_flight, 2);
  EXPECT_EQ(stats.admitted, 2);
  EXPECT_EQ(stats.refused, 1);

  hold.Notify();
  for (Outcome* o : {&running, &waiting, &other}) {
    ASSERT_TRUE(o->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
    EXPECT_TRUE(o->status.ok()) << o->status;
    EXPECT_FALSE(o->answered_inline);
  }
  s.reset();  // joins the workers: every slot is back
}

TEST(CallSchedulerTest, SlotsComeBackWhenTheCallEnds) {
  auto s = Make(Options(1, {{"RecordEvents", 1}}));
  // A call that keeps its slot past its run (an answer that comes later).
  std::optional<CallScheduler::Slot> kept;
  Notification ran;
  s->Schedule(CallMethod::kRecordEvents, absl::InfiniteFuture(), nullptr,
              [&](absl::StatusOr<CallScheduler::Slot> slot) {
                ASSERT_TRUE(slot.ok());
                kept.emplace(*std::move(slot));
                ran.Notify();
              });
  ASSERT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(s->Stats(CallMethod::kRecordEvents).in_flight, 1);
  Outcome refused;
  Submit(s.get(), CallMethod::kRecordEvents, &refused);
  EXPECT_EQ(refused.status.code(), absl::StatusCode::kResourceExhausted);
  kept.reset();
  EXPECT_EQ(s->Stats(CallMethod::kRecordEvents).in_flight, 0);
  Outcome admitted;
  Submit(s.get(), CallMethod::kRecordEvents, &admitted);
  ASSERT_TRUE(admitted.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_TRUE(admitted.status.ok()) << admitted.status;

  // A stream's slot, taken on the caller's thread.
  auto streams = Make(Options(1, {{"StreamEvents", 1}}));
  absl::StatusOr<CallScheduler::Slot> open =
      streams->Admit(CallMethod::kStreamEvents);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(streams->Admit(CallMethod::kStreamEvents).status().code(),
            absl::StatusCode::kResourceExhausted);
  open = absl::CancelledError("closed");  // releases the slot
  EXPECT_TRUE(streams->Admit(CallMethod::kStreamEvents).ok());
}

TEST(CallSchedulerTest, DropsCallsWhoseDeadlinePassedOrWhoseClientLeft) {
  auto s = Make(Options(1, {}, absl::ZeroDuration()));
  Outcome late;
  Submit(s.get(), CallMethod::kRecommendFor, &late, nullptr,
         absl::Now() - absl::Milliseconds(1));
  EXPECT_TRUE(late.answered_inline);
  EXPECT_EQ(late.status.code(), absl::StatusCode::kDeadlineExceeded);

  Notification hold;
  Outcome running, expires, gone;
  Submit(s.get(), CallMethod::kRecommendFor, &running, &hold);
  WaitUntilTaken(*s);
  Submit(s.get(), CallMethod::kSimilarItems, &expires, nullptr,
         absl::Now() + absl::Milliseconds(20));
  std::atomic<bool> client_gone{false};
  Submit(s.get(), CallMethod::kGetSegment, &gone, nullptr,
         absl::InfiniteFuture(), [&] { return client_gone.load(); });
  absl::SleepFor(absl::Milliseconds(40));  // past `expires`' deadline
  client_gone = true;
  hold.Notify();
  ASSERT_TRUE(expires.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(expires.status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(expires.status.message().find("waited for a worker"),
            std::string::npos);
  ASSERT_TRUE(gone.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(gone.status.code(), absl::StatusCode::kCancelled);

  EXPECT_EQ(s->Stats(CallMethod::kRecommendFor).expired, 1);
  EXPECT_EQ(s->Stats(CallMethod::kSimilarItems).expired, 1);
  EXPECT_EQ(s->Stats(CallMethod::kGetSegment).expired, 1);
}

TEST(CallSchedulerTest, RefusesACallThatWaitedTooLongForAWorker) {
  auto s = Make(Options(1, {}, absl::Milliseconds(10)));
  Notification hold;
  Outcome running, stale;
  Submit(s.get(), CallMethod::kRecommendFor, &running, &hold);
  WaitUntilTaken(*s);
  Submit(s.get(), CallMethod::kRecommendFor, &stale);
  absl::SleepFor(absl::Milliseconds(30));
  hold.Notify();
  ASSERT_TRUE(stale.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(stale.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(stale.status.message().find("--max_queue_wait=10ms"),
            std::string::npos)
      << stale.status;
  EXPECT_EQ(s->Stats(CallMethod::kRecommendFor).queue_timeouts, 1);
  EXPECT_TRUE(running.status.ok());
}

TEST(CallSchedulerTest, ABurstRunsInArrivalOrderWithinMaxQueueWait) {
  ManualClock clock;
  auto s = Make(OnClock(&clock, absl::Milliseconds(50), absl::Milliseconds(2)));
  Notification hold;
  Outcome running, a, b, c;
  HoldTheWorker(s.get(), &hold, &running);
  Submit(s.get(), CallMethod::kRecommendFor, &a);
  clock.Advance(absl::Milliseconds(1));
  Submit(s.get(), CallMethod::kRecommendFor, &b);
  clock.Advance(absl::Milliseconds(1));
  Submit(s.get(), CallMethod::kRecommendFor, &c);
  // 40 ms of a queue that emptied 40 ms ago: a burst, not overload.
  clock.Advance(absl::Milliseconds(38));
  hold.Notify();
  for (Outcome* out : {&a, &b, &c}) {
    ASSERT_TRUE(out->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
    EXPECT_TRUE(out->status.ok()) << out->status;
  }
  EXPECT_LT(a.ran, b.ran);
  EXPECT_LT(b.ran, c.ran);
  EXPECT_EQ(s->Stats(CallMethod::kRecommendFor).queue_timeouts, 0);
}

TEST(CallSchedulerTest, AStandingQueueRunsNewestFirstAndRefusesTheStale) {
  ManualClock clock;
  auto s =
      Make(OnClock(&clock, absl::Milliseconds(200), absl::Milliseconds(2)));
  Notification hold;
  Outcome running, a, b, c, d;
  HoldTheWorker(s.get(), &hold, &running);
  Submit(s.get(), CallMethod::kRecommendFor, &a);
  clock.Advance(absl::Milliseconds(2));
  Submit(s.get(), CallMethod::kGetSegment, &b);
  // The queue has not emptied for 149 ms: more arrives than is answered.
  clock.Advance(absl::Milliseconds(147));
  Submit(s.get(), CallMethod::kRecommendFor, &c);
  clock.Advance(absl::Milliseconds(1));
  Submit(s.get(), CallMethod::kRecommendFor, &d);
  hold.Notify();
  for (Outcome* out : {&a, &b, &c, &d}) {
    ASSERT_TRUE(out->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  }
  // a and b waited 150 and 148 ms: within --max_queue_wait, but not within
  // the bound of a standing queue.
  for (Outcome* out : {&a, &b}) {
    EXPECT_EQ(out->status.code(), absl::StatusCode::kResourceExhausted);
    EXPECT_NE(out->status.message().find("twice --target_queue_wait=2ms"),
              std::string::npos)
        << out->status;
    EXPECT_EQ(out->ran, -1);
  }
  EXPECT_TRUE(c.status.ok()) << c.status;
  EXPECT_TRUE(d.status.ok()) << d.status;
  EXPECT_LT(d.ran, c.ran);  // newest first
  EXPECT_EQ(s->Stats(CallMethod::kRecommendFor).queue_timeouts, 1);
  EXPECT_EQ(s->Stats(CallMethod::kGetSegment).queue_timeouts, 1);
  // The queue emptied: back to arrival order and the longer bound.
  EXPECT_FALSE(s->overloaded());
}

// Schedules a RecommendFor call that, when it runs, takes `cost` on
// `clock`.
void SubmitCosting(CallScheduler* s, ManualClock* clock, absl::Duration cost,
                   Outcome* out) {
  s->Schedule(CallMethod::kRecommendFor, absl::InfiniteFuture(), nullptr,
              [clock, cost, out](absl::StatusOr<CallScheduler::Slot> slot) {
                if (slot.ok()) {
                  out->ran = next_ran.fetch_add(1);
                  clock->Advance(cost);
                }
                out->status = absl::Status(
                    slot.status().code(), std::string(slot.status().message()));
                slot = absl::CancelledError("done");
                out->done.Notify();
              });
}

// One worker on `clock` (max_queue_wait 50 ms, target 5 ms) that has run a
// RecommendFor call of 2 ms: its estimate of the queued work.
std::unique_ptr<CallScheduler> MakeLearned(ManualClock* clock) {
  CallSchedulerOptions o =
      OnClock(clock, absl::Milliseconds(50), absl::Milliseconds(5));
  o.max_in_flight["RecommendFor"] = 100;
  auto s = Make(o);
  Outcome learn;
  SubmitCosting(s.get(), clock, absl::Milliseconds(2), &learn);
  // Waited for, not only seen in the stats: `learn` must outlive the
  // worker's Notify (the stats give ThreadSanitizer no ordering with it).
  EXPECT_TRUE(learn.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  const absl::Time until = absl::Now() + absl::Seconds(10);
  while (s->Stats(CallMethod::kRecommendFor).recent_run_time !=
             absl::Milliseconds(2) &&
         absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(s->Stats(CallMethod::kRecommendFor).recent_run_time,
            absl::Milliseconds(2));
  return s;
}

// Returns once the workers have finished every call (a worker measures a
// call's run time after the call answers: the clock must not move until
// then).
void Drain(const CallScheduler& s) {
  const absl::Time until = absl::Now() + absl::Seconds(10);
  while ((s.queued() > 0 || s.running() > 0) && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  ASSERT_EQ(s.running(), 0);
}

// Submits calls behind a held worker until one is refused; the number
// admitted. Each takes `cost` when it runs.
int AdmittedUntilRefused(CallScheduler* s, ManualClock* clock,
                         std::vector<std::unique_ptr<Outcome>>* outcomes,
                         absl::Duration cost = absl::Milliseconds(2)) {
  while (true) {
    outcomes->push_back(std::make_unique<Outcome>());
    SubmitCosting(s, clock, cost, outcomes->back().get());
    if (outcomes->back()->done.HasBeenNotified()) {
      EXPECT_TRUE(outcomes->back()->answered_inline ||
                  !outcomes->back()->status.ok());
      return static_cast<int>(outcomes->size()) - 1;
    }
    if (outcomes->size() > 1000) return -1;
  }
}

// Holds the only worker with a call of `method`, submits RecommendFor calls
// (each taking `cost`) behind it until one is refused, then lets every one
// run; the number admitted.
int AdmittedBehindAHold(CallScheduler* s, ManualClock* clock, CallMethod method,
                        absl::Duration cost = absl::Milliseconds(2)) {
  Notification hold;
  Outcome running;
  HoldTheWorker(s, &hold, &running, method);
  std::vector<std::unique_ptr<Outcome>> calls;
  const int admitted = AdmittedUntilRefused(s, clock, &calls, cost);
  hold.Notify();
  for (size_t i = 0; i + 1 < calls.size(); ++i) {
    EXPECT_TRUE(
        calls[i]->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  }
  EXPECT_TRUE(running.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  Drain(*s);
  return admitted;
}

// The estimate of a call's run time: a call stalled by a pause counts as
// twice the average at most; a lasting slowdown (three times slower) is
// followed within a dozen calls.
TEST(CallSchedulerTest, RunTimeEstimateShrugsOffAPauseAndFollowsASlowdown) {
  ManualClock clock;
  auto s = MakeLearned(&clock);  // 2 ms
  Outcome stalled;
  SubmitCosting(s.get(), &clock, absl::Milliseconds(40), &stalled);
  ASSERT_TRUE(stalled.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  Drain(*s);
  // 2 ms + (4 ms - 2 ms) / 8, where the whole 40 ms would give 6.75 ms.
  EXPECT_EQ(s->Stats(CallMethod::kRecommendFor).recent_run_time,
            absl::Microseconds(2250));
  int calls = 0;
  while (s->Stats(CallMethod::kRecommendFor).recent_run_time <
             absl::Milliseconds(5) &&
         calls < 100) {
    Outcome slower;
    SubmitCosting(s.get(), &clock, absl::Milliseconds(6), &slower);
    ASSERT_TRUE(slower.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
    Drain(*s);
    ++calls;
  }
  EXPECT_LE(calls, 12);
}

TEST(CallSchedulerTest, OutsideOverloadAPauseOfDozensOfMillisecondsIsAbsorbed) {
  ManualClock clock;
  auto s = MakeLearned(&clock);
  Notification hold;
  Outcome running;
  HoldTheWorker(s.get(), &hold, &running);
  // 0, 2, ..., 24 ms of work ahead: admitted; 26 ms: refused at once.
  // (They take no time when they run, so that none waits past the bound.)
  std::vector<std::unique_ptr<Outcome>> calls;
  EXPECT_EQ(AdmittedUntilRefused(s.get(), &clock, &calls, absl::ZeroDuration()),
            13);
  EXPECT_EQ(calls.back()->status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(calls.back()->status.message().find(
                "about 26ms, longer than half --max_queue_wait=50ms"),
            std::string::npos)
      << calls.back()->status;
  EXPECT_EQ(s->Stats(CallMethod::kRecommendFor).refused, 1);
  EXPECT_EQ(s->Stats(CallMethod::kRecommendFor).in_flight, 13);
  // A 40 ms pause: every admitted call is answered, in arrival order.
  clock.Advance(absl::Milliseconds(40));
  hold.Notify();
  for (size_t i = 0; i + 1 < calls.size(); ++i) {
    ASSERT_TRUE(
        calls[i]->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
    EXPECT_TRUE(calls[i]->status.ok()) << calls[i]->status;
    if (i > 0) {
      EXPECT_LT(calls[i - 1]->ran, calls[i]->ran);
    }
  }
  EXPECT_FALSE(s->overloaded());
}

// With the default bounds what refuses a call during a pause of a healthy
// server is the work queued ahead, not the number of calls: half
// --max_queue_wait (25 ms) is 51 calls of 0.5 ms. (A bound of 8 calls per
// worker refused the ninth after a pause of 4 ms.)
TEST(CallSchedulerTest, TheDefaultCountBoundLeavesAPauseToTheWorkBound) {
  ManualClock clock;
  auto s = Make(OnClock(&clock, absl::Milliseconds(50), absl::Milliseconds(5)));
  Outcome learn;
  SubmitCosting(s.get(), &clock, absl::Microseconds(500), &learn);
  ASSERT_TRUE(learn.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  Drain(*s);
  ASSERT_EQ(s->Stats(CallMethod::kRecommendFor).recent_run_time,
            absl::Microseconds(500));
  Notification hold;
  Outcome running;
  HoldTheWorker(s.get(), &hold, &running);
  std::vector<std::unique_ptr<Outcome>> calls;
  EXPECT_EQ(AdmittedUntilRefused(s.get(), &clock, &calls, absl::ZeroDuration()),
            51);
  EXPECT_NE(calls.back()->status.message().find("half --max_queue_wait"),
            std::string::npos)
      << calls.back()->status;
  hold.Notify();
  for (size_t i = 0; i + 1 < calls.size(); ++i) {
    ASSERT_TRUE(
        calls[i]->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
    EXPECT_TRUE(calls[i]->status.ok()) << calls[i]->status;
  }
}

TEST(CallSchedulerTest,
     AfterAStandingQueueArrivalsAreHeldToTheTargetForASecond) {
  ManualClock clock;
  auto s = MakeLearned(&clock);
  Notification hold;
  Outcome running, a;
  HoldTheWorker(s.get(), &hold, &running);
  SubmitCosting(s.get(), &clock, absl::Milliseconds(2), &a);
  // The queue has not been short for 101 ms: a standing one. 2 and 4 ms
  // ahead: admitted; 6 ms: refused.
  clock.Advance(absl::Milliseconds(101));
  std::vector<std::unique_ptr<Outcome>> calls;
  EXPECT_EQ(AdmittedUntilRefused(s.get(), &clock, &calls), 2);
  EXPECT_TRUE(s->overloaded());
  EXPECT_NE(calls.back()->status.message().find(
                "about 6ms, longer than --target_queue_wait=5ms"),
            std::string::npos)
      << calls.back()->status;
  hold.Notify();
  ASSERT_TRUE(a.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(a.status.code(), absl::StatusCode::kResourceExhausted);  // stale
  for (int i : {0, 1}) {
    ASSERT_TRUE(
        calls[i]->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
    EXPECT_TRUE(calls[i]->status.ok()) << calls[i]->status;
  }
  EXPECT_LT(calls[1]->ran, calls[0]->ran);  // newest first
  Drain(*s);
  EXPECT_FALSE(s->overloaded());  // the queue emptied

  // Half a second after it, arrivals are still held to the target; each
  // refused one keeps them so for another second. (Each hold is of a
  // method that has not run yet: the held GetSegment took 105 ms on the
  // clock, and would count as that much work ahead.)
  clock.Advance(kOverloadCooldown / 2);
  EXPECT_EQ(AdmittedBehindAHold(s.get(), &clock, CallMethod::kSimilarItems), 3);
  clock.Advance(kOverloadCooldown * 6 / 10);  // past the first second
  EXPECT_EQ(AdmittedBehindAHold(s.get(), &clock, CallMethod::kBoughtTogether),
            3);
  // A second after the last refusal: half max_queue_wait again.
  clock.Advance(kOverloadCooldown);
  EXPECT_EQ(AdmittedBehindAHold(s.get(), &clock, CallMethod::kListSegments),
            13);
}

// Outside overload a per-page method may have 64 calls per worker in flight;
// while a standing queue lasts, 8 (the run-time estimates miss what gRPC's
// threads take from the workers then, and the count keeps the wait short).
TEST(CallSchedulerTest, UnderOverloadPerPageCallsAreHeldToEightPerWorker) {
  ManualClock clock;
  auto s = Make(OnClock(&clock, absl::Milliseconds(50), absl::Milliseconds(5)));
  EXPECT_EQ(s->Stats(CallMethod::kRecommendFor).limit, 64);
  // Calls that take no time: only the counts refuse.
  Notification hold;
  Outcome running;
  HoldTheWorker(s.get(), &hold, &running);
  std::vector<std::unique_ptr<Outcome>> calls;
  EXPECT_EQ(AdmittedUntilRefused(s.get(), &clock, &calls, absl::ZeroDuration()),
            64);
  EXPECT_NE(calls.back()->status.message().find(
                "64 calls in flight, the --max_in_flight bound"),
            std::string::npos)
      << calls.back()->status;
  hold.Notify();
  Drain(*s);

  Notification hold2;
  Outcome running2, first;
  HoldTheWorker(s.get(), &hold2, &running2);
  SubmitCosting(s.get(), &clock, absl::ZeroDuration(), &first);
  clock.Advance(absl::Milliseconds(101));  // the queue is a standing one
  std::vector<std::unique_ptr<Outcome>> more;
  AdmittedUntilRefused(s.get(), &clock, &more, absl::ZeroDuration());
  EXPECT_TRUE(s->overloaded());
  EXPECT_EQ(s->Stats(CallMethod::kRecommendFor).in_flight, 8);
  EXPECT_NE(more.back()->status.message().find(
                "8 calls in flight, the bound while calls keep queueing, 8 "
                "per worker"),
            std::string::npos)
      << more.back()->status;
  // Other methods keep their bounds: RecordEvents waits for the disk.
  EXPECT_EQ(s->Stats(CallMethod::kRecordEvents).limit, 16);
  hold2.Notify();
  Drain(*s);
  EXPECT_FALSE(s->overloaded());  // the queue emptied

  // Within the second after it, calls are still held to 8; a call refused
  // for it keeps them so for another second.
  const absl::Duration no_time = absl::ZeroDuration();
  clock.Advance(kOverloadCooldown * 9 / 10);
  EXPECT_EQ(
      AdmittedBehindAHold(s.get(), &clock, CallMethod::kSimilarItems, no_time),
      8);
  clock.Advance(kOverloadCooldown * 6 / 10);  // past the first second
  EXPECT_EQ(AdmittedBehindAHold(s.get(), &clock, CallMethod::kBoughtTogether,
                                no_time),
            8);
  clock.Advance(kOverloadCooldown * 11 / 10);
  EXPECT_EQ(
      AdmittedBehindAHold(s.get(), &clock, CallMethod::kListSegments, no_time),
      64);
}

TEST(CallSchedulerTest, DestructionRunsWhatIsQueued) {
  auto s = Make(Options(2, {{"RecommendFor", 20}}, absl::ZeroDuration()));
  std::vector<Outcome> outcomes(20);
  for (Outcome& o : outcomes) Submit(s.get(), CallMethod::kRecommendFor, &o);
  s.reset();
  for (const Outcome& o : outcomes) {
    EXPECT_TRUE(o.done.HasBeenNotified());
    EXPECT_TRUE(o.status.ok()) << o.status;
  }
}

TEST(CallSchedulerTest, DefaultsFollowTheWorkers) {
  auto s = Make(Options(4));
  EXPECT_EQ(s->workers(), 4);
  EXPECT_EQ(s->Stats(CallMethod::kRecommendFor).limit, 256);
  EXPECT_EQ(s->Stats(CallMethod::kRecordEvents).limit, 64);
  EXPECT_EQ(s->Stats(CallMethod::kTargetAudience).limit, 2);
  EXPECT_EQ(s->Stats(CallMethod::kListSegments).limit, 2);
  EXPECT_EQ(s->Stats(CallMethod::kStreamEvents).limit, 16);
  auto one = Make(Options(1));
  EXPECT_EQ(one->Stats(CallMethod::kTargetAudience).limit, 1);
}

TEST(CallSchedulerTest, OptionsAreChecked) {
  absl::flat_hash_map<std::string, int> limits;
  ASSERT_TRUE(
      ParseMaxInFlight("RecommendFor=64,TargetAudience=2", "--f", &limits)
          .ok());
  EXPECT_EQ(limits["RecommendFor"], 64);
  EXPECT_EQ(limits["TargetAudience"], 2);
  EXPECT_TRUE(ParseMaxInFlight("", "--f", &limits).ok());
  for (const char* bad : {"Recommend=3", "RecommendFor=0", "RecommendFor",
                          "RecommendFor=x", "GetModelInfo=2"}) {
    absl::Status st = ParseMaxInFlight(bad, "--max_in_flight", &limits);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(st.message().find("--max_in_flight"), std::string::npos) << st;
  }
  EXPECT_EQ(CallScheduler::Create(Options(-1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CallScheduler::Create(Options(1, {{"Nope", 1}})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CallScheduler::Create(Options(1, {}, absl::Milliseconds(-1)))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  CallSchedulerOptions longer = Options(1, {}, absl::Milliseconds(10));
  longer.target_queue_wait = absl::Milliseconds(6);
  absl::Status st = CallScheduler::Create(longer).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("target_queue_wait"), std::string::npos) << st;
}

}  // namespace
}  // namespace tailor
