// tailor-sim's scenarios through a real server on port 0, at toy sizes:
// they run, count every shopper, and a bandit moves traffic to the arm
// with the planted advantage.
#include "tools/sim/simulation.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/server_fixture.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;

// Ten products the generator's "sporty" shoppers like and ten they do not,
// with a model that knows them.
Snapshot SportsAndGowns() {
  Snapshot s;
  s.created_unix = 1700000000;
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    Item run;
    run.item_id = absl::StrCat("run", i);
    run.category = "activewear";
    run.brand = "Peakform";
    run.color = "black";
    run.price = 40;
    run.sizes = {"M"};
    Item gown = run;
    gown.item_id = absl::StrCat("gown", i);
    gown.category = "dresses";
    gown.brand = "Castellane";
    gown.color = "burgundy";
    gown.price = 300;
    s.catalog.push_back(run);
    s.catalog.push_back(gown);
    ids.push_back(run.item_id);
    ids.push_back(gown.item_id);
  }
  s.model.users = IdMap({"alice"});
  s.model.items = IdMap(ids);
  s.model.user_factors = RowMatrix::Ones(1, 2);
  s.model.item_factors.resize(20, 2);
  for (int i = 0; i < 20; ++i) {
    // Sports items along the first axis, gowns along the second.
    s.model.item_factors.row(i) << (i % 2 == 0 ? 1.0f : 0.1f),
        (i % 2 == 0 ? 0.1f : 1.0f);
  }
  s.model.popularity.assign(20, 1);
  s.history.row_ptr = {0, 0};
  s.info = {{"algorithm", "implicit-als"}};
  return s;
}

class SimulationTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    Publish(SportsAndGowns());
    ServerOptions options = Options();
    options.bandit_tick = absl::Milliseconds(100);
    auto server = TailorServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
  }
};

TEST_F(SimulationTest, AnAAndAnABatchCountEveryShopper) {
  const TailorClient client(channel_, absl::Seconds(30));
  const ShopperModel model(SportsAndGowns().catalog);
  Simulation sim(&client, &model, {.threads = 2, .seed = 3});
  auto aa = RunAA(
      sim,
      {.experiments = 2, .concurrent = 2, .looks = 2, .shoppers_per_look = 30});
  ASSERT_TRUE(aa.ok()) << aa.status();
  EXPECT_EQ(aa->experiments, 2);
  EXPECT_EQ(aa->shoppers, 60);  // 2 looks x 30, on average per experiment
  EXPECT_GT(aa->control_conversion, 0.0);
  EXPECT_THAT(FormatAAReport(*aa), HasSubstr("A/A: 2 experiments, 2 looks"));
  auto ab = RunAB(sim, {.experiments = 2,
                        .concurrent = 2,
                        .looks = 1,
                        .shoppers_per_look = 40,
                        .uplift = 0.5});
  ASSERT_TRUE(ab.ok()) << ab.status();
  EXPECT_EQ(ab->shoppers, 40);
  // The realised uplift is the planted one, exactly in expectation.
  EXPECT_NEAR(ab->true_uplift, 0.5, 1e-9);
  EXPECT_GT(ab->shoppers_fixed, 0.0);
}

TEST_F(SimulationTest, ABanditFavoursThePlantedWinner) {
  const TailorClient client(channel_, absl::Seconds(30));
  const ShopperModel model(SportsAndGowns().catalog);
  Simulation sim(&client, &model, {.threads = 2, .seed = 4});
  // A large planted advantage (5x the purchases): 150 shoppers a period
  // convert a few percent, too few to tell a small one from noise.
  auto report = RunBandit(sim, {.arms = {{"popularity", 0}, {"", 4.0}},
                                .periods = 3,
                                .shoppers_per_period = 150,
                                .interval_seconds = 1,
                                .min_share = 500,
                                .calibration_shoppers = 50});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->shoppers, 450);
  EXPECT_GT(report->true_conversion[1], report->true_conversion[0]);
  EXPECT_GT(report->final_weights[1], report->final_weights[0]);
  EXPECT_LT(report->regret, report->equal_split_regret)
      << FormatBanditReport(*report);
  EXPECT_THAT(FormatBanditReport(*report), HasSubstr("regret"))
      << FormatBanditReport(*report);
}

}  // namespace
}  // namespace tailor
