// RecommendFor's business rules through a real server: stock, size,
// category, price, per-category caps, campaign boosts and diversity, on
// personalised lists and on the popularity fallback.
#include <set>

#include "gmock/gmock.h"
#include "tests/server/server_fixture.h"

namespace tailor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Twelve items; alice's scores fall with the index (I0 best). Categories
// cycle dresses, tops, shoes; I1 and I7 are out of stock; I9 is a bag
// without sizes; I11 is not in the catalog. Popularity rises with the
// index (I11 most popular). Item directions alternate between two axes, so
// neighbours in score are dissimilar every other item.
Snapshot FilterSnapshot() {
  Snapshot s;
  s.created_unix = 1700000000;
  s.model.users = IdMap({"alice"});
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) ids.push_back(absl::StrCat("I", i));
  s.model.items = IdMap(ids);
  s.model.user_factors.resize(1, 2);
  s.model.user_factors << 1, 1;
  s.model.item_factors.resize(12, 2);
  for (int i = 0; i < 12; ++i) {
    const float score = static_cast<float>(12 - i);
    if (i % 2 == 0) {
      s.model.item_factors.row(i) << score, 0;
    } else {
      s.model.item_factors.row(i) << 0, score;
    }
  }
  for (int i = 0; i < 12; ++i) s.model.popularity.push_back(i + 1.0f);
  const char* categories[] = {"dresses", "tops", "shoes"};
  for (int i = 0; i < 11; ++i) {
    Item item;
    item.item_id = ids[i];
    item.title = absl::StrCat("Item ", i);
    item.category = categories[i % 3];
    item.price = 10.0 * (i + 1);
    if (i != 9)
      item.sizes = i % 2 == 0 ? std::vector<std::string>{"S", "M"}
                              : std::vector<std::string>{"L"};
    item.in_stock = i != 1 && i != 7;
    s.catalog.push_back(item);
  }
  return s;
}

class FiltersTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    Publish(FilterSnapshot());
    StartServer();
  }
  std::vector<std::string> List(v1::RecommendRequest req) {
    if (req.user_id().empty()) req.set_user_id("alice");
    return IdsOf(req);
  }
  static v1::RecommendRequest For(const std::string& user, int count) {
    v1::RecommendRequest req;
    req.set_user_id(user);
    req.set_count(count);
    return req;
  }
};

TEST_F(FiltersTest, OutOfStockItemsAreNeverReturnedByDefault) {
  EXPECT_THAT(List(For("alice", 4)), ElementsAre("I0", "I2", "I3", "I4"));
  // The fallback too (most popular first; I11 is unlisted, so eligible).
  EXPECT_THAT(List(For("visitor", 6)),
              ElementsAre("I11", "I10", "I9", "I8", "I6", "I5"));
  v1::RecommendRequest all = For("alice", 3);
  all.set_in_stock_only(false);
  EXPECT_THAT(List(all), ElementsAre("I0", "I1", "I2"));
}

TEST_F(FiltersTest, SizeCategoryAndPriceFiltersNeverLeak) {
  for (const char* user : {"alice", "visitor"}) {
    v1::RecommendRequest req = For(user, 12);
    req.set_size("L");
    // Odd items come in L; I9 (a bag) has no sizes; I1 and I7 are out of
    // stock; I11 is not in the catalog, so it has no sizes to match.
    std::set<std::string> got;
    for (const auto& id : List(req)) got.insert(id);
    EXPECT_EQ(got, (std::set<std::string>{"I3", "I5", "I9"})) << user;

    req = For(user, 12);
    req.add_categories("shoes");
    req.add_categories("tops");
    req.set_min_price(30);
    req.set_max_price(90);
    got.clear();
    for (const auto& id : List(req)) got.insert(id);
    // tops: I1 I4 I7 I10, shoes: I2 I5 I8 I11; priced 30..90: I2..I8;
    // in stock.
    EXPECT_EQ(got, (std::set<std::string>{"I2", "I4", "I5", "I8"})) << user;
  }
  // Fewer eligible than count: fewer returned.
  v1::RecommendRequest req = For("alice", 10);
  req.add_categories("dresses");
  req.set_max_price(40);
  EXPECT_THAT(List(req), ElementsAre("I0", "I3"));
}

TEST_F(FiltersTest, PerCategoryCapsHoldOnBothPaths) {
  v1::RecommendRequest req = For("alice", 6);
  req.set_max_per_category(1);
  // One dress, one pair of shoes, one top; I11 has no category, so no cap.
  EXPECT_THAT(List(req), ElementsAre("I0", "I2", "I4", "I11"));
  req.set_max_per_category(2);
  EXPECT_THAT(List(req), ElementsAre("I0", "I2", "I3", "I4", "I5", "I10"));
  req = For("visitor", 4);
  req.set_max_per_category(1);
  // I11 is unlisted: no category, so not capped.
  EXPECT_THAT(List(req), ElementsAre("I11", "I10", "I9", "I8"));
}

TEST_F(FiltersTest, BoostsRaiseCampaignItemsWithinTheFilters) {
  v1::RecommendRequest req = For("alice", 3);
  v1::ItemBoost* b = req.add_boosts();
  b->set_item_id("I8");  // score 4, boosted to 4 * 2.6 = 10.4 > I2's 10
  b->set_boost(1.6f);
  EXPECT_THAT(List(req), ElementsAre("I0", "I8", "I2"));
  // An out-of-stock campaign item stays out; an unknown one is ignored.
  req = For("alice", 2);
  b = req.add_boosts();
  b->set_item_id("I7");
  b->set_boost(50);
  b = req.add_boosts();
  b->set_item_id("not-an-item");
  b->set_boost(50);
  EXPECT_THAT(List(req), ElementsAre("I0", "I2"));
}

