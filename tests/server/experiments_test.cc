// Experiment definitions through a real server on port 0: create, list,
// get, stop and archive; every bad definition refused naming the field with
// nothing stored; definitions surviving a restart and a snapshot swap; a
// read replica listing but not changing them.
#include "gmock/gmock.h"
#include "server/experiment_book.h"
#include "server/experiment_messages.h"
#include "storage/memory_state_store.h"
#include "tailor/v1/admin.grpc.pb.h"
#include "tests/server/server_fixture.h"
#include "tools/cli/client.h"
#include "tools/cli/results_report.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

class ExperimentsTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    Snapshot s = TinySnapshot();
    s.info = {{"algorithm", "implicit-als"}};
    Publish(s);
  }
  TailorClient Client() { return TailorClient(channel_, absl::Seconds(10)); }
  static v1::Experiment HomePage(const std::string& name = "homepage",
                                 int32_t a = 2000, int32_t b = 3000) {
    v1::Experiment e;
    e.set_name(name);
    e.set_salt(name + "-salt");
    v1::ExperimentArm* control = e.add_arms();
    control->set_name("control");
    control->set_strategy("popularity");
    control->set_share_bp(a);
    control->set_control(true);
    v1::ExperimentArm* als = e.add_arms();
    als->set_name("als");
    als->set_strategy("als");
    als->set_share_bp(b);
    return e;
  }
  std::vector<std::string> Names(bool include_archived = false) {
    auto list = Client().ListExperiments(include_archived);
    EXPECT_TRUE(list.ok()) << list.status();
    std::vector<std::string> names;
    if (list.ok()) {
      for (const v1::Experiment& e : list->experiments()) {
        names.push_back(e.name());
      }
    }
    return names;
  }
};

TEST_F(ExperimentsTest, CreateListGetStopAndArchive) {
  StartServer();
  auto created = Client().CreateExperiment(HomePage());
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->state(), v1::EXPERIMENT_STATE_RUNNING);
  EXPECT_EQ(created->layer(), "default");
  EXPECT_EQ(created->layer_begin(), 0);
  EXPECT_EQ(created->layer_end(), 5000);
  EXPECT_GT(created->start_unix(), 1700000000);
  EXPECT_EQ(created->start_unix(), created->created_unix());
  // A second one takes the next range of the layer.
  auto second = Client().CreateExperiment(HomePage("checkout", 1000, 1000));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->layer_begin(), 5000);
  // Oldest first (in the same second: by name).
  EXPECT_THAT(Names(), UnorderedElementsAre("checkout", "homepage"));

  auto got = Client().GetExperiment("homepage");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->SerializeAsString(), created->SerializeAsString());
  EXPECT_THAT(FormatExperiment(*got),
              HasSubstr("experiment homepage (running)"));
  EXPECT_EQ(Client().GetExperiment("nope").status().code(),
            absl::StatusCode::kNotFound);

  // Archiving a running experiment is refused; stop, then archive.
  EXPECT_THAT(Client().ArchiveExperiment("homepage").status().message(),
              HasSubstr("stop it first"));
  auto stopped = Client().StopExperiment("homepage");
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_EQ(stopped->state(), v1::EXPERIMENT_STATE_STOPPED);
  EXPECT_GT(stopped->stopped_unix(), 0);
  auto again = Client().StopExperiment("homepage");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->stopped_unix(), stopped->stopped_unix());
  auto archived = Client().ArchiveExperiment("homepage");
  ASSERT_TRUE(archived.ok()) << archived.status();
  EXPECT_EQ(archived->state(), v1::EXPERIMENT_STATE_ARCHIVED);
  EXPECT_EQ(Names(), (std::vector<std::string>{"checkout"}));
  EXPECT_THAT(Names(true), UnorderedElementsAre("checkout", "homepage"));
  EXPECT_THAT(Client().StopExperiment("homepage").status().message(),
              HasSubstr("archived"));
  // The stopped experiment gave its buckets (0-5000) back.
  auto big = Client().CreateExperiment(HomePage("big", 2500, 2500));
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(big->layer_begin(), 0);
  EXPECT_EQ(big->layer_end(), 5000);
}

