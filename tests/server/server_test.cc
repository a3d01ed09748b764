// Starts a real tailor server on port 0 and calls it through real stubs.
#include "server/server.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <thread>

#include "core/base/interactions.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "server/reflection_messages.pb.h"
#include "storage/snapshot_store.h"
#include "tailor/v1/recommender.grpc.pb.h"
#include "tests/server/server_fixture.h"
#include "tests/test_util.h"

namespace tailor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::TempDir;

TEST_F(ServerTest, KnownUserGetsAPersonalisedList) {
  Publish(TinySnapshot());
  StartServer();
  v1::RecommendResponse resp = Ask("alice", 3);
  EXPECT_EQ(resp.model_version(), "00000001");
  EXPECT_FALSE(resp.fallback_used());
  ASSERT_EQ(resp.items_size(), 3);
  EXPECT_EQ(resp.items(0).item_id(), "A");
  EXPECT_FLOAT_EQ(resp.items(0).score(), 6.0f);
  EXPECT_EQ(resp.items(0).reason(), v1::REASON_PERSONALIZED);
  EXPECT_EQ(resp.items(0).info().title(), "Wool Coat");
  EXPECT_EQ(resp.items(0).info().price(), 149.99);
  EXPECT_THAT(resp.items(0).info().sizes(), ElementsAre("S", "M"));
  EXPECT_FALSE(resp.items(1).has_info());  // B is not in the catalog
  EXPECT_EQ(Ids("alice"), (std::vector<std::string>{"A", "B", "C"}));
}

TEST_F(ServerTest, DefaultCountIsTen) {
  Publish(TinySnapshot());
  StartServer();
  v1::RecommendRequest req;
  req.set_user_id("stranger");
  v1::RecommendResponse resp;
  ASSERT_TRUE(Call(req, &resp).ok());
  EXPECT_EQ(resp.items_size(), 6);  // the whole catalog: fewer than 10
}

TEST_F(ServerTest, UnknownUserGetsPopularItemsNotAnError) {
  Publish(TinySnapshot());
  StartServer();
  v1::RecommendRequest req;
  req.set_user_id("new-visitor-\xF0\x9F\x91\x97");
  req.set_count(2);
  v1::RecommendResponse resp;
  ASSERT_TRUE(Call(req, &resp).ok());
  EXPECT_TRUE(resp.fallback_used());
  ASSERT_EQ(resp.items_size(), 2);
  EXPECT_EQ(resp.items(0).item_id(), "F");
  EXPECT_EQ(resp.items(0).reason(), v1::REASON_POPULAR);
  EXPECT_EQ(resp.items(1).item_id(), "E");
}

TEST_F(ServerTest, ExcludeSeenDropsPurchasedItemsOnly) {
  Publish(TinySnapshot());
  StartServer();
  // bob purchased A (excluded by default) and only viewed B (still shown).
  EXPECT_EQ(Ids("bob"), (std::vector<std::string>{"B", "C", "D"}));
  EXPECT_EQ(Ids("bob", 3, true), (std::vector<std::string>{"B", "C", "D"}));
  EXPECT_EQ(Ids("bob", 3, false), (std::vector<std::string>{"A", "B", "C"}));
}

