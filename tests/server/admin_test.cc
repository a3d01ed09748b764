// tailor.v1.Admin through a real server on port 0: model info, the
// snapshot list, activation, rollback, and bad requests.
#include <filesystem>

#include "gmock/gmock.h"
#include "tailor/v1/admin.grpc.pb.h"
#include "tests/server/server_fixture.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;

class AdminTest : public ServerTest {
 protected:
  std::unique_ptr<v1::Admin::Stub> Admin() {
    return v1::Admin::NewStub(channel_);
  }
  grpc::Status Info(v1::ModelInfo* info) {
    grpc::ClientContext ctx;
    return Admin()->GetModelInfo(&ctx, v1::GetModelInfoRequest(), info);
  }
  grpc::Status Activate(const std::string& version, v1::ModelInfo* info) {
    grpc::ClientContext ctx;
    v1::ActivateSnapshotRequest req;
    req.set_version(version);
    return Admin()->ActivateSnapshot(&ctx, req, info);
  }
  grpc::Status Rollback(v1::ModelInfo* info) {
    grpc::ClientContext ctx;
    return Admin()->Rollback(&ctx, v1::RollbackRequest(), info);
  }
  v1::ListSnapshotsResponse List() {
    grpc::ClientContext ctx;
    v1::ListSnapshotsResponse resp;
    grpc::Status s =
        Admin()->ListSnapshots(&ctx, v1::ListSnapshotsRequest(), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
};

TEST_F(AdminTest, ModelInfoDescribesTheServingSnapshot) {
  StartServer();
  v1::ModelInfo info;
  EXPECT_EQ(Info(&info).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(List().snapshots().empty());

  Snapshot s = TinySnapshot();
  s.info = {{"algorithm", "implicit-als"}, {"data_to", "2026-01-01"}};
  s.online.fold_in = true;
  s.online.alpha = 1;
  s.online.mean_row_mass = 7;
  s.online.event_log_seq = 41;
  Publish(s);
  ASSERT_TRUE(server_->RefreshSnapshot().ok());
  grpc::Status st = Info(&info);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(info.version(), "00000001");
  EXPECT_EQ(info.trained_at_unix(), 1700000000);
  EXPECT_EQ(info.users(), 2);
  EXPECT_EQ(info.items(), 6);
  EXPECT_EQ(info.factors(), 2);
  EXPECT_EQ(info.event_log_seq(), 41u);
  EXPECT_TRUE(info.fold_in());
  EXPECT_TRUE(info.active());
  EXPECT_TRUE(info.current());
  EXPECT_GT(info.loaded_at_unix(), 1700000000);
  ASSERT_EQ(info.info_size(), 2);
  EXPECT_EQ(info.info(1).key(), "data_to");
  EXPECT_EQ(info.info(1).value(), "2026-01-01");
}

TEST_F(AdminTest, ActivateAndRollbackSwitchAndSurviveARestart) {
  Publish(TinySnapshot(1.0f));
  Publish(TinySnapshot(2.0f));
  Publish(TinySnapshot(3.0f));
  StartServer();
  EXPECT_EQ(Ask("alice", 1).model_version(), "00000003");

  v1::ListSnapshotsResponse list = List();
  ASSERT_EQ(list.snapshots_size(), 3);
  EXPECT_EQ(list.snapshots(0).version(), "00000003");  // newest first
  EXPECT_TRUE(list.snapshots(0).active());
  EXPECT_TRUE(list.snapshots(0).current());
  EXPECT_FALSE(list.snapshots(1).active());
  EXPECT_EQ(list.snapshots(2).version(), "00000001");

  v1::ModelInfo info;
  grpc::Status st = Activate("00000001", &info);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(info.version(), "00000001");
  EXPECT_TRUE(info.current());
  EXPECT_EQ(Ask("alice", 1).model_version(), "00000001");

  // Rollback from 00000001: nothing older.
  st = Rollback(&info);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(st.error_message(), HasSubstr("no older snapshot"));

  ASSERT_TRUE(Activate("00000003", &info).ok());
  st = Rollback(&info);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(info.version(), "00000002");
  EXPECT_EQ(Ask("alice", 1).model_version(), "00000002");

  // CURRENT followed: a restarted server serves the rolled-back version.
  StopServer();
  StartServer();
  EXPECT_EQ(Ask("alice", 1).model_version(), "00000002");
}

TEST_F(AdminTest, BadActivationsAreClearErrorsAndChangeNothing) {
  Publish(TinySnapshot(1.0f));
  Publish(TinySnapshot(2.0f));
  StartServer();
  std::filesystem::resize_file(dir_.Join("snapshots/00000001/users"), 3);
  struct Case {
    std::string version;
    grpc::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", grpc::StatusCode::INVALID_ARGUMENT, "version: must not be empty"},
      {"7", grpc::StatusCode::INVALID_ARGUMENT,
       "version: '7' is not a snapshot version"},
      {"../../etc", grpc::StatusCode::INVALID_ARGUMENT, "version: '../../etc'"},
      {"00000009", grpc::StatusCode::NOT_FOUND, "00000009 not found"},
      {"00000001", grpc::StatusCode::FAILED_PRECONDITION,
       "snapshot 00000001 cannot be served"},
  };
  for (const Case& c : cases) {
    v1::ModelInfo info;
    grpc::Status st = Activate(c.version, &info);
    EXPECT_EQ(st.error_code(), c.code) << c.version;
    EXPECT_THAT(st.error_message(), HasSubstr(c.message)) << c.version;
    EXPECT_EQ(Ask("alice", 1).model_version(), "00000002");
  }
  // The corrupt version is listed (its MANIFEST is fine) but not loadable;
  // one whose MANIFEST is damaged is listed as a problem.
  std::filesystem::resize_file(dir_.Join("snapshots/00000001/MANIFEST"), 5);
  v1::ListSnapshotsResponse list = List();
  ASSERT_EQ(list.snapshots_size(), 1);
  ASSERT_EQ(list.problems_size(), 1);
  EXPECT_EQ(list.problems(0).version(), "00000001");
  EXPECT_THAT(list.problems(0).error(), HasSubstr("MANIFEST"));
}

}  // namespace
}  // namespace tailor
