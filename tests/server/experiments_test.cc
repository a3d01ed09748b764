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
                   "strategies (als, popularity)"});
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
                        "serves popularity and als)"));
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
    e.arms = {{"a", "als", 100, false}, {"b", "popularity", 100, true}};
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
}

}  // namespace
}  // namespace tailor
