// A real tailor server on port 0 over a tiny, hand-made snapshot, shared by
// the server and CLI tests.
#ifndef TAILOR_TESTS_SERVER_SERVER_FIXTURE_H_
#define TAILOR_TESTS_SERVER_SERVER_FIXTURE_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base/interactions.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "storage/snapshot_store.h"
#include "tailor/v1/recommender.grpc.pb.h"
#include "tests/server/tiny_snapshot.h"
#include "tests/test_util.h"

namespace tailor {

// An event as a client sends it (timestamp 2026-01-01 unless given).
inline v1::Event MakeEvent(const std::string& id, const std::string& user,
                           const std::string& item, v1::EventType type,
                           int64_t t = 1767225600) {
  v1::Event e;
  e.set_event_id(id);
  e.set_user_id(user);
  e.set_item_id(item);
  e.set_type(type);
  e.set_timestamp(t);
  return e;
}

// Calls `path` (any method, known or not) with an empty request message;
// the status.
inline grpc::Status CallRaw(const std::shared_ptr<grpc::Channel>& channel,
                            const std::string& path) {
  grpc::GenericStub generic(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::ByteBuffer in, out;
  grpc::CompletionQueue cq;
  auto call = generic.PrepareUnaryCall(&ctx, path, in, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&out, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  EXPECT_TRUE(cq.Next(&tag, &ok));
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snapshots_ =
        std::make_unique<SnapshotStore>(Env::Default(), dir_.Join("snapshots"));
  }
  void Publish(const Snapshot& s) { ASSERT_TRUE(snapshots_->Publish(s).ok()); }
  // What StartServer starts: port 0, no polling, the fixture's folders.
  ServerOptions Options() const {
    ServerOptions options;
    options.address = "127.0.0.1:0";
    options.snapshot_dir = dir_.Join("snapshots");
    options.data_dir = data_dir_.empty() ? dir_.Join("data") : data_dir_;
    if (min_free_disk_bytes_.has_value()) {
      options.min_free_disk_bytes = *min_free_disk_bytes_;
    }
    options.poll_interval = absl::ZeroDuration();
    options.bandit_tick = absl::ZeroDuration();  // RunBandits only
    options.serving.retrieval = retrieval_;
    // The suite runs tests in parallel on loaded machines, where a worker
    // may wait its turn for a core longer than the bound; the bound has
    // tests of its own (call_scheduler_test, overload_test).
    options.calls.max_queue_wait = absl::ZeroDuration();
    options.calls.target_queue_wait = absl::ZeroDuration();
    options.accept_events = accept_events_;
    return options;
  }
  void StartServer() {
    auto server = TailorServer::Start(Options());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::Recommender::NewStub(channel_);
  }
  // The scoring path StartServer's server uses (set before it).
  RecommenderOptions retrieval_;
  // Where its RocksDB lives (set before it; default: the fixture's folder).
  std::string data_dir_;
  // Whether it takes events (set before it).
  bool accept_events_ = true;
  // The free space its RocksDB keeps (set before it; default: the server's).
  std::optional<int64_t> min_free_disk_bytes_;
  void StopServer() {
    stub_.reset();
    channel_.reset();
    server_.reset();
  }

  grpc::Status Call(const v1::RecommendRequest& req,
                    v1::RecommendResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    return stub_->RecommendFor(&ctx, req, resp);
  }
  // RecommendFor(user, count), expecting success.
  v1::RecommendResponse Ask(const std::string& user, int count) {
    v1::RecommendRequest req;
    req.set_user_id(user);
    req.set_count(count);
    v1::RecommendResponse resp;
    grpc::Status s = Call(req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  std::vector<std::string> Ids(const std::string& user, int count = 3,
                               std::optional<bool> exclude_seen = {}) {
    v1::RecommendRequest req;
    req.set_user_id(user);
    req.set_count(count);
    if (exclude_seen.has_value()) req.set_exclude_seen(*exclude_seen);
    return IdsOf(req);
  }
  // The item ids RecommendFor(req) returns, expecting success.
  std::vector<std::string> IdsOf(const v1::RecommendRequest& req) {
    v1::RecommendResponse resp;
    grpc::Status s = Call(req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<std::string> ids;
    for (const auto& item : resp.items()) ids.push_back(item.item_id());
    return ids;
  }
  std::string Health(const std::string& service) {
    auto health = grpc::health::v1::Health::NewStub(channel_);
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    grpc::ClientContext ctx;
    grpc::Status s = health->Check(&ctx, req, &resp);
    if (!s.ok()) return "error: " + s.error_message();
    return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
        resp.status());
  }

  testing::TempDir dir_;
  std::unique_ptr<SnapshotStore> snapshots_;
  std::unique_ptr<TailorServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Recommender::Stub> stub_;
};

}  // namespace tailor

#endif  // TAILOR_TESTS_SERVER_SERVER_FIXTURE_H_