TEST_F(ExperimentsTest, BadDefinitionsAreRefusedAndNothingIsStored) {
  StartServer();
  ASSERT_TRUE(Client().CreateExperiment(HomePage()).ok());
  struct Case {
    v1::Experiment experiment;
    absl::StatusCode code;
    std::string message;
  };
  std::vector<Case> cases;
  v1::Experiment e = HomePage("x");
  e.mutable_arms()->RemoveLast();
  cases.push_back(
      {e, absl::StatusCode::kInvalidArgument, "arms: an experiment"});
  e = HomePage("x");
  e.mutable_arms(1)->set_strategy("magic");
  cases.push_back({e, absl::StatusCode::kInvalidArgument,
                   "arms[1].strategy: 'magic' is not one of the served "
                   "strategies (als, item-neighbours, popularity, "
                   "segment-popularity)"});
  e = HomePage("x", 6000, 5000);
  cases.push_back(
      {e, absl::StatusCode::kInvalidArgument, "the shares sum to 11000"});
  e = HomePage("x");
  e.set_start_unix(2000000000);
  e.set_end_unix(1900000000);
  cases.push_back({e, absl::StatusCode::kInvalidArgument, "end_unix"});
  e = HomePage("x");
  e.set_eligibility(static_cast<v1::ExperimentEligibility>(9));
  cases.push_back({e, absl::StatusCode::kInvalidArgument, "eligibility: 9"});
  e = HomePage("x");
  e.set_salt("homepage-salt");
  cases.push_back({e, absl::StatusCode::kFailedPrecondition,
                   "salt: 'homepage-salt' was experiment 'homepage's"});
  cases.push_back({HomePage(), absl::StatusCode::kFailedPrecondition,
                   "experiment 'homepage' exists already"});
  cases.push_back({HomePage("x", 3000, 3000),
                   absl::StatusCode::kFailedPrecondition,
                   "layer 'default' has 5000 of 10000 buckets free"});
  e = HomePage("x");
  e.set_name("");
  cases.push_back({e, absl::StatusCode::kInvalidArgument, "name"});
  for (const Case& c : cases) {
    auto status = Client().CreateExperiment(c.experiment).status();
    EXPECT_EQ(status.code(), c.code) << c.message << ": " << status;
    EXPECT_THAT(status.message(), HasSubstr(c.message));
  }
  EXPECT_EQ(Names(true), (std::vector<std::string>{"homepage"}));
}

TEST_F(ExperimentsTest, DefinitionsSurviveARestartAndASwap) {
  StartServer();
  auto created = Client().CreateExperiment(HomePage());
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_TRUE(Client().StopExperiment("homepage").ok());
  ASSERT_TRUE(Client().CreateExperiment(HomePage("checkout")).ok());
  StopServer();
  StartServer();
  auto homepage = Client().GetExperiment("homepage");
  ASSERT_TRUE(homepage.ok()) << homepage.status();
  EXPECT_EQ(homepage->state(), v1::EXPERIMENT_STATE_STOPPED);
  EXPECT_EQ(homepage->layer_end(), 5000);
  auto checkout = Client().GetExperiment("checkout");
  ASSERT_TRUE(checkout.ok()) << checkout.status();
  EXPECT_EQ(checkout->state(), v1::EXPERIMENT_STATE_RUNNING);
  EXPECT_EQ(checkout->layer_begin(), 0);  // homepage's range, freed
  // A new snapshot changes nothing about them.
  Snapshot s = TinySnapshot(2.0f);
  s.info = {{"algorithm", "implicit-als"}};
  Publish(s);
  ASSERT_TRUE(server_->RefreshSnapshot().ok());
  EXPECT_THAT(Names(true), UnorderedElementsAre("checkout", "homepage"));
}

// A read replica follows the writer's experiments through the snapshot
// directory, assigns each shopper the arm the writer does, and forwards
// the exposures it logs to the writer, whose results count them.
TEST_F(ExperimentsTest,
       ReplicasFollowTheWritersExperimentsAndForwardExposures) {
  StartServer();  // the writer
  const std::string writer = absl::StrCat("127.0.0.1:", server_->port());
  ServerOptions options = Options();
  options.data_dir = dir_.Join("replica-data");
  options.accept_events = false;
  options.writer.address = writer;
  auto replica = TailorServer::Start(options);
  ASSERT_TRUE(replica.ok()) << replica.status();
  auto replica_channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*replica)->port()),
                          grpc::InsecureChannelCredentials());
  TailorClient at_replica(replica_channel, absl::Seconds(10));
  ASSERT_TRUE(Client().CreateExperiment(HomePage("homepage", 5000, 5000)).ok());
  // Not before its next refresh.
  EXPECT_EQ(at_replica.ListExperiments(false)->experiments_size(), 0);
  ASSERT_TRUE((*replica)->RefreshSnapshot().ok());
  auto listed = at_replica.ListExperiments(false);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->experiments_size(), 1);
  EXPECT_EQ(listed->experiments(0).name(), "homepage");
  // Still unchangeable there.
  EXPECT_EQ(at_replica.StopExperiment("homepage").status().code(),
            absl::StatusCode::kFailedPrecondition);
  // The same arm on both servers; half of the shoppers ask the replica.
  constexpr int kShoppers = 40;
  for (int u = 0; u < kShoppers; ++u) {
    const std::string user = absl::StrCat("visitor", u);
    v1::RecommendRequest req;
    req.set_user_id(user);
    req.set_count(2);
    auto from_replica = at_replica.Recommend(req);
    ASSERT_TRUE(from_replica.ok()) << from_replica.status();
    EXPECT_EQ(from_replica->experiment(), "homepage");
    if (u % 2 == 0) {
      EXPECT_EQ(Ask(user, 2).arm(), from_replica->arm()) << user;
    }
  }
  // The replica's log forwards to the writer; the replica keeps none.
  (*replica)->FlushExposures();
  auto exported = at_replica.ExportUser("visitor1");
  ASSERT_TRUE(exported.ok()) << exported.status();
  EXPECT_EQ(exported->exposures_size(), 0);
  auto at_writer = Client().ExportUser("visitor1");
  ASSERT_TRUE(at_writer.ok()) << at_writer.status();
  ASSERT_EQ(at_writer->exposures_size(), 1);
  EXPECT_EQ(at_writer->exposures(0).experiment(), "homepage");
  v1::GetExperimentResultsRequest results_request;
  results_request.set_name("homepage");
  auto results = Client().GetExperimentResults(results_request);
  ASSERT_TRUE(results.ok()) << results.status();
  int shoppers = 0, exposures = 0;
  for (const v1::ArmResults& arm : results->arms()) {
    shoppers += arm.shoppers();
    exposures += arm.exposures();
  }
  EXPECT_EQ(shoppers, kShoppers);
  EXPECT_EQ(exposures, kShoppers + kShoppers / 2);
}

