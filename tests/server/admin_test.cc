// tailor.v1.Admin through a real server on port 0: model info, the
// snapshot list, activation, rollback, a user's export, and bad requests.
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
  grpc::Status Export(const v1::ExportUserRequest& req, v1::UserExport* out) {
    grpc::ClientContext ctx;
    return Admin()->ExportUser(&ctx, req, out);
  }
  v1::UserExport Export(const std::string& user, int page_size = 0,
                        const std::string& token = "") {
    v1::ExportUserRequest req;
    req.set_user_id(user);
    req.set_page_size(page_size);
    req.set_page_token(token);
    v1::UserExport out;
    grpc::Status s = Export(req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
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

TEST_F(AdminTest, ExportUserHoldsEverythingAboutThemAndPages) {
  Publish(TinySnapshot());
  StartServer();
  v1::RecordEventsRequest record;
  *record.add_events() = MakeEvent("b1", "bob", "C", v1::EVENT_TYPE_VIEW, 100);
  v1::Event sale = MakeEvent("b2", "bob", "D", v1::EVENT_TYPE_PURCHASE, 300);
  sale.set_quantity(2);
  sale.set_price(5.5);
  *record.add_events() = sale;
  *record.add_events() = MakeEvent("b3", "bob", "E", v1::EVENT_TYPE_CLICK, 200);
  *record.add_events() =
      MakeEvent("a1", "alice", "E", v1::EVENT_TYPE_CLICK, 250);
  {
    grpc::ClientContext ctx;
    v1::RecordEventsResponse resp;
    ASSERT_TRUE(stub_->RecordEvents(&ctx, record, &resp).ok());
    ASSERT_EQ(resp.recorded(), 4);
  }

  const v1::UserExport bob = Export("bob");
  EXPECT_TRUE(bob.found());
  EXPECT_EQ(bob.user_id(), "bob");
  EXPECT_EQ(bob.model_version(), "00000001");
  EXPECT_TRUE(bob.has_model_vector());
  // Training's history: A purchased (weight 8), B viewed.
  ASSERT_EQ(bob.trained_size(), 2);
  EXPECT_EQ(bob.trained(0).item_id(), "A");
  EXPECT_EQ(bob.trained(0).weight(), 8);
  EXPECT_EQ(bob.trained(0).net_purchases(), 1);
  EXPECT_TRUE(bob.trained(0).purchased());
  EXPECT_EQ(bob.trained(1).item_id(), "B");
  EXPECT_FALSE(bob.trained(1).purchased());
  // The customer record their events gave them, as GetSegment answers it.
  ASSERT_TRUE(bob.has_segment());
  EXPECT_EQ(bob.segment().events_since_profile(), 3);
  {
    grpc::ClientContext ctx;
    v1::GetSegmentRequest req;
    req.set_user_id("bob");
    v1::Segment segment;
    ASSERT_TRUE(stub_->GetSegment(&ctx, req, &segment).ok());
    EXPECT_EQ(bob.segment().SerializeAsString(), segment.SerializeAsString());
  }
  // Their events, newest first, as they were recorded; alice's are not.
  ASSERT_EQ(bob.events_size(), 3);
  EXPECT_EQ(bob.events(0).event().event_id(), "b2");
  EXPECT_EQ(bob.events(0).event().type(), v1::EVENT_TYPE_PURCHASE);
  EXPECT_EQ(bob.events(0).event().item_id(), "D");
  EXPECT_EQ(bob.events(0).event().timestamp(), 300);
  EXPECT_EQ(bob.events(0).event().quantity(), 2);
  EXPECT_EQ(bob.events(0).event().price(), 5.5);
  EXPECT_EQ(bob.events(0).sequence(), 2u);
  EXPECT_EQ(bob.events(1).event().event_id(), "b3");
  EXPECT_EQ(bob.events(2).event().event_id(), "b1");
  EXPECT_FALSE(bob.events(2).event().has_price());
  EXPECT_TRUE(bob.next_page_token().empty());

  // A page at a time: the same events; what is not paged comes once.
  std::vector<std::string> paged;
  std::string token;
  for (int page = 0; page < 5; ++page) {
    const v1::UserExport p = Export("bob", 1, token);
    EXPECT_EQ(p.trained_size(), page == 0 ? 2 : 0);
    EXPECT_EQ(p.has_segment(), page == 0);
    for (const auto& e : p.events()) paged.push_back(e.event().event_id());
    token = p.next_page_token();
    if (token.empty()) break;
  }
  EXPECT_EQ(paged, (std::vector<std::string>{"b2", "b3", "b1"}));

  // Someone the server holds nothing about.
  const v1::UserExport zoe = Export("zoe");
  EXPECT_FALSE(zoe.found());
  EXPECT_FALSE(zoe.has_model_vector());
  EXPECT_FALSE(zoe.has_segment());
  EXPECT_EQ(zoe.trained_size(), 0);
  EXPECT_EQ(zoe.events_size(), 0);

  // Bad requests name their field.
  struct Bad {
    std::string user, token;
    int page_size;
    std::string field;
  };
  for (const Bad& b :
       {Bad{"", "", 0, "user_id"}, Bad{"bob", "", -1, "page_size"},
        Bad{"bob", "", 10001, "page_size"}, Bad{"bob", "300", 0, "page_token"},
        Bad{"bob", "300:0", 0, "page_token"}}) {
    v1::ExportUserRequest req;
    req.set_user_id(b.user);
    req.set_page_token(b.token);
    req.set_page_size(b.page_size);
    v1::UserExport out;
    grpc::Status st = Export(req, &out);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << b.field;
    EXPECT_THAT(st.error_message(), HasSubstr(b.field));
  }
}

TEST_F(AdminTest, ExportUserWithoutASnapshotHasTheEvents) {
  StartServer();  // nothing published
  v1::RecordEventsRequest record;
  *record.add_events() = MakeEvent("z1", "zoe", "A", v1::EVENT_TYPE_VIEW);
  grpc::ClientContext ctx;
  v1::RecordEventsResponse resp;
  ASSERT_TRUE(stub_->RecordEvents(&ctx, record, &resp).ok());
  const v1::UserExport zoe = Export("zoe");
  EXPECT_TRUE(zoe.found());
  EXPECT_EQ(zoe.model_version(), "");
  EXPECT_FALSE(zoe.has_segment());
  ASSERT_EQ(zoe.events_size(), 1);
  EXPECT_EQ(zoe.events(0).event().event_id(), "z1");
}

}  // namespace
}  // namespace tailor