// What counts as had: the snapshot's rule (by default purchases net of
// returns, and ratings) over training's history and the events recorded
// since, widened per request.
TEST_F(ServerTest, TheConsumptionRuleDecidesWhatIsSeen) {
  Snapshot s = TinySnapshot();
  // bob purchased A and rated B in training.
  s.history.flags = {kInteracted | kPurchased | TypeFlag(EventType::kPurchase),
                     kInteracted | TypeFlag(EventType::kRating)};
  Publish(s);
  StartServer();
  EXPECT_EQ(Ids("bob"), (std::vector<std::string>{"C", "D", "E"}));
  // alice rates A and puts B in her cart after the snapshot.
  v1::RecordEventsRequest record;
  v1::Event rating = MakeEvent("r1", "alice", "A", v1::EVENT_TYPE_RATING);
  rating.set_rating(5);
  *record.add_events() = rating;
  *record.add_events() =
      MakeEvent("c1", "alice", "B", v1::EVENT_TYPE_ADD_TO_CART);
  {
    grpc::ClientContext ctx;
    v1::RecordEventsResponse resp;
    ASSERT_TRUE(stub_->RecordEvents(&ctx, record, &resp).ok());
  }
  EXPECT_EQ(Ids("alice"), (std::vector<std::string>{"B", "C", "D"}));
  v1::RecommendRequest req;
  req.set_user_id("alice");
  req.set_count(3);
  req.add_also_exclude_types(v1::EVENT_TYPE_ADD_TO_CART);
  EXPECT_EQ(IdsOf(req), (std::vector<std::string>{"C", "D", "E"}));
  req.set_exclude_seen(false);  // the widening goes with exclude_seen
  EXPECT_EQ(IdsOf(req), (std::vector<std::string>{"A", "B", "C"}));

  // A snapshot whose rule is purchases only: ratings leave items in.
  StopServer();
  s.online.consumed = TypeFlag(EventType::kPurchase);
  Publish(s);
  StartServer();
  EXPECT_EQ(Ids("bob"), (std::vector<std::string>{"B", "C", "D"}));
  EXPECT_EQ(Ids("alice"), (std::vector<std::string>{"A", "B", "C"}));
}

TEST_F(ServerTest, ExcludeItemIdsAreNeverReturned) {
  Publish(TinySnapshot());
  StartServer();
  v1::RecommendRequest req;
  req.set_user_id("alice");
  req.set_count(3);
  req.add_exclude_item_ids("B");
  req.add_exclude_item_ids("not-in-catalog");
  req.add_exclude_item_ids("D");
  v1::RecommendResponse resp;
  ASSERT_TRUE(Call(req, &resp).ok());
  std::vector<std::string> ids;
  for (const auto& i : resp.items()) ids.push_back(i.item_id());
  EXPECT_EQ(ids, (std::vector<std::string>{"A", "C", "E"}));
  req.set_user_id("stranger");  // the fallback honours exclusions too
  ASSERT_TRUE(Call(req, &resp).ok());
  ids.clear();
  for (const auto& i : resp.items()) ids.push_back(i.item_id());
  EXPECT_EQ(ids, (std::vector<std::string>{"F", "E", "C"}));
}

TEST_F(ServerTest, EveryInvalidArgumentNamesItsField) {
  Publish(TinySnapshot());
  StartServer();
  struct Case {
    std::function<void(v1::RecommendRequest*)> mutate;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](auto* r) { r->set_user_id(""); }, "user_id: must not be empty"},
      {[](auto* r) { r->set_user_id(std::string(129, 'u')); },
       "user_id: is 129 bytes long, the limit is 128"},
      {[](auto* r) { r->set_count(0); },
       "count: must be between 1 and 1000, got 0"},
      {[](auto* r) { r->set_count(-5); },
       "count: must be between 1 and 1000, got -5"},
      {[](auto* r) { r->set_count(1001); },
       "count: must be between 1 and 1000, got 1001"},
      {[](auto* r) {
         r->add_exclude_item_ids("ok");
         r->add_exclude_item_ids("");
       },
       "exclude_item_ids[1]: must not be empty"},
      {[](auto* r) { r->add_exclude_item_ids(std::string(200, 'i')); },
       "exclude_item_ids[0]: is 200 bytes long, the limit is 128"},
      {[](auto* r) {
         for (int i = 0; i < 1001; ++i)
           r->add_exclude_item_ids(std::string("x"));
       },
       "exclude_item_ids: has 1001 entries, the limit is 1000"},
      {[](auto* r) { r->add_also_exclude_types(v1::EVENT_TYPE_RETURN); },
       "also_exclude_types[0]: a return does not make an item had "
       "(purchases count net of returns)"},
      {[](auto* r) {
         r->add_also_exclude_types(v1::EVENT_TYPE_ADD_TO_CART);
         r->add_also_exclude_types(static_cast<v1::EventType>(42));
       },
       "also_exclude_types[1]: 42 is not an event type (view, click, "
       "add_to_cart, purchase, return, rating)"},
      {[](auto* r) {
         r->add_also_exclude_types(v1::EVENT_TYPE_CLICK);
         r->add_also_exclude_types(v1::EVENT_TYPE_CLICK);
       },
       "also_exclude_types[1]: click is named twice"},
  };
  for (const Case& c : cases) {
    v1::RecommendRequest req;
    req.set_user_id("alice");
    c.mutate(&req);
    v1::RecommendResponse resp;
    grpc::Status s = Call(req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.message;
    EXPECT_EQ(s.error_message(), c.message);
  }
  // The server is still fine afterwards.
  EXPECT_EQ(Ids("alice").size(), 3u);
}