// RecordExposures stores all of a batch or, for one bad exposure, none,
// naming it; a replica refuses it.
TEST_F(ExperimentsTest, RecordExposuresChecksEveryExposure) {
  StartServer();
  ASSERT_TRUE(Client().CreateExperiment(HomePage("homepage", 5000, 5000)).ok());
  auto admin = v1::Admin::NewStub(channel_);
  v1::RecordExposuresRequest req;
  for (int k = 0; k < 2; ++k) {
    v1::ForwardedExposure* f = req.add_exposures();
    f->set_user_id(absl::StrCat("shopper", k));
    v1::LoggedExposure* x = f->mutable_exposure();
    x->set_recommendation_id(std::string(31, 'a') + std::to_string(k));
    x->set_experiment("homepage");
    x->set_arm("als");
    x->set_strategy("als");
    x->set_timestamp(1700000000);
    x->set_probability(0.5);
    x->add_item_ids("A");
  }
  auto call = [&](const v1::RecordExposuresRequest& r,
                  v1::RecordExposuresResponse* out) {
    grpc::ClientContext ctx;
    return admin->RecordExposures(&ctx, r, out);
  };
  v1::RecordExposuresRequest bad = req;
  bad.mutable_exposures(1)->mutable_exposure()->set_arm("treatment");
  v1::RecordExposuresResponse resp;
  grpc::Status s = call(bad, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(),
              HasSubstr("exposures[1].arm: experiment 'homepage' has no arm "
                        "'treatment'"));
  bad = req;
  bad.mutable_exposures(0)->mutable_exposure()->set_probability(0);
  EXPECT_THAT(call(bad, &resp).error_message(),
              HasSubstr("exposures[0].probability: must be in (0, 1]"));
  bad = req;
  bad.mutable_exposures(0)->mutable_exposure()->set_experiment("other");
  EXPECT_THAT(call(bad, &resp).error_message(),
              HasSubstr("exposures[0].experiment: no experiment 'other'"));
  EXPECT_EQ(Client().ExportUser("shopper0")->exposures_size(), 0);
  // Twice: stored once.
  ASSERT_TRUE(call(req, &resp).ok());
  EXPECT_EQ(resp.stored(), 2);
  ASSERT_TRUE(call(req, &resp).ok());
  auto exported = Client().ExportUser("shopper1");
  ASSERT_TRUE(exported.ok()) << exported.status();
  ASSERT_EQ(exported->exposures_size(), 1);
  EXPECT_EQ(exported->exposures(0).recommendation_id(),
            std::string(31, 'a') + "1");
  EXPECT_EQ(exported->exposures(0).probability(), 0.5);
  // An erased shopper's are never stored again.
  ASSERT_TRUE(Client().EraseUser("shopper0").ok());
  ASSERT_TRUE(call(req, &resp).ok());
  EXPECT_EQ(resp.stored(), 1);
  EXPECT_EQ(Client().ExportUser("shopper0")->exposures_size(), 0);
  // A replica stores none.
  StopServer();
  accept_events_ = false;
  StartServer();
  admin = v1::Admin::NewStub(channel_);
  s = call(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("does not store exposures"));
}

TEST_F(ExperimentsTest, AReadReplicaListsButDoesNotChange) {
  accept_events_ = false;
  StartServer();
  EXPECT_TRUE(Names().empty());
  auto status = Client().CreateExperiment(HomePage()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("read replica"));
}

