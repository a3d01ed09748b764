// The live catalog through a real server (UpdateCatalog): stock per size,
// price, new and retired products, what outlives a restart, a snapshot swap
// and a rollback, and every invalid field named.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "tests/server/server_fixture.h"

namespace tailor {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Six items; alice's scores fall with the index. Even items are dresses
// along the first axis, odd ones tops along the second. Every item comes
// in S and M and is in stock; I<i> costs 10 * (i + 1). The cold-start map
// puts dresses at (30, 0) and tops at (0, 0.5); other categories get the
// intercept alone, a zero vector.
Snapshot CatalogSnapshot(const std::string& title_suffix = "") {
  Snapshot s;
  s.created_unix = 1700000000;
  s.model.users = IdMap({"alice"});
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(absl::StrCat("I", i));
  s.model.items = IdMap(ids);
  s.model.user_factors.resize(1, 2);
  s.model.user_factors << 1, 1;
  s.model.item_factors.resize(6, 2);
  for (int i = 0; i < 6; ++i) {
    const float score = static_cast<float>(6 - i);
    if (i % 2 == 0) {
      s.model.item_factors.row(i) << score, 0;
    } else {
      s.model.item_factors.row(i) << 0, score;
    }
    s.model.popularity.push_back(i + 1.0f);
    Item item;
    item.item_id = ids[i];
    item.title = absl::StrCat("Item ", i, title_suffix);
    item.category = i % 2 == 0 ? "dresses" : "tops";
    item.price = 10.0 * (i + 1);
    item.sizes = {"S", "M"};
    s.catalog.push_back(item);
  }
  AttributeMapParts parts;
  parts.category = {{"dresses", 1}, {"tops", 2}};
  parts.band_offset = 3;
  parts.cross_offset = 3;
  parts.weights.resize(3, 2);
  parts.weights << 0, 0, 30, 0, 0, 0.5;
  s.attributes = std::make_shared<const AttributeMap>(
      *AttributeMap::FromParts(std::move(parts)));
  return s;
}

v1::CatalogChange Upsert(const std::string& id, const std::string& category,
                         double price) {
  v1::CatalogChange c;
  c.set_item_id(id);
  v1::CatalogItem* item = c.mutable_upsert();
  item->set_title(absl::StrCat("New ", id));
  item->set_category(category);
  item->set_price(price);
  item->add_sizes()->set_size("S");
  item->add_sizes()->set_size("M");
  return c;
}

v1::CatalogChange SizeUnits(const std::string& id, const std::string& size,
                            int units) {
  v1::CatalogChange c;
  c.set_item_id(id);
  v1::SizeStock* s = c.mutable_inventory()->add_sizes();
  s->set_size(size);
  s->set_units(units);
  return c;
}

v1::CatalogChange Price(const std::string& id, double price) {
  v1::CatalogChange c;
  c.set_item_id(id);
  c.mutable_inventory()->set_price(price);
  return c;
}

v1::CatalogChange Retire(const std::string& id) {
  v1::CatalogChange c;
  c.set_item_id(id);
  c.set_retire(true);
  return c;
}

class CatalogTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    Publish(CatalogSnapshot());
    StartServer();
  }

  grpc::Status Update(const std::vector<v1::CatalogChange>& changes,
                      v1::UpdateCatalogResponse* resp) {
    v1::UpdateCatalogRequest req;
    for (const auto& c : changes) *req.add_changes() = c;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    return stub_->UpdateCatalog(&ctx, req, resp);
  }
  // Applies `changes`, expecting each to be applied.
  void Apply(const std::vector<v1::CatalogChange>& changes) {
    v1::UpdateCatalogResponse resp;
    grpc::Status s = Update(changes, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(resp.applied(), static_cast<int>(changes.size()))
        << resp.DebugString();
  }
  std::vector<std::string> List(v1::RecommendRequest req) {
    if (req.user_id().empty()) req.set_user_id("alice");
    if (req.count() == 0) req.set_count(10);
    return IdsOf(req);
  }
  std::vector<std::string> Similar(const std::string& item, int count) {
    v1::SimilarItemsRequest req;
    req.set_item_id(item);
    req.set_count(count);
    v1::SimilarItemsResponse resp;
    grpc::ClientContext ctx;
    grpc::Status s = stub_->SimilarItems(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<std::string> ids;
    for (const auto& i : resp.items()) ids.push_back(i.item_id());
    return ids;
  }
  std::string TitleOf(const std::string& item) {
    v1::RecommendRequest req;
    req.set_user_id("alice");
    req.set_count(20);
    req.set_in_stock_only(false);
    v1::RecommendResponse resp;
    EXPECT_TRUE(Call(req, &resp).ok());
    for (const auto& i : resp.items()) {
      if (i.item_id() == item) return i.info().title();
    }
    return "(not listed)";
  }
  grpc::Status Rollback() {
    auto admin = v1::Admin::NewStub(channel_);
    grpc::ClientContext ctx;
    v1::ModelInfo info;
    return admin->Rollback(&ctx, v1::RollbackRequest(), &info);
  }
  grpc::Status Activate(const std::string& version) {
    auto admin = v1::Admin::NewStub(channel_);
    grpc::ClientContext ctx;
    v1::ActivateSnapshotRequest req;
    req.set_version(version);
    v1::ModelInfo info;
    return admin->ActivateSnapshot(&ctx, req, &info);
  }
};

TEST_F(CatalogTest, ASizeSoldOutLeavesTheSizeFilterAtOnce) {
  v1::RecommendRequest in_m;
  in_m.set_size("M");
  EXPECT_THAT(List(in_m), ElementsAre("I0", "I1", "I2", "I3", "I4", "I5"));
  Apply({SizeUnits("I0", "M", 0), SizeUnits("I0", "S", 4)});
  EXPECT_THAT(List(in_m), ElementsAre("I1", "I2", "I3", "I4", "I5"));
  v1::RecommendRequest in_s;
  in_s.set_size("S");
  EXPECT_THAT(List(in_s), Contains("I0"));
  // Still in stock (in S) for unfiltered lists; sold out in every size, it
  // is out of stock.
  EXPECT_THAT(List({}), Contains("I0"));
  Apply({SizeUnits("I0", "S", 0)});
  EXPECT_THAT(List({}), Not(Contains("I0")));
  v1::RecommendRequest all;
  all.set_in_stock_only(false);
  EXPECT_THAT(List(all), Contains("I0"));
  // Restocked.
  Apply({SizeUnits("I0", "M", 2)});
  EXPECT_THAT(List(in_m), Contains("I0"));
}

TEST_F(CatalogTest, APriceChangeMovesThePriceFilters) {
  v1::RecommendRequest cheap;
  cheap.set_max_price(30);
  EXPECT_THAT(List(cheap), ElementsAre("I0", "I1", "I2"));
  Apply({Price("I2", 500), Price("I5", 25)});
  EXPECT_THAT(List(cheap), ElementsAre("I0", "I1", "I5"));
  v1::RecommendRequest dear;
  dear.set_min_price(400);
  EXPECT_THAT(List(dear), ElementsAre("I2"));
}

TEST_F(CatalogTest, ANewProductIsRecommendedSimilarAndBoostedAtOnce) {
  Apply({Upsert("N1", "dresses", 99), Upsert("N2", "tops", 5),
         Upsert("N3", "hats", 15)});
  // N1 = (30, 0) scores 30 for alice: first. N2 = (0, 0.5) scores 0.5:
  // last of the personalised items. N3 has a zero vector (an unknown
  // category): it has no score to rank by.
  EXPECT_THAT(List({}), ElementsAre("N1", "I0", "I1", "I2", "I3", "I4", "I5",
                                    "N2", "N3"));
  v1::RecommendResponse resp = Ask("alice", 1);
  ASSERT_EQ(resp.items_size(), 1);
  EXPECT_EQ(resp.items(0).info().title(), "New N1");
  EXPECT_EQ(resp.items(0).info().price(), 99);
  // Filters see the new products too.
  v1::RecommendRequest tops;
  tops.add_categories("tops");
  EXPECT_THAT(List(tops), ElementsAre("I1", "I3", "I5", "N2"));
  v1::RecommendRequest hats;
  hats.add_categories("hats");
  EXPECT_THAT(List(hats), ElementsAre("N3"));
  // Similar items: N1 points along the dresses' axis (cosine 1; the tops
  // score 0).
  EXPECT_THAT(Similar("N1", 3), ElementsAre("I0", "I2", "I4"));
  EXPECT_THAT(Similar("I0", 3), ElementsAre("I2", "I4", "N1"));
  EXPECT_THAT(Similar("N3", 3), ElementsAre());
  // Boosted: N2 scores 0.5; a boost of 20 raises it to 10.5.
  v1::RecommendRequest boosted;
  boosted.set_count(2);
  v1::ItemBoost* b = boosted.add_boosts();
  b->set_item_id("N2");
  b->set_boost(20);
  EXPECT_THAT(List(boosted), ElementsAre("N1", "N2"));
  // A visitor's popular list ends with them (no popularity yet).
  v1::RecommendRequest visitor;
  visitor.set_user_id("visitor");
  visitor.set_count(9);
  EXPECT_THAT(List(visitor), ElementsAre("I5", "I4", "I3", "I2", "I1", "I0",
                                         "N1", "N2", "N3"));
}

TEST_F(CatalogTest, AShopperWhoBoughtANewProductIsNotShownItAgain) {
  Apply({Upsert("N1", "dresses", 99)});
  v1::RecordEventsRequest req;
  *req.add_events() = MakeEvent("e1", "alice", "N1", v1::EVENT_TYPE_PURCHASE);
  v1::RecordEventsResponse resp;
  grpc::ClientContext ctx;
  ASSERT_TRUE(stub_->RecordEvents(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.recorded(), 1);
  EXPECT_THAT(List({}), Not(Contains("N1")));
}

TEST_F(CatalogTest, ARetiredItemIsInNoList) {
  Apply({Upsert("N1", "dresses", 99)});
  Apply({Retire("I0"), Retire("N1")});
  v1::RecommendRequest all;
  all.set_in_stock_only(false);
  EXPECT_THAT(List(all), ElementsAre("I1", "I2", "I3", "I4", "I5"));
  v1::RecommendRequest visitor;
  visitor.set_user_id("visitor");
  EXPECT_THAT(List(visitor), ElementsAre("I5", "I4", "I3", "I2", "I1"));
  EXPECT_THAT(Similar("I2", 1), ElementsAre("I4"));
  // A retired product's page still gets neighbours.
  EXPECT_THAT(Similar("I0", 2), ElementsAre("I2", "I4"));
  // Upserted again, it is back.
  Apply({Upsert("I0", "dresses", 10)});
  EXPECT_THAT(List(all), Contains("I0"));
}

TEST_F(CatalogTest, ChangesOutliveRestartsSwapsAndRollbacks) {
  Apply({Price("I0", 500), Upsert("N1", "dresses", 99), Retire("I1")});
  auto check = [&](const std::string& when) {
    SCOPED_TRACE(when);
    v1::RecommendRequest dear;
    dear.set_min_price(99);
    dear.set_in_stock_only(false);
    EXPECT_THAT(List(dear), ElementsAre("N1", "I0"));
    EXPECT_THAT(List({}), Not(Contains("I1")));
  };
  check("at once");
  StopServer();
  StartServer();
  check("after a restart");
  // A new version whose catalog says otherwise (I0 at its old price, I1
  // listed): the live changes are newer and stay.
  Publish(CatalogSnapshot(" v2"));
  ASSERT_TRUE(Activate("00000002").ok());
  EXPECT_EQ(TitleOf("I2"), "Item 2 v2");
  check("after a swap");
  ASSERT_TRUE(Rollback().ok());
  check("after a rollback");
}

TEST_F(CatalogTest, EachInvalidChangeIsNamedAndTheOthersApplied) {
  std::vector<v1::CatalogChange> changes;
  changes.push_back(Upsert("", "dresses", 1));     // 0
  changes.push_back(Upsert("N1", "dresses", -1));  // 1
  changes.push_back(Price("NOPE", 5));             // 2
  changes.push_back(SizeUnits("I0", "XL", 1));     // 3
  changes.push_back(SizeUnits("I0", "M", -2));     // 4
  v1::CatalogChange no_retire;
  no_retire.set_item_id("I0");
  no_retire.set_retire(false);
  changes.push_back(no_retire);  // 5
  v1::CatalogChange empty;
  empty.set_item_id("I0");
  changes.push_back(empty);  // 6
  v1::CatalogChange twice = Upsert("N2", "tops", 3);
  twice.mutable_upsert()->add_sizes()->set_size("S");
  changes.push_back(twice);  // 7
  v1::CatalogChange no_price = Upsert("N3", "tops", 3);
  no_price.mutable_upsert()->clear_price();
  changes.push_back(no_price);  // 8
  v1::CatalogChange partial_units = Upsert("N4", "tops", 3);
  partial_units.mutable_upsert()->mutable_sizes(0)->set_units(3);
  changes.push_back(partial_units);  // 9
  v1::CatalogChange nothing;
  nothing.set_item_id("I0");
  nothing.mutable_inventory();
  changes.push_back(nothing);         // 10
  changes.push_back(Price("I3", 1));  // 11: valid
  v1::UpdateCatalogResponse resp;
  ASSERT_TRUE(Update(changes, &resp).ok());
  ASSERT_EQ(resp.results_size(), 12);
  const std::vector<std::string> expected = {
      "item_id",
      "upsert.price",
      "item_id: not in the catalog",
      "size 'XL'",
      "inventory.sizes[0].units",
      "retire: must be true",
      "change: set one",
      "upsert.sizes[2].size: 'S' is given twice",
      "upsert.price: required",
      "give them for all or none",
      "inventory: set price"};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(resp.results(i).status(), v1::CatalogChangeResult::STATUS_INVALID)
        << i;
    EXPECT_THAT(resp.results(i).error(), HasSubstr(expected[i])) << i;
  }
  EXPECT_EQ(resp.results(11).status(), v1::CatalogChangeResult::STATUS_APPLIED);
  EXPECT_EQ(resp.applied(), 1);
  EXPECT_EQ(resp.invalid(), 11);
  v1::RecommendRequest cheap;
  cheap.set_max_price(5);
  EXPECT_THAT(List(cheap), ElementsAre("I3"));
  // An empty batch is refused as a whole.
  EXPECT_EQ(Update({}, &resp).error_code(), grpc::INVALID_ARGUMENT);
}

TEST_F(CatalogTest, ResendingIsHarmlessAndVersionsOrderChanges) {
  v1::CatalogChange late = Price("I0", 70);
  late.set_version(200);
  Apply({late});
  v1::UpdateCatalogResponse resp;
  ASSERT_TRUE(Update({late}, &resp).ok());
  EXPECT_EQ(resp.results(0).status(), v1::CatalogChangeResult::STATUS_STALE);
  v1::CatalogChange early = Price("I0", 20);
  early.set_version(100);
  ASSERT_TRUE(Update({early}, &resp).ok());
  EXPECT_EQ(resp.results(0).status(), v1::CatalogChangeResult::STATUS_STALE);
  // Unversioned: applied, and a second time it changes nothing.
  ASSERT_TRUE(Update({Price("I0", 80)}, &resp).ok());
  EXPECT_EQ(resp.applied(), 1);
  ASSERT_TRUE(Update({Price("I0", 80)}, &resp).ok());
  EXPECT_EQ(resp.results(0).status(),
            v1::CatalogChangeResult::STATUS_UNCHANGED);
  v1::RecommendRequest dear;
  dear.set_min_price(75);
  EXPECT_THAT(List(dear), ElementsAre("I0"));
}

// A read replica takes the writer's live catalog from the snapshot
// directory at its next refresh (after the writer's published it): the
// writer's retired and re-priced items are served alike by both, and the
// replica keeps them across its own restart.
TEST_F(CatalogTest, AReplicaFollowsTheWritersLiveCatalog) {
  ServerOptions options = Options();
  options.data_dir = dir_.Join("replica-data");
  options.accept_events = false;
  auto replica = TailorServer::Start(options);
  ASSERT_TRUE(replica.ok()) << replica.status();
  auto replica_stub = v1::Recommender::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*replica)->port()),
                          grpc::InsecureChannelCredentials()));
  auto ids_at_replica = [&](v1::RecommendRequest req) {
    req.set_user_id("alice");
    req.set_count(10);
    v1::RecommendResponse resp;
    grpc::ClientContext ctx;
    EXPECT_TRUE(replica_stub->RecommendFor(&ctx, req, &resp).ok());
    std::vector<std::string> ids;
    for (const auto& i : resp.items()) ids.push_back(i.item_id());
    return ids;
  };
  v1::RecommendRequest dear;
  dear.set_min_price(99);
  dear.set_in_stock_only(false);
  Apply({Price("I0", 500), Upsert("N1", "dresses", 99), Retire("I1")});
  // Not before the writer has published and the replica refreshed.
  EXPECT_THAT(ids_at_replica({}), Contains("I1"));
  ASSERT_TRUE(server_->RefreshSnapshot().ok());     // the writer publishes
  ASSERT_TRUE((*replica)->RefreshSnapshot().ok());  // the replica adopts
  EXPECT_THAT(ids_at_replica({}), Not(Contains("I1")));
  EXPECT_THAT(ids_at_replica(dear), ElementsAre("N1", "I0"));
  EXPECT_EQ(ids_at_replica(dear), List(dear));
  // Later changes follow the same way; a restarted replica keeps them.
  Apply({Retire("N1")});
  ASSERT_TRUE(server_->RefreshSnapshot().ok());
  replica->reset();
  replica = TailorServer::Start(options);
  ASSERT_TRUE(replica.ok()) << replica.status();
  replica_stub = v1::Recommender::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*replica)->port()),
                          grpc::InsecureChannelCredentials()));
  EXPECT_THAT(ids_at_replica(dear), ElementsAre("I0"));
  EXPECT_THAT(ids_at_replica({}), Not(Contains("I1")));
}

TEST_F(CatalogTest, AReplicaRefusesCatalogChanges) {
  StopServer();
  accept_events_ = false;
  StartServer();
  v1::UpdateCatalogResponse resp;
  grpc::Status s = Update({Price("I0", 5)}, &resp);
  EXPECT_EQ(s.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("UpdateCatalog"));
}

}  // namespace
}  // namespace tailor
