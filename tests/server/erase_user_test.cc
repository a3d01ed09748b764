// Admin.EraseUser through a real server on port 0: what the answer says,
// what every other method answers afterwards, a rollback to a snapshot
// trained before the erasure, a restart, and the bytes of the data
// directory.
#include <filesystem>
#include <fstream>
#include <iterator>

#include "gmock/gmock.h"
#include "tailor/v1/admin.grpc.pb.h"
#include "tests/customer_records.h"
#include "tests/server/server_fixture.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;

// TinySnapshot with customer records for alice and bob (bob, user 1, has
// an RFM segment) under `version`.
Snapshot WithCustomers(const std::string& version) {
  Snapshot s = TinySnapshot();
  s.version = version;
  s.segments = testing::MakeCustomerSegments({"alice", "bob"}, 1);
  s.segments.users = s.model.users;
  return s;
}

// Whether any file under `dir` holds `needle`.
bool AnyFileHolds(const std::string& dir, const std::string& needle) {
  return !testing::FilesHolding(dir, needle).empty();
}

class EraseUserTest : public ServerTest {
 protected:
  // Points the fixture's channel and stub at the server on `port`.
  void Use(int port) {
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::Recommender::NewStub(channel_);
  }
  grpc::Status Erase(const std::string& user, v1::UserErasure* out) {
    grpc::ClientContext ctx;
    v1::EraseUserRequest req;
    req.set_user_id(user);
    return v1::Admin::NewStub(channel_)->EraseUser(&ctx, req, out);
  }
  v1::RecordEventsResponse Record(const std::vector<v1::Event>& events) {
    v1::RecordEventsRequest req;
    for (const v1::Event& e : events) *req.add_events() = e;
    grpc::ClientContext ctx;
    v1::RecordEventsResponse resp;
    grpc::Status s = stub_->RecordEvents(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  grpc::Status Segment(const std::string& user, v1::Segment* out) {
    grpc::ClientContext ctx;
    v1::GetSegmentRequest req;
    req.set_user_id(user);
    return stub_->GetSegment(&ctx, req, out);
  }
  std::vector<std::string> Audience() {
    v1::TargetAudienceRequest req;
    req.set_page_size(100);
    grpc::ClientContext ctx;
    v1::TargetAudienceResponse resp;
    grpc::Status s = stub_->TargetAudience(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<std::string> ids;
    for (const auto& m : resp.members()) ids.push_back(m.user_id());
    return ids;
  }
  v1::UserExport Export(const std::string& user) {
    grpc::ClientContext ctx;
    v1::ExportUserRequest req;
    req.set_user_id(user);
    v1::UserExport out;
    grpc::Status s = v1::Admin::NewStub(channel_)->ExportUser(&ctx, req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  v1::ModelInfo Info() {
    grpc::ClientContext ctx;
    v1::ModelInfo info;
    EXPECT_TRUE(v1::Admin::NewStub(channel_)
                    ->GetModelInfo(&ctx, v1::GetModelInfoRequest(), &info)
                    .ok());
    return info;
  }
  // What the server holds of `user` shows nowhere: the unknown visitor's
  // recommendations, no segment, no audience, nothing to export.
  void ExpectNoTrace(const std::string& user) {
    v1::RecommendResponse as_user = Ask(user, 3);
    v1::RecommendResponse stranger = Ask("never-seen", 3);
    // Every answer has its own id; the rest is the same.
    EXPECT_NE(as_user.recommendation_id(), stranger.recommendation_id());
    as_user.clear_recommendation_id();
    stranger.clear_recommendation_id();
    EXPECT_EQ(as_user.SerializeAsString(), stranger.SerializeAsString());
    v1::Segment segment;
    EXPECT_EQ(Segment(user, &segment).error_code(),
              grpc::StatusCode::NOT_FOUND);
    EXPECT_THAT(Audience(), ::testing::Not(::testing::Contains(user)));
    const v1::UserExport held = Export(user);
    EXPECT_FALSE(held.found());
    EXPECT_FALSE(held.has_model_vector());
    EXPECT_EQ(held.events_size(), 0);
    EXPECT_EQ(held.trained_size(), 0);
  }
};

TEST_F(EraseUserTest, NothingOfThemIsServedStoredOrRecordedAfterwards) {
  Publish(WithCustomers("00000001"));
  StartServer();
  const v1::RecordEventsResponse recorded =
      Record({MakeEvent("b1", "bob", "C", v1::EVENT_TYPE_PURCHASE),
              MakeEvent("b2", "bob", "D", v1::EVENT_TYPE_VIEW),
              MakeEvent("a1", "alice", "C", v1::EVENT_TYPE_VIEW)});
  ASSERT_EQ(recorded.recorded(), 3);
  // Bob is served as himself before: his purchase of A is left out.
  EXPECT_THAT(Ids("bob", 6), ::testing::Not(::testing::Contains("A")));
  EXPECT_THAT(Audience(), ::testing::Contains("bob"));
  EXPECT_TRUE(AnyFileHolds(dir_.Join("data"), "bob"));

  v1::UserErasure erased;
  grpc::Status s = Erase("bob", &erased);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(erased.user_id(), "bob");
  EXPECT_FALSE(erased.already_erased());
  EXPECT_EQ(erased.events(), 2);
  EXPECT_TRUE(erased.history());
  EXPECT_TRUE(erased.customer_record());
  EXPECT_TRUE(erased.model_vector());
  EXPECT_EQ(erased.model_version(), "00000001");
  EXPECT_TRUE(erased.files_purged());

  ExpectNoTrace("bob");
  EXPECT_EQ(Info().users(), 1);  // the serving model was rebuilt without him
  EXPECT_FALSE(AnyFileHolds(dir_.Join("data"), "bob"));
  // Alice keeps everything.
  EXPECT_TRUE(Export("alice").found());
  EXPECT_EQ(Export("alice").events_size(), 1);

  // His events are refused from now on, and named as such.
  const v1::RecordEventsResponse refused =
      Record({MakeEvent("b3", "bob", "E", v1::EVENT_TYPE_VIEW),
              MakeEvent("a2", "alice", "E", v1::EVENT_TYPE_VIEW)});
  EXPECT_EQ(refused.recorded(), 1);
  EXPECT_EQ(refused.invalid(), 1);
  EXPECT_EQ(refused.results(0).status(), v1::EventResult::STATUS_INVALID);
  EXPECT_THAT(refused.results(0).error(), HasSubstr("erased"));
  EXPECT_THAT(refused.results(0).error(), HasSubstr("user_id"));
  ExpectNoTrace("bob");

  // Again: it succeeds and says so.
  v1::UserErasure again;
  ASSERT_TRUE(Erase("bob", &again).ok());
  EXPECT_TRUE(again.already_erased());
  EXPECT_EQ(again.events(), 0);
  EXPECT_FALSE(again.model_vector());
  // Someone never seen.
  v1::UserErasure unknown;
  ASSERT_TRUE(Erase("zoe", &unknown).ok());
  EXPECT_FALSE(unknown.already_erased());
  EXPECT_EQ(unknown.events(), 0);
  EXPECT_FALSE(unknown.history());
  EXPECT_FALSE(unknown.customer_record());
  EXPECT_FALSE(unknown.model_vector());

  // A bad request names its field.
  v1::UserErasure bad;
  s = Erase("", &bad);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("user_id"));

  // After a restart: the same.
  StopServer();
  StartServer();
  ExpectNoTrace("bob");
  EXPECT_EQ(
      Record({MakeEvent("b4", "bob", "E", v1::EVENT_TYPE_VIEW)}).invalid(), 1);
}

TEST_F(EraseUserTest, ARollbackToASnapshotTrainedBeforeServesNoTrace) {
  Publish(WithCustomers("00000001"));
  Publish(WithCustomers("00000002"));
  StartServer();
  EXPECT_EQ(Info().version(), "00000002");
  v1::UserErasure erased;
  ASSERT_TRUE(Erase("bob", &erased).ok());
  ExpectNoTrace("bob");

  // Version 1 was trained with bob (its files still hold him).
  grpc::ClientContext ctx;
  v1::ModelInfo info;
  ASSERT_TRUE(v1::Admin::NewStub(channel_)
                  ->Rollback(&ctx, v1::RollbackRequest(), &info)
                  .ok());
  EXPECT_EQ(info.version(), "00000001");
  EXPECT_EQ(info.users(), 1);
  ExpectNoTrace("bob");
  EXPECT_FALSE(AnyFileHolds(dir_.Join("data"), "bob"));
  // Alice is served from her row as before.
  EXPECT_EQ(Ids("alice", 2), (std::vector<std::string>{"A", "B"}));
}

TEST_F(EraseUserTest, WithoutASnapshotTheStoreIsErased) {
  StartServer();
  ASSERT_EQ(
      Record({MakeEvent("b1", "bob", "C", v1::EVENT_TYPE_VIEW)}).recorded(), 1);
  v1::UserErasure erased;
  ASSERT_TRUE(Erase("bob", &erased).ok());
  EXPECT_EQ(erased.events(), 1);
  EXPECT_EQ(erased.model_version(), "");
  EXPECT_FALSE(erased.model_vector());
  EXPECT_FALSE(Export("bob").found());
  // The first snapshot loaded afterwards leaves him out.
  Publish(WithCustomers("00000001"));
  StopServer();
  StartServer();
  ExpectNoTrace("bob");
  EXPECT_EQ(Info().users(), 1);
}

TEST_F(EraseUserTest, ReadReplicasTakeTheWritersErasuresFromTheSnapshotDir) {
  Publish(WithCustomers("00000001"));
  StartServer();  // the writer
  const int writer = server_->port();
  // A read replica already serving, with a data directory of its own.
  ServerOptions options = Options();
  options.data_dir = dir_.Join("replica-data");
  options.accept_events = false;
  auto replica = TailorServer::Start(options);
  ASSERT_TRUE(replica.ok()) << replica.status();
  Use((*replica)->port());
  v1::Segment segment;
  ASSERT_TRUE(Segment("bob", &segment).ok());
  EXPECT_TRUE(AnyFileHolds(dir_.Join("replica-data"), "bob"));

  Use(writer);
  v1::UserErasure erased;
  grpc::Status s = Erase("bob", &erased);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // What the replicas read holds no id.
  std::ifstream in(dir_.Join("snapshots/ERASURES"));
  const std::string list((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  EXPECT_THAT(list, HasSubstr("tailor-erasures"));
  EXPECT_THAT(list, ::testing::Not(HasSubstr("bob")));

  // At its next poll the replica takes the erasure on.
  ASSERT_TRUE((*replica)->RefreshSnapshot().ok());
  Use((*replica)->port());
  ExpectNoTrace("bob");
  EXPECT_EQ(Info().users(), 1);
  EXPECT_FALSE(AnyFileHolds(dir_.Join("replica-data"), "bob"));
  // Replicas do not erase: the writer does.
  s = Erase("alice", &erased);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("read replica"));
  EXPECT_TRUE(Export("alice").found());

  // A replica started afterwards, with an empty data directory, never
  // imports him.
  replica->reset();
  options.data_dir = dir_.Join("replica-data-2");
  auto later = TailorServer::Start(options);
  ASSERT_TRUE(later.ok()) << later.status();
  Use((*later)->port());
  ExpectNoTrace("bob");
  EXPECT_FALSE(AnyFileHolds(dir_.Join("replica-data-2"), "bob"));
}

}  // namespace
}  // namespace tailor