TEST_F(FiltersTest, DiversityTradesScoreForVariety) {
  // By score: I0 (axis x), I2 (x), I3 (y), I4 (x)... Full diversity picks
  // the best item, then the best one on the other axis.
  v1::RecommendRequest req = For("alice", 2);
  EXPECT_THAT(List(req), ElementsAre("I0", "I2"));
  req.set_diversity(0.9f);
  EXPECT_THAT(List(req), ElementsAre("I0", "I3"));
}

TEST_F(FiltersTest, BadRulesAreInvalidArgumentsNamingTheField) {
  struct Case {
    std::function<void(v1::RecommendRequest*)> mutate;
    grpc::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](auto* r) { r->add_categories("hats"); }, grpc::INVALID_ARGUMENT,
       "categories[0]: 'hats' is not a category of the catalog"},
      {[](auto* r) { r->set_size("XXL"); }, grpc::INVALID_ARGUMENT,
       "size: no catalog item comes in size 'XXL'"},
      {[](auto* r) { r->set_min_price(-1); }, grpc::INVALID_ARGUMENT,
       "min_price: must be a finite number >= 0, got -1"},
      {[](auto* r) {
         r->set_min_price(50);
         r->set_max_price(20);
       },
       grpc::INVALID_ARGUMENT, "max_price: 20 is below min_price 50"},
      {[](auto* r) { r->set_max_per_category(0); }, grpc::INVALID_ARGUMENT,
       "max_per_category: must be 1..1000, got 0"},
      {[](auto* r) { r->set_diversity(1.5f); }, grpc::INVALID_ARGUMENT,
       "diversity: must be between 0 and 1, got 1.5"},
      {[](auto* r) { r->add_boosts()->set_item_id("I1"); },
       grpc::INVALID_ARGUMENT, "boosts[0].boost: must be in (0, 100], got 0"},
      {[](auto* r) { r->add_boosts()->set_boost(1); }, grpc::INVALID_ARGUMENT,
       "boosts[0].item_id: must not be empty"},
  };
  for (const Case& c : cases) {
    v1::RecommendRequest req = For("alice", 3);
    c.mutate(&req);
    v1::RecommendResponse resp;
    grpc::Status s = Call(req, &resp);
    EXPECT_EQ(s.error_code(), c.code) << c.message;
    EXPECT_THAT(s.error_message(), HasSubstr(c.message));
  }
}

// The approximate path through a real server: a snapshot with an IVF
// partition (the even items, along one axis, and the odd ones, along the
// other), served with RetrievalPath::kAnn at a width covering both lists,
// gives exactly the exact path's lists, business rules included.
TEST_F(ServerTest, AnnPathServesTheSnapshotsIvfPartition) {
  Snapshot s = FilterSnapshot();
  s.ann.centroids.resize(2, 2);
  s.ann.centroids << 7, 0, 0, 6;
  s.ann.list_begin = {0, 6, 12};
  s.ann.items = {0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11};
  s.ann.probe = 2;
  s.ann.filtered_probe = 2;
  Publish(s);
  retrieval_.path = RetrievalPath::kAnn;
  StartServer();
  v1::RecommendRequest req;
  req.set_user_id("alice");
  req.set_count(6);
  req.set_max_per_category(1);
  EXPECT_THAT(IdsOf(req), ElementsAre("I0", "I2", "I4", "I11"));
  req.clear_max_per_category();
  req.add_categories("tops");
  req.set_max_price(60);
  // Tops are I1, I4, I7, I10; I1 and I7 are out of stock, I10 costs 110.
  EXPECT_THAT(IdsOf(req), ElementsAre("I4"));
  req.clear_categories();
  req.clear_max_price();
  req.set_size("L");
  // Odd items come in L and the bag I9 in one size; I1 and I7 are out of
  // stock.
  EXPECT_THAT(IdsOf(req), ElementsAre("I3", "I5", "I9"));
}

// Asking for the approximate path on a snapshot without a partition is a
// load error that says what to do, not a silent fallback.
TEST_F(ServerTest, AnnPathWithoutAPartitionIsRefused) {
  Publish(FilterSnapshot());
  retrieval_.path = RetrievalPath::kAnn;
  ServerOptions options = Options();
  options.require_snapshot = true;
  auto server = TailorServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kFailedPrecondition)
      << server.status();
  EXPECT_THAT(server.status().message(), HasSubstr("--ann=on"));
}

TEST_F(ServerTest, CatalogRulesNeedACatalog) {
  Snapshot s = TinySnapshot();
  s.catalog.clear();
  Publish(s);
  StartServer();
  v1::RecommendRequest req;
  req.set_user_id("alice");
  req.set_max_per_category(2);
  v1::RecommendResponse resp;
  grpc::Status status = Call(req, &resp);
  EXPECT_EQ(status.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("need a catalog"));
  // Stock filtering alone is fine without one.
  EXPECT_EQ(Ids("alice"), (std::vector<std::string>{"A", "B", "C"}));
}

}  // namespace
}  // namespace tailor