// RecommendFor: every answer carries a unique recommendation_id and the
// strategy that produced it; a request may name the strategy.
TEST_F(ExperimentsTest, AnswersNameTheirStrategyAndARequestMayChooseIt) {
  StartServer();
  v1::RecommendResponse a = Ask("alice", 3);
  v1::RecommendResponse b = Ask("alice", 3);
  EXPECT_EQ(a.strategy(), "als");
  EXPECT_TRUE(a.experiment().empty());
  EXPECT_EQ(a.recommendation_id().size(), 32u);
  EXPECT_NE(a.recommendation_id(), b.recommendation_id());
  EXPECT_EQ(a.items(0).reason(), v1::REASON_PERSONALIZED);
  v1::RecommendRequest req;
  req.set_user_id("alice");
  req.set_count(3);
  req.set_strategy("popularity");
  v1::RecommendResponse popular;
  ASSERT_TRUE(Call(req, &popular).ok());
  EXPECT_EQ(popular.strategy(), "popularity");
  EXPECT_TRUE(popular.fallback_used());
  EXPECT_EQ(popular.items(0).item_id(), "F");  // popularity: F > E > D
  EXPECT_EQ(popular.items(0).reason(), v1::REASON_POPULAR);
  req.set_strategy("magic");
  grpc::Status bad = Call(req, &popular);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(),
              HasSubstr("strategy: 'magic' is not served (this snapshot "
                        "serves als, item-neighbours, popularity, "
                        "segment-popularity)"));
  // Item neighbours: bob bought A and viewed B (all items lie on one axis,
  // A the furthest out): nearest first, A excluded as bought.
  req.set_user_id("bob");
  req.set_strategy("item-neighbours");
  v1::RecommendResponse neighbours;
  ASSERT_TRUE(Call(req, &neighbours).ok());
  EXPECT_EQ(neighbours.strategy(), "item-neighbours");
  ASSERT_EQ(neighbours.items_size(), 3);
  EXPECT_EQ(neighbours.items(0).item_id(), "B");
  EXPECT_EQ(neighbours.items(1).item_id(), "C");
  EXPECT_EQ(neighbours.items(0).reason(), v1::REASON_SIMILAR);
  // A shopper with nothing to start from gets popularity.
  req.set_user_id("stranger");
  ASSERT_TRUE(Call(req, &neighbours).ok());
  EXPECT_EQ(neighbours.items(0).item_id(), "F");
  EXPECT_EQ(neighbours.items(0).reason(), v1::REASON_POPULAR);
  // Segment popularity without clusters: popularity.
  req.set_strategy("segment-popularity");
  ASSERT_TRUE(Call(req, &neighbours).ok());
  EXPECT_EQ(neighbours.items(0).item_id(), "F");
}

// A snapshot built with recent popularity and EASE serves them too; an
// arm may name them; a snapshot without them refuses a request for them.
TEST_F(ExperimentsTest, RecentPopularityAndEaseServeWhenTheSnapshotHasThem) {
  Snapshot s = TinySnapshot();
  s.info = {{"algorithm", "implicit-als"}};
  s.model.recent_popularity = {0, 0, 5, 0, 0, 1};  // C sells now, then F
  RowMatrix ease = RowMatrix::Zero(6, 6);
  ease(0, 4) = 2;  // A's buyers take E, then D
  ease(0, 3) = 1;
  ease(1, 3) = 0.5f;  // B's D
  s.model.ease = std::make_shared<const RowMatrix>(std::move(ease));
  Publish(s);
  StartServer();
  v1::RecommendRequest req;
  req.set_user_id("bob");  // bought A, viewed B
  req.set_count(3);
  req.set_strategy("recent-popularity");
  v1::RecommendResponse recent;
  ASSERT_TRUE(Call(req, &recent).ok());
  EXPECT_EQ(recent.strategy(), "recent-popularity");
  ASSERT_EQ(recent.items_size(), 3);
  EXPECT_EQ(recent.items(0).item_id(), "C");
  EXPECT_EQ(recent.items(1).item_id(), "F");
  EXPECT_EQ(recent.items(2).item_id(), "E");  // then by popularity
  EXPECT_EQ(recent.items(0).reason(), v1::REASON_POPULAR);
  req.set_strategy("ease");
  v1::RecommendResponse ease_list;
  ASSERT_TRUE(Call(req, &ease_list).ok());
  EXPECT_EQ(ease_list.strategy(), "ease");
  EXPECT_FALSE(ease_list.fallback_used());
  ASSERT_EQ(ease_list.items_size(), 3);
  EXPECT_EQ(ease_list.items(0).item_id(), "E");  // 2
  EXPECT_EQ(ease_list.items(1).item_id(), "D");  // 1 + 0.5
  EXPECT_FLOAT_EQ(ease_list.items(1).score(), 1.5f);
  EXPECT_EQ(ease_list.items(0).reason(), v1::REASON_PERSONALIZED);
  // A shopper without history: popularity.
  req.set_user_id("stranger");
  ASSERT_TRUE(Call(req, &ease_list).ok());
  EXPECT_TRUE(ease_list.fallback_used());
  EXPECT_EQ(ease_list.items(0).item_id(), "F");
  // An arm may serve EASE.
  v1::Experiment e = HomePage("ease-test", 5000, 5000);
  e.mutable_arms(1)->set_strategy("ease");
  auto created = Client().CreateExperiment(e);
  ASSERT_TRUE(created.ok()) << created.status();
  // A snapshot without them: refused by name, and the arm falls back to
  // the model.
  Snapshot plain = TinySnapshot(2.0f);
  plain.info = {{"algorithm", "implicit-als"}};
  Publish(plain);
  ASSERT_TRUE(server_->RefreshSnapshot().ok());
  req.set_user_id("bob");
  grpc::Status refused = Call(req, &ease_list);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(),
              HasSubstr("strategy: 'ease' is not served"));
  req.set_strategy("recent-popularity");
  EXPECT_EQ(Call(req, &ease_list).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  int in_ease_arm = 0;
  for (int u = 0; u < 20; ++u) {
    const v1::RecommendResponse resp = Ask(absl::StrCat("visitor", u), 2);
    if (resp.arm() != "als") continue;  // the arm HomePage names "als"
    ++in_ease_arm;
    EXPECT_EQ(resp.strategy(), "als");
  }
  EXPECT_GT(in_ease_arm, 0);
}

