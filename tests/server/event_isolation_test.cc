// A disk that stalls delays event acknowledgements, never recommendations:
// RecordEvents calls held at the store (more of them than gRPC has callback
// threads) while RecommendFor calls are answered, and a model user's
// recommendation reads no history from the store; through a real server on
// port 0 and real stubs.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/base/mutex.h"
#include "gtest/gtest.h"
#include "server/event_writer.h"
#include "server/recommender_service.h"
#include "server/snapshot_manager.h"
#include "tests/server/gated_store.h"
#include "tests/server/served.h"
#include "tests/server/server_fixture.h"

namespace tailor {
namespace {

v1::RecommendResponse Recommend(v1::Recommender::Stub* stub,
                                const std::string& user) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::RecommendRequest req;
  req.set_user_id(user);
  req.set_count(3);
  v1::RecommendResponse resp;
  grpc::Status s = stub->RecommendFor(&ctx, req, &resp);
  EXPECT_TRUE(s.ok()) << user << ": " << s.error_message();
  return resp;
}

TEST(EventIsolationTest, RecommendationsAreAnsweredWhileEventWritesStall) {
  GatedStore store;
  Notification gate;
  store.Gate(&gate);
  Served served(&store);
  ASSERT_NO_FATAL_FAILURE(served.Start());
  v1::Recommender::Stub* stub = served.stub();

  // Four RecordEvents calls: the first write is held at the gate, the
  // others wait behind it. Handlers that wrote in place would hold both of
  // gRPC 1.51's callback threads.
  constexpr int kRecords = 4;
  struct Call {
    grpc::ClientContext ctx;
    v1::RecordEventsRequest request;
    v1::RecordEventsResponse response;
    grpc::Status status;
    Notification done;
  };
  std::vector<std::unique_ptr<Call>> records;
  // Whatever fails below, the held writes and the calls waiting on them
  // finish before anything they use goes away.
  absl::Cleanup release = [&] {
    if (!gate.HasBeenNotified()) gate.Notify();
    for (const auto& c : records) {
      c->done.WaitForNotificationWithTimeout(absl::Seconds(30));
    }
    served.Shutdown();
  };
  for (int n = 0; n < kRecords; ++n) {
    auto call = std::make_unique<Call>();
    v1::Event* e = call->request.add_events();
    e->set_event_id(absl::StrCat("stall-", n));
    e->set_user_id("carol");
    e->set_item_id("B");
    e->set_type(v1::EVENT_TYPE_VIEW);
    e->set_timestamp(1767225600 + n);
    Call* c = call.get();
    stub->async()->RecordEvents(&c->ctx, &c->request, &c->response,
                                [c](grpc::Status s) {
                                  c->status = std::move(s);
                                  c->done.Notify();
                                });
    records.push_back(std::move(call));
    if (n == 0) store.WaitUntilEntered();
  }

  for (int n = 0; n < 6; ++n) {
    EXPECT_EQ(Recommend(stub, n % 2 ? "alice" : "bob").items_size(), 3);
  }
  for (const auto& c : records) EXPECT_FALSE(c->done.HasBeenNotified());
  EXPECT_EQ(store.appends(), 0);
  // The three calls behind the held one may still be on their way to the
  // server on a loaded machine: open the gate once all four are queued.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (served.writer().queued_events() < kRecords && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  ASSERT_EQ(served.writer().queued_events(), kRecords);

  gate.Notify();
  for (const auto& c : records) {
    ASSERT_TRUE(c->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
    ASSERT_TRUE(c->status.ok()) << c->status.error_message();
    EXPECT_EQ(c->response.recorded(), 1);
  }
  // The first write alone, then the three queued behind it together.
  EXPECT_EQ(store.appends(), 2);
  EXPECT_EQ(store.LastSequence(), uint64_t{kRecords});
}

// A history read is a disk read when its block is not cached (on a shared
// volume, one queued behind the event log's sync took 100-250 ms). A model
// user's history is the snapshot's, in memory; only other users' is read
// from the store, or everyone's with histories_in_memory off. Both give the
// same recommendations.
TEST(EventIsolationTest, ModelUsersHistoriesAreNotReadFromTheStore) {
  const std::vector<std::string> users = {"alice", "bob", "stranger"};
  std::vector<std::vector<std::pair<std::string, float>>> answers[2];
  for (bool in_memory : {true, false}) {
    SCOPED_TRACE(in_memory ? "in memory" : "from the store");
    GatedStore store;
    Served served(&store, {.serving = {.retrieval = {},
                                       .histories_in_memory = in_memory}});
    ASSERT_NO_FATAL_FAILURE(served.Start());
    const int reads_at_load = store.history_reads();
    for (const std::string& user : users) {
      v1::RecommendResponse resp = Recommend(served.stub(), user);
      std::vector<std::pair<std::string, float>> ranked;
      for (const auto& item : resp.items()) {
        ranked.emplace_back(item.item_id(), item.score());
      }
      answers[in_memory].push_back(std::move(ranked));
    }
    EXPECT_EQ(store.history_reads() - reads_at_load, in_memory ? 1 : 3);
    served.Shutdown();
  }
  EXPECT_EQ(answers[true], answers[false]);
  // bob bought A in training: excluded either way.
  ASSERT_EQ(answers[true][1].size(), 3u);
  EXPECT_EQ(answers[true][1][0].first, "B");
}

}  // namespace
}  // namespace tailor
