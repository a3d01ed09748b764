// A disk that stalls delays event acknowledgements, never recommendations:
// RecordEvents calls held at the store (more of them than gRPC has callback
// threads) while RecommendFor calls are answered, through a real server on
// port 0 and real stubs.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "core/mutex.h"
#include "gtest/gtest.h"
#include "server/event_writer.h"
#include "server/recommender_service.h"
#include "server/snapshot_manager.h"
#include "tests/server/gated_store.h"
#include "tests/server/server_fixture.h"

namespace tailor {
namespace {

TEST(EventIsolationTest, RecommendationsAreAnsweredWhileEventWritesStall) {
  testing::TempDir dir;
  SnapshotStore snapshots(Env::Default(), dir.Join("snapshots"));
  ASSERT_TRUE(snapshots.Publish(TinySnapshot()).ok());
  GatedStore store;
  Notification gate;
  store.Gate(&gate);
  ServingStateHolder holder;
  SnapshotManager manager({}, &snapshots, &store, &holder, Env::Default());
  ASSERT_TRUE(manager.Refresh().ok());
  EventWriter writer(&store);
  RecommenderService service(&holder, &store, &writer);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto stub = v1::Recommender::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));

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
    server->Shutdown();
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
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(5));
    v1::RecommendRequest req;
    req.set_user_id(n % 2 ? "alice" : "bob");
    req.set_count(3);
    v1::RecommendResponse resp;
    grpc::Status s = stub->RecommendFor(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << "call " << n << ": " << s.error_message();
    EXPECT_EQ(resp.items_size(), 3);
  }
  for (const auto& c : records) EXPECT_FALSE(c->done.HasBeenNotified());
  EXPECT_EQ(store.appends(), 0);

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

}  // namespace
}  // namespace tailor