// Shoppers get the arm the documented assignment gives them, the arm's
// strategy serves them, and the assignment holds across a restart; once
// the experiment stops, nobody is in it.
TEST_F(ExperimentsTest, RecommendForServesEachShoppersArm) {
  StartServer();
  auto created = Client().CreateExperiment(HomePage("homepage", 5000, 5000));
  ASSERT_TRUE(created.ok()) << created.status();
  auto experiment = ExperimentOfMessage(*created);
  ASSERT_TRUE(experiment.ok()) << experiment.status();
  experiment->state = ExperimentState::kRunning;
  experiment->layer_begin = created->layer_begin();
  experiment->layer_end = created->layer_end();
  experiment->start_unix = created->start_unix();
  std::vector<std::string> arms;
  int in_each[2] = {0, 0};
  for (int u = 0; u < 200; ++u) {
    const std::string user = absl::StrCat("visitor", u);
    const v1::RecommendResponse resp = Ask(user, 2);
    const std::optional<int> arm = AssignArm(
        *experiment, user, {.new_visitor = true}, created->start_unix() + 1);
    ASSERT_TRUE(arm.has_value());  // the whole layer, every shopper
    EXPECT_EQ(resp.experiment(), "homepage");
    EXPECT_EQ(resp.arm(), experiment->arms[*arm].name) << user;
    EXPECT_EQ(resp.strategy(), experiment->arms[*arm].strategy) << user;
    ++in_each[*arm];
    arms.push_back(resp.arm());
    if (u == 0) {
      EXPECT_THAT(
          FormatRecommendations(user, resp),
          HasSubstr(absl::StrCat("experiment homepage, arm ", resp.arm(),
                                 " (strategy ", resp.strategy(), ")")));
    }
  }
  EXPECT_GT(in_each[0], 70);
  EXPECT_GT(in_each[1], 70);
  StopServer();
  StartServer();
  for (int u = 0; u < 200; ++u) {
    EXPECT_EQ(Ask(absl::StrCat("visitor", u), 2).arm(), arms[u]);
  }
  ASSERT_TRUE(Client().StopExperiment("homepage").ok());
  const v1::RecommendResponse after = Ask("visitor0", 2);
  EXPECT_TRUE(after.experiment().empty());
  EXPECT_EQ(after.strategy(), "als");
}