TEST_F(ServerTest, NonUtf8IdsAreInvalidArguments) {
  Publish(TinySnapshot());
  StartServer();
  for (int field = 0; field < 2; ++field) {
    v1::RecommendRequest req;
    req.set_user_id(field == 0 ? "bad\xFF\xFEid" : "alice");
    if (field == 1) req.add_exclude_item_ids("\xC3\x28");
    v1::RecommendResponse resp;
    grpc::Status s = Call(req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(),
                HasSubstr(field == 0 ? "user_id" : "exclude_item_ids[0]"));
    EXPECT_THAT(s.error_message(), HasSubstr("UTF-8"));
  }
  EXPECT_EQ(Ids("alice").size(), 3u);
}

TEST_F(ServerTest, HealthIsServingOnceAModelIsLoaded) {
  StartServer();  // nothing published yet
  EXPECT_EQ(Health(""), "NOT_SERVING");
  EXPECT_EQ(Health("tailor.v1.Recommender"), "NOT_SERVING");
  EXPECT_EQ(Health(kLivenessService), "SERVING");
  v1::RecommendRequest req;
  req.set_user_id("alice");
  v1::RecommendResponse resp;
  grpc::Status s = Call(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(s.error_message(), HasSubstr("no model loaded"));

  Publish(TinySnapshot());
  ASSERT_TRUE(server_->RefreshSnapshot().ok());
  EXPECT_EQ(Health(""), "SERVING");
  EXPECT_EQ(Health("tailor.v1.Recommender"), "SERVING");
  EXPECT_EQ(Health(kLivenessService), "SERVING");
  EXPECT_EQ(Ids("alice").size(), 3u);
}

// What a Kubernetes liveness probe asks stays SERVING while readiness
// turns NOT_SERVING for the drain.
TEST_F(ServerTest, LivenessStaysServingThroughTheDrain) {
  Publish(TinySnapshot());
  StartServer();
  std::thread drain(
      [&] { server_->Drain(absl::Milliseconds(800), absl::Seconds(1)); });
  std::string ready = "SERVING";
  for (int i = 0; i < 50 && ready == "SERVING"; ++i) {
    ready = Health("");
    if (ready == "SERVING") {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  EXPECT_EQ(ready, "NOT_SERVING");
  EXPECT_EQ(Health("tailor.v1.Recommender"), "NOT_SERVING");
  EXPECT_EQ(Health(kLivenessService), "SERVING");
  drain.join();
}

TEST_F(ServerTest, RestartedServerAnswersTheSame) {
  Publish(TinySnapshot());
  StartServer();
  const auto before = Ids("bob", 5);
  StopServer();
  // A newer snapshot without any history: bob's purchase of A can now only
  // come from what the first server stored in RocksDB.
  Snapshot no_history = TinySnapshot();
  no_history.history = TrainingHistory();
  Publish(no_history);
  StartServer();
  EXPECT_EQ(Ask("bob", 1).model_version(), "00000002");
  EXPECT_EQ(Ids("bob", 5), before);
  EXPECT_EQ(before, (std::vector<std::string>{"B", "C", "D", "E", "F"}));
}

TEST_F(ServerTest, NewSnapshotIsPickedUpAndACorruptOneIsRejected) {
  Publish(TinySnapshot());
  StartServer();
  Publish(TinySnapshot(2.0f));
  ASSERT_TRUE(server_->RefreshSnapshot().ok());
  v1::RecommendResponse resp = Ask("alice", 1);
  EXPECT_EQ(resp.model_version(), "00000002");
  EXPECT_FLOAT_EQ(resp.items(0).score(), 12.0f);

  Publish(TinySnapshot(3.0f));
  std::filesystem::resize_file(dir_.Join("snapshots/00000003/item_factors"),
                               30);
  absl::Status refreshed = server_->RefreshSnapshot();
  EXPECT_EQ(refreshed.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(refreshed.message(), HasSubstr("item_factors"));
  EXPECT_EQ(Ask("alice", 1).model_version(), "00000002");
  EXPECT_EQ(Health(""), "SERVING");
  EXPECT_EQ(server_->snapshot_failures(), 1);
  // Asked again, the rejected version is not loaded (nor counted) again.
  EXPECT_EQ(server_->RefreshSnapshot().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(server_->snapshot_failures(), 1);
}

TEST_F(ServerTest, ASnapshotDirectoryThatDisappearsLeavesTheModelServing) {
  Publish(TinySnapshot());
  StartServer();
  std::filesystem::remove_all(dir_.Join("snapshots"));
  absl::Status refreshed = server_->RefreshSnapshot();
  EXPECT_EQ(refreshed.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(refreshed.message(), HasSubstr("still serving 00000001"));
  EXPECT_EQ(server_->snapshot_failures(), 1);
  EXPECT_EQ(Ask("alice", 1).model_version(), "00000001");
  EXPECT_EQ(Health(""), "SERVING");
  // A directory that cannot be read: the same.
  std::filesystem::create_directories(dir_.Join("snapshots/CURRENT"));
  refreshed = server_->RefreshSnapshot();
  EXPECT_FALSE(refreshed.ok());
  EXPECT_THAT(refreshed.message(), HasSubstr("still serving 00000001"));
  EXPECT_EQ(server_->snapshot_failures(), 2);
  EXPECT_EQ(Ask("alice", 1).model_version(), "00000001");
  // Published again (the versions start again at 1), the new one is
  // picked up.
  std::filesystem::remove_all(dir_.Join("snapshots"));
  Publish(TinySnapshot());
  Publish(TinySnapshot(2.0f));
  ASSERT_TRUE(server_->RefreshSnapshot().ok());
  EXPECT_EQ(Ask("alice", 1).model_version(), "00000002");
}

TEST_F(ServerTest, ReflectionListsAndDescribesTheServices) {
  Publish(TinySnapshot());
  StartServer();
  namespace refl = tailor::testing::reflection;
  // What a generated stub does: open the standard bidi-streaming method.
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReaderWriter<refl::ServerReflectionRequest,
                                           refl::ServerReflectionResponse>>
      stream(grpc::internal::ClientReaderWriterFactory<
             refl::ServerReflectionRequest, refl::ServerReflectionResponse>::
                 Create(channel_.get(),
                        grpc::internal::RpcMethod(
                            "/grpc.reflection.v1alpha.ServerReflection/"
                            "ServerReflectionInfo",
                            grpc::internal::RpcMethod::BIDI_STREAMING),
                        &ctx));
  refl::ServerReflectionRequest req;
  req.set_list_services("");
  ASSERT_TRUE(stream->Write(req));
  refl::ServerReflectionResponse resp;
  ASSERT_TRUE(stream->Read(&resp));
  std::vector<std::string> names;
  for (const auto& s : resp.list_services_response().service()) {
    names.push_back(s.name());
  }
  EXPECT_THAT(names, ::testing::IsSupersetOf(
                         {"tailor.v1.Recommender", "grpc.health.v1.Health"}));
  // What grpcurl does next: fetch the descriptor of the service's file.
  req.set_file_containing_symbol("tailor.v1.Recommender");
  ASSERT_TRUE(stream->Write(req));
  ASSERT_TRUE(stream->Read(&resp));
  ASSERT_GE(resp.file_descriptor_response().file_descriptor_proto_size(), 1);
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(file.ParseFromString(
      resp.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(file.package(), "tailor.v1");
  ASSERT_EQ(file.service_size(), 1);
  EXPECT_EQ(file.service(0).method(0).name(), "RecommendFor");
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

// Concurrent callers of RecommendFor and GetSegment all get their answers
// and their errors, and the server shuts down cleanly while calls are in
// flight.
TEST_F(ServerTest, ConcurrentCallersGetAnswersAndTheServerStopsCleanly) {
  Publish(TinySnapshot());
  StartServer();
  std::atomic<int> answered{0}, invalid{0}, wrong{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 6; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
        if ((t + i) % 4 == 0) {
          v1::GetSegmentRequest req;  // no user_id
          v1::Segment resp;
          const grpc::Status s = stub_->GetSegment(&ctx, req, &resp);
          const bool named =
              s.error_code() == grpc::StatusCode::INVALID_ARGUMENT &&
              s.error_message().find("user_id") != std::string::npos;
          (named ? invalid : wrong)++;
          continue;
        }
        v1::RecommendRequest req;
        req.set_user_id("alice");
        req.set_count(2);
        v1::RecommendResponse resp;
        const grpc::Status s = stub_->RecommendFor(&ctx, req, &resp);
        const bool right = s.ok() && resp.items_size() == 2 &&
                           resp.items(0).item_id() == "A" &&
                           resp.items(1).item_id() == "B";
        (right ? answered : wrong)++;
      }
    });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(answered.load(), 180);
  EXPECT_EQ(invalid.load(), 60);
  EXPECT_EQ(wrong.load(), 0);

  // Callers keep calling while the server stops: each call gets an answer
  // or an error, and neither side hangs.
  std::atomic<bool> stop{false};
  std::atomic<int> calls{0};
  callers.clear();
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&] {
      auto stub = v1::Recommender::NewStub(channel_);
      while (!stop.load()) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
        v1::RecommendRequest req;
        req.set_user_id("bob");
        v1::RecommendResponse resp;
        stub->RecommendFor(&ctx, req, &resp);
        ++calls;
      }
    });
  }
  while (calls.load() < 50) std::this_thread::yield();
  server_->Shutdown(absl::Seconds(1));
  server_.reset();
  stop = true;
  for (std::thread& t : callers) t.join();
  EXPECT_GE(calls.load(), 50);
}

TEST(ServerStartTest, BadOptionsAreClearErrors) {
  TempDir dir;
  ServerOptions options;
  options.address = "127.0.0.1:0";
  options.data_dir = dir.Join("data");
  EXPECT_EQ(TailorServer::Start(options).status().message(),
            "snapshot_dir: must be set");
  options.snapshot_dir = dir.Join("snaps");
  options.require_snapshot = true;
  EXPECT_EQ(TailorServer::Start(options).status().code(),
            absl::StatusCode::kNotFound);
  options.require_snapshot = false;
  options.calls.max_in_flight = {{"Recommend", 4}};
  EXPECT_EQ(TailorServer::Start(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.calls.max_in_flight = {{"RecommendFor", 4}};
  {
    auto server = TailorServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    EXPECT_EQ((*server)->calls().Stats(CallMethod::kRecommendFor).limit, 4);
  }
  options.address = "not an address";
  options.allow_insecure = true;  // else refused as not loopback, unprotected
  EXPECT_EQ(TailorServer::Start(options).status().code(),
            absl::StatusCode::kUnavailable);
}

// Items A..F with 2-d embeddings in different directions (F all zero) and
// bought-together rules {A} -> C (lift 3), {A} -> B (lift 2), {A, B} -> D
// (lift 5).
Snapshot RelatedItemsSnapshot() {
  Snapshot s = TinySnapshot();
  s.model.item_factors << 1, 0, 0.9f, 0.1f, 0, 1, 0.1f, 0.9f, -1, 0, 0, 0;
  s.rules.num_baskets = 50;
  s.rules.rules = {{{0}, 2, 6, 0.6f, 3.0f},
                   {{0}, 1, 4, 0.4f, 2.0f},
                   {{0, 1}, 3, 3, 0.75f, 5.0f}};
  return s;
}

class RelatedItemsTest : public ServerTest {
 protected:
  grpc::Status Similar(const std::string& item, int count,
                       v1::SimilarItemsResponse* resp) {
    v1::SimilarItemsRequest req;
    req.set_item_id(item);
    req.set_count(count);
    grpc::ClientContext ctx;
    return stub_->SimilarItems(&ctx, req, resp);
  }
  grpc::Status Together(const std::vector<std::string>& items,
                        v1::BoughtTogetherResponse* resp) {
    v1::BoughtTogetherRequest req;
    for (const auto& id : items) req.add_item_ids(id);
    grpc::ClientContext ctx;
    return stub_->BoughtTogether(&ctx, req, resp);
  }
};

TEST_F(RelatedItemsTest, SimilarItemsAreRankedByCosine) {
  Publish(RelatedItemsSnapshot());
  StartServer();
  v1::SimilarItemsResponse resp;
  ASSERT_TRUE(Similar("A", 10, &resp).ok());
  std::vector<std::string> ids;
  for (const auto& item : resp.items()) ids.push_back(item.item_id());
  // Never A itself, never the zero-embedding F.
  EXPECT_EQ(ids, (std::vector<std::string>{"B", "D", "C", "E"}));
  EXPECT_NEAR(resp.items(0).score(), 0.9 / std::sqrt(0.82), 1e-5);
  EXPECT_NEAR(resp.items(3).score(), -1.0, 1e-6);
  EXPECT_EQ(resp.items(0).reason(), v1::REASON_SIMILAR);
  EXPECT_EQ(resp.model_version(), "00000001");
  ASSERT_TRUE(Similar("F", 3, &resp).ok());
  EXPECT_EQ(resp.items_size(), 0);

  grpc::Status s = Similar("nope", 3, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("item_id: 'nope'"));
  s = Similar("", 3, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("item_id"));
  s = Similar("A", 0, &resp);
  EXPECT_EQ(s.error_message(), "count: must be between 1 and 1000, got 0");
}

TEST_F(RelatedItemsTest, BoughtTogetherExplainsEachItem) {
  Publish(RelatedItemsSnapshot());
  StartServer();
  v1::BoughtTogetherResponse resp;
  ASSERT_TRUE(Together({"A"}, &resp).ok());
  ASSERT_EQ(resp.items_size(), 2);
  EXPECT_EQ(resp.items(0).item().item_id(), "C");
  EXPECT_EQ(resp.items(1).item().item_id(), "B");
  const v1::RuleEvidence& ev = resp.items(0).evidence();
  EXPECT_THAT(ev.antecedent_item_ids(), ::testing::ElementsAre("A"));
  EXPECT_EQ(ev.baskets_together(), 6);
  EXPECT_EQ(ev.baskets_total(), 50);
  EXPECT_FLOAT_EQ(ev.lift(), 3.0f);
  EXPECT_EQ(resp.items(0).item().reason(), v1::REASON_BOUGHT_TOGETHER);
  // A cart with A and B: the pair rule ranks D first; B is in the cart; an
  // unknown id contributes nothing.
  ASSERT_TRUE(Together({"B", "unknown", "A"}, &resp).ok());
  ASSERT_EQ(resp.items_size(), 2);
  EXPECT_EQ(resp.items(0).item().item_id(), "D");
  EXPECT_EQ(resp.items(1).item().item_id(), "C");
  EXPECT_EQ(resp.items(1).item().info().title(), "");  // C not in catalog
  ASSERT_TRUE(Together({"F"}, &resp).ok());
  EXPECT_EQ(resp.items_size(), 0);

  grpc::Status s = Together({}, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "item_ids: at least one is required");
  s = Together({"A", "\xC3\x28"}, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("item_ids[1]"));
  EXPECT_THAT(s.error_message(), HasSubstr("UTF-8"));
  s = Together(std::vector<std::string>(101, "A"), &resp);
  EXPECT_EQ(s.error_message(), "item_ids: has 101 entries, the limit is 100");
}

}  // namespace
}  // namespace tailor
