// Overload protection through a real server on port 0 and real stubs: with
// its one worker held (a history read that stalls), a RecommendFor beyond
// the bound is refused at once, the health service still answers SERVING,
// and a call whose deadline passes while it waits is dropped unrun.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "absl/cleanup/cleanup.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/base/mutex.h"
#include "gtest/gtest.h"
#include "server/call_scheduler.h"
#include "tests/server/gated_store.h"
#include "tests/server/served.h"

namespace tailor {
namespace {

// An asynchronous RecommendFor and what it came to.
struct PendingRecommend {
  grpc::ClientContext ctx;
  v1::RecommendRequest request;
  v1::RecommendResponse response;
  grpc::Status status;
  Notification done;

  PendingRecommend(v1::Recommender::Stub* stub, const std::string& user,
                   absl::Duration deadline) {
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    request.set_user_id(user);
    request.set_count(2);
    stub->async()->RecommendFor(&ctx, &request, &response,
                                [this](grpc::Status s) {
                                  status = std::move(s);
                                  done.Notify();
                                });
  }
};

void WaitFor(const std::function<bool()>& condition) {
  const absl::Time until = absl::Now() + absl::Seconds(20);
  while (!condition() && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  ASSERT_TRUE(condition());
}

TEST(OverloadTest, RefusesBeyondTheBoundAtOnceAndStaysHealthy) {
  CallSchedulerOptions options;
  options.workers = 1;
  options.max_in_flight = {{"RecommendFor", 3}};
  options.max_queue_wait = absl::ZeroDuration();
  options.target_queue_wait = absl::ZeroDuration();
  absl::StatusOr<std::unique_ptr<CallScheduler>> scheduler =
      CallScheduler::Create(options);
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  CallScheduler& calls = **scheduler;
  GatedStore store;
  Served served(&store, {}, &calls);
  ASSERT_NO_FATAL_FAILURE(served.Start());
  v1::Recommender::Stub* stub = served.stub();

  Notification gate;
  store.GateHistories(&gate);
  std::unique_ptr<PendingRecommend> held, queued, expiring;
  absl::Cleanup release = [&] {
    if (!gate.HasBeenNotified()) gate.Notify();
    for (auto* p : {&held, &queued, &expiring}) {
      if (*p) (*p)->done.WaitForNotificationWithTimeout(absl::Seconds(30));
    }
    served.Shutdown();
  };
  // "stranger" is not a model user: the history read holds the worker.
  held =
      std::make_unique<PendingRecommend>(stub, "stranger", absl::Seconds(30));
  store.WaitUntilHistoryEntered();
  queued = std::make_unique<PendingRecommend>(stub, "alice", absl::Seconds(30));
  // Admitted; its deadline passes while it waits, so it must be dropped.
  expiring = std::make_unique<PendingRecommend>(stub, "stranger",
                                                absl::Milliseconds(300));
  ASSERT_NO_FATAL_FAILURE(WaitFor([&] { return calls.queued() == 2; }));

  // The fourth RecommendFor is refused, without waiting for the worker.
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::RecommendRequest req;
  req.set_user_id("bob");
  v1::RecommendResponse resp;
  grpc::Status refused = stub->RecommendFor(&ctx, req, &resp);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(refused.error_message().find("RecommendFor: the server is "
                                         "overloaded (3 calls in flight"),
            std::string::npos)
      << refused.error_message();
  EXPECT_EQ(served.Health(), "SERVING");

  ASSERT_TRUE(expiring->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(expiring->status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // The server's deadline counts from when the call reached it, a little
  // after the client's on a loaded machine.
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_FALSE(held->done.HasBeenNotified());
  EXPECT_FALSE(queued->done.HasBeenNotified());
  const int reads_before = store.history_reads();

  gate.Notify();
  for (auto* p : {&held, &queued}) {
    ASSERT_TRUE((*p)->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
    EXPECT_TRUE((*p)->status.ok()) << (*p)->status.error_message();
    EXPECT_EQ((*p)->response.items_size(), 2);
  }
  CallScheduler::MethodStats stats = calls.Stats(CallMethod::kRecommendFor);
  EXPECT_EQ(stats.refused, 1);
  // The worker dropped the expired call: no history was read for it.
  ASSERT_NO_FATAL_FAILURE(WaitFor(
      [&] { return calls.Stats(CallMethod::kRecommendFor).in_flight == 0; }));
  EXPECT_EQ(calls.Stats(CallMethod::kRecommendFor).expired, 1);
  EXPECT_EQ(store.history_reads(), reads_before);
}

}  // namespace
}  // namespace tailor