// The whole loop: answers an experiment chose are logged, events carry
// their recommendation_id (an unknown one is refused), purchases of shown
// items count without one, and the results add up per arm; an erasure
// takes the shopper's exposures, a restart keeps the rest.
TEST_F(ExperimentsTest, ExposuresAttributionAndResultsThroughARealServer) {
  StartServer();
  ASSERT_TRUE(Client().CreateExperiment(HomePage("homepage", 5000, 5000)).ok());
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  struct Shown {
    std::string user;
    v1::RecommendResponse answer;
  };
  std::vector<Shown> shown;
  for (int u = 0; u < 40; ++u) {
    const std::string user = absl::StrCat("visitor", u);
    shown.push_back({user, Ask(user, 3)});
    ASSERT_EQ(shown.back().answer.experiment(), "homepage");
    ASSERT_EQ(shown.back().answer.items_size(), 3);
  }
  // Even visitors click the first item (tagged) and buy it (untagged, at
  // 20); visitor 2 buys an item nobody showed them; the odd do nothing.
  v1::RecordEventsRequest events;
  int expected[2][2] = {{0, 0}, {0, 0}};  // [arm][shoppers, converted]
  for (int u = 0; u < 40; ++u) {
    const v1::RecommendResponse& a = shown[u].answer;
    const int arm = a.arm() == "control" ? 0 : 1;
    ++expected[arm][0];
    if (u % 2 != 0) continue;
    v1::Event click =
        MakeEvent(absl::StrCat("c", u), shown[u].user, a.items(0).item_id(),
                  v1::EVENT_TYPE_CLICK, now + 60);
    click.set_recommendation_id(a.recommendation_id());
    *events.add_events() = click;
    std::string bought = a.items(0).item_id();
    if (u == 2) {
      bought = "never-shown";
    } else {
      ++expected[arm][1];
    }
    v1::Event buy = MakeEvent(absl::StrCat("p", u), shown[u].user, bought,
                              v1::EVENT_TYPE_PURCHASE, now + 120);
    buy.set_price(20);
    *events.add_events() = buy;
  }
  // Refused: another shopper's answer, an id never given, a malformed one.
  v1::Event stolen =
      MakeEvent("bad1", "visitor1", "A", v1::EVENT_TYPE_CLICK, now + 60);
  stolen.set_recommendation_id(shown[0].answer.recommendation_id());
  v1::Event unknown = stolen;
  unknown.set_event_id("bad2");
  unknown.set_recommendation_id(std::string(32, '0'));
  v1::Event malformed = stolen;
  malformed.set_event_id("bad3");
  malformed.set_recommendation_id("xyz");
  for (const v1::Event& e : {stolen, unknown, malformed}) {
    *events.add_events() = e;
  }
  v1::RecordEventsResponse recorded;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->RecordEvents(&ctx, events, &recorded).ok());
  }
  EXPECT_EQ(recorded.recorded(), 40);
  EXPECT_EQ(recorded.invalid(), 3);
  const int n = events.events_size();
  EXPECT_THAT(recorded.results(n - 3).error(),
              HasSubstr("recommendation_id: no answer with this id was "
                        "logged for this user_id"));
  EXPECT_THAT(recorded.results(n - 2).error(),
              HasSubstr("recommendation_id: no answer"));
  EXPECT_THAT(recorded.results(n - 1).error(),
              HasSubstr("recommendation_id: must be the 32 lowercase hex"));

  auto check = [&](const v1::ExperimentResults& r, int erased_arm) {
    ASSERT_EQ(r.arms_size(), 2);
    int shoppers = 0;
    for (int arm = 0; arm < 2; ++arm) {
      const v1::ArmResults& a = r.arms(arm);
      const int want = expected[arm][0] - (arm == erased_arm ? 1 : 0);
      const int converted = expected[arm][1] - (arm == erased_arm ? 1 : 0);
      shoppers += want;
      EXPECT_EQ(a.shoppers(), want) << a.arm();
      EXPECT_EQ(a.exposures(), want) << a.arm();
      EXPECT_NEAR(a.conversion().estimate().value(),
                  static_cast<double>(converted) / want, 1e-12)
          << a.arm();
      EXPECT_NEAR(a.revenue_per_shopper().estimate().value(),
                  20.0 * converted / want, 1e-9)
          << a.arm();
      EXPECT_EQ(a.daily_size(), 1);
      EXPECT_EQ(a.daily(0).converted(), converted);
    }
    EXPECT_EQ(shoppers, erased_arm < 0 ? 40 : 39);
    EXPECT_TRUE(r.arms(0).control());
    EXPECT_FALSE(r.arms(0).conversion().vs_control().defined());
    EXPECT_EQ(r.attribution_window_seconds(), 7 * 86400);
  };
  v1::GetExperimentResultsRequest ask;
  ask.set_name("homepage");
  auto results = Client().GetExperimentResults(ask);
  ASSERT_TRUE(results.ok()) << results.status();
  check(*results, -1);
  // Clicks: the even visitors' one tagged click each, per exposure.
  for (int arm = 0; arm < 2; ++arm) {
    int clicks = 0;
    for (int u = 0; u < 40; u += 2) {
      clicks += (shown[u].answer.arm() == "control") == (arm == 0);
    }
    EXPECT_NEAR(results->arms(arm).click_through().value(),
                static_cast<double>(clicks) / expected[arm][0], 1e-12);
  }
  const std::string table = FormatExperimentResults(*results);
  EXPECT_THAT(table, HasSubstr("against the control"));
  EXPECT_THAT(table, HasSubstr("sample ratio: ok"));
  const std::string html = ExperimentResultsHtml(*results);
  EXPECT_THAT(html, HasSubstr("<svg"));
  EXPECT_THAT(html, HasSubstr("<polyline"));

  // The export shows visitor0's exposure and tagged click; the erasure
  // removes both.
  auto exported = Client().ExportUser("visitor0");
  ASSERT_TRUE(exported.ok()) << exported.status();
  ASSERT_EQ(exported->exposures_size(), 1);
  EXPECT_EQ(exported->exposures(0).recommendation_id(),
            shown[0].answer.recommendation_id());
  EXPECT_EQ(exported->exposures(0).item_ids_size(), 3);
  auto erased = Client().EraseUser("visitor0");
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->exposures(), 1);
  const int erased_arm = shown[0].answer.arm() == "control" ? 0 : 1;
  StopServer();
  StartServer();
  results = Client().GetExperimentResults(ask);
  ASSERT_TRUE(results.ok()) << results.status();
  check(*results, erased_arm);

  // Bad requests name the field.
  ask.set_attribution_window_days(0);
  EXPECT_THAT(Client().GetExperimentResults(ask).status().message(),
              HasSubstr("attribution_window_days: must be 1..90"));
  ask.clear_attribution_window_days();
  ask.set_name("nope");
  EXPECT_EQ(Client().GetExperimentResults(ask).status().code(),
            absl::StatusCode::kNotFound);
}

