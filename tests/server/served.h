// TinySnapshot served by a RecommenderService over a GatedStore on port 0,
// with real stubs: for the tests of what waits on the store (a disk that
// stalls) and of the overload protection.
#ifndef TAILOR_TESTS_SERVER_SERVED_H_
#define TAILOR_TESTS_SERVER_SERVED_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "server/call_scheduler.h"
#include "server/event_writer.h"
#include "server/recommender_service.h"
#include "server/snapshot_manager.h"
#include "tests/server/gated_store.h"
#include "tests/server/tiny_snapshot.h"
#include "tests/test_util.h"

namespace tailor {

// Thread safety: one test thread drives it; the service runs on gRPC's
// threads (and the scheduler's workers, when given one).
class Served {
 public:
  // `scheduler` (optional) must outlive the Served.
  explicit Served(GatedStore* store, const SnapshotManagerOptions& options = {},
                  CallScheduler* scheduler = nullptr)
      : snapshots_(Env::Default(), dir_.Join("snapshots")),
        manager_(options, &snapshots_, store, &holder_, Env::Default()),
        writer_(store),
        service_(&holder_, store, &writer_, scheduler) {}

  // Publishes and loads the snapshot and starts serving, with gRPC's health
  // service reporting SERVING.
  void Start() {
    ASSERT_TRUE(snapshots_.Publish(TinySnapshot()).ok());
    ASSERT_TRUE(manager_.Refresh().ok());
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    server_->GetHealthCheckService()->SetServingStatus(true);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::Recommender::NewStub(channel_);
  }
  v1::Recommender::Stub* stub() { return stub_.get(); }
  const EventWriter& writer() const { return writer_; }
  void Shutdown() { server_->Shutdown(); }
  // The health service's answer for the whole server, or the error.
  std::string Health() {
    auto health = grpc::health::v1::Health::NewStub(channel_);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(5));
    grpc::health::v1::HealthCheckResponse resp;
    grpc::Status s = health->Check(&ctx, {}, &resp);
    if (!s.ok()) return "error: " + s.error_message();
    return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
        resp.status());
  }

 private:
  testing::TempDir dir_;
  SnapshotStore snapshots_;
  ServingStateHolder holder_;
  SnapshotManager manager_;
  EventWriter writer_;
  RecommenderService service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Recommender::Stub> stub_;
};

}  // namespace tailor

#endif  // TAILOR_TESTS_SERVER_SERVED_H_