// A bandit through a real server: the arm that sells more gets more of the
// next period's traffic, exposures log the arm's probability, and the
// off-policy estimate ranks the arms.
TEST_F(ExperimentsTest, ABanditShiftsTrafficToTheArmThatSells) {
  StartServer();
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  v1::Experiment bandit = HomePage("bandit", 5000, 5000);
  bandit.mutable_arms(0)->set_control(false);
  bandit.set_allocation(v1::EXPERIMENT_ALLOCATION_THOMPSON);
  bandit.mutable_bandit()->set_interval_seconds(600);
  bandit.mutable_bandit()->set_min_share_bp(500);
  bandit.set_start_unix(now - 3600);  // the first period began an hour ago
  auto created = Client().CreateExperiment(bandit);
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_EQ(created->periods_size(), 1);
  EXPECT_EQ(created->periods(0).weights_bp(0), 5000);

  // Shoppers shown the model's list buy its first item one time in three;
  // popularity's, one time in twenty.
  v1::RecordEventsRequest events;
  int in_arm[2] = {0, 0};
  for (int u = 0; u < 300; ++u) {
    const std::string user = absl::StrCat("shopper", u);
    const v1::RecommendResponse a = Ask(user, 2);
    ASSERT_EQ(a.experiment(), "bandit");
    const bool model = a.arm() == "als";
    ++in_arm[model];
    if (u % (model ? 3 : 20) != 0) continue;
    v1::Event buy = MakeEvent(absl::StrCat("b", u), user, a.items(0).item_id(),
                              v1::EVENT_TYPE_PURCHASE, now + 60);
    buy.set_price(10);
    *events.add_events() = buy;
  }
  EXPECT_GT(in_arm[0], 100);
  EXPECT_GT(in_arm[1], 100);
  v1::RecordEventsResponse recorded;
  grpc::ClientContext ctx;
  ASSERT_TRUE(stub_->RecordEvents(&ctx, events, &recorded).ok());

  // Not due before the interval; due after it.
  auto early = server_->RunBandits(now - 3600 + 599);
  ASSERT_TRUE(early.ok()) << early.status();
  EXPECT_EQ(*early, 0);
  auto due = server_->RunBandits(now);
  ASSERT_TRUE(due.ok()) << due.status();
  EXPECT_EQ(*due, 1);
  auto after = Client().GetExperiment("bandit");
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_EQ(after->periods_size(), 2);
  EXPECT_EQ(after->periods(1).start_unix(), now);
  const int32_t model_weight = after->periods(1).weights_bp(1);
  EXPECT_GT(model_weight, 9000);
  EXPECT_THAT(FormatExperiment(*after), HasSubstr("Thompson sampling"));

  // New shoppers now mostly get the model, and their exposures say how
  // likely that was.
  int model_now = 0;
  for (int u = 0; u < 100; ++u) {
    const std::string user = absl::StrCat("later", u);
    const v1::RecommendResponse a = Ask(user, 2);
    model_now += a.arm() == "als";
    if (u == 0) {
      auto exported = Client().ExportUser(user);
      ASSERT_TRUE(exported.ok()) << exported.status();
      ASSERT_EQ(exported->exposures_size(), 1);
      const int32_t weight =
          after->periods(1).weights_bp(a.arm() == "als" ? 1 : 0);
      EXPECT_DOUBLE_EQ(exported->exposures(0).probability(), weight / 1e4);
    }
  }
  EXPECT_GT(model_now, 80);

  v1::GetExperimentResultsRequest ask;
  ask.set_name("bandit");
  auto results = Client().GetExperimentResults(ask);
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_GT(results->arms(1).off_policy_conversion().value(),
            results->arms(0).off_policy_conversion().value());
  EXPECT_EQ(results->sample_ratio_p_value(), 1.0);
  EXPECT_THAT(FormatExperimentResults(*results),
              HasSubstr("sample ratio: not checked"));
  // A fixed split cannot carry bandit settings.
  v1::Experiment wrong = HomePage("wrong", 1000, 1000);
  wrong.set_layer("other");
  wrong.mutable_bandit()->set_interval_seconds(5);
  EXPECT_THAT(Client().CreateExperiment(wrong).status().message(),
              HasSubstr("bandit: only for allocation THOMPSON"));
}

// An arm's settings shape its lists: here campaign boosts that put E or
// F, the model's last two, first, by arm.
TEST_F(ExperimentsTest, AnArmsBoostsAndDiversityApplyToItsShoppers) {
  StartServer();
  v1::Experiment e = HomePage("campaign", 5000, 5000);
  e.mutable_arms(0)->set_strategy("als");
  for (int arm = 0; arm < 2; ++arm) {
    v1::ArmBoost* boost = e.mutable_arms(arm)->add_boosts();
    boost->set_item_id(arm == 0 ? "E" : "F");
    boost->set_boost(100);
  }
  e.mutable_arms(1)->set_diversity(0.0f);
  auto created = Client().CreateExperiment(e);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_THAT(FormatExperiment(*created), HasSubstr("boost F 100.00"));
  for (const char* user : {"alice", "bob"}) {
    const v1::RecommendResponse a = Ask(user, 3);
    ASSERT_EQ(a.experiment(), "campaign");
    EXPECT_EQ(a.items(0).item_id(), a.arm() == "als" ? "F" : "E") << user;
  }
  // Bad settings name the field.
  v1::Experiment bad = HomePage("bad", 1000, 1000);
  bad.set_layer("other");
  bad.mutable_arms(1)->set_diversity(1.5f);
  EXPECT_THAT(Client().CreateExperiment(bad).status().message(),
              HasSubstr("arms[1].diversity: must be 0..1"));
  bad.mutable_arms(1)->clear_diversity();
  bad.mutable_arms(1)->add_boosts()->set_item_id("A");
  EXPECT_THAT(Client().CreateExperiment(bad).status().message(),
              HasSubstr("arms[1].boosts[0].boost: must be in (0, 100]"));
}

// The book lists oldest first and keeps what it stored across a reload.
TEST(ExperimentBookTest, OldestFirstAndReloadedFromTheStore) {
  MemoryStateStore store;
  auto book = ExperimentBook::Load(&store);
  ASSERT_TRUE(book.ok()) << book.status();
  const absl::flat_hash_set<std::string> strategies = {"als", "popularity"};
  auto make = [](const std::string& name) {
    Experiment e;
    e.name = name;
    e.salt = name;
    e.arms = {
        {.name = "a", .strategy = "als", .share = 100, .control = false},
        {.name = "b", .strategy = "popularity", .share = 100, .control = true}};
    return e;
  };
  ASSERT_TRUE((*book)->Create(make("zeta"), strategies, 100).ok());
  ASSERT_TRUE((*book)->Create(make("alpha"), strategies, 200).ok());
  ASSERT_TRUE((*book)->Stop("zeta", 300).ok());
  auto names = [](const ExperimentBook& b) {
    std::vector<std::string> out;
    for (const Experiment& e : *b.Snapshot()) out.push_back(e.name);
    return out;
  };
  EXPECT_EQ(names(**book), (std::vector<std::string>{"zeta", "alpha"}));
  auto reloaded = ExperimentBook::Load(&store);
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(names(**reloaded), (std::vector<std::string>{"zeta", "alpha"}));
  EXPECT_EQ((*reloaded)->Get("zeta")->stopped_unix, 300);
  EXPECT_EQ(*(*reloaded)->Snapshot(), *(*book)->Snapshot());
}

TEST(ExperimentArmsTest, ParseArmsReadsTheCliSpec) {
  auto arms = ParseArms("control:popularity:5000:control,als:als:4000");
  ASSERT_TRUE(arms.ok()) << arms.status();
  ASSERT_EQ(arms->size(), 2u);
  EXPECT_EQ((*arms)[0].name(), "control");
  EXPECT_TRUE((*arms)[0].control());
  EXPECT_EQ((*arms)[1].strategy(), "als");
  EXPECT_EQ((*arms)[1].share_bp(), 4000);
  EXPECT_FALSE((*arms)[1].control());
  EXPECT_THAT(ParseArms("a:b").status().message(),
              HasSubstr("--arms: 'a:b' is not NAME:STRATEGY:SHARE_BP"));
  EXPECT_THAT(ParseArms("a:b:x").status().message(), HasSubstr("'a:b:x'"));
  EXPECT_THAT(ParseArms("a:b:1:main").status().message(),
              HasSubstr("'a:b:1:main'"));
  auto settings = ParseArms("x:als:100:diversity=0.3:boost=SKU1/0.5");
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_FLOAT_EQ((*settings)[0].diversity(), 0.3f);
  ASSERT_EQ((*settings)[0].boosts_size(), 1);
  EXPECT_EQ((*settings)[0].boosts(0).item_id(), "SKU1");
  EXPECT_FLOAT_EQ((*settings)[0].boosts(0).boost(), 0.5f);
  EXPECT_FALSE((*settings)[0].control());
  EXPECT_THAT(ParseArms("x:als:1:boost=SKU1").status().message(),
              HasSubstr("'x:als:1:boost=SKU1'"));
}

}  // namespace
}  // namespace tailor
